// Several engines on one PostgreSQL database (issue 22): each engine is a store of its own (its own
// pool) on the same database, racing the others. Caps, idempotency keys, unique numbers, leases and
// takeovers must hold across them. SQLite is one engine per file: these are PostgreSQL's alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.js';
import { IdempotencyKeyTaken } from '../../src/store/store.js';
import { newSession } from '../support/store-temp.js';
import { createSession, updateSession } from '../support/session-writers.js';
import { storeDialects } from '../support/store-dialects.js';

const postgres = (await storeDialects('engines')).find((d) => d.name === 'postgres')!;
const later = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('three engines on one PostgreSQL', { skip: postgres.skip }, () => {
  let engines: Store[];

  before(async () => {
    engines = await Promise.all([postgres.open(), postgres.open(), postgres.open()]);
  });
  after(() => postgres.cleanup());

  test('a live cap of 10 holds when three engines admit 30 calls of one account at once', async () => {
    const acc = 'acc-cap-race';
    const attempts = Array.from({ length: 30 }, (_, i) => createSession(engines[i % 3]!, newSession(acc, { admission: { maxLive: 10 } })));
    const results = await Promise.allSettled(attempts);
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    assert.equal(accepted, 10);
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as { errorCode?: string }).errorCode, 'TooManyLiveCalls');
    }
    assert.equal(await engines[0]!.countLiveSessions(acc), 10);
    // One ends on engine B: engine C may admit one more, and only one.
    const live = (await engines[1]!.listSessions(acc, { state: 'queued' }, { page: 1, countPerPage: 1 })).items[0]!;
    await updateSession(engines[1]!, live.id, { state: 'completed', endReason: 'done' });
    await engines[1]!.getSession(acc, live.id);
    const more = await Promise.allSettled([0, 1, 2].map((i) => createSession(engines[i]!, newSession(acc, { admission: { maxLive: 10 } }))));
    assert.equal(more.filter((r) => r.status === 'fulfilled').length, 1);
  });

  test('calls per second hold across engines (one counter per account and second of the database clock)', async () => {
    const acc = 'acc-rate-race';
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) =>
      createSession(engines[i % 3]!, newSession(acc, { admission: { maxLive: 1000, maxPerSecond: 5 } }))));
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    // All within one second: 5; a second boundary crossed meanwhile: at most 5 in each.
    assert.ok(accepted >= 5 && accepted <= 10, `accepted ${accepted}`);
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as { errorCode?: string }).errorCode, 'TooManyCalls');
    }
  });

  test('one Idempotency-Key sent to two engines at once creates one session', async () => {
    const acc = 'acc-idem-race';
    const key = { key: 'same-key', requestHash: 'h' };
    const [a, b] = await Promise.allSettled([
      createSession(engines[0]!, newSession(acc), key),
      createSession(engines[1]!, newSession(acc), key),
    ]);
    const ok = [a, b].filter((r) => r.status === 'fulfilled');
    const taken = [a, b].filter((r) => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(taken.length, 1);
    const winner = (ok[0] as PromiseFulfilledResult<{ id: string }>).value.id;
    const reason = (taken[0] as PromiseRejectedResult).reason as unknown;
    assert.ok(reason instanceof IdempotencyKeyTaken && reason.sessionId === winner, 'the loser is told the winner');
    assert.equal((await engines[2]!.listSessions(acc, {}, { page: 1, countPerPage: 10 })).totalCount, 1);
    assert.equal((await engines[2]!.getIdempotentSession(acc, 'same-key'))?.sessionId, winner);
  });

  test('a phone number added on two engines at once is stored once', async () => {
    const results = await Promise.all([
      engines[0]!.addPhoneNumber('acc-num-a', '+12025550177', 'A', true),
      engines[1]!.addPhoneNumber('acc-num-b', '+12025550177', 'B', true),
      engines[2]!.addPhoneNumber('acc-num-a', '+12025550177', 'C', true),
    ]);
    assert.equal(results.filter((r) => r !== 'duplicate').length, 1);
    assert.equal(results.filter((r) => r === 'duplicate').length, 2);
  });

  test('leases and takeover: an expired owner\'s sessions go to exactly one survivor', async () => {
    const acc = 'acc-lease';
    const sessions = await Promise.all(Array.from({ length: 20 }, () =>
      createSession(engines[0]!, newSession(acc, { owner: { id: 'engine-a', leaseExpires: later(-1000) } }))));
    assert.ok((await engines[1]!.owners()).includes('engine-a'));
    // B and C both see them as not theirs, and both try to take them over at once.
    const [seenB, seenC] = await Promise.all([engines[1]!.listLiveSessionsNotOwnedBy('engine-b'), engines[2]!.listLiveSessionsNotOwnedBy('engine-c')]);
    const mine = (list: Array<{ id: string; ownerId: string | null }>) => list.filter((s) => sessions.some((x) => x.id === s.id));
    assert.equal(mine(seenB).length, 20);
    const claims = (list: Array<{ id: string; ownerId: string | null }>) => mine(list).map((s) => ({ id: s.id, previousOwner: s.ownerId }));
    const [takenB, takenC] = await Promise.all([
      engines[1]!.takeOver(claims(seenB), 'engine-b', later(30000)),
      engines[2]!.takeOver(claims(seenC), 'engine-c', later(30000)),
    ]);
    assert.equal(takenB.length + takenC.length, 20, 'every session taken');
    assert.equal(new Set([...takenB, ...takenC]).size, 20, 'none taken twice');
    // A late renewal by the old owner touches nothing; B's renewal extends B's sessions only.
    await engines[0]!.renewLeases('engine-a', later(60000));
    const farFuture = later(3_600_000);
    await engines[1]!.renewLeases('engine-b', farFuture);
    for (const s of sessions) {
      const now = await engines[2]!.getSession(acc, s.id);
      assert.notEqual(now?.ownerId, 'engine-a');
      if (now?.ownerId === 'engine-b') assert.equal(now.leaseExpires, farFuture);
      else assert.notEqual(now?.leaseExpires, farFuture);
    }
    // Ended sessions leave the owners' lists.
    for (const id of [...takenB, ...takenC]) await updateSession(engines[1]!, id, { state: 'failed', endReason: 'test' });
    await engines[1]!.listLiveSessions();
    assert.equal(mine(await engines[0]!.listLiveSessionsNotOwnedBy('nobody')).length, 0);
  });
});
