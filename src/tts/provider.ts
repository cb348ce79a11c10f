// The text-to-speech port: a provider turns text into audio Asterisk can play (an 8 kHz mono
// 16-bit WAV, format_wav's native form). espeak-ng (local) is the default; http-tts.ts calls a
// speech service. Both sit behind the same cache (cache.ts).
export interface TtsRequest {
  text: string;
  /** Provider-specific voice name (espeak-ng: a voice such as `en-us` or `en+f3`). */
  voice?: string;
  /** BCP 47 language, e.g. `en-US` (espeak-ng picks its voice from it when no voice is given). */
  language?: string;
}

export interface TtsStatus {
  available: boolean;
  /** What is wrong when unavailable, in words a person can act on. */
  detail?: string;
}

export interface TtsProvider {
  /** `espeak-ng` or `http`; part of the cache key. */
  readonly name: string;
  /** Checked at start (readiness, logs); a provider may say it cannot work before it is asked. */
  check(): Promise<TtsStatus>;
  /** The audio, as an 8 kHz mono 16-bit WAV; rejects with TtsError. */
  synthesize(request: TtsRequest): Promise<Buffer>;
}

export class TtsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TtsError';
  }
}
