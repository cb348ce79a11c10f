// settleOrphans alone, with a fake port and a fake `end`: which sessions are hung up, in what
// order, how many hang-ups at once, with which reason each session is ended, and which dialed
// parties and bridges are cleaned up with them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log.js';
import type { Session } from '../../src/domain/model.js';
import type { PortResult } from '../../src/telephony/port.js';
import { ORPHAN_REASONS, settleOrphans } from '../../src/telephony/reconcile.js';
import { dialBridgeId, dialedLegId, firstChannelOfBridge, firstChannelOfLeg } from '../../src/telephony/leg-ids.js';

function session(i: number): Session {
  const created = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return {
    id: `s${i}`, accountId: 'a', direction: 'outbound', flowId: 'f', flowVersion: 1, numberToDial: '+12025550100', callerId: '+12025550199',
    state: 'in-progress', channelId: `ch${i}`, endpoint: 'PJSIP/x@trunk', variables: {},
    endReason: null, dateCreated: created, dateAnswered: created, dateEnded: null,
    statusCallback: null, statusCallbackEvents: null, ownerId: 'gone-host:1:dead', leaseExpires: null,
  };
}

const OK: PortResult = { ok: true, value: undefined };

function fakes(answer: (channelId: string) => PortResult = () => OK, bridgeAnswer: (bridgeId: string) => PortResult = () => OK) {
  const hungUp: string[] = [];
  const endings = new Map<string, string>();
  let inFlight = 0;
  let maxInFlight = 0;
  const destroyed: string[] = [];
  const port = {
    destroyBridge: async (bridgeId: string): Promise<PortResult> => {
      destroyed.push(bridgeId);
      return bridgeAnswer(bridgeId);
    },
    hangup: async (channelId: string): Promise<PortResult> => {
      hungUp.push(channelId);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight -= 1;
      return answer(channelId);
    },
  };
  const end = async (s: Session, reason: string): Promise<void> => { endings.set(s.id, reason); };
  return { port, end, hungUp, destroyed, endings, maxInFlight: () => maxInFlight };
}

const logger = createLogger('silent');

test('calls still up are hung up newest first, at most `concurrency` at once; every session ends failed with its reason', async () => {
  const orphans = Array.from({ length: 100 }, (_, i) => session(i));
  const present = new Set(orphans.filter((_, i) => i % 4 !== 0).map((s) => s.channelId));
  const f = fakes();
  const result = await settleOrphans(orphans, { channels: present, bridges: [] }, { port: f.port, end: f.end, logger, concurrency: 8 });

  assert.deepEqual(result, { hungUp: 75, gone: 25, failedWrites: 0, bridgesDestroyed: 0 });
  assert.equal(f.maxInFlight(), 8);
  const expectedOrder = [...orphans].reverse().filter((s) => present.has(s.channelId)).map((s) => s.channelId);
  assert.deepEqual(f.hungUp, expectedOrder, 'newest first, none of the gone ones');
  for (const [i, s] of orphans.entries()) {
    assert.equal(f.endings.get(s.id), i % 4 === 0 ? ORPHAN_REASONS.gone : ORPHAN_REASONS.hungUp);
  }
});

test('a channel that vanished before the hang-up counts as hung up; a refused hang-up is recorded as unconfirmed', async () => {
  const orphans = [session(1), session(2)];
  const f = fakes((channelId) => (channelId === 'ch1'
    ? { ok: false, kind: 'not-found', message: 'Channel not found' }
    : { ok: false, kind: 'unavailable', message: 'ECONNREFUSED' }));
  const result = await settleOrphans(orphans, { channels: new Set(['ch1', 'ch2']), bridges: [] }, { port: f.port, end: f.end, logger });
  assert.equal(result.hungUp, 2);
  assert.equal(f.endings.get('s1'), ORPHAN_REASONS.hungUp);
  assert.equal(f.endings.get('s2'), ORPHAN_REASONS.hangupUnconfirmed);
});

