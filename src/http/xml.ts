// XML in the DataContract form ServiceStack clients speak: parsed safely (no DOCTYPE, no entity
// expansion, depth-capped), then converted into the same plain objects JSON bodies give, typed by
// the DTO declarations (`operations/dtos.ts`: which elements are lists, dictionaries, numbers,
// booleans), and written back with the same conventions (PascalCase elements, lists as item
// elements, dictionaries as KeyValueOfstringstring).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../domain/errors.js';
import { dto, fieldOf } from './operations/dtos.js';
import type { TypeRef } from './operations/types.js';

export const ARRAYS_NS = 'http://schemas.microsoft.com/2003/10/Serialization/Arrays';
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

export interface ParsedXml {
  root: string;
  /** Default namespace declared on the root element, if any. */
  namespace: string | undefined;
  /** The root element as fast-xml-parser gives it; `xmlToValue` types it. */
  node: unknown;
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
  return { root: localName(rootKey), namespace, node: rootNode };
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

function leafText(node: unknown): string | undefined {
  if (typeof node === 'string') return decodeText(node);
  if (isRecord(node)) {
    if (isNil(node)) return undefined;
    const t = node['#text'];
    return decodeText(typeof t === 'string' ? t : '');
  }
  return '';
}

/** Numbers and booleans as declared; text that is neither stays text, for validation to report. */
function scalarOf(type: TypeRef | undefined, text: string): unknown {
  if ((type === 'int' || type === 'long') && /^-?\d{1,15}$/.test(text)) return Number(text);
  if (type === 'bool' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function elementsOf(node: Record<string, unknown>): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const k of childKeys(node)) {
    const items = node[k];
    if (Array.isArray(items)) for (const item of items) out.push([k, item]);
  }
  return out;
}

/** An element's value, typed by `type` (undefined: an undeclared element, read as text or nested elements). */
function convertNode(node: unknown, type: TypeRef | undefined): unknown {
  if (isRecord(node) && isNil(node)) return undefined;
  if (!isRecord(node)) {
    // An empty element: an empty list or dictionary when declared as one.
    if (typeof type === 'object' && ('list' in type || 'map' in type)) return 'list' in type ? [] : {};
    return scalarOf(type, leafText(node) ?? '');
  }
  if (typeof type === 'object' && 'list' in type) {
    return elementsOf(node).map(([, item]) => convertNode(item, type.list));
  }
  if (typeof type === 'object' && 'map' in type) {
    const out: Record<string, unknown> = {};
    for (const [, pair] of elementsOf(node)) {
      if (!isRecord(pair)) continue;
      const key = firstChild(pair, 'Key');
      const value = firstChild(pair, 'Value');
      if (typeof key !== 'string') continue;
      const name = decodeText(key);
      if (FORBIDDEN_NAMES.has(name)) forbidden(name);
      out[name] = typeof value === 'string' ? scalarOf(type.map, decodeText(value)) : '';
    }
    return out;
  }
  const keys = childKeys(node);
  if (keys.length === 0) return type === undefined || typeof type === 'string' ? scalarOf(type, leafText(node) ?? '') : {};
  const ref = typeof type === 'object' && 'ref' in type ? type.ref : undefined;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const field = ref === undefined ? undefined : fieldOf(ref, localName(k));
    const name = field?.name ?? camel(k);
    if (FORBIDDEN_NAMES.has(name)) forbidden(name);
    if (Object.hasOwn(out, name)) continue; // first occurrence wins, as DataContract reads it
    const values = node[k];
    const first: unknown = Array.isArray(values) ? values[0] : values;
    out[name] = convertNode(first, field?.type);
  }
  return out;
}

function forbidden(name: string): never {
  throw new AppError('validation', 'ForbiddenProperty', `Property name "${name}" is not accepted`);
}

/** A parsed root element as the plain object of the DTO `dtoName`. */
export function xmlToValue(node: unknown, dtoName: string): Record<string, unknown> {
  const v = convertNode(node, { ref: dtoName });
  return isRecord(v) ? v : {};
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

function itemName(item: TypeRef): string {
  return typeof item === 'object' && 'ref' in item ? item.ref : `a:${item === 'bool' ? 'boolean' : item}`;
}

function writeValue(value: unknown, type: TypeRef | undefined): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    const item = typeof type === 'object' && 'list' in type ? itemName(type.list) : 'Item';
    const itemType = typeof type === 'object' && 'list' in type ? type.list : undefined;
    return value.map((v) => `<${item}>${writeValue(v, itemType)}</${item}>`).join('');
  }
  if (typeof type === 'object' && 'map' in type && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `<a:KeyValueOfstringstring><a:Key>${escapeXml(k)}</a:Key><a:Value>${escapeXml(scalarText(v))}</a:Value></a:KeyValueOfstringstring>`)
      .join('');
  }
  if (typeof value === 'object') {
    const ref = typeof type === 'object' && 'ref' in type ? type.ref : undefined;
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => writeElement(k, v, ref === undefined ? undefined : fieldOf(ref, k)?.type))
      .join('');
  }
  return escapeXml(scalarText(value));
}

function writeElement(field: string, value: unknown, type: TypeRef | undefined): string {
  const name = elementName(field);
  if (value === null) return `<${name} i:nil="true" />`;
  const needsArrays = typeof type === 'object' && ('map' in type || ('list' in type && typeof type.list === 'string'));
  const ns = needsArrays ? ` xmlns:a="${ARRAYS_NS}"` : '';
  return `<${name}${ns}>${writeValue(value, type)}</${name}>`;
}

/** A whole document of the DTO `dtoName`: `<Name xmlns:i=… xmlns=its namespace>…</Name>`. */
export function toXml(dtoName: string, value: unknown): string {
  const { name: root, namespace } = dto(dtoName);
  const body = writeValue(value, { ref: dtoName });
  return `<?xml version="1.0" encoding="utf-8"?><${root} xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="${namespace}">${body}</${root}>`;
}
