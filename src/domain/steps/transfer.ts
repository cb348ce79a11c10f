import type { StepBase, StepDefinition } from './types.js';
import { NO_EXITS } from './types.js';

export interface TransferStep extends StepBase {
  type: 'transfer';
  /** E.164; routed like numberToDial when the step runs. */
  to: string;
}

const E164 = /^\+[1-9]\d{1,14}$/;

export const transfer: StepDefinition<TransferStep> = {
  type: 'transfer',
  summary: 'Blind transfer: hands the call to `to` (Asterisk dials it from the dialplan, context engine-transfer) and leaves. The session ends completed with the reason `transferred` and the destination on its timeline; if the transfer cannot start, the step fails.',
  fields: [
    { name: 'to', type: 'string', required: true, description: 'the number to hand the call to, E.164, routed like numberToDial' },
  ],
  terminal: true,
  parse(f) {
    const to = f.oneOf('to', E164, 'an E.164 number, e.g. +18144043093', true);
    return to === undefined ? undefined : { to };
  },
  exits: () => NO_EXITS,
};
