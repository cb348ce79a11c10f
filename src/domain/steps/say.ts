import type { StepBase, StepDefinition } from './types.js';
import { defined, NO_EXITS } from './types.js';

export interface SayStep extends StepBase {
  type: 'say';
  /** Template, `{{var}}` replaced by session variables; spoken as digits. */
  digits?: string;
  number?: string;
  characters?: string;
  /** Template spoken by text to speech. */
  text?: string;
  /** TTS voice (provider-specific, e.g. espeak-ng `en-us`); with text only. */
  voice?: string;
  /** BCP 47 language of the text, e.g. `en-US`; with text only. */
  language?: string;
}

const FORMS = ['digits', 'number', 'characters', 'text'] as const;
const VOICE = /^[A-Za-z0-9+_.-]{1,64}$/;
const LANGUAGE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/;

export const say: StepDefinition<SayStep> = {
  type: 'say',
  summary: 'Speaks a template (`{{var}}` replaced by session variables) in one of its forms: digits, a number, characters (Asterisk\'s own prompts) or text (text to speech). For the first three, characters a form cannot speak are dropped, so a variable can never inject another media URI; an empty result says nothing and continues.',
  fields: [
    { name: 'digits', type: 'string', description: 'template spoken as digits (one of digits, number, characters, text)', template: true },
    { name: 'number', type: 'string', description: 'template spoken as a number', template: true },
    { name: 'characters', type: 'string', description: 'template spelled out', template: true },
    { name: 'text', type: 'string', description: 'template spoken by text to speech (espeak-ng by default)', template: true, speech: true },
    { name: 'voice', type: 'string', description: 'text: the TTS voice (espeak-ng: en-us, en+f3, fr...)', default: 'from language, else en' },
    { name: 'language', type: 'string', description: 'text: BCP 47 language of the text, e.g. en-US', default: 'none' },
  ],
  parse(f) {
    const present = FORMS.filter((k) => f.has(k));
    if (present.length !== 1) {
      f.error(f.path, 'Required', `${f.path} must have exactly one of ${FORMS.slice(0, -1).join(', ')} or ${FORMS.at(-1)}`);
      return undefined;
    }
    const key = present[0]!;
    const value = f.template(key, true);
    const voice = f.oneOf('voice', VOICE, 'a voice name of up to 64 letters, digits, +, _, . or -');
    const language = f.oneOf('language', LANGUAGE, 'a BCP 47 language tag such as en-US');
    for (const extra of ['voice', 'language'] as const) {
      if (key !== 'text' && f.has(extra)) f.error(f.field(extra), 'InvalidValue', `${f.field(extra)} applies to text only`);
    }
    return value === undefined ? undefined : defined({ [key]: value, voice, language });
  },
  exits: () => NO_EXITS,
};
