// The local TTS provider: espeak-ng (Debian package `espeak-ng`) as a child process, text on its
// stdin (never on a command line), its 22 kHz WAV brought to 8 kHz mono.
import { spawn } from 'node:child_process';
import { TtsError, type TtsProvider, type TtsRequest, type TtsStatus } from './provider.js';
import { toTelephoneWav } from './wav.js';

const VOICE = /^[A-Za-z0-9+_-]{1,40}$/;
const MAX_OUTPUT_BYTES = 50 * 1024 * 1024;
export const ESPEAK_MISSING = 'espeak-ng is not installed (Debian/Ubuntu: apt-get install -y espeak-ng), or TTS_ESPEAK_PATH does not point to it';

interface Run { code: number | null; stdout: Buffer; stderr: string }

function run(binary: string, args: string[], input: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' ? new TtsError(ESPEAK_MISSING) : new TtsError(`espeak-ng could not start: ${err.message}`));
    });
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_OUTPUT_BYTES) child.kill('SIGKILL');
      else chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => { if (stderr.length < 2000) stderr += c.toString(); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(chunks), stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** espeak-ng voice names are lower case (`en-us`); a BCP 47 language maps onto them. */
export function espeakVoice(request: TtsRequest): string {
  const voice = request.voice ?? request.language?.toLowerCase() ?? 'en';
  if (!VOICE.test(voice)) throw new TtsError(`voice ${JSON.stringify(voice.slice(0, 40))} is not an espeak-ng voice name`);
  return voice;
}

export class EspeakProvider implements TtsProvider {
  readonly name = 'espeak-ng';

  constructor(private readonly binary = 'espeak-ng', private readonly timeoutMs = 20_000) {}

  async check(): Promise<TtsStatus> {
    try {
      const r = await run(this.binary, ['--version'], '', this.timeoutMs);
      return r.code === 0 ? { available: true } : { available: false, detail: `espeak-ng --version failed: ${r.stderr.trim()}` };
    } catch (err) {
      return { available: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  async synthesize(request: TtsRequest): Promise<Buffer> {
    const r = await run(this.binary, ['--stdout', '-v', espeakVoice(request)], request.text, this.timeoutMs);
    if (r.code !== 0) throw new TtsError(`espeak-ng failed (exit ${r.code ?? 'killed'}): ${r.stderr.trim().slice(0, 200)}`);
    try {
      return toTelephoneWav(r.stdout);
    } catch (err) {
      throw new TtsError(`espeak-ng gave no usable WAV: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
