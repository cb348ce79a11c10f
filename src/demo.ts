// Demo mode: the seed data and the ready-to-paste first call that `npm start` prints, so that a
// new user places a call a minute after cloning. Sounds are from Asterisk's core English set. Only used without JWT_SECRET or with the simulator.
import jwt from 'jsonwebtoken';
import { DEMO_JWT_SECRET } from './config.js';
import type { Store } from './store/store.js';
import type { FlowDocument } from './domain/flow.js';
import type { CalleeScript } from './sim/index.js';

export const DEMO_ACCOUNT_ID = 'demo';
export const DEMO_CALLER_ID = '+12125550100';
export const DEMO_FLOW_ID = 'demo-flow';
/** The lab extension a softphone dials to hear the demo flow (asterisk-config/extensions.conf `_8XXX`). */
export const DEMO_EXTENSION = '8000';
/** The simulated callee that answers and presses 1 during the menu prompt. */
export const DEMO_NUMBER_TO_DIAL = '+18144043093';

export const DEMO_FLOW: FlowDocument = {
  name: 'Demo reminder',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    {
      id: 'menu', type: 'gather', prompt: ['sound:vm-press', 'digits:1'], maxDigits: 1, finishOnKey: '#',
      timeoutMs: 5000, interDigitTimeoutMs: 3000, attempts: 2, variable: 'choice',
      branches: { '1': 'yes', '2': 'no' }, noInput: 'bye', noMatch: 'bye',
    },
    { id: 'yes', type: 'playback', media: ['sound:auth-thankyou'], next: 'bye' },
    { id: 'no', type: 'say', digits: '{{choice}}', next: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
};

export const DEMO_CALLEE_SCRIPTS: Record<string, CalleeScript> = {
  [DEMO_NUMBER_TO_DIAL]: { result: 'answer', answerAfterMs: 1000, dtmf: [{ digits: '1', afterPlaybackStarted: 2, delayMs: 500 }] },
};

export async function seedDemo(store: Store): Promise<void> {
  await store.ensureAccount(DEMO_ACCOUNT_ID, 'Demo account');
  if (!(await store.getFlow(DEMO_ACCOUNT_ID, DEMO_FLOW_ID))) {
    await store.createFlow(DEMO_ACCOUNT_ID, DEMO_FLOW, DEMO_FLOW_ID);
  }
  // The demo number calls out with the demo flow and, called (a lab phone dialing it), runs it.
  const number = await store.findPhoneNumberByNumber(DEMO_ACCOUNT_ID, DEMO_CALLER_ID);
  if (!number) await store.addPhoneNumber(DEMO_ACCOUNT_ID, DEMO_CALLER_ID, 'Demo caller ID', true, DEMO_FLOW_ID);
  else if (number.inboundFlowId === null) await store.updatePhoneNumber(DEMO_ACCOUNT_ID, number.id, { inboundFlowId: DEMO_FLOW_ID });
  // The same flow on a lab extension, unless some account has the extension already.
  if (!(await store.extensionCalled(DEMO_EXTENSION))) {
    await store.addExtension(DEMO_ACCOUNT_ID, { number: DEMO_EXTENSION, name: 'Demo extension', enabled: true, inboundFlowId: DEMO_FLOW_ID });
  }
}

export function demoBanner(port: number): string {
  const token = jwt.sign({ roles: ['Manager'], accountId: DEMO_ACCOUNT_ID }, DEMO_JWT_SECRET, {
    algorithm: 'HS256', subject: 'demo-user', expiresIn: '12h',
  });
  const base = `http://localhost:${port}`;
  return [
    '',
    'Demo mode is ready. Place a first call (the simulated callee answers and presses 1):',
    '',
    `  export TOKEN=${token}`,
    `  curl -s -X POST ${base}/sessions/outgoing -H "Authorization: Bearer $TOKEN" \\`,
    `    -H 'Content-Type: application/json' -d '{"flowId":"${DEMO_FLOW_ID}","numberToDial":"${DEMO_NUMBER_TO_DIAL}"}'`,
    '',
    `Then follow it:  curl -s ${base}/sessions/<id> -H "Authorization: Bearer $TOKEN"`,
    `Or in the web console: ${base}/console/ (paste the token above to sign in)`,
    '',
  ].join('\n');
}
