// Serves the operations without express: a request whose path is an operation's route (router.ts)
// goes through the same steps, in the same order, as express's middleware chain did (metrics,
// common headers, format, then for the operations that need one the token and the body) and is
// answered here; every other request is left to express (the pages, and the 404 of an unknown
// path). Express's request and response objects cost a fifth of a cheap request's CPU, and its
// router walked every route layer of every operation: a request here is matched once and costs
// what node's own objects cost.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { parse as parseUrl } from 'node:url';
import type { Authenticate } from '../auth.js';
import { readBody, type BodyLimits, type ParsedBody } from '../body.js';
import type { AnswerError } from '../errors.js';
import type { HttpObserver } from '../../metrics/http-observer.js';
import { formatSuffix, negotiate, send, writeBody, type Format, type StatefulResponse } from '../respond.js';
import { bindRequest } from './bind.js';
import { OPERATIONS } from './registry.js';
import { RouteTable, type Route, type RouteMatch } from './router.js';
import { serveStream } from './sse.js';
import type { Handler } from './types.js';

export interface DispatchDeps {
  handlers: Record<string, Handler>;
  authenticate: Authenticate;
  bodyLimits: BodyLimits;
  /** What every answer carries (and the request's debug line). */
  commonHeaders: (req: IncomingMessage, res: ServerResponse) => void;
  answerError: AnswerError;
  observe?: HttpObserver;
}

/** Handles `req` and answers true when its path is an operation's; false leaves it to express. */
export type Dispatch = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Path and query string as express read them (the `parseurl` package: a plain path split at `?`). */
function target(url: string): { path: string; query: string } | undefined {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    // What parseurl leaves to url.parse: anything but a plain path, or one with whitespace or `#`.
    if ((i === 0 && c !== 47) || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20 || c === 0x23 || c === 0xa0 || c === 0xfeff) {
      const parsed = parseUrl(url);
      return parsed.pathname === null ? undefined : { path: parsed.pathname, query: parsed.query ?? '' };
    }
    if (c === 63) return { path: url.slice(0, i), query: url.slice(i + 1) };
  }
  return { path: url, query: '' };
}

function sendOptions(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  res.setHeader('Content-Length', Buffer.byteLength(allow));
  res.setHeader('Content-Type', 'text/plain');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(allow);
}

export function operationDispatcher(deps: DispatchDeps): Dispatch {
  const open = new RouteTable(OPERATIONS.filter((op) => !op.requiresAuth));
  const guarded = new RouteTable(OPERATIONS.filter((op) => op.requiresAuth));
  for (const op of OPERATIONS) if (!deps.handlers[op.name]) throw new Error(`no handler for operation ${op.name}`);

  async function run(route: Route, params: Record<string, string>, query: Record<string, unknown>, req: IncomingMessage, res: StatefulResponse): Promise<void> {
    const { op, mode } = route;
    if (mode === 'json' || mode === 'oneway') res.locals.format = 'json';
    else if (mode === 'xml') {
      res.locals.format = 'xml';
      res.locals.callback = undefined;
    }
    const request = bindRequest(op, params, query, res.locals.body as ParsedBody | undefined);
    const header = (name: string): string | undefined => {
      const value = req.headers[name.toLowerCase()];
      return typeof value === 'string' ? value : undefined;
    };
    const reply = await deps.handlers[op.name]!({ request, auth: res.locals.auth, header });
    if (reply.headers) for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
    if (reply.stream) {
      await serveStream(req, res, reply.stream.heartbeatMs, reply.stream.start);
      return;
    }
    if (reply.file) {
      writeBody(res, reply.status, reply.file.contentType, reply.file.data);
      return;
    }
    if (mode === 'oneway' || reply.body === undefined || op.response === undefined) {
      res.statusCode = mode === 'oneway' ? 204 : reply.status;
      res.end();
      return;
    }
    send(res, reply.status, reply.body, op.response);
  }

  /** `routed` is told the route once the request reaches it (past format, token and body), as express set `req.route`. */
  async function serve(found: RouteMatch, isOpen: boolean, rawQuery: string, suffix: Format | undefined, req: IncomingMessage, res: StatefulResponse, routed: (route: Route) => void): Promise<void> {
    const query = parseQuery(rawQuery);
    const refused = negotiate(req, res, query, suffix);
    if (refused) throw refused;
    if (!isOpen) {
      res.locals.auth = await deps.authenticate(req, res, query);
      res.locals.body = await readBody(req, res, deps.bodyLimits);
    }
    if (found.kind === 'options') sendOptions(res, found.allow);
    else if (found.kind === 'bad-escape') throw found.error;
    else {
      routed(found.route);
      await run(found.route, found.params, query, req, res);
    }
  }

  return (req, res) => {
    const url = target(req.url ?? '/');
    if (!url) return false;
    const { path, format } = formatSuffix(url.path);
    const method = req.method ?? 'GET';
    const openMatch = open.match(method, path);
    const found = openMatch ?? guarded.match(method, path);
    if (!found) return false;
    const stateful = Object.assign(res, { locals: Object.create(null) as Record<string, unknown> });
    let template: string | undefined;
    deps.observe?.(req, res, () => template);
    deps.commonHeaders(req, res);
    serve(found, openMatch !== undefined, url.query, format, req, stateful, (route) => { template = route.template; })
      .catch((err: unknown) => deps.answerError(err, req, stateful));
    return true;
  };
}
