import type { StepBase, StepDefinition } from './types.js';
import { NO_EXITS } from './types.js';

export interface SayStep extends StepBase {
  type: 'say';
  /** Template, `{{var}}` replaced by session variables; spoken as digits. */
  digits?: string;
  number?: string;
  characters?: string;
}

const FORMS = ['digits', 'number', 'characters'] as const;

export const say: StepDefinition<SayStep> = {
  type: 'say',
  summary: 'Speaks a template (`{{var}}` replaced by session variables) in one of its forms. Characters a form cannot speak are dropped, so a variable can never inject another media URI; an empty result says nothing and continues.',
  fields: [
    { name: 'digits', type: 'string', description: 'template spoken as digits (one of digits, number, characters)' },
    { name: 'number', type: 'string', description: 'template spoken as a number' },
    { name: 'characters', type: 'string', description: 'template spelled out' },
  ],
  parse(f) {
    const present = FORMS.filter((k) => f.has(k));
    if (present.length !== 1) {
      f.error(f.path, 'Required', `${f.path} must have exactly one of ${FORMS.slice(0, -1).join(', ')} or ${FORMS.at(-1)}`);
      return undefined;
    }
    const key = present[0]!;
    const text = f.template(key, true);
    return text === undefined ? undefined : { [key]: text };
  },
  exits: () => NO_EXITS,
};
