// Oversized bodies, whatever their size, always get their 413 with a ResponseStatus body before the
// connection closes: over real sockets, clients that keep writing their 1–2 MB body after the
// answer (the case that lost answers to EPIPE), declared or chunked, many at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startHttpHarness, type HttpHarness } from '../support/http-harness.js';

interface Exchange { reply: string; writeError: string | undefined; ms: number }

/** Writes a request whose body is `bodyBytes` long (declared or chunked), reads until the server closes. */
function oversized(port: number, token: string, bodyBytes: number, chunked: boolean): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    let writeError: string | undefined;
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 20 s (${bodyBytes} bytes, ${chunked ? 'chunked' : 'declared'}); got: ${reply.slice(0, 200)}`));
    }, 20_000);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { reply += d; });
    socket.on('error', (err: NodeJS.ErrnoException) => { writeError ??= err.code ?? err.message; });
    socket.on('close', () => {
      clearTimeout(deadline);
      resolve({ reply, writeError, ms: Date.now() - started });
    });
    const body = Buffer.alloc(bodyBytes, 0x61);
    const head = `POST /flows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n`;
    if (chunked) {
      socket.write(`${head}Transfer-Encoding: chunked\r\n\r\n`);
      for (let at = 0; at < bodyBytes; at += 65536) {
        const part = body.subarray(at, at + 65536);
        socket.write(`${part.length.toString(16)}\r\n`);
        socket.write(part);
        socket.write('\r\n');
      }
      socket.end('0\r\n\r\n');
    } else {
      socket.write(`${head}Content-Length: ${bodyBytes}\r\n\r\n`);
      socket.end(body);
    }
  });
}

function assert413(x: Exchange, where: string): void {
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(x.reply)?.[1];
  assert.equal(status, '413', `${where}: answered ${status ?? 'nothing'} (write error ${x.writeError ?? 'none'}): ${x.reply.slice(0, 200)}`);
  const [headers = '', body = ''] = x.reply.split('\r\n\r\n');
  assert.match(headers, /\r\nConnection: close\r\n/i, `${where}: Connection: close`);
  const json = JSON.parse(body) as { responseStatus?: { errorCode?: string; message?: string } };
  assert.equal(json.responseStatus?.errorCode, 'PayloadTooLarge', `${where}: ResponseStatus body`);
  assert.match(json.responseStatus?.message ?? '', /65536 bytes/);
}

describe('oversized bodies: always a 413 with a ResponseStatus before the close', () => {
  let h: HttpHarness;
  before(async () => { h = await startHttpHarness(); });
  after(async () => { await h.close(); });

  test('200 requests with 1–2 MB bodies, declared and chunked, 8 at a time: every one gets its 413', async () => {
    const token = h.token();
    const sizes = Array.from({ length: 200 }, (_, i) => 1024 * 1024 + Math.round(((i * 7919) % 200) / 200 * 1024 * 1024));
    const results: Exchange[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < sizes.length) {
        const i = next++;
        const x = await oversized(h.port, token, sizes[i]!, i % 2 === 1);
        assert413(x, `request ${i} (${sizes[i]} bytes, ${i % 2 === 1 ? 'chunked' : 'declared'})`);
        results.push(x);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.equal(results.length, 200);
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    process.stdout.write(`# oversized: 200 × 1–2 MB → 200 × 413; per exchange median ${ms[100]} ms, max ${ms[199]} ms; write errors ${results.filter((r) => r.writeError).length}\n`);
  });

  test('a body far beyond the lingering bound (40 MB) still gets its 413, and the server stops reading', async () => {
    const x = await oversized(h.port, h.token(), 40 * 1024 * 1024, false);
    assert413(x, '40 MB');
  });

  test('after all that, the server answers normally', async () => {
    const res = await h.request('GET', '/flows');
    assert.equal(res.status, 200, res.text);
  });
});
