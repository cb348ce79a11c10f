// Denial of service from the HTTP side, over raw sockets against the engine as `npm start` wires it:
// trickled headers and bodies are cut by the server's own timeouts (its production defaults), while
// other clients are still served; unauthenticated floods get 429 before any token is verified;
// tokens in query strings are refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { HTTP_DEFAULTS } from '../../src/http/server.js';

interface Trickle {
  /** What the server sent before closing (a 408 status line at most). */
  received: string;
  /** True when the server closed while the client still had bytes to send. */
  cutByServer: boolean;
}

/**
 * Sends `head` at once, then `tail` one byte every `everyMs`, and reports how the server ended it.
 * The client never finishes on its own within `maxMs`, so a close before that is the server's doing.
 */
function trickle(port: number, head: string, tail: string, everyMs: number, maxMs: number): Promise<Trickle> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = '';
    let sent = 0;
    let finished = false;
    const timer = setInterval(() => {
      if (sent >= tail.length) return;
      socket.write(tail[sent++] ?? '');
    }, everyMs);
    const giveUp = setTimeout(() => {
      finish();
      reject(new Error(`the server kept a trickling client for ${maxMs} ms; received: ${received.slice(0, 200)}`));
    }, maxMs);
    const finish = (): void => {
      finished = true;
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
    };
    socket.on('data', (chunk) => { received += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (finished) return;
      const cutByServer = sent < tail.length;
      finish();
      resolve({ received, cutByServer });
    });
    socket.connect(port, '127.0.0.1', () => socket.write(head));
  });
}

function statusLine(text: string): string {
  return text.split('\r\n')[0] ?? '';
}

describe('slow clients', { timeout: 60000 }, () => {
  let e2e: E2E;

  before(async () => { e2e = await startE2E(); });
  after(async () => { await e2e?.close(); });

  test('trickled headers and a trickled body are cut by the server (408 or closed) while others are served', async () => {
    const port = e2e.stack.httpPort;
    const token = e2e.token();
    const body = JSON.stringify({ flowId: 'demo-flow', numberToDial: '+18144043093' }).padEnd(900, ' ');
    const originatesBefore = e2e.sim.originateCount();

    // Headers: one byte every 500 ms, never the blank line that ends them.
    const slowHeaders = Array.from({ length: 5 }, () => trickle(port, 'GET /health HTTP/1.1\r\nHost: x\r\n', 'X-Slow: ' + 'a'.repeat(400), 500, HTTP_DEFAULTS.headersTimeoutMs + 10000));
    // Body: complete headers with a valid token, then a 900-byte body at one byte every 500 ms.
    const slowBody = trickle(
      port,
      `POST /sessions/outgoing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
      500,
      HTTP_DEFAULTS.requestTimeoutMs + 10000,
    );

    // Meanwhile the server keeps serving everybody else.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const health = await e2e.request('GET', '/health', { token: null });
      assert.equal(health.status, 200);
      const list = await e2e.request('GET', '/sessions');
      assert.equal(list.status, 200, list.text);
    }

    for (const result of await Promise.all(slowHeaders)) {
      assert.ok(result.cutByServer, 'the server, not the client, ended the trickled headers');
      assert.ok(result.received === '' || /^HTTP\/1\.1 408 /.test(result.received), `headers: ${statusLine(result.received)}`);
    }
    const bodyResult = await slowBody;
    assert.ok(bodyResult.cutByServer, 'the server, not the client, ended the trickled body');
    assert.ok(bodyResult.received === '' || /^HTTP\/1\.1 (408|400) /.test(bodyResult.received), `body: ${statusLine(bodyResult.received)}`);
    assert.equal(e2e.sim.originateCount(), originatesBefore, 'an incomplete body placed no call');
  });

  test('tokens in the query string are refused, even valid ones and even beside a valid header', async () => {
    const token = e2e.token();
    for (const name of ['access_token', 'token', 'jwt', 'id_token']) {
      const bare = await e2e.request('GET', `/sessions?${name}=${token}`, { token: null });
      assert.equal(bare.status, 401, `${name}: ${bare.text}`);
      assert.ok(!bare.text.includes(token), 'the error does not echo the token');
      assert.equal(typeof bare.body.responseStatus?.message, 'string');
      const withHeader = await e2e.request('GET', `/sessions?${name}=${token}`);
      assert.equal(withHeader.status, 401, `${name} beside a header: ${withHeader.text}`);
    }
    const before = e2e.sim.originateCount();
    const post = await e2e.request('POST', `/sessions/outgoing?access_token=${token}`, { token: null, body: { flowId: 'demo-flow', numberToDial: '+18144043093' } });
    assert.equal(post.status, 401);
    assert.equal(e2e.sim.originateCount(), before);
  });
});

describe('an unauthenticated flood', { timeout: 30000 }, () => {
  const LIMIT = 30;
  let e2e: E2E;

  before(async () => { e2e = await startE2E({ UNAUTHENTICATED_PER_MINUTE: String(LIMIT) }); });
  after(async () => { await e2e?.close(); });

  test('is answered 429 with Retry-After past the limit, before any token is verified; probes stay up', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const res = await e2e.request('GET', '/sessions', { token: i % 2 === 0 ? null : `not.a.jwt${i}` });
      statuses.push(res.status);
    }
    assert.deepEqual([...new Set(statuses)], [401], 'the first requests are judged on their tokens');

    const flood = await Promise.all(Array.from({ length: 200 }, (_, i) => e2e.request('POST', '/sessions/outgoing', {
      token: i % 3 === 0 ? null : `eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.${i}`,
      body: { flowId: 'demo-flow', numberToDial: '+18144043093' },
    })));
    for (const res of flood) {
      assert.equal(res.status, 429, res.text);
      assert.ok(Number(res.headers.get('retry-after')) >= 1, `Retry-After: ${res.headers.get('retry-after')}`);
      assert.equal(res.body.responseStatus.errorCode.length > 0, true);
    }
    // A well-signed token from the flooding address is refused too: the limit is checked before
    // any signature work, so a flood of tokens costs no HMAC or RSA.
    const valid = await e2e.request('GET', '/sessions');
    assert.equal(valid.status, 429);
    const health = await e2e.request('GET', '/health', { token: null });
    assert.equal(health.status, 200, 'liveness is never rate limited');
    const ready = await e2e.request('GET', '/ready', { token: null });
    assert.equal(ready.status, 200, 'readiness is never rate limited');
  });
});
