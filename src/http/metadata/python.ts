// `/types/python`: the DTOs as ServiceStack's PythonGenerator writes them, for the `servicestack`
// Python package: dataclasses with dataclass_json (camelCase on the wire, snake_case in Python),
// IReturn[T]/IReturnVoid and verb markers, response_type(), descriptions as docstrings.
import type { Dto, Field, TypeRef } from '../operations/types.js';
import { optionsHeader } from './header.js';
import { describe, OPERATION_OF_REQUEST, ORDERED_TYPES, SERVICESTACK_TYPES } from './model.js';

const SCALARS: Record<string, string> = { string: 'str', int: 'int', long: 'int', bool: 'bool', DateTime: 'datetime.datetime', object: 'Any' };
const REQUIRED_DEFAULTS: Record<string, string> = { str: '""', int: '0', bool: 'False' };

function pyType(t: TypeRef): string {
  if (typeof t === 'string') return SCALARS[t] ?? 'str';
  if ('ref' in t) return t.ref;
  if ('list' in t) return `List[${pyType(t.list)}]`;
  return `Dict[str, ${pyType(t.map)}]`;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const docstring = (indent: string, text: string): string => `${indent}"""\n${indent}${text.replace(/"""/g, "'''")}\n${indent}"""\n`;

/** Python keywords cannot name a field: ServiceStack's generator appends `_` and keeps the wire name. */
const PY_KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del',
  'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass',
  'raise', 'return', 'try', 'while', 'with', 'yield']);

function property(f: Field): string {
  const type = pyType(f.type);
  const collection = typeof f.type === 'object' && ('list' in f.type || 'map' in f.type);
  const name = snake(f.name);
  if (PY_KEYWORDS.has(name)) {
    const fallback = collection ? `default_factory=${'list' in (f.type as object) ? 'list' : 'dict'}` : 'default=None';
    return `    ${name}_: ${collection ? type : `Optional[${type}]`} = field(metadata=config(field_name='${f.name}'), ${fallback})\n${docstring('    ', describe(f))}`;
  }
  const decl = collection
    ? `${type} = field(default_factory=${'list' in (f.type as object) ? 'list' : 'dict'})`
    : f.required && REQUIRED_DEFAULTS[type] !== undefined ? `${type} = ${REQUIRED_DEFAULTS[type]}` : `Optional[${type}] = None`;
  return `    ${name}: ${decl}\n${docstring('    ', describe(f))}`;
}

function classOf(d: Dto): string {
  const op = OPERATION_OF_REQUEST.get(d.name);
  const bases = [...(d.inherits ? [d.inherits] : []), ...(op ? [op.response ? `IReturn[${op.response}]` : 'IReturnVoid', `I${op.verb.charAt(0)}${op.verb.slice(1).toLowerCase()}`] : [])];
  const routes = op ? op.routes.map((r) => `# @Route("${r}", "${[op.verb, ...(op.alsoVerbs ?? [])].join(',')}")\n`).join('') : '';
  const body = d.fields.map(property).join('\n');
  const response = op ? `\n    @staticmethod\n    def response_type(): return ${op.response ?? 'None'}\n` : '';
  return `${routes}@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)\n@dataclass\nclass ${d.name}${bases.length ? `(${bases.join(', ')})` : ''}:\n${docstring('    ', d.description)}${body ? `\n${body}` : ''}${response}${!body && !op ? '    pass\n' : ''}`;
}

const OPTIONS = ['GlobalNamespace: ', 'AddServiceStackTypes: True', 'AddResponseStatus: False', 'AddImplicitVersion: ', 'AddDescriptionAsComments: True',
  'IncludeTypes: ', 'ExcludeTypes: ', 'DefaultImports: datetime,decimal,marshmallow.fields:*,servicestack:*,typing:*,dataclasses:dataclass/field,dataclasses_json:dataclass_json/LetterCase/Undefined/config,enum:Enum/IntEnum',
  'DataClass: ', 'DataClassJson: '];

const IMPORTS = `import datetime
import decimal
from marshmallow.fields import *
from servicestack import *
from typing import *
from dataclasses import dataclass, field
from dataclasses_json import dataclass_json, LetterCase, Undefined, config
from enum import Enum, IntEnum
`;

/** ResponseStatus and its kin come with the servicestack package. */
const BODY = `${IMPORTS}\n\n${ORDERED_TYPES.filter((d) => !SERVICESTACK_TYPES.has(d.name)).map(classOf).join('\n\n')}`;

export function pythonDtos(baseUrl: string, generatedAt: string): string {
  return `${optionsHeader(baseUrl, generatedAt, OPTIONS, { open: '"""', close: '"""', line: '#' })}${BODY}`;
}
