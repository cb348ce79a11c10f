// GET /metrics (Prometheus text format): on the API port, or on a port of its own (METRICS_PORT),
// behind an optional bearer token of its own (METRICS_TOKEN, not a JWT: scrapers hold a static one).
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import { negotiateFormat, sendError } from './respond.js';
import { startHttpServer, type RunningHttpServer } from './server.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The routes this module serves, declared next to the operation registry's (test/http/operation-registry). */
export const METRICS_PAGES = ['/metrics'] as const;

export function metricsRoute(metrics: EngineMetrics, token: string | undefined): Router {
  const expected = token === undefined ? undefined : digest(token);
  const r = Router();
  r.get('/metrics', async (req: Request, res: Response) => {
    if (expected) {
      const given = /^Bearer +(\S+)$/i.exec(req.get('authorization')?.trim() ?? '')?.[1];
      // Digests compared: constant time whatever the lengths.
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        res.set('WWW-Authenticate', 'Bearer realm="metrics"');
        sendError(res, new AppError('unauthenticated', 'Unauthorized', 'GET /metrics requires Authorization: Bearer <METRICS_TOKEN>'));
        return;
      }
    }
    const body = await metrics.registry.metrics();
    res.status(200).type(metrics.registry.contentType).send(body);
  });
  return r;
}

/** The separate metrics listener of METRICS_PORT: /metrics only. */
export function startMetricsServer(metrics: EngineMetrics, config: Pick<Config, 'host' | 'metrics' | 'httpKeepAliveTimeoutMs'>, port: number): Promise<RunningHttpServer> {
  const app = express();
  app.disable('x-powered-by');
  app.use(negotiateFormat);
  app.use(metricsRoute(metrics, config.metrics.token));
  app.use((_req: Request, res: Response) => {
    sendError(res, new AppError('not-found', 'NotFound', 'This port serves GET /metrics only'));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendError(res, err instanceof AppError ? err : new AppError('validation', 'BadRequest', 'The request could not be read'));
  });
  return startHttpServer(app, { host: config.host, port, httpKeepAliveTimeoutMs: config.httpKeepAliveTimeoutMs });
}
