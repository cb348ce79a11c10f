// TRUST_PROXY over real HTTP: the per-IP limiter of unauthenticated requests counts the client
// X-Forwarded-For names only when the request comes through a trusted proxy; otherwise the
// header is ignored, so it can neither lock others out nor let a client slip past the limit.
// The test client connects from 127.0.0.1: that is "the proxy" here.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from '../../src/config.js';
import { startHttpHarness, type HttpHarness } from '../support/http-harness.js';

const LIMIT = 2;

describe('TRUST_PROXY and the per-IP limiter', { timeout: 30000 }, () => {
  const harnesses: HttpHarness[] = [];
  after(async () => {
    for (const h of harnesses) await h.close();
  });

  async function harness(trustProxy?: string): Promise<HttpHarness> {
    const h = await startHttpHarness({ UNAUTHENTICATED_PER_MINUTE: String(LIMIT), ...(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }) });
    harnesses.push(h);
    return h;
  }

  /** Status of an unauthenticated request carrying this X-Forwarded-For. */
  async function anonymous(h: HttpHarness, forwardedFor?: string): Promise<number> {
    const res = await h.request('GET', '/flows', { token: null, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } });
    return res.status;
  }

  async function exhaust(h: HttpHarness, forwardedFor: string): Promise<void> {
    for (let i = 0; i < LIMIT; i += 1) assert.equal(await anonymous(h, forwardedFor), 401);
    assert.equal(await anonymous(h, forwardedFor), 429, 'the bad client is limited');
  }

  test('behind a trusted proxy address, one bad client does not lock out the others', async () => {
    const h = await harness('127.0.0.1');
    await exhaust(h, '203.0.113.7');
    assert.equal(await anonymous(h, '198.51.100.9'), 401, 'another client behind the same proxy is still served');
    assert.equal(await anonymous(h, '203.0.113.7'), 429);
  });

  test('a hop count: the entry the last proxy added is the client; what the client wrote before it is not believed', async () => {
    const h = await harness('1');
    await exhaust(h, '10.9.9.9, 203.0.113.7');
    // Changing the spoofable part of the header does not reset the count.
    assert.equal(await anonymous(h, '10.1.1.1, 203.0.113.7'), 429);
    assert.equal(await anonymous(h, '198.51.100.9'), 401);
  });

  test('a chain of trusted proxies (address and CIDR): the first untrusted address from the right is the client', async () => {
    const h = await harness('127.0.0.1, 10.0.0.0/8');
    await exhaust(h, '203.0.113.7, 10.2.3.4');
    assert.equal(await anonymous(h, '203.0.113.7, 10.200.0.1'), 429, 'the same client through another inner proxy');
    assert.equal(await anonymous(h, '203.0.113.7, 198.51.100.9'), 401, '198.51.100.9 is not a proxy: it is the client');
  });

  test('off by default, and from an untrusted peer: X-Forwarded-For is ignored and cannot dodge the limit', async () => {
    for (const h of [await harness(), await harness('10.0.0.0/8')]) {
      assert.equal(await anonymous(h, '203.0.113.1'), 401);
      assert.equal(await anonymous(h, '203.0.113.2'), 401);
      assert.equal(await anonymous(h, '203.0.113.3'), 429, 'every request counts against the peer, 127.0.0.1');
    }
  });

  test('bad TRUST_PROXY values fail at start with a clear message', () => {
    const base = { JWT_SECRET: 'x'.repeat(32) };
    for (const value of ['true', 'proxy.local', '10.0.0.0/33', '10.0.0.1/8/1', '33']) {
      assert.throws(() => loadConfig({ ...base, TRUST_PROXY: value }), (err: unknown) => err instanceof ConfigError && /TRUST_PROXY/.test(err.message), value);
    }
    assert.equal(loadConfig(base).trustProxy, undefined);
    assert.equal(loadConfig({ ...base, TRUST_PROXY: 'false' }).trustProxy, undefined);
    assert.deepEqual(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy, { hops: 2 });
    assert.deepEqual(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8,::1' }).trustProxy, { proxies: ['10.0.0.0/8', '::1'] });
  });
});
