import type { StepBase, StepDefinition } from './types.js';
import { defined, NO_EXITS } from './types.js';
import { FLOW_LIMITS } from './limits.js';

export interface RecordStep extends StepBase {
  type: 'record';
  /** Session variable receiving the recording name. */
  variable?: string;
  maxDurationMs?: number;
  maxSilenceMs?: number;
  beep?: boolean;
  finishOnKey?: string;
}

export const RECORD_TERMINATE = ['*', '#', 'any', 'none'] as const;

/** The defaults of the fields a runner needs a value for: the docs say them, the runner uses them. */
export const RECORD_DEFAULTS = { maxDurationMs: 60000, beep: true, finishOnKey: '#' } as const;

export const record: StepDefinition<RecordStep> = {
  type: 'record',
  summary: 'Records the caller (wav) until maxDurationMs, maxSilenceMs, the finish key or the hangup; the recording\'s name goes to `variable`.',
  fields: [
    { name: 'variable', type: 'string', description: 'session variable receiving the recording name', default: 'none' },
    { name: 'maxDurationMs', type: 'int', description: 'longest recording', default: String(RECORD_DEFAULTS.maxDurationMs), range: FLOW_LIMITS.recordMaxDurationMs },
    { name: 'maxSilenceMs', type: 'int', description: 'silence that ends the recording', default: 'none', range: FLOW_LIMITS.recordMaxSilenceMs },
    { name: 'beep', type: 'bool', description: 'beep before recording', default: String(RECORD_DEFAULTS.beep) },
    { name: 'finishOnKey', type: 'string', description: 'the key that ends the recording: *, #, any or none', default: RECORD_DEFAULTS.finishOnKey, options: RECORD_TERMINATE },
  ],
  parse(f) {
    return defined({
      variable: f.variable('variable'),
      maxDurationMs: f.int('maxDurationMs', FLOW_LIMITS.recordMaxDurationMs),
      maxSilenceMs: f.int('maxSilenceMs', FLOW_LIMITS.recordMaxSilenceMs),
      beep: f.bool('beep'),
      finishOnKey: f.oneOf('finishOnKey', RECORD_TERMINATE, `one of ${RECORD_TERMINATE.join(', ')}`),
    });
  },
  exits: () => NO_EXITS,
};
