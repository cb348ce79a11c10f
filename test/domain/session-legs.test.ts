// A session's legs, read from its timeline (domain/session-legs.ts): one unit, pure.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { legsOf } from '../../src/domain/session-legs.js';
import type { Session, SessionEvent } from '../../src/domain/model.js';

const base: Session = {
  id: 's', accountId: 'a', direction: 'outbound', flowId: 'f', flowVersion: 1, numberToDial: '+18144043093', callerId: '+12125550100',
  state: 'completed', channelId: 'c1', endpoint: 'PJSIP/+18144043093@trunk', variables: {}, endReason: 'x',
  dateCreated: '2026-01-01T00:00:00.000Z', dateAnswered: '2026-01-01T00:00:01.000Z', dateEnded: '2026-01-01T00:00:09.000Z',
  statusCallback: null, statusCallbackEvents: null, ownerId: null, leaseExpires: null,
};
let seq = 0;
const row = (type: string, data: Record<string, unknown>, second: number): SessionEvent =>
  ({ seq: ++seq, sessionId: 's', at: `2026-01-01T00:00:0${second}.000Z`, type, data });

describe('legs of a session', () => {
  test('the callee, a dialed party that answered and hung up, one that was never made', () => {
    const legs = legsOf(base, [
      row('state', { state: 'ringing' }, 0),
      row('state', { state: 'in-progress' }, 1),
      row('leg.created', { leg: 'c2', role: 'dialed', endpoint: 'PJSIP/phone2', number: '+12025550102' }, 2),
      row('ari.dial', { leg: 'c2', dialstatus: 'RINGING' }, 2),
      row('ari.dial', { leg: 'c2', dialstatus: 'ANSWER' }, 3),
      row('ari.channel-destroyed', { leg: 'c2', cause: 16, causeTxt: 'Normal Clearing' }, 5),
      row('leg.created', { leg: 'c3', role: 'dialed', endpoint: 'PJSIP/phone9', number: '+12025550109' }, 6),
      row('leg.failed', { leg: 'c3', kind: 'failed', message: 'Allocation failed' }, 6),
      // A row written before legs were named concerns the first leg.
      row('ari.channel-destroyed', { cause: 16, causeTxt: 'Normal Clearing' }, 9),
    ]);
    assert.deepEqual(legs.map((l) => [l.channelId, l.role, l.state, l.cause]), [
      ['c1', 'callee', 'ended', 16], ['c2', 'dialed', 'ended', 16], ['c3', 'dialed', 'failed', null],
    ]);
    assert.equal(legs[1]?.dateAnswered, '2026-01-01T00:00:03.000Z');
    assert.equal(legs[1]?.dateEnded, '2026-01-01T00:00:05.000Z');
    assert.equal(legs[2]?.dateAnswered, null);
  });

  test('an inbound caller, transferred: no destroy event, the leg says where it went', () => {
    const legs = legsOf({ ...base, direction: 'inbound', numberToDial: '+12125550100', callerId: '1001', endpoint: 'PJSIP/phone1-00000004' }, [
      row('state', { state: 'ringing' }, 0),
      row('state', { state: 'in-progress' }, 1),
      row('session.transferred', { leg: 'c1', to: '+12025550103', endpoint: 'PJSIP/phone3' }, 4),
    ]);
    assert.equal(legs.length, 1);
    assert.equal(legs[0]?.role, 'caller');
    assert.equal(legs[0]?.number, '1001');
    assert.equal(legs[0]?.state, 'transferred');
    assert.equal(legs[0]?.dateEnded, '2026-01-01T00:00:04.000Z');
  });

  test('a live call: the first leg is up, nothing ended', () => {
    const legs = legsOf({ ...base, state: 'in-progress', dateEnded: null }, [row('state', { state: 'in-progress' }, 1)]);
    assert.equal(legs[0]?.state, 'up');
    assert.equal(legs[0]?.dateEnded, null);
  });
});
