// Flow documents several test files place, written once.
import type { FlowDocument } from '../../src/domain/flow.js';

/**
 * The menu: hello, a one-digit gather with a prompt (1: thank you, 2: the digit said back, nothing
 * or anything else: bye), then hang up. `gather` sets how long the gather waits, and its attempts.
 */
export function menuFlow(gather: { timeoutMs: number; attempts?: number }): FlowDocument {
  return {
    name: 'Menu',
    steps: [
      { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
      {
        id: 'menu', type: 'gather', prompt: ['sound:press-1'], maxDigits: 1, timeoutMs: gather.timeoutMs,
        ...(gather.attempts === undefined ? {} : { attempts: gather.attempts }),
        variable: 'choice', branches: { '1': 'yes', '2': 'no' }, noInput: 'bye', noMatch: 'bye',
      },
      { id: 'yes', type: 'playback', media: ['sound:thank-you'], next: 'bye' },
      { id: 'no', type: 'say', digits: '{{choice}}', next: 'bye' },
      { id: 'bye', type: 'hangup' },
    ],
  };
}
