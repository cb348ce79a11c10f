// /console over real HTTP: the redirect to the trailing slash, the CSP on every file, 404 and 503
// in the ResponseStatus shape. A temp folder stands in for the built bundle (dist/console).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { consoleRoutes } from '../../src/http/console-routes.js';
import { negotiateFormat } from '../../src/http/respond.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';

describe('console routes', () => {
  let dir: string;
  let built: RunningHttpServer;
  let missing: RunningHttpServer;
  const base = (s: RunningHttpServer): string => `http://127.0.0.1:${s.port}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-routes-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'assets', 'console.js'), 'export {};');
    const app = (folder: string): express.Express => {
      const a = express();
      a.use(negotiateFormat);
      a.use(consoleRoutes(folder));
      return a;
    };
    built = await startHttpServer(app(dir), { port: 0, host: '127.0.0.1', httpKeepAliveTimeoutMs: 65_000 });
    missing = await startHttpServer(app(join(dir, 'absent')), { port: 0, host: '127.0.0.1', httpKeepAliveTimeoutMs: 65_000 });
  });
  after(async () => {
    await built?.close();
    await missing?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('/console redirects to /console/, which serves the page under a strict CSP', async () => {
    const redirect = await fetch(`${base(built)}/console`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/console/');
    const page = await fetch(`${base(built)}/console/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(d), d);
    assert.doesNotMatch(csp, /unsafe/);
    const js = await fetch(`${base(built)}/console/assets/console.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.equal(js.headers.get('content-security-policy'), csp);
  });

  test('an unknown file is a 404 and an unbuilt console a 503, both in the ResponseStatus shape', async () => {
    const notFound = await fetch(`${base(built)}/console/assets/nope.js`);
    assert.equal(notFound.status, 404);
    assert.equal(((await notFound.json()) as { responseStatus: { errorCode: string } }).responseStatus.errorCode, 'NotFound');
    const dotfile = await fetch(`${base(built)}/console/.env`);
    assert.equal(dotfile.status, 404);
    const unbuilt = await fetch(`${base(missing)}/console/`);
    assert.equal(unbuilt.status, 503);
    const body = (await unbuilt.json()) as { responseStatus: { errorCode: string; message: string } };
    assert.equal(body.responseStatus.errorCode, 'ConsoleNotBuilt');
    assert.match(body.responseStatus.message, /npm run build:console/);
  });
});
