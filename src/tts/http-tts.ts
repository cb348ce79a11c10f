// A TTS provider calling an HTTP speech service (configured by the operator, TTS_HTTP_URL): POST
// {text, voice, language} as JSON, a 16-bit PCM WAV back (any rate; brought to 8 kHz mono).
import { TtsError, type TtsProvider, type TtsRequest, type TtsStatus } from './provider.js';
import { toTelephoneWav } from './wav.js';

const MAX_AUDIO_BYTES = 20 * 1024 * 1024;

export class HttpTtsProvider implements TtsProvider {
  readonly name = 'http';

  constructor(private readonly url: string, private readonly timeoutMs: number, private readonly headers: Record<string, string> = {}) {}

  check(): Promise<TtsStatus> {
    // Reachability is only known by asking; a failed request names the service in its error.
    return Promise.resolve({ available: true });
  }

  async synthesize(request: TtsRequest): Promise<Buffer> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'audio/wav', ...this.headers },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      throw new TtsError(`the TTS service did not answer within ${this.timeoutMs} ms: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!res.ok) throw new TtsError(`the TTS service answered ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_AUDIO_BYTES) throw new TtsError(`the TTS service sent more than ${MAX_AUDIO_BYTES} bytes`);
    const audio = Buffer.from(await res.arrayBuffer());
    if (audio.length > MAX_AUDIO_BYTES) throw new TtsError(`the TTS service sent more than ${MAX_AUDIO_BYTES} bytes`);
    try {
      return toTelephoneWav(audio);
    } catch (err) {
      throw new TtsError(`the TTS service sent no 16-bit PCM WAV: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
