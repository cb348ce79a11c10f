// The routes of the operations, from the registry: each operation's custom routes
// (`/sessions/{sessionId}` with its verbs) and ServiceStack's predefined routes (`/api/{Op}`,
// `/json/reply/{Op}`, `/xml/reply/{Op}`, `/json/oneway/{Op}`, any verb, as ServiceStack serves them),
// compiled once into a table that a request is matched against segment by segment. The matching is
// express's (router 2, path-to-regexp 8), which served these routes before and whose behaviour
// clients saw: routes tried in registration order, ASCII letters case-insensitive, one optional
// trailing slash, HEAD served by GET routes, parameters percent-decoded (a malformed escape in a
// route that matches is the client's error, whatever the verb), and OPTIONS on a path whose routes
// do not take it answered with the verbs they do take.
import type { Operation, Verb } from './types.js';

/** How a route answers: as negotiated, always JSON, always XML, or 204 once handled (oneway). */
export type Mode = 'negotiated' | 'json' | 'xml' | 'oneway';

export const PREDEFINED_ROUTES: ReadonlyArray<{ prefix: string; mode: Mode }> = [
  { prefix: '/api', mode: 'negotiated' },
  { prefix: '/json/reply', mode: 'json' },
  { prefix: '/xml/reply', mode: 'xml' },
  { prefix: '/json/oneway', mode: 'oneway' },
];

/** `/sessions/{sessionId}` → `/sessions/:sessionId`: the route's name in express's form (metrics labels). */
export function expressPath(route: string): string {
  return route.replace(/\{(\w+)\}/g, ':$1');
}

export interface DeclaredRoute {
  /** Lower-case verb, or `all` for the predefined routes. */
  method: string;
  path: string;
}

/** Every (verb, path) the operations are served on, custom and predefined, in the order they are tried. */
export function operationRoutes(op: Operation): DeclaredRoute[] {
  const verbs: Verb[] = [op.verb, ...(op.alsoVerbs ?? [])];
  return [
    ...op.routes.flatMap((r) => verbs.map((v) => ({ method: v.toLowerCase(), path: expressPath(r) }))),
    ...(op.stream ? [] : PREDEFINED_ROUTES.map(({ prefix }) => ({ method: 'all', path: `${prefix}/${op.name}` }))),
  ];
}

/** One (verb, path) of an operation. */
export interface Route {
  op: Operation;
  mode: Mode;
  /** Upper-case verb, or `ALL`. */
  method: string;
  /** `/sessions/:sessionId`: the label of its HTTP metrics. */
  template: string;
  /** Lower-case literal, or the parameter's name (`param`). */
  segments: ReadonlyArray<{ literal: string } | { param: string }>;
}

export type RouteMatch =
  | { kind: 'operation'; route: Route; params: Record<string, string> }
  /** OPTIONS on a path whose routes take other verbs: these (sorted, with HEAD beside GET). */
  | { kind: 'options'; allow: string }
  /** A parameter with a malformed percent-escape (express's URIError). */
  | { kind: 'bad-escape'; error: URIError };

/** `a` equals the lower-case ASCII `lower`, ASCII letters in any case (what the `i` flag does for ASCII). */
function sameLiteral(a: string, lower: string): boolean {
  if (a.length !== lower.length) return false;
  for (let i = 0; i < a.length; i++) {
    let c = a.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function compile(op: Operation, declared: DeclaredRoute, mode: Mode): Route {
  const parts = declared.path.split('/').slice(1);
  return {
    op, mode, method: declared.method.toUpperCase(), template: declared.path,
    segments: parts.map((p) => (p.startsWith(':') ? { param: p.slice(1) } : { literal: p.toLowerCase() })),
  };
}

/** The routes of some operations, grouped by their first (literal) segment, each group in registration order. */
export class RouteTable {
  private readonly byFirst = new Map<string, Route[]>();

  constructor(operations: readonly Operation[]) {
    for (const op of operations) {
      const modes = new Map<string, Mode>(PREDEFINED_ROUTES.map(({ prefix, mode }) => [`${prefix}/${op.name}`, mode]));
      for (const declared of operationRoutes(op)) {
        const route = compile(op, declared, modes.get(declared.path) ?? 'negotiated');
        const first = route.segments[0];
        if (!first || !('literal' in first)) throw new Error(`route ${declared.path}: must start with a literal segment`);
        const group = this.byFirst.get(first.literal) ?? [];
        group.push(route);
        this.byFirst.set(first.literal, group);
      }
    }
  }

  /** What express's router made of `method path` (a pathname without its format suffix); undefined: no route. */
  match(method: string, path: string): RouteMatch | undefined {
    if (path.charCodeAt(0) !== 47) return undefined;
    const parts = path.slice(1).split('/');
    // One trailing slash is optional.
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    const group = this.byFirst.get(parts[0]!.toLowerCase());
    if (!group) return undefined;
    let allowed: string[] | undefined;
    for (const route of group) {
      const params = this.paramsOf(route, parts);
      if (params === undefined) continue;
      if (params instanceof URIError) return { kind: 'bad-escape', error: params };
      if (route.method === 'ALL' || route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        return { kind: 'operation', route, params };
      }
      if (method === 'OPTIONS') (allowed ??= []).push(route.method, ...(route.method === 'GET' ? ['HEAD'] : []));
    }
    return allowed ? { kind: 'options', allow: [...new Set(allowed)].sort().join(', ') } : undefined;
  }

  private paramsOf(route: Route, parts: readonly string[]): Record<string, string> | URIError | undefined {
    if (parts.length !== route.segments.length) return undefined;
    let params: Record<string, string> | undefined;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const segment = route.segments[i]!;
      if ('literal' in segment) {
        if (!sameLiteral(part, segment.literal)) return undefined;
        continue;
      }
      if (part === '') return undefined;
      params ??= {};
      try {
        params[segment.param] = part.includes('%') ? decodeURIComponent(part) : part;
      } catch (err) {
        if (err instanceof URIError) return err;
        throw err;
      }
    }
    return params ?? {};
  }
}
