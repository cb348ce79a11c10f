// The web console in a real browser (Debian's Chromium driven by playwright-core) against the
// engine on embedded defaults (real server, simulator, SQLite temp file): sign in, place the demo
// call, watch it live, see it end completed with the digit, its timeline, the demo flow's graph
// and a broken flow's validation errors. Every wait is for a DOM state, never a sleep. With
// CONSOLE_SCREENSHOTS=1 (npm run screenshots) it also rewrites the screenshots in docs/screenshots/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { waitUntil } from '../support/wait-until.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { DEMO_FLOW_ID, DEMO_NUMBER_TO_DIAL } from '../../src/demo.js';
import { LIVE_STATES } from '../../src/domain/model.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPO = join(import.meta.dirname, '..', '..');
const SHOTS = join(REPO, 'docs', 'screenshots');
const shot = async (page: Page, name: string, fullPage = true): Promise<void> => {
  if (process.env.CONSOLE_SCREENSHOTS === '1') await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
};
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) to run the console browser tests`;

describe('web console in Chromium', { skip }, () => {
  let e2e: E2E;
  let receiver: Receiver;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];
  /** Every request the page made to the engine's API (not the console's own files). */
  const requests: Request[] = [];
  const apiRequests = (pred: (path: string) => boolean): Request[] => requests.filter((r) => {
    const u = new URL(r.url());
    return !u.pathname.startsWith('/console') && pred(`${u.pathname}${u.search}`);
  });

  before(async () => {
    // The bundle of the sources as they are now (npm install and npm start build it too).
    execFileSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', 'build-console.ts')], { cwd: REPO, stdio: 'inherit' });
    // The demo callee answers; the test presses its digit once it has seen the call live (the
    // demo's own script presses it at once, faster than a page could be looked at). Prompts play
    // in real time: the menu waits for the digit for at least 2 × (prompt + 5 s).
    e2e = await startE2E({ SIM_TIME_SCALE: '1', ALLOW_PRIVATE_DESTINATIONS: 'true' }, { [DEMO_NUMBER_TO_DIAL]: { result: 'answer', answerAfterMs: 200 } });
    // The account's webhook subscription: the session page lists its deliveries.
    receiver = await startReceiver();
    const hook = await e2e.request('POST', '/webhooks', { body: { url: `${receiver.url}/hook` } });
    assert.equal(hook.status, 201, hook.text);
    profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 860 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
        '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('request', (r) => requests.push(r));
  });

  after(async () => {
    await context?.close();
    await e2e?.close();
    await receiver?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('sign in, place the demo call, watch it live, see it end completed with its digit and timeline', async () => {
    const res = await page.goto(`${e2e.base}/console/`);
    assert.equal(res?.status(), 200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);

    await page.getByLabel('Token').fill(e2e.token());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Live calls' }).waitFor();
    assert.equal(await page.evaluate<boolean>("location.href.includes('eyJ')"), false, 'the token is never in the URL');

    await page.getByRole('link', { name: 'Place a call' }).first().click();
    await page.locator(`select#f-flow option[value="${DEMO_FLOW_ID}"]`).waitFor({ state: 'attached' });
    await page.getByLabel('Number to dial').fill(DEMO_NUMBER_TO_DIAL);
    await page.getByRole('button', { name: 'Call' }).click();
    await page.waitForURL(/#\/sessions\//);
    const sessionId = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
    const sessionUrl = page.url();

    // Live: in progress, waiting in the menu.
    await page.locator('[data-testid="session-state"][data-state="in-progress"]').waitFor();
    await page.getByText('Step menu (gather) started').waitFor();
    await shot(page, 'session-live');

    // The session page follows the session's event stream, the token in a header, not the URL.
    const sessionStreams = apiRequests((p) => p === `/sessions/${encodeURIComponent(sessionId)}/events`);
    assert.equal(sessionStreams.length, 1, 'one stream for the session page');
    assert.match((await sessionStreams[0]!.allHeaders()).authorization ?? '', /^Bearer eyJ/);

    requests.length = 0;
    await page.getByRole('link', { name: 'Live calls' }).click();
    const row = page.locator('tr', { hasText: DEMO_NUMBER_TO_DIAL });
    await row.filter({ hasText: 'menu (gather)' }).waitFor();
    assert.match(await row.innerText(), /in-progress/);
    await page.locator('[data-testid="live-updated"][data-feed="stream"]').waitFor({ state: 'attached' });
    await shot(page, 'live-calls');

    // The callee presses 1, as the demo callee does.
    const session = await e2e.request('GET', `/sessions/${sessionId}`);
    const dtmf = await fetch(`${e2e.sim.url}/sim/channels/${encodeURIComponent(session.body.channelId)}/dtmf`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ digits: '1' }),
    });
    assert.equal(dtmf.status, 204);

    // The live list follows GET /events: the next step shows, then the ended call leaves the list,
    // with no request but the one list load (a query per live state) and the one stream.
    await row.filter({ hasText: 'yes (playback)' }).waitFor();
    await row.waitFor({ state: 'detached' });
    const streams = apiRequests((p) => p === '/events');
    assert.equal(streams.length, 1, 'one GET /events for the life of the live page');
    assert.match((await streams[0]!.allHeaders()).authorization ?? '', /^Bearer eyJ/);
    assert.equal(apiRequests((p) => p.startsWith('/sessions?state=')).length, LIVE_STATES.length, 'the list loaded once, then updated from events, not polled');
    assert.equal(requests.some((r) => r.url().includes('eyJ')), false, 'the token is in no URL');

    await page.goto(sessionUrl);
    await page.locator('[data-testid="session-state"][data-state="completed"]').waitFor();
    await page.getByText('Digit 1 pressed').waitFor();
    await page.getByText('Gathered "1": input').waitFor();
    const choice = page.locator('tr', { has: page.locator('td', { hasText: /^choice$/ }) });
    assert.equal((await choice.locator('td').nth(1).innerText()).trim(), '1');
    const entries = await page.locator('ol.timeline > li').allInnerTexts();
    const states = entries.filter((t) => /State: /.test(t)).map((t) => /State: (\S+)/.exec(t)?.[1]);
    assert.deepEqual(states.filter((s) => s !== 'queued'), ['dialing', 'ringing', 'in-progress', 'completed']);
    // The terminal event is in the outbox with the end: the page lists its delivery.
    await page.locator('tr', { hasText: /session\.ended #\d+/ }).filter({ hasText: `${receiver.url}/hook` }).waitFor();
    const detail = await e2e.request('GET', `/sessions/${sessionId}`);
    if (Array.isArray(detail.body.legs)) await page.getByRole('heading', { name: 'Legs' }).waitFor();
    await shot(page, 'session-timeline');

    await page.getByRole('link', { name: 'History' }).click();
    await page.getByLabel('State').selectOption('completed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/state=completed/);
    await page.locator('tr', { hasText: DEMO_NUMBER_TO_DIAL }).first().waitFor();
    await shot(page, 'history');
  });

  test('the demo flow in the editor; a broken edit shows the validation errors on the drawing', async () => {
    await page.goto(`${e2e.base}/console/#/flows`);
    await page.getByRole('link', { name: 'Demo reminder' }).click();
    const nodes = page.locator('svg.flow-canvas g.canvas-node');
    await nodes.nth(4).waitFor();
    assert.equal(await nodes.count(), 5);
    const exits = await page.locator('svg.flow-canvas [data-step="menu"] g.exit').evaluateAll((gs) => gs.map((g) => `${g.getAttribute('data-exit')}>${g.getAttribute('data-target') ?? ''}`));
    assert.deepEqual(exits, ['branches 1>yes', 'branches 2>no', '+ branches>', 'noInput>bye', 'noMatch>bye', 'next>']);
    assert.equal(await page.locator('svg.flow-canvas path.canvas-edge').count(), 7, 'hello then menu, four of the menu, yes and no next, none of bye');
    await shot(page, 'flow-graph');

    const doc = JSON.parse(await page.locator('#flow-json').inputValue()) as { steps: Array<Record<string, unknown>> };
    doc.steps[2]!.next = 'nowhere';
    await page.locator('#flow-json').fill(JSON.stringify(doc, null, 2));
    await page.getByTestId('validation-status').getByText('UnknownStepTarget').waitFor();
    await page.locator('svg.flow-canvas g.canvas-node.invalid[data-step="yes"]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save as a new version' }).isDisabled(), true);
    await shot(page, 'flow-invalid');

    // A step after the hangup that nothing leads to: the domain's reachability check marks it.
    doc.steps[2]!.next = 'bye';
    doc.steps.push({ id: 'orphan', type: 'hangup' });
    await page.locator('#flow-json').fill(JSON.stringify(doc, null, 2));
    await page.locator('svg.flow-canvas g.canvas-node.unreachable[data-step="orphan"]').waitFor();
    await page.getByTestId('validation-status').getByText('UnreachableStep').waitFor();
  });

  test('the Simulate panel runs a preset and all presets on the virtual clock, marking the drawing', async () => {
    await page.goto(`${e2e.base}/console/#/flows`);
    await page.getByRole('link', { name: 'Demo reminder' }).click();
    await page.locator('svg.flow-canvas g.canvas-node').nth(4).waitFor();
    requests.length = 0;
    await page.getByLabel('Callee', { exact: true }).selectOption({ label: 'answers and presses 1 after the prompt' });
    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.locator('[data-testid="sim-state"][data-state="completed"]').waitFor();
    assert.equal((await page.getByTestId('sim-path').innerText()).trim(), 'hello → menu → yes → bye');
    const choice = page.getByTestId('sim-result').locator('tr', { has: page.locator('td', { hasText: /^choice$/ }) });
    assert.equal((await choice.locator('td').nth(1).innerText()).trim(), '1');
    await page.getByTestId('sim-result').getByText('Digit 1 pressed').waitFor();
    assert.equal(await page.locator('svg.flow-canvas g.canvas-node.visited').count(), 4, 'the four steps of the path are marked');
    assert.deepEqual(apiRequests((p) => p.endsWith('/simulate')).map((r) => new URL(r.url()).pathname), [`/flows/${DEMO_FLOW_ID}/simulate`], 'the unchanged flow runs as saved');

    await page.getByRole('button', { name: 'Run all presets' }).click();
    const summary = page.getByTestId('sim-coverage-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /Coverage: \d of 5 steps reached by the presets/);
    const unreached = await page.locator('svg.flow-canvas g.canvas-node.not-covered').evaluateAll((ns) => ns.map((n) => n.getAttribute('data-step')));
    assert.match(await summary.innerText(), unreached.length > 0 ? new RegExp(`not reached: ${unreached.join(', ')}`) : /every step reached/);
    // Per exit: the branches no preset took are marked on the drawing and listed.
    const notTaken = await page.locator('svg.flow-canvas g.exit.not-taken').evaluateAll((gs) => gs.map((g) => `${g.closest('[data-step]')?.getAttribute('data-step')} ${g.getAttribute('data-exit')}`));
    assert.ok(notTaken.length > 0 && notTaken.length < 7, `some exits not taken: ${notTaken.join(', ')}`);
    const exitSummary = await page.getByTestId('sim-exit-coverage').innerText();
    for (const e of notTaken) assert.ok(exitSummary.includes(e), `${e} listed in ${exitSummary}`);
    await shot(page, 'flow-simulate');

    // An edit not saved yet: the edited document is what runs.
    const doc = JSON.parse(await page.locator('#flow-json').inputValue()) as { name: string };
    doc.name = 'Demo reminder (edited)';
    await page.locator('#flow-json').fill(JSON.stringify(doc, null, 2));
    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.getByText('Ran the edited, unsaved document.').waitFor();
    assert.ok(apiRequests((p) => p === '/flows/simulate').length === 1, 'the unsaved document goes to POST /flows/simulate');
  });

  test('the Simulate panel takes a custom script with a dialed party: the dial\'s branch, its leg and bridge in the timeline', async () => {
    const doc = {
      name: 'Connect an agent',
      steps: [
        { id: 'connect', type: 'dial', to: '+13125550001', variable: 'dialed', onAnswered: 'done', onBusy: 'sorry' },
        { id: 'done', type: 'hangup' },
        { id: 'sorry', type: 'playback', media: ['sound:busy'] },
      ],
    };
    await page.locator('#flow-json').fill(JSON.stringify(doc, null, 2));
    await page.getByLabel('Callee script (JSON)').fill(JSON.stringify({ dialed: { '+13125550001': { answerAfterMs: 1500, hangupAfterMs: 2000 } } }));
    assert.equal(await page.getByLabel('Callee', { exact: true }).inputValue(), 'custom', 'an edited script is a custom one');
    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.locator('[data-testid="sim-state"][data-state="completed"]').waitFor();
    assert.equal((await page.getByTestId('sim-path').innerText()).trim(), 'connect → done');
    const result = page.getByTestId('sim-result');
    await result.getByText('Dialing +13125550001 (Simulated/+13125550001)').waitFor();
    await result.getByText('Dialed party answered').waitFor();
    await result.getByText('Bridge destroyed').waitFor();
    await result.getByText(/^Dial ended: answered/).waitFor();
    await result.getByText('tone:ring (on the bridge)').waitFor();

    await page.getByLabel('Callee script (JSON)').fill(JSON.stringify({ dialed: { default: { result: 'busy' } } }));
    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.getByTestId('sim-path').getByText('connect → sorry').waitFor();

    // A bad script: the API's field error in the panel (the browser logs the 400 it answered).
    const before = pageErrors.length;
    await page.getByLabel('Callee script (JSON)').fill(JSON.stringify({ dialed: { agent: {} } }));
    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.getByTestId('sim-output').getByText(/script\.dialed\.agent: not a number a dial step can reach/).waitFor();
    await waitUntil(() => pageErrors.length > before, { message: 'the browser reporting the 400' });
    assert.deepEqual(pageErrors.splice(before).map((e) => /status of 400/.test(e)), [true]);
  });

  test('names are shown as text, the page fits a phone, and nothing broke the CSP', async () => {
    const evil = await e2e.request('POST', '/flows', { body: { name: '<img src=x id=injected>', steps: [{ id: 'bye', type: 'hangup' }] } });
    assert.equal(evil.status, 201, evil.text);
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${e2e.base}/console/#/flows`);
    await page.getByRole('link', { name: '<img src=x id=injected>' }).waitFor();
    assert.equal(await page.locator('#injected').count(), 0);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok(overflow <= 0, `no sideways scrolling of the page at phone width (${overflow}px)`);
    await page.goto(`${e2e.base}/console/#/live`);
    await page.getByRole('heading', { name: 'Live calls' }).waitFor();
    await shot(page, 'phone-live', false);
    assert.deepEqual(pageErrors, []);
  });

  test('a SystemAdministrator picks the account to act on', async () => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Not signed in: Invalid token').waitFor();
    await page.getByLabel('Token').fill(e2e.token({ roles: ['SystemAdministrator'], accountId: 'ops', sub: 'admin' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Live calls' }).waitFor();
    await page.getByRole('link', { name: 'Flows' }).click();
    await page.getByText('No flows yet.').waitFor();
    await page.getByLabel('Account').fill('demo');
    await page.getByRole('button', { name: 'Switch' }).click();
    await page.getByRole('link', { name: 'Demo reminder' }).waitFor();
    await page.getByText('account demo').waitFor();
    // The refused token's 401 is the only error the page logged.
    assert.deepEqual(pageErrors.filter((m) => !m.includes('401')), []);
  });

  test('the stream refused at the per-account cap: the page says so and polls instead', async () => {
    const capped = await startE2E({ EVENT_STREAMS_PER_ACCOUNT: '1' });
    const held = new AbortController();
    const tab = await context.newPage();
    try {
      // The account's one stream, held open by someone else.
      const other = await fetch(`${capped.base}/events`, { headers: { authorization: `Bearer ${capped.token()}` }, signal: held.signal });
      assert.equal(other.status, 200);
      let polls = 0;
      const polled = tab.waitForRequest((r) => r.url().includes('/sessions?state=queued') && ++polls === 2, { timeout: 20_000 });
      await tab.goto(`${capped.base}/console/`);
      await tab.getByLabel('Token').fill(capped.token());
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.getByRole('status').getByText(/live updates unavailable \(.*event streams open.*\): refreshing every 1 s/).waitFor();
      await tab.locator('[data-testid="live-updated"][data-feed="polling"]').waitFor({ state: 'attached' });
      await polled;
    } finally {
      held.abort();
      await tab.close();
      await capped.close();
    }
  });
});
