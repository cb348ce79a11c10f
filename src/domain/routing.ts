// Routing: which ARI endpoint dials an E.164 number or a lab extension (domain/extension.ts: 2 to 8
// digits). Ordered rules, first match wins. An E.164 number no rule matches goes to `default` (the
// trunk unless the file says otherwise); an extension no rule matches has no route: `default` is
// for E.164 numbers only, so that a short string never reaches the trunk unless a rule says so.
//
// Rules file (ROUTES_FILE), JSON:
//   {
//     "default": "PJSIP/{number}@trunk",                           optional; this is its default
//     "rules": [
//       { "match":  "+12025550101",               "endpoint": "PJSIP/phone1" },         exact number
//       { "match":  "+1202555011X",               "endpoint": "PJSIP/phone2" },         X = any one digit
//       { "range":  ["+12025550120", "+12025550129"], "endpoint": "PJSIP/phone3" },     inclusive, same length
//       { "prefix": "+44",                        "endpoint": "PJSIP/{digits}@uk-trunk" } starts with
//       { "match":  "1001",                       "endpoint": "PJSIP/phone1" },         an extension
//       { "range":  ["7000", "7004"],             "endpoint": "Local/{number}@lab" }    extensions too
//     ]
//   }
// Exactly one of match/prefix/range per rule. A rule matches E.164 numbers when its value starts
// with `+`, extensions otherwise (match and range; prefix is for E.164 numbers). An extension rule
// may not dial through the default's trunk (the `@…` of `default`): the destination policy, which
// guards the trunk, has no country or number type to judge in an extension. Endpoint
// placeholders: `{number}` is the number with its `+` (an extension as it is), `{digits}` the same
// without the `+`. An endpoint is `Technology/resource` as ARI's
// originate takes it (PJSIP/phone1, PJSIP/{number}@trunk, Local/{digits}@some-context). A
// `"comment"` (in a rule) or `"$comment"` (top level) is allowed and ignored; any other unknown key is
// an error, so that a typo cannot silently change where calls go.
import { readFileSync } from 'node:fs';
import { EXTENSION } from './extension.js';

export interface Router {
  /** The ARI endpoint for an E.164 number; throws RoutingError when the number is not E.164. */
  endpointFor(e164: string): string;
  /** The ARI endpoint a rule gives an extension, undefined when none does; throws RoutingError when it is not an extension. */
  endpointForExtension(extension: string): string | undefined;
}

export class RoutingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoutingError';
  }
}

export const DEFAULT_ENDPOINT = 'PJSIP/{number}@trunk';

const E164 = /^\+[1-9]\d{1,14}$/;
/** An E.164 number in which `X` stands for any one digit (Asterisk's pattern letter). */
const E164_PATTERN = /^\+[1-9X][0-9X]{1,14}$/;
/** An extension in which `X` stands for any one digit. */
const EXTENSION_PATTERN = /^[0-9X]{2,8}$/;
/** `+` then 0 to 15 digits: `+` alone is a catch-all prefix. */
const E164_PREFIX = /^\+\d{0,15}$/;
/** Technology/resource; no whitespace, no `&` (Dial's multi-target separator) nor `,` (argument separator). */
const ENDPOINT = /^[A-Za-z][A-Za-z0-9_]*\/[^\s&,]+$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDERS = new Set(['number', 'digits']);

type Matcher = (number: string) => boolean;
/** What a rule matches: E.164 numbers or extensions, never both. */
type Kind = 'e164' | 'extension';

interface Rule {
  kind: Kind;
  matches: Matcher;
  endpoint: string;
}

