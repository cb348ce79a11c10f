// Where a new outgoing call goes (src/telephony/ari/placement.ts, docs/scaling.md#placing-calls).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseServer } from '../../src/telephony/ari/placement.js';
import type { ServerHealth } from '../../src/telephony/port.js';

const server = (name: string, liveCalls: number, weight = 1, up = true): ServerHealth => ({ name, liveCalls, weight, up });

describe('chooseServer', () => {
  test('the fewest live calls wins; a server that is down or weighted 0 takes nothing', () => {
    assert.equal(chooseServer([server('a', 3), server('b', 1)], new Map()), 'b');
    assert.equal(chooseServer([server('a', 3), server('b', 1, 1, false)], new Map()), 'a');
    assert.equal(chooseServer([server('a', 3), server('b', 0, 0)], new Map()), 'a');
    assert.equal(chooseServer([server('a', 0, 1, false), server('b', 0, 0)], new Map()), undefined);
  });

  test('weights: live calls per unit of weight', () => {
    // a carries 4 per weight 2 (2 each), b 3 per weight 1: a is less loaded.
    assert.equal(chooseServer([server('a', 4, 2), server('b', 3, 1)], new Map()), 'a');
    // Filling an idle pair weighted 3:1 from nothing gives a three calls for each of b's.
    const live = new Map([['a', 0], ['b', 0]]);
    const last = new Map<string, number>();
    for (let i = 1; i <= 8; i += 1) {
      const chosen = chooseServer([server('a', live.get('a') ?? 0, 3), server('b', live.get('b') ?? 0, 1)], last) as string;
      live.set(chosen, (live.get(chosen) ?? 0) + 1);
      last.set(chosen, i);
    }
    assert.deepEqual(Object.fromEntries(live), { a: 6, b: 2 });
  });

  test('a tie goes to the server chosen least recently: a burst on an idle fleet alternates', () => {
    const last = new Map<string, number>();
    const picks: string[] = [];
    for (let i = 1; i <= 4; i += 1) {
      const chosen = chooseServer([server('a', 0), server('b', 0)], last) as string;
      picks.push(chosen);
      last.set(chosen, i);
    }
    assert.deepEqual(picks, ['a', 'b', 'a', 'b']);
  });
});