test('writes the store refuses are counted, not thrown', async () => {
  const f = fakes();
  const end = async (): Promise<void> => { throw new Error('SQLITE_FULL'); };
  const result = await settleOrphans([session(1), session(2)], { channels: new Set(), bridges: [] }, { port: f.port, end, logger });
  assert.deepEqual(result, { hungUp: 0, gone: 2, failedWrites: 2, bridgesDestroyed: 0 });
});

test('a party an orphan had dialed is hung up too, whether the first leg is still up or gone; other channels are left alone', async () => {
  const orphans = [session(1), session(2)];
  const legOfUp = dialedLegId('ch1');
  const legOfGone = dialedLegId('ch2');
  const stranger = dialedLegId('ch-of-a-live-session');
  const f = fakes();
  const result = await settleOrphans(orphans, { channels: new Set(['ch1', legOfUp, legOfGone, stranger, 'other']), bridges: [] }, { port: f.port, end: f.end, logger });
  assert.deepEqual(result, { hungUp: 1, gone: 1, failedWrites: 0, bridgesDestroyed: 0 });
  assert.deepEqual([...f.hungUp].sort(), ['ch1', legOfGone, legOfUp].sort());
  assert.equal(f.endings.get('s1'), ORPHAN_REASONS.hungUp);
  assert.equal(f.endings.get('s2'), ORPHAN_REASONS.gone);
});

test("the bridges of the settled sessions are destroyed, whether their first leg is up or gone; another session's and foreign bridges are left alone", async () => {
  const orphans = [session(1), session(2), session(3)];
  const ofUp = dialBridgeId('ch1');
  const ofGone = dialBridgeId('ch2');
  const alreadyGone = dialBridgeId('ch3');
  const ofLiveSession = dialBridgeId('ch-of-a-live-session');
  const foreign = 'a3f1c2d4-0000-4000-8000-000000000000';
  const legOfUp = dialedLegId('ch1');
  const f = fakes(undefined, (id) => (id === alreadyGone ? { ok: false, kind: 'not-found', message: 'Bridge not found' } : OK));
  const result = await settleOrphans(orphans, { channels: new Set(['ch1', legOfUp]), bridges: [ofUp, ofGone, alreadyGone, ofLiveSession, foreign] }, { port: f.port, end: f.end, logger });
  assert.deepEqual(result, { hungUp: 1, gone: 2, failedWrites: 0, bridgesDestroyed: 2 });
  assert.deepEqual([...f.destroyed].sort(), [ofUp, ofGone, alreadyGone].sort());
  assert.deepEqual([...f.hungUp].sort(), ['ch1', legOfUp].sort());
  assert.equal(f.endings.get('s2'), ORPHAN_REASONS.gone);
});

test('a bridge Asterisk refuses to destroy does not stop the settlement', async () => {
  const f = fakes(undefined, () => ({ ok: false, kind: 'unavailable', message: 'ECONNREFUSED' }));
  const result = await settleOrphans([session(1)], { channels: new Set(['ch1']), bridges: [dialBridgeId('ch1')] }, { port: f.port, end: f.end, logger });
  assert.deepEqual(result, { hungUp: 1, gone: 0, failedWrites: 0, bridgesDestroyed: 0 });
  assert.equal(f.endings.get('s1'), ORPHAN_REASONS.hungUp);
});

test("bridge ids name their session's first channel; other ids name none", () => {
  const id = dialBridgeId('1796154946.0');
  assert.match(id, /^1796154946\.0-bridge-[0-9a-f]{8}$/);
  assert.equal(firstChannelOfBridge(id), '1796154946.0');
  assert.equal(firstChannelOfBridge('99ed49c2-3f2c-4235-b692-22236358c32a'), undefined);
  assert.equal(firstChannelOfBridge(dialedLegId('x')), undefined);
  assert.equal(firstChannelOfLeg(id), undefined);
});
