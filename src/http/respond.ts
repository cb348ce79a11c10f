// Response formats as ServiceStack clients expect them: the format comes from a `.json`/`.xml`/
// `.csv` route suffix, else `?format=`, else `Accept`, else the request's own content type (XML in,
// XML out), else JSON. `?callback=` wraps JSON in JSONP. Errors always use the ResponseStatus shape
// (in JSON when CSV was asked for: an error is not a table).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { AppError, type ErrorKind } from '../domain/errors.js';
import { toCsv } from './csv.js';
import { toXml } from './xml.js';

export type Format = 'json' | 'xml' | 'csv';

const FORMATS: readonly string[] = ['json', 'xml', 'csv'] satisfies Format[];

const STATUS: Record<ErrorKind, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'payload-too-large': 413,
  'unsupported-media': 415,
  unprocessable: 422,
  'rate-limited': 429,
  unavailable: 503,
};

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

/** A dotted JavaScript identifier path (`cb`, `app.onData`), nothing that could carry script. */
const CALLBACK = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}(\.[A-Za-z_$][A-Za-z0-9_$]{0,63}){0,4}$/;

function isXmlType(type: string): boolean {
  return type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml');
}

function isJsonType(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

function fromAccept(accept: string | undefined): Format | undefined {
  if (!accept) return undefined;
  // Highest q wins; ties keep header order.
  let best: { format: Format; q: number } | undefined;
  for (const part of accept.split(',').slice(0, 20)) {
    const [rawType = '', ...params] = part.trim().toLowerCase().split(';');
    const type = rawType.trim();
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    const format: Format | undefined = isXmlType(type) ? 'xml' : isJsonType(type) ? 'json' : type === 'text/csv' ? 'csv' : undefined;
    if (format && (!best || q > best.q)) best = { format, q };
  }
  return best?.format;
}

function single(value: unknown): string | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : null;
}

/**
 * A response and what the request's steps decided about it (format, callback, auth, body): express
 * keeps that in `res.locals`, and the operations' dispatcher, which serves without express, sets it too.
 */
export type StatefulResponse = ServerResponse & { locals: Record<string, any> };

/** A `.json`/`.xml`/`.csv` route suffix: its format, and the path without it. */
export function formatSuffix(path: string): { path: string; format?: Format } {
  const suffix = /\.(json|xml|csv)$/i.exec(path);
  if (!suffix?.[1]) return { path };
  return { path: path.slice(0, -suffix[0].length), format: suffix[1].toLowerCase() as Format };
}

/** Decides the response format (and JSONP callback) into `res.locals`; a bad parameter is an error (answered in JSON). */
export function negotiate(req: IncomingMessage, res: StatefulResponse, query: Record<string, unknown>, fromSuffix: Format | undefined): AppError | undefined {
  res.locals.format = 'json' satisfies Format;
  let format = fromSuffix;
  const formatParam = single(query.format);
  if (formatParam === null || (formatParam !== undefined && !FORMATS.includes(formatParam))) {
    return new AppError('validation', 'InvalidFormat', 'format must be json, xml or csv');
  }
  format ??= formatParam as Format | undefined;
  format ??= fromAccept(req.headers.accept);
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  format ??= isXmlType(contentType) ? 'xml' : 'json';
  res.locals.format = format;

  const callback = single(query.callback);
  if (callback !== undefined) {
    if (callback === null || !CALLBACK.test(callback)) {
      res.locals.format = 'json';
      return new AppError('validation', 'InvalidCallback', 'callback must be a JavaScript identifier (letters, digits, _ and $, dotted)');
    }
    if (format !== 'json') {
      res.locals.format = 'json';
      return new AppError('validation', 'InvalidCallback', 'callback (JSONP) is only available for JSON responses');
    }
    res.locals.callback = callback;
  }
  return undefined;
}

/** Express middleware (everything but the operations): the format, and a route suffix stripped before routing. */
export function negotiateFormat(req: Request, res: Response, next: NextFunction): void {
  const q = req.url.indexOf('?');
  const suffix = formatSuffix(q === -1 ? req.url : req.url.slice(0, q));
  if (suffix.format) req.url = suffix.path + (q === -1 ? '' : req.url.slice(q));
  const err = negotiate(req, res, req.query as Record<string, unknown>, suffix.format);
  if (err) next(err);
  else next();
}

/**
 * Writes a complete answer as express's `res.send` did: a GET or HEAD that asks `If-None-Match: *`
 * of a resource that exists gets 304 (express's freshness check; the API sets no ETag), and 204
 * and 304 carry no body.
 */
export function writeBody(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  const req = res.req;
  let code = status;
  if ((req.method === 'GET' || req.method === 'HEAD') && status >= 200 && status < 300 && req.headers['if-none-match'] === '*'
    && !/(?:^|,)\s*?no-cache\s*?(?:,|$)/.test(req.headers['cache-control'] ?? '')) code = 304;
  res.statusCode = code;
  if (code === 204 || code === 304) {
    res.removeHeader('Content-Type');
    res.removeHeader('Content-Length');
    res.removeHeader('Transfer-Encoding');
    res.end();
    return;
  }
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.end(body);
}

/** Writes `body`, an instance of the DTO `dtoName`, in the negotiated format. */
export function send(res: StatefulResponse, status: number, body: unknown, dtoName: string): void {
  if (res.locals.format === 'xml') {
    writeBody(res, status, 'application/xml; charset=utf-8', toXml(dtoName, body));
    return;
  }
  if (res.locals.format === 'csv' && status < 400) {
    writeBody(res, status, 'text/csv; charset=utf-8', toCsv(dtoName, body));
    return;
  }
  const json = JSON.stringify(body);
  const callback = res.locals.callback as string | undefined;
  if (callback) {
    // `/**/` keeps a body starting with attacker-chosen bytes from being sniffed as another type.
    writeBody(res, status, 'application/javascript; charset=utf-8', `/**/${callback}(${json});`);
    return;
  }
  writeBody(res, status, 'application/json; charset=utf-8', json);
}

/** The ResponseStatus body of an error, as ServiceStack clients parse it. */
export function errorBody(err: AppError): { responseStatus: { errorCode: string; message: string; errors: Array<{ errorCode: string; fieldName: string; message: string }> } } {
  return {
    responseStatus: {
      errorCode: err.errorCode,
      message: err.message,
      errors: err.fieldErrors.map((e) => ({ errorCode: e.errorCode, fieldName: e.fieldName, message: e.message })),
    },
  };
}

/** `status` overrides the kind's status (500 for unexpected errors, which have no kind). */
export function sendError(res: StatefulResponse, err: AppError, status = statusOf(err.kind)): void {
  if (err.retryAfterSec !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterSec))));
  send(res, status, errorBody(err), 'ErrorResponse');
}
