// The one place a failed request is answered: the API's errors in the ResponseStatus shape, a bad
// request URL as 400, anything unexpected as a logged 500 that never leaks a stack.
import type { IncomingMessage } from 'node:http';
import { scrub, type Logger } from '../log.js';
import { AppError } from '../domain/errors.js';
import { sendError, statusOf, type StatefulResponse } from './respond.js';

/**
 * Errors raised for a bad request URL (malformed percent-encoding in a path parameter) carry a 4xx
 * `status`: the client's fault, never a 500. (Bodies are read by body.ts, in the API's errors.)
 */
function clientError(err: unknown): AppError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = 'status' in err ? err.status : undefined;
  if (err instanceof URIError || (typeof status === 'number' && status >= 400 && status < 500)) {
    return new AppError('validation', 'BadRequest', 'The request URL could not be decoded');
  }
  return undefined;
}

export type AnswerError = (err: unknown, req: IncomingMessage, res: StatefulResponse) => void;

export function errorAnswerer(logger: Logger): AnswerError {
  return (err, req, res) => {
    const path = pathOf(req);
    if (res.headersSent) {
      // Too late for an error body: cut the response short rather than let express print a stack.
      logger.warn({ path }, 'error after the response started');
      req.socket.destroy();
      return;
    }
    const known = err instanceof AppError ? err : clientError(err);
    if (known) {
      if (statusOf(known.kind) >= 500) logger.warn({ path, errorCode: known.errorCode }, known.message);
      sendError(res, known);
      return;
    }
    const detail = err instanceof Error ? scrub(`${err.name}: ${err.message}\n${err.stack ?? ''}`) : 'non-error thrown';
    logger.error({ method: req.method, path, detail }, 'unexpected error');
    sendError(res, new AppError('unavailable', 'InternalServerError', 'An unexpected error occurred'), 500);
  };
}

/** The path only: a query string could hold something that must not be logged. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
