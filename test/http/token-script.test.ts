// `npm run token` mints a token the API accepts, and refuses what it cannot sign.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { HTTP_TEST_SECRET, startHttpHarness, type HttpHarness } from '../support/http-harness.js';

function runToken(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...env };
    execFile(process.execPath, ['--import', 'tsx', 'scripts/token.ts', ...args], { env: childEnv }, (err, stdout, stderr) => {
      const code = err && typeof err.code === 'number' ? err.code : err ? 1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('scripts/token.ts', () => {
  let h: HttpHarness;
  before(async () => { h = await startHttpHarness(); });
  after(async () => { await h.close(); });

  test('a token signed with JWT_SECRET is accepted for the named role and account', async () => {
    const out = await runToken(['--role', 'SystemAdministrator', '--account', 'acme', '--sub', 'ops', '--expires', '10m'], { JWT_SECRET: HTTP_TEST_SECRET });
    assert.equal(out.code, 0, out.stderr);
    const token = out.stdout.trim();
    const res = await h.request('GET', '/flows', { token });
    assert.equal(res.status, 200, res.text);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual(claims.roles, ['SystemAdministrator']);
    assert.equal(claims.sub, 'ops');
    assert.equal(Number(claims.exp) - Number(claims.iat), 600);
  });

  test('without JWT_SECRET it warns that the demo secret is public; bad arguments fail', async () => {
    const demo = await runToken(['--role', 'Manager', '--account', 'demo'], {});
    assert.equal(demo.code, 0);
    assert.match(demo.stderr, /demo secret/i);
    assert.equal((await h.request('GET', '/flows', { token: demo.stdout.trim() })).status, 401, 'the demo secret is not this engine\'s secret');
    for (const args of [['--account', 'demo'], ['--role', 'Manager'], ['--role', 'Manager', '--account', 'x y'], ['--role', 'Manager', '--account', 'a', '--expires', 'soon']]) {
      const out = await runToken(args, { JWT_SECRET: HTTP_TEST_SECRET });
      assert.equal(out.code, 2, args.join(' '));
      assert.equal(out.stdout, '');
    }
    const rs = await runToken(['--role', 'Manager', '--account', 'demo'], { JWT_ALGORITHM: 'RS256' });
    assert.equal(rs.code, 2);
    assert.match(rs.stderr, /private key/);
  });
});
