// Authentication and account selection over real HTTP with real signed (and forged) JWTs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { HTTP_TEST_SECRET, responseStatus, startHttpHarness, type HttpHarness } from '../support/http-harness.js';
import { waitUntil } from '../support/wait-until.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const later = () => Math.floor(Date.now() / 1000) + 600;

describe('JWT authentication (HS256)', () => {
  let h: HttpHarness;
  before(async () => { h = await startHttpHarness(); });
  after(async () => { await h.close(); });

  const get = (token: string | null, headers: Record<string, string> = {}) => h.request('GET', '/flows', { token, headers });

  test('a valid Manager token is accepted', async () => {
    const res = await get(h.token());
    assert.equal(res.status, 200, res.text);
  });

  test('no token, a non-Bearer scheme or a malformed token → 401 with WWW-Authenticate', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Basic dXNlcjpwYXNz' }, { authorization: 'Bearer' }, { authorization: 'Bearer not.a.jwt' }, { authorization: 'Bearer a b' }]) {
      const res = await get(null, headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(responseStatus(res).errorCode, 'Unauthorized');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    }
  });

  test('alg none is refused', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', roles: ['Manager'], accountId: 'acme', exp: later() })}.`;
    assert.equal((await get(token)).status, 401);
  });

  test('a bad signature, another algorithm, expired, not yet valid and no exp are refused', async () => {
    const claims = { sub: 'x', roles: ['Manager'], accountId: 'acme' };
    const cases: Record<string, string> = {
      badSignature: jwt.sign(claims, 'another-secret-another-secret-another', { algorithm: 'HS256', expiresIn: '5m' }),
      hs512: jwt.sign(claims, HTTP_TEST_SECRET, { algorithm: 'HS512', expiresIn: '5m' }),
      expired: jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, HTTP_TEST_SECRET, { algorithm: 'HS256' }),
      notYetValid: jwt.sign(claims, HTTP_TEST_SECRET, { algorithm: 'HS256', expiresIn: '2h', notBefore: '1h' }),
      noExp: jwt.sign(claims, HTTP_TEST_SECRET, { algorithm: 'HS256' }),
      tampered: (() => {
        const [hd, , sig] = h.token().split('.');
        return `${hd}.${b64({ ...claims, accountId: 'other', exp: later() })}.${sig}`;
      })(),
    };
    const messages: Record<string, RegExp> = { expired: /expired/, notYetValid: /not yet valid/, noExp: /exp/ };
    for (const [name, token] of Object.entries(cases)) {
      const res = await get(token);
      assert.equal(res.status, 401, name);
      const expected = messages[name];
      if (expected) assert.match(responseStatus(res).message, expected, name);
      assert.ok(!res.text.includes(token), 'the token is never echoed');
    }
  });

  test('a token accepted once is refused once it has expired (verified tokens are remembered, their expiry is not)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 4;
    const token = jwt.sign({ sub: 'x', roles: ['Manager'], accountId: 'acme', exp }, HTTP_TEST_SECRET, { algorithm: 'HS256' });
    assert.equal((await get(token)).status, 200);
    await waitUntil(() => Date.now() >= exp * 1000, { timeoutMs: 15_000, message: 'the token to expire' });
    const res = await get(token);
    assert.equal(res.status, 401);
    assert.match(responseStatus(res).message, /expired/);
  });

  test('claims of the wrong type are 401; valid claims without a role are 403', async () => {
    for (const claims of [{ roles: 'Manager' }, { roles: [1] }, { roles: undefined }, { roles: { 0: 'Manager' } }, { accountId: 42 }, { accountId: undefined }, { accountId: '../x' }, { sub: undefined }, { sub: 7 }]) {
      const res = await get(h.token(claims));
      assert.equal(res.status, 401, JSON.stringify(claims));
    }
    for (const roles of [[], ['Viewer'], ['manager']]) {
      const res = await get(h.token({ roles }));
      assert.equal(res.status, 403, JSON.stringify(roles));
      assert.equal(responseStatus(res).errorCode, 'Forbidden');
    }
  });

  test('a token in the query string is refused even when valid', async () => {
    for (const name of ['access_token', 'token', 'jwt']) {
      const res = await h.request('GET', `/flows?${name}=${h.token()}`, { token: null });
      assert.equal(res.status, 401, name);
      assert.match(responseStatus(res).message, /header/);
    }
  });

  test('/health and /ready need no token; /ready follows the engine', async () => {
    const health = await h.request('GET', '/health', { token: null });
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await h.request('GET', '/ready', { token: null });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready', ari: true, database: true, reconciled: true });
    h.engine.ready = false;
    try {
      const notReady = await h.request('GET', '/ready', { token: null });
      assert.equal(notReady.status, 503);
      assert.equal(notReady.body.ari, false);
      assert.match(notReady.body.reason, /not connected/);
      assert.ok(notReady.headers.get('retry-after'));
    } finally {
      h.engine.ready = true;
    }
    h.engine.reconciled = false;
    try {
      const reconciling = await h.request('GET', '/ready', { token: null });
      assert.equal(reconciling.status, 503);
      assert.equal(reconciling.body.reconciled, false);
      assert.match(reconciling.body.reason, /reconciling/);
    } finally {
      h.engine.reconciled = true;
    }
  });
});

