// What every metadata view (pages, generated DTOs, /types/metadata, OpenAPI) reads from the
// registry, computed once: the operations with their DTOs, and the DTOs in dependency order (a
// type before the types that use it, requests last), as ServiceStack's generators order them.
import { allFields, DTOS, dto } from '../operations/dtos.js';
import { OPERATIONS } from '../operations/registry.js';
import type { Dto, Operation, TypeRef } from '../operations/types.js';

/** DTOs ServiceStack ships itself (its clients know them): `ResponseStatus`, `ResponseError`, `ErrorResponse`. */
export const SERVICESTACK_TYPES = new Set(['ResponseStatus', 'ResponseError', 'ErrorResponse']);

export function refOf(type: TypeRef): string | undefined {
  if (typeof type === 'string') return undefined;
  if ('ref' in type) return type.ref;
  if ('list' in type && typeof type.list === 'object') return type.list.ref;
  return undefined;
}

/** Every DTO the operations use, referenced types first, requests after the rest. */
function orderedTypes(): Dto[] {
  const seen = new Set<string>();
  const out: Dto[] = [];
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const d = dto(name);
    if (d.inherits) visit(d.inherits);
    for (const f of d.fields) {
      const ref = refOf(f.type);
      if (ref) visit(ref);
    }
    out.push(d);
  };
  visit('ErrorResponse');
  for (const op of OPERATIONS) if (op.response) visit(op.response);
  const requests = new Set(OPERATIONS.map((o) => o.request));
  for (const op of OPERATIONS) {
    const d = dto(op.request);
    if (d.inherits) visit(d.inherits);
    for (const f of d.fields) {
      const ref = refOf(f.type);
      if (ref) visit(ref);
    }
  }
  const types = out.filter((d) => !requests.has(d.name));
  return [...types, ...OPERATIONS.map((o) => dto(o.request))];
}

export const ORDERED_TYPES: readonly Dto[] = orderedTypes();

export const OPERATION_OF_REQUEST: ReadonlyMap<string, Operation> = new Map(OPERATIONS.map((o) => [o.request, o]));

export { allFields, DTOS, dto, OPERATIONS };

/** A field's description with its allowed values. */
export function describe(f: { description: string; allowed?: readonly string[] }): string {
  return f.allowed ? `${f.description} (one of: ${f.allowed.join(', ')})` : f.description;
}
