// HTTP request metrics by route template (`/sessions/:sessionId`, never the id itself): the label set
// stays small whatever the clients send.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { EngineMetrics } from './engine-metrics.js';

/** Answered before any route matched: authentication, rate limits, unknown paths, static files. */
const NO_ROUTE = '(none)';

/** Counts `req` once answered, under the route `routeOf` names then (undefined: no route). */
export type HttpObserver = (req: IncomingMessage, res: ServerResponse, routeOf: () => string | undefined) => void;

export function httpObserver(metrics: EngineMetrics): HttpObserver {
  // prom-client hashes a label object on every inc/observe; the children of a label set are kept
  // instead (as few as the routes, verbs and statuses: the labels are templates, never ids).
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(seconds: number): void }>();
  return (req, res, routeOf) => {
    const started = performance.now();
    res.once('finish', () => {
      const route = routeOf() ?? NO_ROUTE;
      const method = req.method ?? '';
      const status = String(res.statusCode);
      const timerKey = `${method} ${route}`;
      const counterKey = `${timerKey} ${status}`;
      let counter = counters.get(counterKey);
      if (!counter) {
        counter = metrics.httpRequests.labels({ method, route, status });
        counters.set(counterKey, counter);
      }
      let timer = timers.get(timerKey);
      if (!timer) {
        timer = metrics.httpRequestSeconds.labels({ method, route });
        timers.set(timerKey, timer);
      }
      counter.inc();
      timer.observe((performance.now() - started) / 1000);
    });
  };
}

/** Express middleware: the route express matched, if any. */
export function httpMetrics(observe: HttpObserver) {
  return (req: Request, res: Response, next: NextFunction): void => {
    observe(req, res, () => {
      const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
      return typeof path === 'string' ? req.baseUrl + path : undefined;
    });
    next();
  };
}
