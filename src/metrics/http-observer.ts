// HTTP request metrics by route template (`/sessions/:sessionId`, never the id itself): the label set
// stays small whatever the clients send.
import type { NextFunction, Request, Response } from 'express';
import type { EngineMetrics } from './engine-metrics.js';

/** Answered before any route matched: authentication, rate limits, unknown paths, static files. */
const NO_ROUTE = '(none)';

export function httpMetrics(metrics: EngineMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.once('finish', () => {
      const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof path === 'string' ? req.baseUrl + path : NO_ROUTE;
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpRequestSeconds.observe({ method: req.method, route }, (performance.now() - started) / 1000);
    });
    next();
  };
}
