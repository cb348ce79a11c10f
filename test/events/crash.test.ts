// The terminal event survives a crash: an engine child process is SIGKILLed with calls queued,
// dialing, ringing, answered and already ended, their events undelivered (the receiver fails);
// after a restart on the same database every accepted session gets exactly one delivered
// `session.ended`, and no event is ever delivered under two ids. The simulator lives in this
// test process, so Asterisk outlives the engine as a real one would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import { seedDatabase, spawnEngine, waitForStatus, type EngineProcess } from '../support/faults-engine.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { waitUntil } from '../support/wait-until.js';

const ARI = { ARI_USERNAME: 'engine', ARI_PASSWORD: 'ari-crash-test-Pa55-91ab' };
const LONG_FLOW: FlowDocument = { name: 'Long', steps: [{ id: 'wait', type: 'pause', ms: 120000 }, { id: 'bye', type: 'hangup' }] };
const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

describe('SIGKILL with undelivered events, then a restart', { timeout: 120000 }, () => {
  let sim: RunningSimulator;
  let receiver: Receiver;
  let dir: string;
  const engines: EngineProcess[] = [];

  before(async () => {
    sim = await startSimulator({
      port: 0, host: '127.0.0.1', username: ARI.ARI_USERNAME, password: ARI.ARI_PASSWORD, timeScale: 0.05,
      scripts: {
        'PJSIP/+12025550100@trunk': { result: 'busy', answerAfterMs: 100 },
        'PJSIP/+12025550101@trunk': { result: 'answer', answerAfterMs: 600000 },
        'PJSIP/+18144043093@trunk': { result: 'answer', answerAfterMs: 100 },
      },
    });
    // Fails every delivery until the restart.
    receiver = await startReceiver(() => 503);
    dir = mkdtempSync(join(tmpdir(), 'engine-crash-'));
  });
  after(async () => {
    for (const e of engines) await e.dispose();
    await receiver?.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (databasePath: string): Promise<EngineProcess> => {
    const engine = await spawnEngine({
      DATABASE_PATH: databasePath, ARI_URL: sim.url, ...ARI, ALLOW_PRIVATE_DESTINATIONS: 'true',
      ORIGINATE_TIMEOUT_SEC: '600', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_DELAY_MS: '200', LOG_LEVEL: 'info',
    });
    engines.push(engine);
    await waitForStatus(engine.base, '/ready', 200, 30000).catch((err: Error) => {
      throw new Error(`${err.message}\n${engine.output().slice(-3000)}`);
    });
    return engine;
  };

  test('every accepted session ends with exactly one delivered session.ended', async () => {
    const databasePath = join(dir, 'engine.sqlite');
    const flows = await seedDatabase(databasePath, { long: LONG_FLOW });
    const engine = await start(databasePath);
    const hook = await engine.request('POST', '/webhooks', { url: `${receiver.url}/hook`, events: ['session.queued', 'session.dialing', 'session.ringing', 'session.answered'] });
    assert.equal(hook.status, 201, hook.text);

    const accepted: string[] = [];
    const place = async (numberToDial: string): Promise<string> => {
      const res = await engine.request('POST', '/sessions/outgoing', { flowId: flows.long, numberToDial });
      assert.equal(res.status, 200, res.text);
      accepted.push(res.body.id);
      return res.body.id;
    };
    const waitState = async (id: string, ok: (s: string) => boolean): Promise<void> => {
      await waitUntil(async () => ok((await engine.request('GET', `/sessions/${id}`)).body.state), { message: `session ${id} to reach the state awaited`, intervalMs: 20 });
    };
    // Ended (busy) with its events undelivered, ringing, answered.
    const busy = await place('+12025550100');
    const ringing = await place('+12025550101');
    const answered = await place('+18144043093');
    await waitState(busy, (s) => s === 'busy');
    await waitState(ringing, (s) => s === 'ringing');
    await waitState(answered, (s) => s === 'in-progress');
    // Calls still being placed (queued, dialing) when the kill lands.
    const inFlight = Array.from({ length: 6 }, (_, i) => place(i % 2 === 0 ? '+18144043093' : '+12025550101').catch(() => undefined));
    await receiver.waitFor((all) => all.length >= 3);
    engine.child.kill('SIGKILL');
    assert.equal(await engine.exited, 'SIGKILL');
    await Promise.allSettled(inFlight);
    assert.ok(accepted.length >= 3);

    receiver.respond = () => 204;
    const restarted = await start(databasePath);
    await receiver.waitFor((all) => accepted.every((id) => all.some((r) => r.json?.sessionId === id && r.json.type === 'session.ended' && r.headers['x-engine-event-id'])), 60000)
      .catch((err: Error) => { throw new Error(`${err.message}\n${restarted.output().slice(-3000)}`); });

    // Delivered means answered 2xx: the deliveries say which attempt succeeded.
    for (const id of accepted) {
      const s = await restarted.request('GET', `/sessions/${id}`);
      assert.ok(FINAL.has(s.body.state), `${id} is final (${s.body.state})`);
      const ended = s.body.webhookDeliveries.filter((d: any) => d.type === 'session.ended');
      assert.equal(ended.length, 1, `${id}: one session.ended in the outbox`);
      assert.equal(ended[0].status, 'delivered');
      const received = receiver.received.filter((r) => r.json?.sessionId === id && r.json.type === 'session.ended');
      assert.equal(new Set(received.map((r) => r.json.id)).size, 1, `${id}: one session.ended id`);
      assert.equal(received.at(-1)!.json.data.state, s.body.state);
    }
    // No event under two ids: a (session, sequence) pair always carries the same id and body.
    const bySeq = new Map<string, Set<string>>();
    for (const r of receiver.received) {
      const key = `${r.json.sessionId}#${r.json.sequence}`;
      const ids = bySeq.get(key) ?? new Set<string>();
      ids.add(r.json.id);
      bySeq.set(key, ids);
    }
    for (const [key, ids] of bySeq) assert.equal(ids.size, 1, `${key} delivered under ${[...ids].join(', ')}`);
    // The restarted engine took the dead one's sessions over and hung up their channels.
    const busyEvents = receiver.received.filter((r) => r.json.sessionId === busy).map((r) => r.json.type);
    assert.equal(busyEvents.filter((t) => t === 'session.ended').length >= 1, true);
    const answeredEnd = receiver.received.find((r) => r.json.sessionId === answered && r.json.type === 'session.ended')!;
    assert.equal(answeredEnd.json.data.state, 'failed');
    assert.match(answeredEnd.json.data.reason, /engine lost during the call/);
  });
});
