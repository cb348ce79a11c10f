import type { StepBase, StepDefinition } from './types.js';
import { NO_EXITS } from './types.js';
import { FLOW_LIMITS } from './limits.js';

export interface PauseStep extends StepBase {
  type: 'pause';
  ms: number;
}

export const pause: StepDefinition<PauseStep> = {
  type: 'pause',
  summary: 'Silence for `ms` milliseconds (cut short by a hangup).',
  fields: [{ name: 'ms', type: 'int', required: true, description: 'milliseconds of silence', range: FLOW_LIMITS.pauseMs }],
  parse(f) {
    const ms = f.int('ms', FLOW_LIMITS.pauseMs, true);
    return ms === undefined ? undefined : { ms };
  },
  exits: () => NO_EXITS,
};
