// Prometheus's own checker on the engine's metrics and alert rules: `promtool check metrics` on
// /metrics after calls in every final state (and a webhook delivered), `promtool check rules` and
// `promtool test rules` on config/prometheus/. promtool comes with Debian's `prometheus` package;
// without it these tests skip and say so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { DEMO_FLOW_ID } from '../../src/demo.js';

const RULES_DIR = fileURLToPath(new URL('../../config/prometheus/', import.meta.url));
const hasPromtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const skip = hasPromtool ? false : 'promtool is not installed (Debian/Ubuntu: apt-get install -y prometheus)';

function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: RULES_DIR, input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const CALLEES = {
  '+18144043093': { result: 'answer', answerAfterMs: 50, dtmf: [{ digits: '1', afterMs: 100 }] },
  '+12025550100': { result: 'busy', answerAfterMs: 50 },
  '+12025550101': { result: 'no-answer' },
  '+12025550102': { result: 'congestion', answerAfterMs: 50 },
  '+12025550104': { result: 'answer', answerAfterMs: 60_000 },
} as const;

describe('promtool: alert rules', { skip }, () => {
  test('promtool check rules accepts config/prometheus/alerts.yml', () => {
    const r = promtool(['check', 'rules', 'alerts.yml']);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /SUCCESS: \d+ rules found/);
  });

  test('promtool test rules passes the alerts\' unit tests', () => {
    const r = promtool(['test', 'rules', 'alerts.test.yml']);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /SUCCESS/);
  });
});

describe('promtool: /metrics after calls in every state', { skip }, () => {
  let e2e: E2E;
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
    e2e = await startE2E({ ALLOW_PRIVATE_DESTINATIONS: 'true', ORIGINATE_TIMEOUT_SEC: '30' }, CALLEES as never);
    const hook = await e2e.request('POST', '/webhooks', { body: { url: `${receiver.url}/hook` } });
    assert.equal(hook.status, 201, hook.text);
  });
  after(async () => {
    await e2e?.close();
    await receiver?.close();
  });

  test('completed, busy, no-answer, failed and canceled calls; the scrape passes promtool check metrics', async () => {
    const place = async (numberToDial: string): Promise<string> => {
      const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: DEMO_FLOW_ID, numberToDial } });
      assert.equal(res.status, 200, res.text);
      return res.body.id as string;
    };
    const ends: Array<Promise<unknown>> = [];
    for (const [number, state] of [['+18144043093', 'completed'], ['+12025550100', 'busy'], ['+12025550101', 'no-answer'], ['+12025550102', 'failed']] as const) {
      const id = await place(number);
      ends.push(e2e.waitForSession(id, (s) => FINAL.has(s.state), 30_000).then((s) => assert.equal(s.state, state, `${number}`)));
    }
    const ringing = await place('+12025550104');
    await e2e.waitForSession(ringing, (s) => s.state === 'ringing');
    const del = await e2e.request('DELETE', `/sessions/${ringing}`);
    assert.equal(del.status, 200, del.text);
    ends.push(e2e.waitForSession(ringing, (s) => FINAL.has(s.state)).then((s) => assert.equal(s.state, 'canceled')));
    await Promise.all(ends);
    await receiver.waitFor((all) => all.filter((r) => r.json?.type === 'session.ended').length === 5);

    const res = await fetch(`${e2e.base}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    for (const state of FINAL) assert.match(text, new RegExp(`^engine_calls_ended_total\\{state="${state}"\\} [1-9]`, 'm'), `${state} counted`);
    assert.match(text, /^engine_webhook_deliveries_total\{outcome="delivered"\} [1-9]/m);
    const r = promtool(['check', 'metrics'], text);
    assert.equal(r.status, 0, `promtool check metrics: ${r.output}`);
    assert.equal(r.output.trim(), '', `no lint problems: ${r.output}`);
  });
});
