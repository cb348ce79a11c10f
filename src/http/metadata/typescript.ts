// `/types/typescript`: the DTOs as ServiceStack's TypeScriptGenerator writes them (the header of
// options, IReturn<T>/IReturnVoid and verb markers, classes with `init` constructors,
// getTypeName(), getMethod(), createResponse(), descriptions as doc comments). The output
// type-checks under `strict` (without strictPropertyInitialization, as ServiceStack's own does).
import type { Dto, Field, TypeRef } from '../operations/types.js';
import { optionsHeader } from './header.js';
import { describe, OPERATION_OF_REQUEST, ORDERED_TYPES } from './model.js';

const SCALARS: Record<string, string> = { string: 'string', int: 'number', long: 'number', bool: 'boolean', DateTime: 'string', object: 'Object' };

export function tsType(t: TypeRef): string {
  if (typeof t === 'string') return SCALARS[t] ?? 'string';
  if ('ref' in t) return t.ref;
  if ('list' in t) return `${tsType(t.list)}[]`;
  return `{ [index:string]: ${tsType(t.map)}; }`;
}

const doc = (indent: string, text: string): string => `${indent}/** @description ${text.replace(/\*\//g, '* /')} */\n`;

function property(f: Field): string {
  const apiMember = f.required ? `    // @ApiMember(Description="${f.description.replace(/"/g, "'")}", IsRequired=true)\n` : '';
  return `${doc('    ', describe(f))}${apiMember}    public ${f.name}${f.required ? '' : '?'}: ${tsType(f.type)};\n`;
}

function classOf(d: Dto): string {
  const op = OPERATION_OF_REQUEST.get(d.name);
  const markers: string[] = [];
  if (op) {
    markers.push(op.response ? `IReturn<${op.response}>` : 'IReturnVoid');
    markers.push(`I${op.verb.charAt(0)}${op.verb.slice(1).toLowerCase()}`);
  }
  const head = `export class ${d.name}${d.inherits ? ` extends ${d.inherits}` : ''}${markers.length ? ` implements ${markers.join(', ')}` : ''}`;
  const routes = op ? op.routes.map((r) => `// @Route("${r}", "${[op.verb, ...(op.alsoVerbs ?? [])].join(',')}")\n`).join('') : '';
  const body = d.fields.map(property).join('\n');
  const ctor = d.inherits
    ? `    public constructor(init?: Partial<${d.name}>) { super(init); (Object as any).assign(this, init); }\n`
    : `    public constructor(init?: Partial<${d.name}>) { (Object as any).assign(this, init); }\n`;
  const methods = op
    ? `    public getTypeName() { return '${d.name}'; }\n    public getMethod() { return '${op.verb}'; }\n`
      + `    public createResponse()${op.response ? ` { return new ${op.response}(); }` : ' {}'}\n`
    : '';
  return `${doc('', d.description)}${routes}${head}\n{\n${body}${body ? '\n' : ''}${ctor}${methods}}\n`;
}

const OPTIONS = ['GlobalNamespace: ', 'MakePropertiesOptional: False', 'AddServiceStackTypes: True', 'AddResponseStatus: False',
  'AddImplicitVersion: ', 'AddDescriptionAsComments: True', 'IncludeTypes: ', 'ExcludeTypes: ', 'DefaultImports: '];

const INTERFACES = `export interface IReturn<T>
{
    createResponse(): T;
}

export interface IReturnVoid
{
    createResponse(): void;
}

export interface IGet {}
export interface IPost {}
export interface IPut {}
export interface IPatch {}
export interface IDelete {}
`;

/** Everything below the header, built once. */
const BODY = [INTERFACES, ...ORDERED_TYPES.map(classOf)].join('\n');

export function typescriptDtos(baseUrl: string, generatedAt: string): string {
  return `${optionsHeader(baseUrl, generatedAt, OPTIONS)}${BODY}`;
}
