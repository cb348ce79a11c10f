import type { StepBase, StepDefinition } from './types.js';
import { NO_EXITS } from './types.js';
import { DESTINATION, DESTINATION_SYNTAX } from './dial.js';

export interface TransferStep extends StepBase {
  type: 'transfer';
  /** E.164 (routed like numberToDial) or an extension (routed by a rule) when the step runs. */
  to: string;
}

export const transfer: StepDefinition<TransferStep> = {
  type: 'transfer',
  summary: 'Blind transfer: hands the call to `to` (Asterisk dials it from the dialplan, context engine-transfer) and leaves. The session ends completed with the reason `transferred` and the destination on its timeline; if the transfer cannot start, the step fails.',
  fields: [
    { name: 'to', type: 'string', required: true, description: 'the number to hand the call to: E.164, routed like numberToDial, or an extension (2 to 8 digits) that a routing rule sends to a lab phone' },
  ],
  terminal: true,
  parse(f) {
    const to = f.oneOf('to', DESTINATION, DESTINATION_SYNTAX, true);
    return to === undefined ? undefined : { to };
  },
  exits: () => NO_EXITS,
};
