// `/openapi.json`: OpenAPI 3.1 from the registry: the bearer scheme, every custom route with its
// path and query parameters and body, the response DTO, and the ResponseStatus error shape.
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

function fieldSchema(f: Field): Schema {
  const s = schemaOf(f.type);
  const withEnum = f.allowed ? { ...s, enum: [...f.allowed] } : s;
  return '$ref' in withEnum ? { allOf: [withEnum], description: describe(f) } : { ...withEnum, description: describe(f) };
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

const ERROR = { description: 'ResponseStatus with field errors', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } };

function operationObject(op: Operation, route: string, verb: string): Schema {
  const request = dto(op.request);
  const fields = allFields(request);
  const bodyVerb = verb === 'POST' || verb === 'PUT' || verb === 'PATCH';
  const inQuery = (f: Field) => f.source === 'query' || (!bodyVerb && f.source !== 'path');
  const parameters = fields.filter((f) => f.source === 'path' || inQuery(f)).map((f) => ({
    name: f.name, in: f.source === 'path' ? 'path' : 'query', required: f.source === 'path' || undefined,
    description: describe(f), schema: schemaOf(f.type),
    ...(typeof f.type === 'object' && 'list' in f.type ? { style: 'form', explode: false } : {}),
  })).map((p) => JSON.parse(JSON.stringify(p)) as Schema);
  const bodyFields = fields.filter((f) => bodyVerb && f.source !== 'path' && f.source !== 'query');
  const ok = op.response
    ? { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.response}` } }, 'application/xml': { schema: { $ref: `#/components/schemas/${op.response}` } }, ...(op.list ? { 'text/csv': { schema: { type: 'string' } } } : {}) } }
    : { description: 'Done, no content' };
  return {
    operationId: op.alsoVerbs?.includes(verb as never) ? `${op.name}${verb.charAt(0)}${verb.slice(1).toLowerCase()}` : op.name,
    summary: op.summary, description: op.description, tags: [...op.tags],
    ...(op.requiresAuth ? {} : { security: [] }),
    ...(parameters.length ? { parameters } : {}),
    ...(bodyFields.length ? { requestBody: { required: bodyFields.some((f) => f.required), content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.request}` } }, 'application/xml': { schema: { $ref: `#/components/schemas/${op.request}` } } } } } : {}),
    responses: { [String(op.status)]: ok, ...(op.name === 'GetReadiness' ? { 503: { description: 'Not ready', content: { 'application/json': { schema: { $ref: '#/components/schemas/Readiness' } } } } } : { default: ERROR }) },
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
    },
  };
}
