import type { StepBase, StepDefinition } from './types.js';
import { NO_EXITS } from './types.js';

export interface SetVariableStep extends StepBase {
  type: 'set';
  variable: string;
  /** Template, `{{var}}` replaced. */
  value: string;
}

export const set: StepDefinition<SetVariableStep> = {
  type: 'set',
  summary: 'Stores a rendered template in a session variable (at most 1024 characters).',
  fields: [
    { name: 'variable', type: 'string', required: true, description: 'the session variable written' },
    { name: 'value', type: 'string', required: true, description: 'template of the value', template: true },
  ],
  parse(f) {
    const variable = f.variable('variable', true);
    const value = f.template('value', true);
    return variable !== undefined && value !== undefined ? { variable, value } : undefined;
  },
  exits: () => NO_EXITS,
};