function fail(where: string, message: string): never {
  throw new RoutingError(`${where}: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseEndpoint(where: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') fail(where, 'must be a non-empty string such as "PJSIP/phone1" or "PJSIP/{number}@trunk"');
  if (!ENDPOINT.test(value)) fail(where, `"${value}" is not Technology/resource (e.g. PJSIP/phone1), or holds a space, "&" or ","`);
  for (const m of value.matchAll(PLACEHOLDER)) {
    if (!PLACEHOLDERS.has(m[1] ?? '')) fail(where, `unknown placeholder {${m[1] ?? ''}} in "${value}" (known: {number}, {digits})`);
  }
  if (value.replace(PLACEHOLDER, '').includes('{') || value.replace(PLACEHOLDER, '').includes('}')) {
    fail(where, `unbalanced brace in "${value}"`);
  }
  return value;
}

function patternMatcher(value: string): Matcher {
  if (!value.includes('X')) return (n) => n === value;
  const pattern = new RegExp(`^${value.replace('+', '\\+').replaceAll('X', '\\d')}$`);
  return (n) => pattern.test(n);
}

function parseMatcher(where: string, rule: Record<string, unknown>): { kind: Kind; matches: Matcher } {
  const kinds = (['match', 'prefix', 'range'] as const).filter((k) => k in rule);
  const kind = kinds[0];
  if (kinds.length !== 1 || kind === undefined) fail(where, 'needs exactly one of "match", "prefix" or "range"');
  const value = rule[kind];

  if (kind === 'match') {
    if (typeof value === 'string' && E164_PATTERN.test(value)) return { kind: 'e164', matches: patternMatcher(value) };
    if (typeof value === 'string' && EXTENSION_PATTERN.test(value)) return { kind: 'extension', matches: patternMatcher(value) };
    fail(`${where}.match`, `"${String(value)}" is not an E.164 number nor an extension of 2 to 8 digits (digits may be X for any digit), e.g. "+15550100001", "+1555010000X" or "1001"`);
  }

  if (kind === 'prefix') {
    if (typeof value !== 'string' || !E164_PREFIX.test(value)) {
      fail(`${where}.prefix`, `"${String(value)}" is not "+" followed by up to 15 digits, e.g. "+1555" (extensions use match or range)`);
    }
    return { kind: 'e164', matches: (n) => n.startsWith(value) };
  }

  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') {
    fail(`${where}.range`, 'must be ["+first", "+last"], two E.164 numbers, or ["first", "last"], two extensions');
  }
  const [first, last] = value as [string, string];
  const rangeKind: Kind | undefined = E164.test(first) && E164.test(last) ? 'e164'
    : EXTENSION.test(first) && EXTENSION.test(last) ? 'extension' : undefined;
  if (rangeKind === undefined) fail(`${where}.range`, `"${first}" and "${last}" must both be E.164 numbers, or both extensions (2 to 8 digits)`);
  if (first.length !== last.length) fail(`${where}.range`, `"${first}" and "${last}" must have the same number of digits`);
  if (first > last) fail(`${where}.range`, `"${first}" comes after "${last}"`);
  // Same length, digits only (after the "+"): string order is numeric order.
  return { kind: rangeKind, matches: (n) => n.length === first.length && n >= first && n <= last };
}

function parseRule(where: string, value: unknown): Rule {
  if (!isRecord(value)) fail(where, 'must be an object like {"prefix": "+1555", "endpoint": "PJSIP/{number}@trunk"}');
  for (const key of Object.keys(value)) {
    if (!['match', 'prefix', 'range', 'endpoint', 'comment'].includes(key)) {
      fail(where, `unknown key "${key}" (allowed: match, prefix, range, endpoint, comment)`);
    }
  }
  const { kind, matches } = parseMatcher(where, value);
  const endpoint = parseEndpoint(`${where}.endpoint`, value.endpoint);
  return { kind, matches, endpoint };
}

function substitute(endpoint: string, number: string): string {
  return endpoint.replace(PLACEHOLDER, (_m, name: string) => (name === 'number' || !number.startsWith('+') ? number : number.slice(1)));
}

/** The endpoint an endpoint dials through (`trunk` of `PJSIP/{number}@trunk`), if it names one. */
function viaOf(endpoint: string): string | undefined {
  const at = endpoint.lastIndexOf('@');
  return at < 0 ? undefined : endpoint.slice(at + 1);
}

/** Validates a parsed rules document; throws RoutingError naming the offending field. */
export function parseRoutes(json: unknown): Router {
  if (!isRecord(json)) fail('routes', 'must be a JSON object with "rules" (and optionally "default")');
  for (const key of Object.keys(json)) {
    if (!['rules', 'default', '$comment'].includes(key)) fail('routes', `unknown key "${key}" (allowed: rules, default, $comment)`);
  }
  if (!Array.isArray(json.rules)) fail('routes.rules', 'must be an array of rules');
  const rules = json.rules.map((r, i) => parseRule(`routes.rules[${i}]`, r));
  const fallback = json.default === undefined ? DEFAULT_ENDPOINT : parseEndpoint('routes.default', json.default);
  // The destination policy judges E.164 numbers only: extensions must not reach the default's
  // trunk through a rule either, where short strings would dial whatever the provider makes of them.
  const trunk = viaOf(fallback);
  rules.forEach((r, i) => {
    if (r.kind === 'extension' && trunk !== undefined && viaOf(r.endpoint) === trunk) {
      fail(`routes.rules[${i}].endpoint`, `"${r.endpoint}" sends extensions to "@${trunk}", the default route's trunk: extensions escape the destination policy, so they may not go there`);
    }
  });

  return {
    endpointFor(e164: string): string {
      if (!E164.test(e164)) throw new RoutingError(`cannot route "${e164}": not an E.164 number`);
      const rule = rules.find((r) => r.kind === 'e164' && r.matches(e164));
      return substitute(rule ? rule.endpoint : fallback, e164);
    },
    endpointForExtension(extension: string): string | undefined {
      if (!EXTENSION.test(extension)) throw new RoutingError(`cannot route "${extension}": not an extension (2 to 8 digits)`);
      const rule = rules.find((r) => r.kind === 'extension' && r.matches(extension));
      return rule && substitute(rule.endpoint, extension);
    },
  };
}

/** Reads ROUTES_FILE; no file: every E.164 number goes to `PJSIP/{number}@trunk`, no extension has a route. */
export function loadRouter(file?: string): Router {
  if (file === undefined || file === '') return parseRoutes({ rules: [] });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = isRecord(err) && typeof err.code === 'string' ? ` (${err.code})` : '';
    throw new RoutingError(`routes file ${file}: cannot read${code}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RoutingError(`routes file ${file}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return parseRoutes(json);
  } catch (err) {
    if (err instanceof RoutingError) throw new RoutingError(`routes file ${file}: ${err.message}`);
    throw err;
  }
}
