import type { FlowEdge, StepBase, StepDefinition } from './types.js';
import { defined } from './types.js';
import { FLOW_LIMITS } from './limits.js';

export interface GatherStep extends StepBase {
  type: 'gather';
  prompt?: string[];
  maxDigits?: number;
  finishOnKey?: string;
  /** Wait for the first digit (counted from the end of the prompt). */
  timeoutMs?: number;
  interDigitTimeoutMs?: number;
  attempts?: number;
  /** Session variable receiving the digits. */
  variable?: string;
  branches?: Record<string, string>;
  noInput?: string;
  noMatch?: string;
}

/** What ended a gather's input (its `gather.input` row says). */
export type GatherEnd = 'finish-key' | 'max-digits' | 'timeout' | 'inter-digit-timeout';

/** The defaults of the fields a runner needs a value for: the docs say them, the runner uses them. */
export const GATHER_DEFAULTS = { maxDigits: 64, timeoutMs: 5000, attempts: 1 } as const;

const DTMF_KEY = /^[0-9*#]$/;
const DTMF_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'] as const;
const DTMF_STRING = /^[0-9*#]{1,32}$/;

export const gather: StepDefinition<GatherStep> = {
  type: 'gather',
  summary: 'Collects DTMF digits, optionally with a prompt (barge-in: the first digit stops it), then goes to the branch the digits match, or noInput / noMatch once the attempts are used up.',
  fields: [
    { name: 'prompt', type: { list: 'string' }, description: 'media played while waiting for digits', default: 'none', media: true },
    { name: 'maxDigits', type: 'int', description: 'digits to collect (input ends when reached)', default: String(GATHER_DEFAULTS.maxDigits), range: FLOW_LIMITS.maxDigits },
    { name: 'finishOnKey', type: 'string', description: 'the key that ends the input (not part of the digits)', default: 'none', options: DTMF_KEYS },
    { name: 'timeoutMs', type: 'int', description: 'wait for the first digit, from the end of the prompt', default: String(GATHER_DEFAULTS.timeoutMs), range: FLOW_LIMITS.timeoutMs },
    { name: 'interDigitTimeoutMs', type: 'int', description: 'wait between digits', default: 'timeoutMs', range: FLOW_LIMITS.timeoutMs },
    { name: 'attempts', type: 'int', description: 'prompts before noInput/noMatch', default: String(GATHER_DEFAULTS.attempts), range: FLOW_LIMITS.attempts },
    { name: 'variable', type: 'string', description: 'session variable receiving the digits', default: 'none' },
    { name: 'branches', type: { map: 'string' }, description: 'digits -> step id', default: 'none', target: true },
    { name: 'noInput', type: 'string', description: 'step when no digit came', default: 'the onward step', target: true },
    { name: 'noMatch', type: 'string', description: 'step when the digits match no branch', default: 'the onward step', target: true },
  ],
  parse(f) {
    const prompt = f.media('prompt');
    const maxDigits = f.int('maxDigits', FLOW_LIMITS.maxDigits);
    const finishOnKey = f.oneOf('finishOnKey', DTMF_KEY, 'one key: 0-9, * or #');
    const timeoutMs = f.int('timeoutMs', FLOW_LIMITS.timeoutMs);
    const interDigitTimeoutMs = f.int('interDigitTimeoutMs', FLOW_LIMITS.timeoutMs);
    const attempts = f.int('attempts', FLOW_LIMITS.attempts);
    const variable = f.variable('variable');
    const branches = f.targets('branches', false,
      (k) => (DTMF_STRING.test(k) ? undefined : 'keys must be DTMF strings of 1 to 32 keys (0-9, *, #)'));
    const noInput = f.target('noInput');
    const noMatch = f.target('noMatch');
    return defined({ prompt, maxDigits, finishOnKey, timeoutMs, interDigitTimeoutMs, attempts, variable, branches, noInput, noMatch });
  },
  exits(step) {
    const branches = Object.entries(step.branches ?? {});
    const edges: FlowEdge[] = branches.map(([digits, target]) => ({ target, kind: 'branch', label: `pressed ${digits}` }));
    if (step.noInput !== undefined) edges.push({ target: step.noInput, kind: 'noInput', label: 'no input' });
    if (step.noMatch !== undefined) edges.push({ target: step.noMatch, kind: 'noMatch', label: 'no match' });
    return { edges, exhaustive: branches.length > 0 && step.noInput !== undefined && step.noMatch !== undefined };
  },
};
