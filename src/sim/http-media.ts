// `sound:http://…` media, fetched the way Asterisk's res_http_media_cache does (trace o): a GET
// the first time; later plays revalidate with a HEAD unless Cache-Control max-age still covers the
// copy; a 404 or a refused connection fails the playback. The length played is the WAV's own.
// A URL too short for the cached file's path fails after a successful GET, as on a real 22.10.1
// (trace v-http-media-short-url; see shortestPlayableUrl).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

interface Cached {
  durationMs: number;
  etag?: string;
  expiresAt?: number;
}

const FETCH_TIMEOUT_MS = 30_000;
const MAX_MEDIA_BYTES = 50 * 1024 * 1024;

/** Debian's astcachedir, the compose lab's and the simulator's default. */
export const DEFAULT_AST_CACHE_DIR = '/var/cache/asterisk';

/**
 * The length of the shortest `sound:http…` URL (without `sound:`) that a real Asterisk 22.10.1
 * plays. main/file.c (openstream_internal) sizes the buffer for the file's local path as
 * strlen(language) + strlen(url) + 4; main/media_cache.c copies the cached file's path,
 * <astcachedir>/bucket-XXXXXX.<ext>, into it with ast_copy_string and cuts the extension. A buffer
 * shorter than <astcachedir>/bucket-XXXXXX plus its NUL truncates the path and the file is not
 * found ("File http://… does not exist in any format"). Measured on the lab's 22.10.1
 * (astcachedir /opt/lab/run/cache, language en): 26 characters fail, 27 play.
 */
export function shortestPlayableUrl(astCacheDir: string, language: string): number {
  return astCacheDir.length + '/bucket-XXXXXX'.length - language.length - 3;
}

export class HttpMediaCache {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly astCacheDir: string) {}

  /** The media's length in ms, or 'failed' when it cannot be fetched or its URL is too short. */
  async durationOf(url: string, language: string): Promise<number | 'failed'> {
    const cached = this.cache.get(url);
    if (cached?.expiresAt !== undefined && cached.expiresAt > Date.now()) return cached.durationMs;
    try {
      if (cached) {
        const head = await send(url, 'HEAD', cached.etag);
        head.res.resume();
        const etag = head.res.headers.etag;
        if (head.res.statusCode === 304 || (head.res.statusCode === 200 && (cached.etag === undefined || etag === cached.etag))) return cached.durationMs;
      }
      const got = await send(url, 'GET');
      if (got.res.statusCode !== 200) {
        got.res.resume();
        this.cache.delete(url);
        return 'failed';
      }
      const body = await readAll(got.res);
      // Fetched and stored, but the truncated path finds no file: nothing usable is kept.
      if (url.length < shortestPlayableUrl(this.astCacheDir, language)) {
        this.cache.delete(url);
        return 'failed';
      }
      const entry: Cached = { durationMs: wavDurationMs(body) };
      const etag = got.res.headers.etag;
      if (etag) entry.etag = etag;
      const maxAge = /max-age=(\d+)/.exec(String(got.res.headers['cache-control'] ?? ''))?.[1];
      if (maxAge !== undefined) entry.expiresAt = Date.now() + Number(maxAge) * 1000;
      this.cache.set(url, entry);
      return entry.durationMs;
    } catch {
      return 'failed';
    }
  }

  clear(): void {
    this.cache.clear();
  }
}

/** The headers res_http_media_cache sends (trace o): its libcurl user agent, and the ETag it holds on a revalidation. */
function send(url: string, method: 'GET' | 'HEAD', etag?: string): Promise<{ res: IncomingMessage }> {
  const headers: Record<string, string> = { 'user-agent': 'asterisk-libcurl-agent/1.0', accept: '*/*', ...(etag ? { 'if-none-match': etag } : {}) };
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { method, agent: false, timeout: FETCH_TIMEOUT_MS, headers }, (res) => resolve({ res }));
    req.on('timeout', () => req.destroy(new Error('media fetch timed out')));
    req.on('error', reject);
    req.end();
  });
}

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_MEDIA_BYTES) res.destroy(new Error('media too large'));
      else chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

/** Length of a RIFF/WAVE file from its fmt byte rate and data size; other bytes count as 8 kHz 16-bit. */
export function wavDurationMs(file: Buffer): number {
  let byteRate = 16000;
  let dataBytes = file.length;
  if (file.length >= 12 && file.toString('ascii', 0, 4) === 'RIFF' && file.toString('ascii', 8, 12) === 'WAVE') {
    let at = 12;
    while (at + 8 <= file.length) {
      const id = file.toString('ascii', at, at + 4);
      const size = file.readUInt32LE(at + 4);
      if (id === 'fmt ' && at + 16 <= file.length) byteRate = file.readUInt32LE(at + 16) || byteRate;
      if (id === 'data') {
        dataBytes = Math.min(size, file.length - at - 8);
        break;
      }
      at += 8 + size + (size % 2);
    }
  }
  return Math.round((dataBytes / byteRate) * 1000);
}
