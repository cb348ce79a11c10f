// Builds the speech service the configuration asks for (undefined: TTS_PROVIDER=none).
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { TtsCache } from './cache.js';
import { EspeakProvider } from './espeak.js';
import { HttpTtsProvider } from './http-tts.js';
import { MediaPublisher, SoundsDirectory } from './media-publisher.js';
import { Speech } from './speech.js';

export function createSpeech(config: Config, logger: Logger, defaultBaseUrl: () => string): { speech: Speech | undefined; publisher: MediaPublisher } {
  const base = config.media.publicBaseUrl;
  const publisher = new MediaPublisher(base ? () => base : defaultBaseUrl, config.media.urlTtlMs);
  const { tts } = config;
  if (tts.provider === 'none') return { speech: undefined, publisher };
  const provider = tts.provider === 'http' && tts.httpUrl
    ? new HttpTtsProvider(tts.httpUrl, tts.timeoutMs)
    : new EspeakProvider(tts.espeakPath, tts.timeoutMs);
  const delivery = config.media.soundsDir
    ? { kind: 'sounds-dir' as const, dir: new SoundsDirectory(config.media.soundsDir, config.media.soundsPrefix) }
    : { kind: 'http' as const, publisher };
  return { speech: new Speech(provider, new TtsCache(tts.cacheDir, tts.cacheMaxBytes), delivery, logger), publisher };
}
