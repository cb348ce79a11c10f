// XML in the DataContract form ServiceStack clients speak: parsed safely (no DOCTYPE, no entity
// expansion, depth-capped) into the same plain objects JSON bodies give, and written back with the
// same conventions (PascalCase elements, arrays as item elements, maps as KeyValueOfstringstring).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../domain/errors.js';

export const SESSIONS_NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.Sessions';
export const ARRAYS_NS = 'http://schemas.microsoft.com/2003/10/Serialization/Arrays';
export const SERVICESTACK_NS = 'http://schemas.servicestack.net/types';

/** Fields whose XML form is a list of item elements. */
const ARRAY_FIELDS = new Set(['steps', 'media', 'prompt', 'items', 'errors', 'timeline']);
/** Fields whose XML form is a DataContract dictionary. */
const MAP_FIELDS = new Set(['branches', 'cases', 'variables', 'data']);
const NUMBER_FIELDS = new Set([
  'maxDigits', 'timeoutMs', 'interDigitTimeoutMs', 'attempts', 'ms', 'maxDurationMs', 'maxSilenceMs',
  'flowVersion', 'version', 'page', 'countPerPage', 'totalCount', 'totalPages', 'seq',
]);
const BOOLEAN_FIELDS = new Set(['enabled', 'beep', 'hasMorePages']);
/** Item element names used when writing arrays. */
const ITEM_NAMES: Record<string, string> = {
  steps: 'FlowStep', errors: 'ResponseError', timeline: 'SessionEvent', media: 'string', prompt: 'string',
};

export interface ParsedXml {
  root: string;
  /** Default namespace declared on the root element, if any. */
  namespace: string | undefined;
  value: Record<string, unknown>;
}

const FORBIDDEN_DECLARATIONS = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

