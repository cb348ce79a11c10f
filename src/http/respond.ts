// Response formats as ServiceStack clients expect them: the format comes from a `.json`/`.xml`/
// `.csv` route suffix, else `?format=`, else `Accept`, else the request's own content type (XML in,
// XML out), else JSON. `?callback=` wraps JSON in JSONP. Errors always use the ResponseStatus shape
// (in JSON when CSV was asked for: an error is not a table).
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

/** First middleware: decides the response format and strips a route suffix before routing. */
export function negotiateFormat(req: Request, res: Response, next: NextFunction): void {
  res.locals.format = 'json' satisfies Format;
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  const suffix = /\.(json|xml|csv)$/i.exec(path);
  let format: Format | undefined;
  if (suffix?.[1]) {
    format = suffix[1].toLowerCase() as Format;
    req.url = path.slice(0, -suffix[0].length) + (q === -1 ? '' : req.url.slice(q));
  }
  const query = req.query as Record<string, unknown>;
  const formatParam = single(query.format);
  if (formatParam === null || (formatParam !== undefined && !FORMATS.includes(formatParam))) {
    next(new AppError('validation', 'InvalidFormat', 'format must be json, xml or csv'));
    return;
  }
  format ??= formatParam as Format | undefined;
  format ??= fromAccept(req.get('accept'));
  const contentType = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  format ??= isXmlType(contentType) ? 'xml' : 'json';
  res.locals.format = format;

  const callback = single(query.callback);
  if (callback !== undefined) {
    if (callback === null || !CALLBACK.test(callback)) {
      res.locals.format = 'json';
      next(new AppError('validation', 'InvalidCallback', 'callback must be a JavaScript identifier (letters, digits, _ and $, dotted)'));
      return;
    }
    if (format !== 'json') {
      res.locals.format = 'json';
      next(new AppError('validation', 'InvalidCallback', 'callback (JSONP) is only available for JSON responses'));
      return;
    }
    res.locals.callback = callback;
  }
  next();
}

/** Writes `body`, an instance of the DTO `dtoName`, in the negotiated format. */
export function send(res: Response, status: number, body: unknown, dtoName: string): void {
  res.status(status);
  if (res.locals.format === 'xml') {
    res.type('application/xml; charset=utf-8').send(toXml(dtoName, body));
    return;
  }
  if (res.locals.format === 'csv' && status < 400) {
    res.type('text/csv; charset=utf-8').send(toCsv(dtoName, body));
    return;
  }
  const json = JSON.stringify(body);
  const callback = res.locals.callback as string | undefined;
  if (callback) {
    // `/**/` keeps a body starting with attacker-chosen bytes from being sniffed as another type.
    res.type('application/javascript; charset=utf-8').send(`/**/${callback}(${json});`);
    return;
  }
  res.type('application/json; charset=utf-8').send(json);
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
export function sendError(res: Response, err: AppError, status = statusOf(err.kind)): void {
  if (err.retryAfterSec !== undefined) res.set('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterSec))));
  send(res, status, errorBody(err), 'ErrorResponse');
}
