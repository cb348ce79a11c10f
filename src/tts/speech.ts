// Speech for `say` text: the provider's audio through the cache, delivered where Asterisk can play
// it. Answers a media URI, or a reason the step fails with (a missing espeak-ng says so plainly).
import { readFile } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { TtsCache } from './cache.js';
import type { MediaPublisher, SoundsDirectory } from './media-publisher.js';
import { TtsError, type TtsProvider, type TtsRequest, type TtsStatus } from './provider.js';

export type SpeakResult = { ok: true; media: string } | { ok: false; reason: string };
export type AudioResult = { ok: true; data: Buffer } | { ok: false; reason: string };

export interface Speaker {
  speak(request: TtsRequest): Promise<SpeakResult>;
}

export class Speech implements Speaker {
  private status: TtsStatus = { available: false, detail: 'not checked yet' };

  constructor(
    private readonly provider: TtsProvider,
    readonly cache: TtsCache,
    private readonly delivery: { kind: 'http'; publisher: MediaPublisher } | { kind: 'sounds-dir'; dir: SoundsDirectory },
    private readonly logger: Logger,
  ) {}

  /** Checks the provider once at start; logs what is wrong. */
  async start(): Promise<TtsStatus> {
    this.status = await this.provider.check();
    if (this.status.available) this.logger.info({ provider: this.provider.name }, 'text to speech ready');
    else this.logger.warn({ provider: this.provider.name, detail: this.status.detail }, 'text to speech unavailable: say steps with text will fail');
    return this.status;
  }

  readiness(): { provider: string } & TtsStatus {
    return { provider: this.provider.name, ...this.status };
  }

  async speak(request: TtsRequest): Promise<SpeakResult> {
    return this.synthesized(request, async (key) => {
      const file = this.cache.path(key);
      const media = this.delivery.kind === 'http'
        ? `sound:${this.delivery.publisher.publish(file)}`
        : `sound:${await this.delivery.dir.place(file, key)}`;
      return { ok: true, media };
    });
  }

  /** The WAV a call would hear for this request, from the same cache (the console's "listen"). */
  async audio(request: TtsRequest): Promise<AudioResult> {
    return this.synthesized(request, async (key) => {
      try {
        return { ok: true, data: await readFile(this.cache.path(key)) };
      } catch {
        // Evicted between the lookup and the read (the cache was full): synthesized again once.
        return { ok: true, data: await readFile(this.cache.path(await this.cache.get(this.provider, request))) };
      }
    });
  }

  private async synthesized<R>(request: TtsRequest, use: (key: string) => Promise<R>): Promise<R | { ok: false; reason: string }> {
    if (!this.status.available) return { ok: false, reason: `text to speech unavailable (${this.provider.name}): ${this.status.detail ?? 'unknown'}` };
    try {
      return await use(await this.cache.get(this.provider, request));
    } catch (err) {
      if (err instanceof TtsError) return { ok: false, reason: `text to speech failed (${this.provider.name}): ${err.message}` };
      this.logger.error({ err }, 'text to speech failed');
      return { ok: false, reason: `text to speech failed (${this.provider.name})` };
    }
  }
}