export function parseXmlBody(text: string, maxDepth: number): ParsedXml {
  // Refused before any parser sees it: DTDs are how XXE and entity expansion get in.
  if (FORBIDDEN_DECLARATIONS.test(text)) {
    throw new AppError('validation', 'XmlDtdNotAllowed', 'XML with a DOCTYPE or entity declarations is not accepted');
  }
  if (xmlDepth(text) > maxDepth) {
    throw new AppError('validation', 'XmlTooDeep', `XML nesting deeper than ${maxDepth} levels is not accepted`);
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw new AppError('validation', 'MalformedXml', `Malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    maxNestedTags: maxDepth,
    isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
  });
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (err) {
    throw new AppError('validation', 'MalformedXml', `Malformed XML: ${err instanceof Error ? err.message : 'unreadable'}`);
  }
  if (!isRecord(doc)) throw new AppError('validation', 'MalformedXml', 'Malformed XML: no root element');
  const roots = Object.keys(doc).filter((k) => !k.startsWith('@_') && k !== '#text');
  const rootKey = roots[0];
  const rootNodes = rootKey === undefined ? undefined : doc[rootKey];
  if (roots.length !== 1 || rootKey === undefined || !Array.isArray(rootNodes) || rootNodes.length !== 1) {
    throw new AppError('validation', 'MalformedXml', 'Malformed XML: expected exactly one root element');
  }
  const rootNode: unknown = rootNodes[0];
  const namespace = isRecord(rootNode) && typeof rootNode['@_xmlns'] === 'string' ? rootNode['@_xmlns'] : undefined;
  const converted = convertNode('', rootNode);
  return {
    root: localName(rootKey),
    namespace,
    value: isRecord(converted) ? converted : {},
  };
}

/** Element depth by a linear scan (no regex: `<<<<…` must not backtrack), so a deep document is refused before it is parsed. */
function xmlDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let i = text.indexOf('<');
  while (i !== -1) {
    const close = text.indexOf('>', i + 1);
    if (close === -1) break;
    const next = text.charAt(i + 1);
    if (next === '/') depth -= 1;
    else if (next !== '!' && next !== '?' && text.charAt(close - 1) !== '/') {
      depth += 1;
      if (depth > max) max = depth;
    }
    i = text.indexOf('<', close + 1);
  }
  return max;
}

function localName(name: string): string {
  const i = name.indexOf(':');
  return i === -1 ? name : name.slice(i + 1);
}

function camel(name: string): string {
  const local = localName(name);
  return local.charAt(0).toLowerCase() + local.slice(1);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ENTITY = /&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Only the five predefined entities and character references: nothing can expand. */
function decodeText(s: string): string {
  return s.replace(ENTITY, (whole, dec?: string, hex?: string, named?: string) => {
    if (named) return NAMED[named] ?? whole;
    const code = dec !== undefined ? Number(dec) : Number.parseInt(hex ?? '', 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

function childKeys(node: Record<string, unknown>): string[] {
  return Object.keys(node).filter((k) => !k.startsWith('@_') && k !== '#text');
}

function isNil(node: Record<string, unknown>): boolean {
  return Object.entries(node).some(([k, v]) => k.startsWith('@_') && localName(k.slice(2)) === 'nil' && v === 'true');
}

function leafValue(field: string, node: unknown): unknown {
  let text: string;
  if (typeof node === 'string') text = node;
  else if (isRecord(node)) {
    if (isNil(node)) return undefined;
    const t = node['#text'];
    text = typeof t === 'string' ? t : '';
  } else text = '';
  text = decodeText(text);
  if (NUMBER_FIELDS.has(field) && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (BOOLEAN_FIELDS.has(field) && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function convertNode(field: string, node: unknown): unknown {
  if (!isRecord(node) || isNil(node)) return leafValue(field, node);
  const keys = childKeys(node);
  if (ARRAY_FIELDS.has(field)) {
    const out: unknown[] = [];
    for (const k of keys) {
      const items = node[k];
      if (Array.isArray(items)) for (const item of items) out.push(convertNode(`${field}[]`, item));
    }
    return out;
  }
  if (MAP_FIELDS.has(field)) {
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const pairs = node[k];
      if (!Array.isArray(pairs)) continue;
      for (const pair of pairs) {
        if (!isRecord(pair)) continue;
        const key = firstChild(pair, 'Key');
        const value = firstChild(pair, 'Value');
        if (typeof key === 'string') out[decodeText(key)] = typeof value === 'string' ? decodeText(value) : '';
      }
    }
    return out;
  }
  if (keys.length === 0) return leafValue(field, node);
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const name = camel(k);
    if (Object.hasOwn(out, name)) continue; // first occurrence wins, as DataContract reads it
    const values = node[k];
    const first: unknown = Array.isArray(values) ? values[0] : values;
    out[name] = convertNode(name, first);
  }
  return out;
}

function firstChild(node: Record<string, unknown>, local: string): unknown {
  for (const k of childKeys(node)) {
    if (localName(k) !== local) continue;
    const v = node[k];
    const first: unknown = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') return first;
    if (isRecord(first)) return typeof first['#text'] === 'string' ? first['#text'] : '';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Writing

const INVALID_XML_CHARS = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(s: string): string {
  return s
    .replace(INVALID_XML_CHARS, '\uFFFD')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function elementName(key: string): string {
  const pascal = key.charAt(0).toUpperCase() + key.slice(1);
  const clean = pascal.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(clean) ? clean : `_${clean}`;
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

function writeValue(field: string, value: unknown, names: Record<string, string>): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    const item = names[field] ?? ITEM_NAMES[field] ?? 'Item';
    const prefix = item === 'string' ? 'a:' : '';
    return value.map((v) => `<${prefix}${item}>${writeValue(`${field}[]`, v, names)}</${prefix}${item}>`).join('');
  }
  if (MAP_FIELDS.has(field) && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `<a:KeyValueOfstringstring><a:Key>${escapeXml(k)}</a:Key><a:Value>${escapeXml(scalarText(v))}</a:Value></a:KeyValueOfstringstring>`)
      .join('');
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => writeElement(k, v, names))
      .join('');
  }
  return escapeXml(scalarText(value));
}

function writeElement(field: string, value: unknown, names: Record<string, string>): string {
  const name = elementName(field);
  if (value === null) return `<${name} i:nil="true" />`;
  const needsArrays = MAP_FIELDS.has(field) || ITEM_NAMES[field] === 'string';
  const ns = needsArrays ? ` xmlns:a="${ARRAYS_NS}"` : '';
  return `<${name}${ns}>${writeValue(field, value, names)}</${name}>`;
}

/** A whole document: `<Root xmlns:i=… xmlns=ns>…</Root>`; `itemNames` names list items per field. */
export function toXml(root: string, value: unknown, namespace: string, itemNames: Record<string, string> = {}): string {
  const body = writeValue('', value, itemNames);
  return `<?xml version="1.0" encoding="utf-8"?><${root} xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="${namespace}">${body}</${root}>`;
}
