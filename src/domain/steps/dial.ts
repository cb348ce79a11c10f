import type { FlowEdge, StepBase, StepDefinition } from './types.js';
import { defined } from './types.js';
import { EXTENSION } from '../extension.js';

/** How the dial step ended (the value of its `variable`). */
export const DIAL_OUTCOMES = ['answered', 'busy', 'no-answer', 'failed', 'canceled'] as const;
export type DialOutcome = (typeof DIAL_OUTCOMES)[number];

export const DIAL_RINGBACK = ['ringing', 'moh'] as const;

export interface DialStep extends StepBase {
  type: 'dial';
  /** E.164 (routed and checked against the destination policy like numberToDial) or an extension (routed by a rule). */
  to: string;
  /**
   * An enabled number of the account, or FIRST_PARTY (the first party's number, when the account
   * allows caller-ID pass-through); default: the session's own number (its callerId, or the
   * number called on an inbound call).
   */
  callerId?: string;
  timeoutMs?: number;
  timeLimitMs?: number;
  ringback?: (typeof DIAL_RINGBACK)[number];
  /** Media both parties hear once bridged. */
  announce?: string[];
  /** Record the bridged conversation. */
  record?: boolean;
  variable?: string;
  onAnswered?: string;
  onBusy?: string;
  onNoAnswer?: string;
  onFailed?: string;
}

/** Where a dial or transfer step may go: an E.164 number, or an extension (domain/extension.ts). */
export const DESTINATION = new RegExp(`^(\\+[1-9]\\d{1,14}|${EXTENSION.source.slice(1, -1)})$`);
export const DESTINATION_SYNTAX = 'an E.164 number (e.g. +18144043093) or an extension (2 to 8 digits, e.g. 1001)';
/** The callerId keyword: present the first party's number (the callee of an outgoing call, the caller of an inbound one). */
export const FIRST_PARTY = 'first-party';
const CALLER_ID = new RegExp(`^(\\+[1-9]\\d{1,14}|${FIRST_PARTY})$`);
export const DIAL_LIMITS = {
  timeoutMs: { min: 1_000, max: 120_000 },
  timeLimitMs: { min: 1_000, max: 14_400_000 },
} as const;

const EXITS: ReadonlyArray<[keyof DialStep, string]> = [
  ['onAnswered', 'answered (after the bridge ends)'], ['onBusy', 'busy'], ['onNoAnswer', 'no answer'], ['onFailed', 'failed'],
];

/** The defaults of the fields a runner needs a value for: the docs say them, the runner uses them. */
export const DIAL_DEFAULTS = { timeoutMs: 30000, ringback: 'ringing', record: false } as const;

export const dial: StepDefinition<DialStep> = {
  type: 'dial',
  summary: 'Calls `to` and connects it with the caller in a mixing bridge (the caller hears ringing or music on hold meanwhile). When the dialed party hangs up, or `timeLimitMs` is reached, the flow goes on with the caller; when the caller hangs up, the dialed party is hung up. The outcome (answered, busy, no-answer, failed) goes to `variable` and picks onAnswered / onBusy / onNoAnswer / onFailed, else the onward step.',
  fields: [
    { name: 'to', type: 'string', required: true, description: 'the number to connect: E.164, routed like numberToDial, or an extension (2 to 8 digits) that a routing rule sends to a lab phone' },
    { name: 'callerId', type: 'string', description: 'number shown to the dialed party: an enabled number of the account, or `first-party` for the first party\'s own number (the callee of an outgoing call, the caller of an inbound one) when the account allows caller-ID pass-through', default: 'the session\'s own number' },
    { name: 'timeoutMs', type: 'int', description: 'ring time before no-answer (1000 to 120000)', default: String(DIAL_DEFAULTS.timeoutMs), range: DIAL_LIMITS.timeoutMs },
    { name: 'timeLimitMs', type: 'int', description: 'longest bridged time; then the dialed party is hung up and the flow goes on', default: 'none', range: DIAL_LIMITS.timeLimitMs },
    { name: 'ringback', type: 'string', description: 'what the caller hears while it rings: ringing or moh', default: DIAL_DEFAULTS.ringback, options: DIAL_RINGBACK },
    { name: 'announce', type: { list: 'string' }, description: 'media both parties hear once they are bridged (a playback on the bridge)', default: 'none', media: true },
    { name: 'record', type: 'bool', description: 'record the bridged conversation (a recording of the session, see Recordings)', default: String(DIAL_DEFAULTS.record) },
    { name: 'variable', type: 'string', description: 'session variable receiving the outcome', default: 'none' },
    { name: 'onAnswered', type: 'string', description: 'step after an answered call, once the bridge ended', default: 'the onward step', target: true },
    { name: 'onBusy', type: 'string', description: 'step when the dialed party is busy', default: 'the onward step', target: true },
    { name: 'onNoAnswer', type: 'string', description: 'step when it rang out', default: 'the onward step', target: true },
    { name: 'onFailed', type: 'string', description: 'step when the call could not be made (no route, refused, unreachable)', default: 'the onward step', target: true },
  ],
  parse(f) {
    const to = f.oneOf('to', DESTINATION, DESTINATION_SYNTAX, true);
    const callerId = f.oneOf('callerId', CALLER_ID, `an E.164 number of the account or "${FIRST_PARTY}"`);
    const timeoutMs = f.int('timeoutMs', DIAL_LIMITS.timeoutMs);
    const timeLimitMs = f.int('timeLimitMs', DIAL_LIMITS.timeLimitMs);
    const ringback = f.oneOf('ringback', DIAL_RINGBACK, 'ringing or moh') as DialStep['ringback'];
    const announce = f.media('announce');
    const record = f.bool('record');
    const variable = f.variable('variable');
    const [onAnswered, onBusy, onNoAnswer, onFailed] = EXITS.map(([key]) => f.target(key));
    if (to === undefined) return undefined;
    return defined({ to, callerId, timeoutMs, timeLimitMs, ringback, announce, record, variable, onAnswered, onBusy, onNoAnswer, onFailed });
  },
  exits(step) {
    const edges: FlowEdge[] = [];
    for (const [key, label] of EXITS) {
      const target = step[key];
      if (typeof target === 'string') edges.push({ target, kind: key, label });
    }
    return { edges, exhaustive: false };
  },
};
