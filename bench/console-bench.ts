// The flow page of the web console: its bundle's size (minified and gzip -9) and its time to
// interactive in Debian's Chromium (playwright-core): from navigation start to the drawing of the
// demo flow with every step, its form-ready JSON and its versions listed, the point a user can
// edit. A fresh page per load (no cache), the engine as `npm start` runs it (built-in simulator).
//   npx tsx bench/console-bench.ts                 (the console as built now)
//   CONSOLE_BUNDLE=/path/console.js npx tsx bench/console-bench.ts   (another build, e.g. before a change)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { buildConsole } from '../scripts/build-console.js';
import { CONSOLE_DIR } from '../src/http/console-routes.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startStack } from '../src/stack.js';
import { summarize } from './lib/stats.js';
import jwt from 'jsonwebtoken';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LOADS = Number(process.env.BENCH_LOADS ?? 15);
const SECRET = 'console-bench-secret-0123456789abcdef-0123';

await buildConsole();
const bundle = process.env.CONSOLE_BUNDLE ? readFileSync(process.env.CONSOLE_BUNDLE) : readFileSync(join(CONSOLE_DIR, 'assets', 'console.js'));
const dir = mkdtempSync(join(tmpdir(), 'console-bench-'));
const stack = await startStack(loadConfig({ JWT_SECRET: SECRET, DATABASE_PATH: join(dir, 'engine.sqlite'), PORT: '0', HOST: '127.0.0.1', DRAIN_TIMEOUT_MS: '0' }), createLogger('silent'));
await stack.ariConnected;
const base = `http://127.0.0.1:${stack.httpPort}`;
const token = jwt.sign({ roles: ['Manager'], accountId: 'demo' }, SECRET, { algorithm: 'HS256', subject: 'bench', expiresIn: '10m' });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const steps = (await (await fetch(`${base}/flows/demo-flow`, { headers: { authorization: `Bearer ${token}` } })).json() as { document: { steps: unknown[] } }).document.steps.length;

const samples: number[] = [];
try {
  for (let i = 0; i < LOADS + 2; i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.addInitScript(`sessionStorage.setItem('engine.console.token', ${JSON.stringify(token)})`);
    const page = await context.newPage();
    await page.route('**/console/assets/console.js', (route) => route.fulfill({ body: bundle, contentType: 'text/javascript' }));
    await page.goto(`${base}/console/#/flows/demo-flow`);
    // Run in the page (typed loosely: this file is compiled without the DOM's declarations).
    const ms = await page.waitForFunction((n: number) => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number }; querySelector(s: string): unknown; getElementById(id: string): { value?: string } | null } }).document;
      const drawn = doc.querySelectorAll('svg.flow-canvas g.canvas-node').length === n;
      const json = doc.getElementById('flow-json')?.value ?? '';
      const versions = doc.querySelector('section[aria-labelledby="versions-h"] table');
      return drawn && json.length > 0 && versions ? performance.now() : false;
    }, steps, { timeout: 60_000, polling: 'raf' }).then(async (h) => Number(await h.jsonValue()));
    if (i >= 2) samples.push(ms); // two warm-up loads: the engine's and the disk's first reads
    await context.close();
  }
} finally {
  await browser.close();
  await stack.stop(0);
  rmSync(dir, { recursive: true, force: true });
}
const s = summarize(samples);
console.log(JSON.stringify({
  bundleBytes: bundle.length, bundleGzipBytes: gzipSync(bundle, { level: 9 }).length,
  timeToInteractiveMs: { loads: s.count, p50: Math.round(s.p50), p95: Math.round(s.p95), max: Math.round(s.max) },
}));
