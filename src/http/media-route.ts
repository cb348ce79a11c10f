// GET/HEAD /media/<name>.wav: the generated audio Asterisk fetches (res_http_media_cache) for
// `sound:http://…`. No authentication (Asterisk sends none); only names the engine published and
// that have not expired are served, nothing else under this path.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import express, { type Request, type Response } from 'express';
import type { MediaPublisher } from '../tts/media-publisher.js';
import { MEDIA_PATH } from '../tts/media-publisher.js';

export function mediaRoutes(publisher: MediaPublisher): express.Router {
  const router = express.Router();
  const serve = async (req: Request, res: Response): Promise<void> => {
    const file = publisher.lookup(String(req.params.name));
    const size = file ? await stat(file).then((s) => s.size, () => undefined) : undefined;
    if (!file || size === undefined) {
      res.status(404).type('text/plain').send('Not Found');
      return;
    }
    // The name is fresh per publication and its content never changes: an ETag per name lets
    // Asterisk's cache revalidate with If-None-Match.
    const etag = `"${String(req.params.name).slice(0, -4)}"`;
    res.set({ 'Content-Type': 'audio/wav', 'Content-Length': String(size), ETag: etag, 'Cache-Control': 'private, max-age=300' });
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    if (req.method === 'HEAD') {
      res.status(200).end();
      return;
    }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  };
  router.get(`${MEDIA_PATH}/:name`, (req, res, next) => { serve(req, res).catch(next); });
  router.head(`${MEDIA_PATH}/:name`, (req, res, next) => { serve(req, res).catch(next); });
  return router;
}
