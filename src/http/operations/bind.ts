// Request binding as ServiceStack does it: the request DTO is read from the body (JSON camelCase or
// PascalCase, or DataContract XML), then from the query string, then from the route's path, each
// field typed by its declaration; case variants of declared names take the declared name. Wire-level
// checks live here (path fields present, XML root and namespace); the use cases check the meaning,
// and see undeclared body fields too (a flow document refuses unknown properties, a phone number
// refuses a changed `number`).
import { AppError, type FieldError } from '../../domain/errors.js';
import type { Input } from '../../services/input.js';
import { DEFAULT_BODY_LIMITS, inspectValue, type ParsedBody } from '../body.js';
import { xmlToValue } from '../xml.js';
import { allFields, DTOS, dto, fieldOf } from './dtos.js';
import type { Field, Operation, TypeRef } from './types.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Case variants of declared names become the declared (camelCase) name, recursively through DTO refs. */
function normalize(value: unknown, type: TypeRef | undefined): unknown {
  if (typeof type !== 'object') return value;
  if ('list' in type) return Array.isArray(value) ? value.map((v) => normalize(v, type.list)) : value;
  if (!('ref' in type) || !isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = fieldOf(type.ref, key);
    const name = field?.name ?? key;
    if (Object.hasOwn(out, name) && key !== name) continue; // the exact name wins over a case variant
    out[name] = normalize(v, field?.type);
  }
  return out;
}

/** A query-string or path text as the field's type; text that does not fit stays text for validation to report. */
function fromText(field: Field, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const t = field.type;
  if ((t === 'int' || t === 'long') && /^-?\d{1,15}$/.test(raw)) return Number(raw);
  if (t === 'bool' && (raw === 'true' || raw === 'false' || raw === '')) return raw !== 'false';
  if (typeof t === 'object' && 'list' in t) return raw === '' ? [] : raw.split(',');
  return raw;
}

function bodyInput(op: Operation, parsed: ParsedBody | undefined): Record<string, unknown> {
  if (parsed === undefined) return {};
  if (parsed.xml) {
    const request = dto(op.request);
    const roots = [request.name, ...(request.xmlRootAliases ?? [])];
    if (!roots.includes(parsed.xml.root)) {
      throw new AppError('validation', 'InvalidXmlRoot', `The XML root element must be ${request.name}`);
    }
    if (parsed.xml.namespace !== undefined && parsed.xml.namespace !== request.namespace) {
      throw new AppError('validation', 'InvalidXmlNamespace', `${request.name} must be in the namespace ${request.namespace}`);
    }
    const value = xmlToValue(parsed.xml.node, op.request);
    const errors = inspectValue(value, DEFAULT_BODY_LIMITS);
    if (errors.length > 0) throw AppError.validation(errors);
    return value;
  }
  if (!isRecord(parsed.value)) throw new AppError('validation', 'InvalidBody', 'The body must be an object');
  return parsed.value;
}

/** The path fields of every DTO, computed once (the binding runs on every request). */
const PATH_FIELDS: ReadonlyMap<string, readonly Field[]> = new Map([...DTOS.values()].map((d) => [d.name, allFields(d).filter((f) => f.source === 'path')]));

/** The request DTO of `op` for this request: its route's (decoded) path parameters, query and body. */
export function bindRequest(op: Operation, params: Readonly<Record<string, string>>, query: Record<string, unknown>, parsed: ParsedBody | undefined): Input {
  const body = normalize(bodyInput(op, parsed), { ref: op.request }) as Record<string, unknown>;
  const out: Input = { ...body };
  for (const [key, raw] of Object.entries(query)) {
    const field = fieldOf(op.request, key);
    if (field) out[field.name] = fromText(field, raw);
  }
  const errors: FieldError[] = [];
  for (const field of PATH_FIELDS.get(op.request) ?? []) {
    const fromPath = params[field.name];
    if (typeof fromPath === 'string') out[field.name] = fromPath;
    const v = out[field.name];
    if (typeof v !== 'string' || v === '') errors.push({ fieldName: field.name, errorCode: 'NotEmpty', message: `${field.name} is required` });
  }
  if (errors.length > 0) throw AppError.validation(errors);
  return out;
}
