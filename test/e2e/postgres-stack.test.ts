// The whole engine on PostgreSQL (DATABASE_URL), as `npm start` wires it: a call placed over HTTP
// runs its flow, its webhooks are delivered in order, and the API reads it back from PostgreSQL.
// Skipped with a message where PostgreSQL 15 is absent (REQUIRE_POSTGRES=1: fails instead).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { menuFlow } from '../support/flows.js';
import { freshDatabase, postgresSkip, type TestDatabase } from '../support/postgres.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

const skip = await postgresSkip();
const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

describe('the engine on PostgreSQL', { skip }, () => {
  let db: TestDatabase;
  let e2e: E2E;
  let hooks: Receiver;
  let flowId: string;

  before(async () => {
    db = await freshDatabase('t_pgstack');
    hooks = await startReceiver();
    e2e = await startE2E({ DATABASE_URL: db.url, ALLOW_PRIVATE_DESTINATIONS: 'true', WEBHOOK_RETRY_BASE_MS: '50' }, {
      '+18144043093': { result: 'answer', answerAfterMs: 200, dtmf: [{ digits: '1', afterPlaybackStarted: 2, delayMs: 100 }] },
    });
    const created = await e2e.request('POST', '/flows', { body: menuFlow({ timeoutMs: 1500, attempts: 1 }) });
    assert.equal(created.status, 201, created.text);
    flowId = created.body.id;
  });
  after(async () => {
    await e2e?.close();
    await hooks?.close();
    await db?.drop();
  });

  test('/ready says ready with the database', async () => {
    const ready = await e2e.request('GET', '/ready', { token: null });
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.body.database, true);
  });

  test('a call runs its flow, is read back from PostgreSQL, and its webhooks arrive once each, in order', async () => {
    const res = await e2e.request('POST', '/sessions/outgoing', {
      body: { flowId, numberToDial: '+18144043093', callerId: '+12125550100', statusCallback: `${hooks.url}/cb` },
    });
    assert.equal(res.status, 200, res.text);
    const session = await e2e.waitForSession(res.body.id, (s) => FINAL.has(s.state));
    assert.equal(session.state, 'completed');
    assert.equal(session.variables.choice, '1');
    const steps = (session.timeline ?? session.events).filter((e: any) => e.type === 'step.started').map((e: any) => e.data.stepId);
    assert.deepEqual(steps, ['hello', 'menu', 'yes', 'bye']);

    const received = await hooks.waitFor((all) => all.some((r) => r.json?.type === 'session.ended' && r.json?.sessionId === res.body.id),
      30_000);
    const mine = received.filter((r) => r.json?.sessionId === res.body.id);
    const seqs = mine.map((r) => Number(r.json.sequence));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in order');
    assert.equal(new Set(seqs).size, seqs.length, 'once each');
    assert.equal(mine.filter((r) => r.json?.type === 'session.ended').length, 1);
  });
});
