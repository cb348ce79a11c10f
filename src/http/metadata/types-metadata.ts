// `/types/metadata`: the JSON description of operations and types that ServiceStack's `x` tool and
// its IDE plugins read (ServiceStack's MetadataTypes shape: .NET type names, PascalCase properties).
import type { Dto, Field, TypeRef } from '../operations/types.js';
import { pascal } from '../operations/types.js';
import { describe, OPERATIONS, ORDERED_TYPES, dto } from './model.js';

const NET: Record<string, string> = { string: 'String', int: 'Int32', long: 'Int64', bool: 'Boolean', DateTime: 'DateTime', object: 'Object' };

function netType(t: TypeRef): { type: string; genericArgs?: string[] } {
  if (typeof t === 'string') return { type: NET[t] ?? 'String' };
  if ('ref' in t) return { type: t.ref };
  if ('list' in t) return { type: 'List`1', genericArgs: [netType(t.list).type] };
  return { type: 'Dictionary`2', genericArgs: ['String', netType(t.map).type] };
}

function property(f: Field) {
  const { type, genericArgs } = netType(f.type);
  return {
    name: pascal(f.name), type, ...(genericArgs ? { genericArgs } : {}),
    ...(f.required ? { isRequired: true } : {}),
    ...(typeof f.type === 'string' && f.type !== 'string' && f.type !== 'object' ? { isValueType: true } : {}),
    description: describe(f), dataMember: {},
    ...(f.allowed ? { allowableValues: [...f.allowed] } : {}),
    ...(f.source === 'path' ? { paramType: 'path' } : {}),
  };
}

function metadataType(d: Dto) {
  return {
    name: d.name, namespace: d.namespace.slice(d.namespace.lastIndexOf('/') + 1), description: d.description,
    ...(d.inherits ? { inherits: { name: d.inherits } } : {}),
    dataContract: { namespace: d.namespace }, properties: d.fields.map(property),
  };
}

export function typesMetadata(baseUrl: string) {
  return {
    config: { baseUrl, makePartial: true, makeVirtual: true, addReturnMarker: true, addDescriptionAsComments: true, addDataContractAttributes: true, addServiceStackTypes: true },
    namespaces: [...new Set(ORDERED_TYPES.map((d) => metadataType(d).namespace))],
    operations: OPERATIONS.map((op) => ({
      request: metadataType(dto(op.request)),
      ...(op.response ? { response: metadataType(dto(op.response)) } : { returnsVoid: true }),
      actions: [op.verb, ...(op.alsoVerbs ?? [])],
      method: op.verb,
      routes: op.routes.map((path) => ({ path, verbs: [op.verb, ...(op.alsoVerbs ?? [])].join(',') })),
      requiresAuth: op.requiresAuth,
      requiresAnyRole: [...op.anyRole],
      tags: [...op.tags],
    })),
    types: ORDERED_TYPES.filter((d) => !OPERATIONS.some((o) => o.request === d.name)).map(metadataType),
  };
}
