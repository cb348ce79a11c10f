// Unit test of retry.ts's hangUpUnowned: a channel nobody runs is hung up even when ARI answers
// late for a while (an overloaded Asterisk), and not retried for answers a retry cannot change.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hangUpUnowned, type RetryPolicy } from '../../src/telephony/retry.js';
import type { PortResult } from '../../src/telephony/port.js';

const FAST: RetryPolicy = { attempts: 4, initialMs: 1, maxMs: 2 };

/** A port whose hangup answers the given results in turn (the last one from then on). */
function port(results: PortResult[]): { hangup: () => Promise<PortResult>; calls: () => number } {
  let n = 0;
  return {
    hangup: () => Promise.resolve(results[Math.min(n++, results.length - 1)]!),
    calls: () => n,
  };
}
const unavailable: PortResult = { ok: false, kind: 'unavailable', message: 'ARI request timed out' };

describe('hangUpUnowned', () => {
  test('retries while ARI is unavailable, until the hangup goes through', async () => {
    const p = port([unavailable, unavailable, { ok: true, value: undefined }]);
    const res = await hangUpUnowned(p, 'ch-1', 'congestion', FAST, new AbortController().signal);
    assert.equal(res.ok, true);
    assert.equal(p.calls(), 3);
  });

  test('gives up after the policy’s attempts, with the last answer', async () => {
    const p = port([unavailable]);
    const res = await hangUpUnowned(p, 'ch-1', 'normal', FAST, new AbortController().signal);
    assert.deepEqual(res, unavailable);
    assert.equal(p.calls(), FAST.attempts);
  });

  test('a channel already gone is not retried', async () => {
    const p = port([{ ok: false, kind: 'not-found', message: 'Channel not found' }]);
    const res = await hangUpUnowned(p, 'ch-1', 'normal', FAST, new AbortController().signal);
    assert.equal(res.ok, false);
    assert.equal(p.calls(), 1);
  });

  test('stops retrying once the engine stops', async () => {
    const p = port([unavailable]);
    const stopping = new AbortController();
    stopping.abort('engine stopping');
    await hangUpUnowned(p, 'ch-1', 'normal', FAST, stopping.signal);
    assert.equal(p.calls(), 1);
  });
});
