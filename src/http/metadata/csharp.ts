// `/types/csharp`: the DTOs as ServiceStack's CSharpGenerator writes them: partial classes in the
// namespaces of their DataContracts, [Route], [DataContract]/[DataMember] (so the XML form matches
// the engine's), [ApiMember], IReturn<T>/IReturnVoid and the verb markers. ResponseStatus and its
// kin come with the ServiceStack.Client package, as in any ServiceStack service's DTOs.
import type { Dto, Field, TypeRef } from '../operations/types.js';
import { pascal } from '../operations/types.js';
import { optionsHeader } from './header.js';
import { describe, OPERATION_OF_REQUEST, ORDERED_TYPES, SERVICESTACK_TYPES } from './model.js';

const SCALARS: Record<string, string> = { string: 'string', int: 'int', long: 'long', bool: 'bool', DateTime: 'DateTime', object: 'Object' };

function csType(t: TypeRef, optional: boolean): string {
  if (typeof t === 'string') {
    const s = SCALARS[t] ?? 'string';
    return optional && s !== 'string' && s !== 'Object' ? `${s}?` : s;
  }
  if ('ref' in t) return t.ref;
  if ('list' in t) return `List<${csType(t.list, false)}>`;
  return `Dictionary<string, ${csType(t.map, false)}>`;
}

/** `http://schemas.datacontract.org/2004/07/Voice.Api.Sessions` → `Voice.Api.Sessions`. */
function csNamespace(ns: string): string {
  return ns.slice(ns.lastIndexOf('/') + 1);
}

const summary = (indent: string, text: string): string => `${indent}///<summary>\n${indent}///${text}\n${indent}///</summary>\n`;

function property(f: Field): string {
  const api = `        [ApiMember(Description="${f.description.replace(/"/g, "'")}"${f.required ? ', IsRequired=true' : ''})]\n`;
  const init = typeof f.type === 'object' && ('list' in f.type || 'map' in f.type) ? ` = new ${csType(f.type, false)}();` : '';
  return `${summary('        ', describe(f))}        [DataMember]\n${api}        public virtual ${csType(f.type, !f.required)} ${pascal(f.name)} { get; set; }${init}\n`;
}

function classOf(d: Dto): string {
  const op = OPERATION_OF_REQUEST.get(d.name);
  const routes = op ? op.routes.map((r) => `    [Route("${r}", "${[op.verb, ...(op.alsoVerbs ?? [])].join(',')}")]\n`).join('') : '';
  const bases = [...(d.inherits ? [d.inherits] : []), ...(op ? [op.response ? `IReturn<${op.response}>` : 'IReturnVoid', `I${op.verb.charAt(0)}${op.verb.slice(1).toLowerCase()}`] : [])];
  return `${summary('    ', d.description)}${routes}    [DataContract(Namespace="${d.namespace}")]\n    public partial class ${d.name}${bases.length ? `\n        : ${bases.join(', ')}` : ''}\n    {\n${d.fields.map(property).join('\n')}    }\n`;
}

const OPTIONS = ['GlobalNamespace: ', 'MakePartial: True', 'MakeVirtual: True', 'MakeInternal: False', 'MakeDataContractsExtensible: False',
  'AddNullableAnnotations: False', 'AddReturnMarker: True', 'AddDescriptionAsComments: True', 'AddDataContractAttributes: True',
  'AddIndexesToDataMembers: False', 'AddGeneratedCodeAttributes: False', 'AddResponseStatus: False', 'AddImplicitVersion: ',
  'InitializeCollections: True', 'ExportValueTypes: False', 'IncludeTypes: ', 'ExcludeTypes: ', 'AddNamespaces: ',
  'AddDefaultXmlNamespace: http://schemas.servicestack.net/types'];

function body(): string {
  const types = ORDERED_TYPES.filter((d) => !SERVICESTACK_TYPES.has(d.name));
  const namespaces = [...new Set(types.map((d) => csNamespace(d.namespace)))];
  const usings = ['System', 'System.IO', 'System.Collections', 'System.Collections.Generic', 'System.Runtime.Serialization',
    'ServiceStack', 'ServiceStack.DataAnnotations', ...namespaces].map((u) => `using ${u};`).join('\n');
  const blocks = namespaces.map((ns) => `namespace ${ns}\n{\n\n${types.filter((d) => csNamespace(d.namespace) === ns).map(classOf).join('\n')}}\n`);
  return `${usings}\n\n${blocks.join('\n')}`;
}

const BODY = body();

export function csharpDtos(baseUrl: string, generatedAt: string): string {
  return `${optionsHeader(baseUrl, generatedAt, OPTIONS)}${BODY}`;
}
