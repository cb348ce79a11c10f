// Express routes from the registry: each operation's custom routes (`/sessions/{sessionId}` with its
// verbs) and ServiceStack's predefined routes (`/api/{Op}`, `/json/reply/{Op}`, `/xml/reply/{Op}`,
// `/json/oneway/{Op}`, any verb, as ServiceStack serves them). Everything is computed once here;
// a request only binds its DTO and calls its handler.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { send } from '../respond.js';
import { serveStream } from './sse.js';
import { bindRequest } from './bind.js';
import { OPERATIONS } from './registry.js';
import type { Handler, Operation, Verb } from './types.js';

/** How a route answers: as negotiated, always JSON, always XML, or 204 once handled (oneway). */
type Mode = 'negotiated' | 'json' | 'xml' | 'oneway';

export const PREDEFINED_ROUTES: ReadonlyArray<{ prefix: string; mode: Mode }> = [
  { prefix: '/api', mode: 'negotiated' },
  { prefix: '/json/reply', mode: 'json' },
  { prefix: '/xml/reply', mode: 'xml' },
  { prefix: '/json/oneway', mode: 'oneway' },
];

/** `/sessions/{sessionId}` → `/sessions/:sessionId`. */
export function expressPath(route: string): string {
  return route.replace(/\{(\w+)\}/g, ':$1');
}

export interface DeclaredRoute {
  /** Lower-case verb, or `all` for the predefined routes. */
  method: string;
  path: string;
}

/** Every (verb, path) the operations are served on, custom and predefined. */
export function operationRoutes(op: Operation): DeclaredRoute[] {
  const verbs: Verb[] = [op.verb, ...(op.alsoVerbs ?? [])];
  return [
    ...op.routes.flatMap((r) => verbs.map((v) => ({ method: v.toLowerCase(), path: expressPath(r) }))),
    ...(op.stream ? [] : PREDEFINED_ROUTES.map(({ prefix }) => ({ method: 'all', path: `${prefix}/${op.name}` }))),
  ];
}

function runner(op: Operation, handler: Handler, mode: Mode): RequestHandler {
  return async (req: Request, res: Response) => {
    if (mode === 'json' || mode === 'oneway') res.locals.format = 'json';
    else if (mode === 'xml') {
      res.locals.format = 'xml';
      res.locals.callback = undefined;
    }
    const request = bindRequest(op, req, res);
    const reply = await handler({ request, auth: res.locals.auth, header: (name) => req.get(name) });
    if (reply.headers) res.set(reply.headers);
    if (reply.stream) {
      await serveStream(req, res, reply.stream.heartbeatMs, reply.stream.start);
      return;
    }
    if (reply.file) {
      res.status(reply.status).type(reply.file.contentType).send(reply.file.data);
      return;
    }
    if (mode === 'oneway') {
      res.status(204).end();
      return;
    }
    if (reply.body === undefined || op.response === undefined) {
      res.status(reply.status).end();
      return;
    }
    send(res, reply.status, reply.body, op.response);
  };
}

function mount(router: Router, op: Operation, handler: Handler): void {
  const verbs: Verb[] = [op.verb, ...(op.alsoVerbs ?? [])];
  const custom = runner(op, handler, 'negotiated');
  for (const route of op.routes) {
    for (const verb of verbs) {
      const path = expressPath(route);
      if (verb === 'GET') router.get(path, custom);
      else if (verb === 'POST') router.post(path, custom);
      else if (verb === 'PUT') router.put(path, custom);
      else if (verb === 'PATCH') router.patch(path, custom);
      else router.delete(path, custom);
    }
  }
  if (op.stream) return;
  for (const { prefix, mode } of PREDEFINED_ROUTES) router.all(`${prefix}/${op.name}`, runner(op, handler, mode));
}

/** Routes of the operations that need no token, and of those that do (mounted after authentication). */
export function buildOperationRouters(handlers: Record<string, Handler>): { publicRoutes: Router; routes: Router } {
  const publicRoutes = Router();
  const routes = Router();
  for (const op of OPERATIONS) {
    const handler = handlers[op.name];
    if (!handler) throw new Error(`no handler for operation ${op.name}`);
    mount(op.requiresAuth ? routes : publicRoutes, op, handler);
  }
  return { publicRoutes, routes };
}
