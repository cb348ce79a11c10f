// Pure rules of the event machinery: outbound URL policy, signatures with their replay window,
// the retry schedule, event ids and the event JSON replayed from a timeline.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isMetadataAddress, isPrivateAddress, resolveAllowed, urlProblem } from '../../src/events/outbound-url.js';
import { sign, signStandard, standardSecret, verify } from '../../src/events/signature.js';
import { Webhook } from 'standardwebhooks';
import { retryDelay, DEFAULT_RETRY } from '../../src/events/delivery-worker.js';
import { eventId, eventsOfTimeline, parseEventId, wants } from '../../src/events/event-model.js';
import type { Session } from '../../src/domain/model.js';

describe('outbound URL policy', () => {
  test('private, loopback, link-local, CGNAT, metadata and mapped addresses are refused; public ones pass', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00:ec2::254', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      assert.equal(isPrivateAddress(a), true, a);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPrivateAddress(a), false, a);
  });

  test('URLs: http(s) only, no credentials, no private literal or localhost unless allowed', () => {
    assert.equal(urlProblem('https://example.com/hook', false), undefined);
    assert.match(urlProblem('ftp://example.com', false) ?? '', /http/);
    assert.match(urlProblem('https://user:pw@example.com', false) ?? '', /credentials/);
    assert.match(urlProblem('http://127.0.0.1:8080/x', false) ?? '', /private/);
    assert.match(urlProblem('http://[::1]/x', false) ?? '', /private/);
    assert.match(urlProblem('http://localhost/x', false) ?? '', /private/);
    assert.match(urlProblem('http://169.254.169.254/latest/meta-data', false) ?? '', /metadata/);
    assert.equal(urlProblem('http://127.0.0.1:8080/x', true), undefined);
    assert.match(urlProblem(`https://example.com/${'a'.repeat(2100)}`, false) ?? '', /2048/);
  });

  test('after resolution: a name resolving to loopback is refused unless allowed', async () => {
    await assert.rejects(resolveAllowed(new URL('http://localhost:9/x'), false), /loopback, private/);
    const pinned = await resolveAllowed(new URL('http://127.0.0.1:9/x'), true);
    assert.equal(pinned.address, '127.0.0.1');
  });

  test('metadata addresses in every spelling, refused even with private destinations allowed', () => {
    for (const a of ['169.254.169.254', '169.254.170.2', '169.254.170.23', '168.63.129.16', '100.100.100.200', '192.0.0.192', '169.254.0.23',
      'fd00:ec2::254', 'FD00:EC2:0:0:0:0:0:254', 'fd00:ec2::23', 'fd20:ce::254', 'fd00:c1::a9fe:a9fe',
      '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1']) {
      assert.equal(isMetadataAddress(a), true, a);
      assert.equal(isPrivateAddress(a), true, `${a} is private too`);
    }
    for (const a of ['10.0.0.1', '169.254.1.1', '8.8.8.8', '::1', 'fd00:ec2::1', '::ffff:8.8.8.8']) assert.equal(isMetadataAddress(a), false, a);
    for (const u of ['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://[::ffff:169.254.169.254]/x.wav', 'http://2852039166/',
      'http://0xa9fea9fe/', 'http://169.254.169.254./', 'http://metadata.google.internal/computeMetadata/v1/', 'http://METADATA.GOOG./', 'http://100.100.100.200/']) {
      assert.match(urlProblem(u, true) ?? '', /metadata/, u);
    }
    assert.equal(urlProblem('http://10.0.0.1/x.wav', true), undefined, 'private networks stay open to labs');
  });

  test('after resolution: a name resolving to a metadata address is refused even with private destinations allowed', async () => {
    const resolver = (address: string) => async () => [{ address: '10.0.0.7', family: 4 }, { address, family: address.includes(':') ? 6 : 4 }];
    await assert.rejects(resolveAllowed(new URL('http://imds.lab.test/'), true, resolver('169.254.169.254')), /metadata/);
    await assert.rejects(resolveAllowed(new URL('http://imds.lab.test/'), true, resolver('fd00:ec2::254')), /metadata/);
    await assert.rejects(resolveAllowed(new URL('http://imds.lab.test/'), true, resolver('::ffff:169.254.169.254')), /metadata/);
    const lab = await resolveAllowed(new URL('http://pbx.lab.test/'), true, async () => [{ address: '10.0.0.7', family: 4 }]);
    assert.equal(lab.address, '10.0.0.7');
  });
});

