// The web console: static files built by `npm run build:console` (scripts/build-console.ts) into
// dist/console, served under /console with a Content-Security-Policy that allows no inline script
// or style and no other origin. The console itself talks to the API with the user's token.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { AppError } from '../domain/errors.js';
import { sendError } from './respond.js';

/** Two levels up from src/http/ and from dist/http/ alike. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  // Recordings and TTS previews play from blobs the console fetched with the user's token.
  "media-src 'self' blob:",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/** The routes this module serves, declared next to the operation registry's (test/http/operation-registry). */
export const CONSOLE_PAGES = ['/console'] as const;

export function consoleRoutes(dir = CONSOLE_DIR): Router {
  const r = Router();
  const headers = (_req: Request, res: Response, next: NextFunction): void => {
    res.set({ 'Content-Security-Policy': CSP, 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' });
    if (!existsSync(dir)) {
      next(new AppError('unavailable', 'ConsoleNotBuilt', 'The console is not built: run npm run build:console'));
      return;
    }
    next();
  };
  r.get('/console', (req, res, next) => {
    // Relative asset URLs need the trailing slash.
    if (!req.originalUrl.split('?')[0]!.endsWith('/')) {
      res.redirect(301, '/console/');
      return;
    }
    next();
  });
  r.use('/console', headers, express.static(dir, { index: 'index.html', fallthrough: false, dotfiles: 'deny' }));
  // express.static's errors (missing file, dotfile) are all "no such file" to the client.
  r.use('/console', (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendError(res, err instanceof AppError ? err : new AppError('not-found', 'NotFound', 'No such console file'));
  });
  return r;
}
