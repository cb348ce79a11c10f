// The TTS cache: audio by content hash (provider, voice, language, text) in one directory, at
// most `maxBytes` in all; the least recently used files go first. The index is rebuilt from the
// directory at start, so the cache survives restarts.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TtsProvider, TtsRequest } from './provider.js';

export function cacheKey(provider: string, request: TtsRequest): string {
  return createHash('sha256').update(JSON.stringify([provider, request.voice ?? '', request.language ?? '', request.text])).digest('hex');
}

export class TtsCache {
  private entries = new Map<string, { size: number; used: number }>();
  private total = 0;
  private tick = 0;
  private loaded: Promise<void> | undefined;
  /** Syntheses in flight by key: two calls saying the same text at once synthesize it once. */
  private inflight = new Map<string, Promise<string>>();
  hits = 0;
  misses = 0;

  constructor(readonly dir: string, private readonly maxBytes: number) {}

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      for (const name of await readdir(this.dir)) {
        if (!/^[0-9a-f]{64}\.wav$/.test(name)) continue;
        const s = await stat(join(this.dir, name));
        this.entries.set(name.slice(0, 64), { size: s.size, used: s.mtimeMs });
        this.total += s.size;
      }
      this.tick = Date.now();
    })();
    return this.loaded;
  }

  path(key: string): string {
    return join(this.dir, `${key}.wav`);
  }

  /** The cached file of this request's audio (synthesized on a miss); returns its key. */
  async get(provider: TtsProvider, request: TtsRequest): Promise<string> {
    await this.load();
    const key = cacheKey(provider.name, request);
    const entry = this.entries.get(key);
    if (entry) {
      this.hits += 1;
      entry.used = ++this.tick;
      return key;
    }
    const running = this.inflight.get(key);
    if (running) return running;
    const job = (async () => {
      this.misses += 1;
      const audio = await provider.synthesize(request);
      const tmp = `${this.path(key)}.${process.pid}.tmp`;
      await writeFile(tmp, audio);
      await rename(tmp, this.path(key));
      this.entries.set(key, { size: audio.length, used: ++this.tick });
      this.total += audio.length;
      await this.evict(key);
      return key;
    })().finally(() => this.inflight.delete(key));
    this.inflight.set(key, job);
    return job;
  }

  size(): number {
    return this.total;
  }

  private async evict(keep: string): Promise<void> {
    const byAge = [...this.entries].filter(([k]) => k !== keep).sort((a, b) => a[1].used - b[1].used);
    for (const [key, entry] of byAge) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(key);
      this.total -= entry.size;
      await unlink(this.path(key)).catch(() => undefined);
    }
  }
}
