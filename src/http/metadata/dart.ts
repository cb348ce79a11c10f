// `/types/dart`: the DTOs as ServiceStack's DartGenerator writes them, for the `servicestack` Dart
// package: IConvertible classes with fromJson/fromMap/toJson, IReturn<T> and verb markers,
// createResponse(), getTypeName(), and the TypeContext the JsonCodec resolves types with.
import type { Dto, Field, TypeRef } from '../operations/types.js';
import { optionsHeader } from './header.js';
import { describe, OPERATION_OF_REQUEST, ORDERED_TYPES } from './model.js';

const SCALARS: Record<string, string> = { string: 'String', int: 'int', long: 'int', bool: 'bool', DateTime: 'DateTime', object: 'dynamic' };

function dartType(t: TypeRef): string {
  if (typeof t === 'string') return SCALARS[t] ?? 'String';
  if ('ref' in t) return t.ref;
  if ('list' in t) return `List<${dartType(t.list)}>`;
  const value = dartType(t.map);
  return `Map<String,${value === 'dynamic' ? value : `${value}?`}>`;
}

/** Dart's reserved words (and IConvertible's `context`) cannot name a field: DartGenerator capitalizes them. */
const RESERVED = new Set(['context', 'abstract', 'as', 'assert', 'async', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue',
  'covariant', 'default', 'deferred', 'do', 'dynamic', 'else', 'enum', 'export', 'extends', 'extension', 'external', 'factory', 'false',
  'final', 'finally', 'for', 'get', 'if', 'implements', 'import', 'in', 'interface', 'is', 'late', 'library', 'mixin', 'new', 'null',
  'operator', 'part', 'required', 'rethrow', 'return', 'set', 'static', 'super', 'switch', 'sync', 'this', 'throw', 'true', 'try',
  'typedef', 'var', 'void', 'while', 'with', 'yield']);

function dartName(f: Field): string {
  return RESERVED.has(f.name) ? f.name.charAt(0).toUpperCase() + f.name.slice(1) : f.name;
}

/** Scalars other than DateTime are read and written as they are; the rest through JsonConverters. */
function isPlain(t: TypeRef): boolean {
  return typeof t === 'string' && t !== 'DateTime';
}

function comment(indent: string, text: string): string {
  return `${indent}/**\n${indent}* ${text.replace(/\*\//g, '* /')}\n${indent}*/\n`;
}

function fromMap(f: Field): string {
  const name = dartName(f);
  if (isPlain(f.type)) return `        ${name} = json['${f.name}'];`;
  if (typeof f.type === 'object' && 'map' in f.type && f.type.map === 'string') return `        ${name} = JsonConverters.toStringMap(json['${f.name}']);`;
  return `        ${name} = JsonConverters.fromJson(json['${f.name}'],'${dartType(f.type)}',context!);`;
}

function toJson(f: Field): string {
  const name = dartName(f);
  if (isPlain(f.type) || (typeof f.type === 'object' && 'map' in f.type && f.type.map === 'string')) return `        '${f.name}': ${name}`;
  return `        '${f.name}': JsonConverters.toJson(${name},'${dartType(f.type)}',context!)`;
}

function classOf(d: Dto): string {
  const op = OPERATION_OF_REQUEST.get(d.name);
  const markers = [...(op ? [op.response ? `IReturn<${op.response}>` : 'IReturnVoid'] : []), 'IConvertible',
    ...(op ? [`I${op.verb.charAt(0)}${op.verb.slice(1).toLowerCase()}`] : [])];
  const routes = op ? op.routes.map((r) => `// @Route("${r}", "${[op.verb, ...(op.alsoVerbs ?? [])].join(',')}")\n`).join('') : '';
  const props = d.fields.map((f) => `${comment('    ', describe(f))}${f.required ? `    // @ApiMember(Description="${f.description.replace(/"/g, "'")}", IsRequired=true)\n` : ''}    ${dartType(f.type)}? ${dartName(f)};\n`).join('\n');
  const params = d.fields.map((f) => `this.${dartName(f)}`).join(',');
  const parent = d.inherits ? `${d.inherits}` : '';
  const ctor = `    ${d.name}(${params ? `{${params}}` : ''});\n    ${d.name}.fromJson(Map<String, dynamic> json)${d.fields.length ? ' { fromMap(json); }' : parent ? ' : super.fromJson(json);' : ' : super();'}\n`;
  const from = `    fromMap(Map<String, dynamic> json) {\n${parent ? '        super.fromMap(json);\n' : ''}${d.fields.map(fromMap).map((l) => `${l}\n`).join('')}        return this;\n    }\n`;
  const to = `    Map<String, dynamic> toJson() => ${parent ? 'super.toJson()..addAll(' : ''}{\n${d.fields.map(toJson).join(',\n')}${d.fields.length ? '\n' : ''}    }${parent ? ')' : ''};\n`;
  const ret = op
    ? `    createResponse()${op.response ? ` => ${op.response}()` : ' {}'};\n${op.response ? `    getResponseTypeName() => "${op.response}";\n` : ''}`
    : '';
  return `${comment('', d.description)}${routes}class ${d.name}${parent ? ` extends ${parent}` : ''} implements ${markers.join(', ')}\n{\n${props}${props ? '\n' : ''}${ctor}\n${from}\n${to}\n${ret}    getTypeName() => "${d.name}";\n    TypeContext? context = _ctx;\n}\n`;
}

const OPTIONS = ['GlobalNamespace: ', 'AddServiceStackTypes: True', 'AddResponseStatus: False', 'AddImplicitVersion: ',
  'AddDescriptionAsComments: True', 'IncludeTypes: ', 'ExcludeTypes: ', 'DefaultImports: package:servicestack/servicestack.dart'];

/** Every class, and every list of classes a field holds (each once: a Dart map literal refuses a repeated key). */
function typeContext(): string {
  const lists = new Set(ORDERED_TYPES.flatMap((d) => d.fields.flatMap((f) => (typeof f.type === 'object' && 'list' in f.type && typeof f.type.list === 'object' ? [f.type.list.ref] : []))));
  const entries = [
    ...ORDERED_TYPES.map((d) => `    '${d.name}': TypeInfo(TypeOf.Class, create:() => ${d.name}()),`),
    ...[...lists].map((item) => `    'List<${item}>': TypeInfo(TypeOf.Class, create:() => <${item}>[]),`),
  ];
  return `TypeContext _ctx = TypeContext(library: 'ari-flow-engine', types: <String, TypeInfo> {\n${entries.join('\n')}\n});\n`;
}

const BODY = `import 'package:servicestack/servicestack.dart';\n\n${ORDERED_TYPES.map(classOf).join('\n')}\n${typeContext()}`;

export function dartDtos(baseUrl: string, generatedAt: string): string {
  return `${optionsHeader(baseUrl, generatedAt, OPTIONS)}${BODY}`;
}
