// `/openapi.json`: OpenAPI 3.1 from the registry: the bearer scheme, every custom route with its
// path and query parameters and body, the response DTO, and the ResponseStatus error shape under
// each error status the operation can give. Written for generated clients (openapi-typescript +
// openapi-fetch are run against it in test/http/openapi-client.test.ts): always-present response
// fields are required, fields JSON gives as null are nullable, enums reach parameters too.
import { FINAL_STATES } from '../../domain/model.js';
import type { Dto, Field, Operation, TypeRef } from '../operations/types.js';
import { allFields, describe, dto, OPERATIONS, ORDERED_TYPES } from './model.js';

type Schema = Record<string, unknown>;

function schemaOf(t: TypeRef): Schema {
  if (typeof t === 'string') {
    switch (t) {
      case 'int': return { type: 'integer', format: 'int32' };
      case 'long': return { type: 'integer', format: 'int64' };
      case 'bool': return { type: 'boolean' };
      case 'DateTime': return { type: 'string', format: 'date-time' };
      case 'object': return {};
      default: return { type: 'string' };
    }
  }
  if ('ref' in t) return { $ref: `#/components/schemas/${t.ref}` };
  if ('list' in t) return { type: 'array', items: schemaOf(t.list) };
  return { type: 'object', additionalProperties: schemaOf(t.map) };
}

/** A field's value schema: its enum, and `null` among its types where JSON carries null for "none". */
function valueSchema(f: Field): Schema {
  const s = schemaOf(f.type);
  const withEnum = f.allowed ? { ...s, enum: f.nullable ? [...f.allowed, null] : [...f.allowed] } : s;
  if (!f.nullable) return withEnum;
  if ('$ref' in withEnum) return { oneOf: [withEnum, { type: 'null' }] };
  return typeof withEnum.type === 'string' ? { ...withEnum, type: [withEnum.type, 'null'] } : withEnum;
}

function fieldSchema(f: Field): Schema {
  const s = valueSchema(f);
  return '$ref' in s ? { allOf: [s], description: describe(f) } : { ...s, description: describe(f) };
}

function dtoSchema(d: Dto): Schema {
  const fields = allFields(d);
  const required = fields.filter((f) => f.required && f.source !== 'path' && f.source !== 'query').map((f) => f.name);
  return {
    type: 'object', description: d.description,
    properties: Object.fromEntries(fields.filter((f) => f.source !== 'path').map((f) => [f.name, fieldSchema(f)])),
    ...(required.length ? { required } : {}),
    xml: { name: d.name, namespace: d.namespace },
  };
}

/** Every error answer has the ResponseStatus body; the statuses each operation can give are listed. */
const ERROR_STATUSES: Record<string, string> = {
  400: 'Invalid request: ResponseStatus with one field error per problem',
  401: 'No valid bearer token',
  403: 'The token\'s roles do not allow this',
  404: 'No such resource in the account',
  413: 'The body is larger than MAX_BODY_BYTES',
  415: 'The body is not JSON or XML in UTF-8',
  429: 'Too many failed authentications from this address, or an account limit reached (Retry-After says when to try again)',
  default: 'Any other error (409 conflict, 503 unavailable, ...), in the same shape',
};
const errorRef = (status: string): Schema => ({ $ref: `#/components/responses/Error${status === 'default' ? 'Default' : status}` });
const errorResponses = (): Schema => Object.fromEntries(Object.entries(ERROR_STATUSES).map(([status, description]) => [
  `Error${status === 'default' ? 'Default' : status}`,
  { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } }, 'application/xml': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } },
]));

function errorsOf(op: Operation, hasPath: boolean, hasBody: boolean): Schema {
  const statuses = ['400', ...(op.requiresAuth ? ['401', '403', '429'] : []), ...(hasPath ? ['404'] : []), ...(hasBody ? ['413', '415'] : []), 'default'];
  return Object.fromEntries(statuses.map((status) => [status, errorRef(status)]));
}

function operationObject(op: Operation, route: string, verb: string): Schema {
  const request = dto(op.request);
  const fields = allFields(request);
  const bodyVerb = verb === 'POST' || verb === 'PUT' || verb === 'PATCH';
  const inQuery = (f: Field) => f.source === 'query' || (!bodyVerb && f.source !== 'path');
  const parameters = fields.filter((f) => f.source === 'path' || inQuery(f)).map((f) => ({
    name: f.name, in: f.source === 'path' ? 'path' : 'query', required: f.source === 'path' || undefined,
    description: describe(f), schema: valueSchema(f),
    ...(typeof f.type === 'object' && 'list' in f.type ? { style: 'form', explode: false } : {}),
  })).map((p) => JSON.parse(JSON.stringify(p)) as Schema);
  const bodyFields = fields.filter((f) => bodyVerb && f.source !== 'path' && f.source !== 'query');
  const ok = op.response
    ? { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.response}` } }, 'application/xml': { schema: { $ref: `#/components/schemas/${op.response}` } }, ...(op.list ? { 'text/csv': { schema: { type: 'string' } } } : {}) } }
    : op.produces ? { description: 'OK', content: { [op.produces]: { schema: { type: 'string', format: 'binary' } } } }
      : { description: 'Done, no content' };
  return {
    operationId: op.alsoVerbs?.includes(verb as never) ? `${op.name}${verb.charAt(0)}${verb.slice(1).toLowerCase()}` : op.name,
    summary: op.summary, description: op.description, tags: [...op.tags],
    ...(op.requiresAuth ? {} : { security: [] }),
    ...(parameters.length ? { parameters } : {}),
    ...(bodyFields.length ? { requestBody: { required: bodyFields.some((f) => f.required), content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.request}` } }, 'application/xml': { schema: { $ref: `#/components/schemas/${op.request}` } } } } } : {}),
    responses: { [String(op.status)]: ok, ...(op.name === 'GetReadiness' ? { 503: { description: 'Not ready', content: { 'application/json': { schema: { $ref: '#/components/schemas/Readiness' } } } } } : errorsOf(op, fields.some((f) => f.source === 'path'), bodyFields.length > 0)) },
  };
}

export function openApiDocument(serverUrl: string): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const op of OPERATIONS) {
    for (const route of op.routes) {
      const item = (paths[route] ??= {});
      for (const verb of [op.verb, ...(op.alsoVerbs ?? [])]) item[verb.toLowerCase()] = operationObject(op, route, verb);
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'ari-flow-engine', version: '1', description: `Outgoing calls over Asterisk ARI running stored flows. Sessions end in one of: ${FINAL_STATES.join(', ')}.` },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT with sub, exp, accountId and roles (Manager or SystemAdministrator)' } },
      schemas: Object.fromEntries(ORDERED_TYPES.map((d) => [d.name, dtoSchema(d)])),
      responses: errorResponses(),
    },
  };
}