describe('signatures', () => {
  const secret = 'whsec_test_secret_0123456789';
  const body = '{"id":"evt_x_1"}';
  test('verify accepts its signature within the window, refuses a tampered body, another secret or an old timestamp', () => {
    const ts = 1_800_000_000;
    const header = sign(secret, ts, body);
    assert.match(header, /^v1=[0-9a-f]{64}$/);
    assert.equal(verify(secret, header, String(ts), body, ts + 10), true);
    assert.equal(verify(secret, header, String(ts), `${body} `, ts), false);
    assert.equal(verify('whsec_other_secret_0123456789', header, String(ts), body, ts), false);
    assert.equal(verify(secret, header, String(ts), body, ts + 301), false, 'outside the replay window');
    assert.equal(verify(secret, header, String(ts + 1), body, ts), false, 'the timestamp is signed');
    assert.equal(verify(secret, undefined, String(ts), body, ts), false);
  });

  test('Standard Webhooks: whsec_ base64 secrets key with their bytes, any other secret with its UTF-8 bytes', () => {
    const ts = Math.floor(Date.now() / 1000);
    const canonical = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    // Secrets generated before they were standard base64 (base64url: - and _), and chosen ones.
    for (const s of [canonical, 'whsec_AbC-dEf_GhIjKlMnOpQrStUvWxYz0123', secret, 'short but sixteen+ é']) {
      const header = signStandard(s, 'evt_x_1', ts, body);
      assert.match(header, /^v1,[A-Za-z0-9+/]{43}=$/);
      const headers = { 'webhook-id': 'evt_x_1', 'webhook-timestamp': String(ts), 'webhook-signature': header };
      assert.deepEqual(new Webhook(standardSecret(s)).verify(body, headers), { id: 'evt_x_1' }, s);
      assert.throws(() => new Webhook(standardSecret(s)).verify(body, { ...headers, 'webhook-id': 'evt_x_2' }), 'the id is signed');
    }
    assert.equal(standardSecret(canonical), canonical);
    assert.equal(standardSecret(secret), `whsec_${Buffer.from(secret).toString('base64')}`);
  });
});

describe('retry schedule', () => {
  test('doubles from the base, capped, with bounded jitter', () => {
    const exact = { ...DEFAULT_RETRY, jitter: 0 };
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelay(n, exact)), [1000, 2000, 4000, 8000, 16000]);
    assert.equal(retryDelay(30, exact), DEFAULT_RETRY.maxDelayMs);
    assert.equal(retryDelay(1, DEFAULT_RETRY, () => 0), 800);
    assert.equal(retryDelay(1, DEFAULT_RETRY, () => 1), 1200);
  });
});

describe('event model', () => {
  const session: Session = {
    id: '3f0c2b9e-6a1d-4c4f-9e0b-2a7d5c6e8f10', accountId: 'acct', direction: 'outbound', flowId: 'f', flowVersion: 1, numberToDial: '+18144043093',
    callerId: '+12125550100', state: 'completed', channelId: 'c', endpoint: 'e', variables: {}, endReason: 'done',
    dateCreated: '2026-01-01T00:00:00.000Z', dateAnswered: null, dateEnded: null, statusCallback: null, statusCallbackEvents: null,
    ownerId: null, leaseExpires: null,
  };
  test('ids are stable and parse back; subscriptions always get the end', () => {
    const id = eventId(session.id, 7);
    assert.equal(id, 'evt_3f0c2b9e6a1d4c4f9e0b2a7d5c6e8f10_7');
    assert.deepEqual(parseEventId(id), { sessionKey: '3f0c2b9e6a1d4c4f9e0b2a7d5c6e8f10', seq: 7 });
    assert.equal(parseEventId('nope'), undefined);
    assert.equal(wants(['session.answered'], 'session.ended'), true);
    assert.equal(wants(['session.answered'], 'session.queued'), false);
    assert.equal(wants(null, 'session.step.started'), false, 'steps are opt-in');
  });
  test('a replayed timeline gives the events with the snapshot as of each', () => {
    const events = eventsOfTimeline(session, [
      { seq: 1, at: '2026-01-01T00:00:00.000Z', type: 'state', data: { state: 'queued' } },
      { seq: 2, at: '2026-01-01T00:00:01.000Z', type: 'ari.dial', data: { dialstatus: 'RINGING' } },
      { seq: 3, at: '2026-01-01T00:00:02.000Z', type: 'state', data: { state: 'in-progress' } },
      { seq: 4, at: '2026-01-01T00:00:05.000Z', type: 'state', data: { state: 'completed', reason: 'done' } },
    ]);
    assert.deepEqual(events.map((e) => [e.type, e.sequence, e.session.state]), [
      ['session.queued', 1, 'queued'], ['session.answered', 3, 'in-progress'], ['session.ended', 4, 'completed'],
    ]);
    assert.equal(events[2]!.session.dateAnswered, '2026-01-01T00:00:02.000Z');
    assert.equal(events[2]!.session.endReason, 'done');
    assert.equal(events[1]!.session.dateEnded, null);
  });
});