describe('account selection and isolation', () => {
  let h: HttpHarness;
  before(async () => {
    h = await startHttpHarness();
    await h.seedFlow('acme');
    await h.seedFlow('other');
    await h.seedFlow('other');
  });
  after(async () => { await h.close(); });

  test('a Manager sees their own account only and may not name another', async () => {
    const own = await h.request('GET', '/flows');
    assert.equal(own.body.totalCount, 1);
    const sameNamed = await h.request('GET', '/flows?accountId=acme');
    assert.equal(sameNamed.status, 200);
    for (const req of [{ path: '/flows?accountId=other', headers: {} as Record<string, string> }, { path: '/flows', headers: { 'x-account-id': 'other' } }]) {
      const res = await h.request('GET', req.path, { headers: req.headers });
      assert.equal(res.status, 403, req.path);
    }
  });

  test('a SystemAdministrator acts on the named account (query or header), else their own', async () => {
    const admin = h.token({ roles: ['SystemAdministrator'], accountId: 'acme' });
    assert.equal((await h.request('GET', '/flows', { token: admin })).body.totalCount, 1);
    assert.equal((await h.request('GET', '/flows?accountId=other', { token: admin })).body.totalCount, 2);
    assert.equal((await h.request('GET', '/flows', { token: admin, headers: { 'x-account-id': 'other' } })).body.totalCount, 2);
    assert.equal((await h.request('GET', '/flows?accountId=nobody', { token: admin })).status, 404);
    assert.equal((await h.request('GET', '/flows?accountId=other', { token: admin, headers: { 'x-account-id': 'acme' } })).status, 400);
    assert.equal((await h.request('GET', '/flows?accountId=bad%20id', { token: admin })).status, 400);
  });

  test('a Manager token for a new account works at once, with nothing in it', async () => {
    const res = await h.request('GET', '/flows', { token: h.token({ accountId: 'fresh' }) });
    assert.equal(res.status, 200);
    assert.equal(res.body.totalCount, 0);
  });
});

describe('asymmetric keys, issuer and audience', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let h: HttpHarness;
  before(async () => {
    h = await startHttpHarness({ JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY: publicPem, JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'engine' });
  });
  after(async () => { await h.close(); });

  const claims = { sub: 'x', roles: ['Manager'], accountId: 'acme' };
  const rs = (extra: jwt.SignOptions) => jwt.sign(claims, privateKey, { algorithm: 'RS256', expiresIn: '5m', ...extra });

  test('an RS256 token with the right issuer and audience is accepted', async () => {
    const res = await h.request('GET', '/flows', { token: rs({ issuer: 'https://id.example', audience: 'engine' }) });
    assert.equal(res.status, 200, res.text);
  });

  test('wrong or missing issuer or audience → 401', async () => {
    for (const opts of [{ issuer: 'https://evil.example', audience: 'engine' }, { issuer: 'https://id.example', audience: 'other' }, { audience: 'engine' }, { issuer: 'https://id.example' }]) {
      assert.equal((await h.request('GET', '/flows', { token: rs(opts) })).status, 401, JSON.stringify(opts));
    }
  });

  test('HS/RS confusion: an HS256 token keyed with the public key is refused', async () => {
    const header = b64({ alg: 'HS256', typ: 'JWT' });
    const payload = b64({ ...claims, iss: 'https://id.example', aud: 'engine', exp: later() });
    const sig = createHmac('sha256', publicPem).update(`${header}.${payload}`).digest('base64url');
    assert.equal((await h.request('GET', '/flows', { token: `${header}.${payload}.${sig}` })).status, 401);
  });
});

describe('unauthenticated floods', () => {
  let h: HttpHarness;
  before(async () => { h = await startHttpHarness({ UNAUTHENTICATED_PER_MINUTE: '5' }); });
  after(async () => { await h.close(); });

  test('failed attempts beyond the per-IP limit → 429 before any token check, until the minute passes', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await h.request('GET', '/flows', { token: 'garbage' })).status, 401);
    const limited = await h.request('GET', '/flows', { token: null });
    assert.equal(limited.status, 429);
    assert.equal(responseStatus(limited).errorCode, 'TooManyRequests');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // Cut off before verification: even a valid token waits for the window.
    assert.equal((await h.request('GET', '/flows')).status, 429);
    assert.equal((await h.request('GET', '/health', { token: null })).status, 200);
    h.clock.now += 60_001;
    assert.equal((await h.request('GET', '/flows')).status, 200);
  });
});
