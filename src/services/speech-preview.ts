// "Listen" in the console: a say step's text spoken by the engine's text to speech, as the audio a
// call would hear (the same provider and cache: previewing fills the cache a call then hits). The
// text, voice and language are checked by the say step's own definition; placeholders take the
// example values given, else their variable's name (a call would fill them from the session).
import { AppError, type FieldError } from '../domain/errors.js';
import { validateFlowDocument } from '../domain/flow-validation.js';
import { placeholders, spokenText } from '../domain/template.js';
import { pick, throwIfAny, type Input } from './input.js';

/** The engine's speech service (tts/speech.ts), as far as a preview needs it. */
export interface SpeechAudio {
  /** The provider's state as checked at start (a missing espeak-ng says so in `detail`). */
  readiness(): { provider: string; available: boolean; detail?: string };
  audio(request: { text: string; voice?: string; language?: string }): Promise<{ ok: true; data: Buffer } | { ok: false; reason: string }>;
}

const MAX_VARIABLES = 50;
const MAX_VALUE_LENGTH = 200;
/** Syntheses at once (each a child process or a request to the TTS service); more wait for none: 429. */
export const MAX_CONCURRENT_PREVIEWS = 4;

export class SpeechPreview {
  private running = 0;

  constructor(private readonly speech: SpeechAudio | undefined, private readonly maxConcurrent = MAX_CONCURRENT_PREVIEWS) {}

  async audio(input: Input): Promise<{ data: Buffer; contentType: string }> {
    const step: Record<string, unknown> = { id: 'preview', type: 'say' };
    for (const name of ['text', 'voice', 'language'] as const) {
      const v = pick(input, name);
      if (v !== undefined && v !== null && v !== '') step[name] = v;
    }
    if (step.text === undefined) throw AppError.validation([{ fieldName: 'text', errorCode: 'NotEmpty', message: 'text is required' }]);
    // The say step's own rules (length, control characters, voice and language names).
    const checked = validateFlowDocument({ name: 'preview', steps: [step] });
    if (!checked.ok) {
      throw AppError.validation(checked.errors.map((e) => ({ ...e, fieldName: e.fieldName.replace(/^steps\[0\]\./, '') })));
    }
    const said = checked.document.steps[0] as { text: string; voice?: string; language?: string };
    const text = spokenText(said.text, this.examples(input, said.text));
    if (!text) throw AppError.validation([{ fieldName: 'text', errorCode: 'NotEmpty', message: 'text says nothing once its placeholders are filled' }]);
    if (!this.speech) throw new AppError('unavailable', 'TtsUnavailable', 'Text to speech is not configured (TTS_PROVIDER=none)');
    const state = this.speech.readiness();
    if (!state.available) throw new AppError('unavailable', 'TtsUnavailable', `Text to speech is unavailable (${state.provider}): ${state.detail ?? 'unknown'}`);
    if (this.running >= this.maxConcurrent) {
      throw new AppError('rate-limited', 'TooManyRequests', `At most ${this.maxConcurrent} previews are synthesized at once; try again`, [], 1);
    }
    this.running += 1;
    try {
      const audio = await this.speech.audio({ text, ...(said.voice ? { voice: said.voice } : {}), ...(said.language ? { language: said.language } : {}) });
      if (!audio.ok) throw new AppError('unavailable', 'TtsFailed', audio.reason);
      return { data: audio.data, contentType: 'audio/wav' };
    } finally {
      this.running -= 1;
    }
  }

  /** Example values of the placeholders: given ones (checked), the variable's name for the others. */
  private examples(input: Input, template: string): Record<string, string> {
    const errors: FieldError[] = [];
    const raw = pick(input, 'variables');
    const given: Record<string, string> = {};
    if (raw !== undefined && raw !== null) {
      if (typeof raw !== 'object' || Array.isArray(raw)) {
        errors.push({ fieldName: 'variables', errorCode: 'InvalidType', message: 'variables must be an object of names to example values' });
      } else {
        const entries = Object.entries(raw as Record<string, unknown>);
        if (entries.length > MAX_VARIABLES) errors.push({ fieldName: 'variables', errorCode: 'OutOfRange', message: `variables may hold at most ${MAX_VARIABLES} values` });
        for (const [name, value] of entries.slice(0, MAX_VARIABLES)) {
          if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH) {
            errors.push({ fieldName: `variables.${name.slice(0, 64)}`, errorCode: 'InvalidValue', message: `variables.${name.slice(0, 64)} must be a string of at most ${MAX_VALUE_LENGTH} characters` });
          } else given[name] = value;
        }
      }
    }
    throwIfAny(errors);
    const values: Record<string, string> = {};
    for (const name of placeholders(template)) values[name] = Object.hasOwn(given, name) ? given[name]! : name;
    return values;
  }
}
