import type { StepBase, StepDefinition } from './types.js';
import { NO_EXITS } from './types.js';

export interface HangupStep extends StepBase {
  type: 'hangup';
}

export const hangup: StepDefinition<HangupStep> = {
  type: 'hangup',
  summary: 'Ends the flow and hangs the call up. It takes no `next`.',
  fields: [],
  terminal: true,
  parse: () => ({}),
  exits: () => NO_EXITS,
};
