// `npm run token` mints a token the API accepts, and refuses what it cannot sign.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mintToken, TokenArgumentError } from '../../scripts/token.js';
import { HTTP_TEST_SECRET, startHttpHarness, type HttpHarness } from '../support/http-harness.js';

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/token.ts', ...args], { env: { PATH: process.env.PATH, ...env } }, (err, stdout, stderr) => {
      const code = err && typeof err.code === 'number' ? err.code : err ? 1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('scripts/token.ts', () => {
  let h: HttpHarness;
  before(async () => { h = await startHttpHarness(); });
  after(async () => { await h.close(); });

  test('the command prints a token signed with JWT_SECRET that the API accepts', async () => {
    const out = await runCli(['--role', 'SystemAdministrator', '--account', 'acme', '--sub', 'ops', '--expires', '10m'], { JWT_SECRET: HTTP_TEST_SECRET });
    assert.equal(out.code, 0, out.stderr);
    const token = out.stdout.trim();
    assert.equal((await h.request('GET', '/flows', { token })).status, 200);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual(claims.roles, ['SystemAdministrator']);
    assert.equal(claims.sub, 'ops');
    assert.equal(Number(claims.exp) - Number(claims.iat), 600);
    const bad = await runCli(['--account', 'acme'], { JWT_SECRET: HTTP_TEST_SECRET });
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /--role is required/);
  });

  test('without JWT_SECRET it warns that the demo secret is public', async () => {
    const demo = mintToken(['--role', 'Manager', '--account', 'demo'], {});
    assert.ok(demo.token);
    assert.match(demo.notes.join('\n'), /PUBLIC demo secret/);
    assert.equal((await h.request('GET', '/flows', { token: demo.token })).status, 401, 'the demo secret is not this engine\'s secret');
  });

  test('bad arguments and asymmetric setups are refused with a reason', () => {
    const env = { JWT_SECRET: HTTP_TEST_SECRET };
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--role', 'Manager'], env, /--account/],
      [['--role', 'Manager', '--account', 'x y'], env, /--account/],
      [['--role', 'Manager', '--account', 'a', '--expires', 'soon'], env, /--expires/],
      [['--role', 'Manager', '--account', 'a', '--bogus'], env, /bogus/],
      [['--role', 'Manager', '--account', 'a'], { JWT_SECRET: 'short' }, /32 characters/],
      [['--role', 'Manager', '--account', 'a'], { JWT_ALGORITHM: 'RS256' }, /private key/],
    ];
    for (const [args, e, message] of cases) {
      assert.throws(() => mintToken(args, e), (err: unknown) => err instanceof TokenArgumentError && message.test(err.message), args.join(' '));
    }
    assert.match(mintToken(['--role', 'Viewer', '--account', 'a'], env).notes.join(), /roles the API does not know: Viewer/);
  });
});
