// What the console does besides editing flows, in a real browser (Debian's Chromium driven by
// playwright-core) against the engine on embedded defaults: a live call held, resumed, sent DTMF,
// redirected and ended from its page (each in its timeline); a recording played in the page; a
// phone number with an inbound flow and a webhook added from the console. Every wait is for a
// DOM state, never a sleep. With CONSOLE_SCREENSHOTS=1 it rewrites docs/screenshots/live-controls.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { buildConsole } from '../../scripts/build-console.js';
import { seriousViolations } from '../support/axe.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) to run the console browser tests`;
const T = 60_000;
const CALLEE = '+13125550177';

describe('console: live controls, recordings, numbers and webhooks in Chromium', { skip }, () => {
  let e2e: E2E;
  let receiver: Receiver;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    await buildConsole();
    e2e = await startE2E({ ALLOW_PRIVATE_DESTINATIONS: 'true' }, { [CALLEE]: { result: 'answer', answerAfterMs: 200 } });
    receiver = await startReceiver();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(T);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${e2e.base}/console/`);
    await page.getByLabel('Token').fill(e2e.token());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Live calls' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await e2e?.close();
    await receiver?.close();
  });

  const flows: Record<string, string> = {};
  /** A flow named `name`; its id (the API makes it) kept in `flows`. */
  const flow = async (name: string, steps: unknown[]): Promise<void> => {
    const res = await e2e.request('POST', '/flows', { body: { name, steps } });
    assert.equal(res.status, 201, res.text);
    flows[name] = res.body.id as string;
  };
  const call = async (flowId: string): Promise<string> => {
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: flows[flowId], numberToDial: CALLEE } });
    assert.equal(res.status, 200, res.text);
    return res.body.id as string;
  };
  const timelineEntry = (text: string | RegExp) => page.locator('ol.timeline > li').filter({ hasText: text }).first();

  test('a live call held, resumed, sent DTMF, redirected and ended from its page; each in its timeline', async () => {
    await flow('waiting', [{ id: 'wait', type: 'pause', ms: 600_000 }]);
    await flow('elsewhere', [{ id: 'hello', type: 'playback', media: ['sound:hello-world'] }, { id: 'hold-on', type: 'pause', ms: 600_000 }]);
    const id = await call('waiting');
    await page.goto(`${e2e.base}/console/#/sessions/${encodeURIComponent(id)}`);
    await page.locator('[data-testid="session-state"][data-state="in-progress"]').waitFor();
    await page.getByText('Step wait (pause) started').waitFor();

    await page.getByRole('button', { name: 'Hold' }).click();
    await timelineEntry('Put on hold').waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await timelineEntry('Taken off hold').waitFor();
    await page.getByRole('button', { name: 'Send DTMF 5' }).click();
    await timelineEntry('Digits 5 sent to the far end').waitFor();
    await page.getByLabel('Redirect to flow').selectOption(flows.elsewhere!);
    await page.getByLabel('At step').fill('hold-on');
    await page.getByRole('button', { name: 'Redirect' }).click();
    await timelineEntry(`Redirected to flow ${flows.elsewhere} v1 at step hold-on`).waitFor();
    await page.getByText('Step hold-on (pause) started').waitFor();
    // A redirect the API refuses: its error is shown where it was asked.
    await page.getByLabel('At step').fill('no-such-step');
    await page.getByRole('button', { name: 'Redirect' }).click();
    await page.getByTestId('control-result').getByRole('alert').waitFor();
    assert.match(await page.getByTestId('control-result').innerText(), /no-such-step/);
    if (process.env.CONSOLE_SCREENSHOTS === '1') await page.screenshot({ path: join(SHOTS, 'live-controls.png'), fullPage: true });
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));

    await page.getByRole('button', { name: 'End call' }).click();
    await page.locator('[data-testid="session-state"][data-state="completed"]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Hold' }).isDisabled(), true, 'the controls are off once the call ended');
  });

  test('a recording of the session listed and played in the page', async () => {
    await flow('recorder', [{ id: 'rec', type: 'record', maxDurationMs: 1500, beep: false }, { id: 'bye', type: 'hangup' }]);
    const id = await call('recorder');
    await page.goto(`${e2e.base}/console/#/sessions/${encodeURIComponent(id)}`);
    await page.locator('[data-testid="session-state"][data-state="completed"]').waitFor();
    const play = page.getByRole('button', { name: /^Play / });
    await play.waitFor();
    await play.click();
    const audio = page.getByTestId('recording-audio');
    await audio.waitFor();
    // Loaded from the blob the page fetched with its token: the browser knows its length.
    await page.waitForFunction(`(() => {
      const a = document.querySelector('[data-testid="recording-audio"]');
      return a !== null && a.src.startsWith('blob:') && a.readyState >= 1 && a.duration > 0;
    })()`, undefined, { timeout: T });
  });

  test('a phone number with an inbound flow and a webhook added from the console', async () => {
    await page.getByRole('link', { name: 'Numbers' }).click();
    await page.getByRole('heading', { name: 'Phone numbers' }).waitFor();
    await page.getByLabel('Phone number', { exact: true }).fill('+12125550199');
    await page.getByLabel('Name', { exact: true }).fill('Support line');
    await page.locator(`#new-number-flow option[value="${flows.waiting}"]`).waitFor({ state: 'attached' });
    await page.getByLabel('Inbound flow', { exact: true }).selectOption(flows.waiting!);
    await page.getByRole('button', { name: 'Add number' }).click();
    await page.getByText('Added number +12125550199.').waitFor();
    await page.getByLabel('Name of number +12125550199').waitFor();
    const numbers = await e2e.request('GET', '/phone-numbers');
    const added = numbers.body.items.find((n: { number: string }) => n.number === '+12125550199');
    assert.equal(added?.inboundFlowId, flows.waiting);
    // Edited in its row.
    await page.getByLabel('Inbound flow of number +12125550199').selectOption(flows.elsewhere!);
    await page.getByRole('button', { name: 'Save number +12125550199' }).click();
    await page.getByText('Saved number +12125550199.').waitFor();
    assert.equal((await e2e.request('GET', `/phone-numbers/${added.id}`)).body.inboundFlowId, flows.elsewhere);
    // A bad number: the API's error in the page.
    await page.getByLabel('Phone number', { exact: true }).fill('12');
    await page.getByRole('button', { name: 'Add number' }).click();
    await page.getByRole('alert').waitFor();

    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByLabel('URL', { exact: true }).fill(`${receiver.url}/console-hook`);
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText(`Added the webhook to ${receiver.url}/console-hook.`).waitFor();
    const disable = page.getByRole('button', { name: `Disable the webhook to ${receiver.url}/console-hook` });
    await disable.click();
    await page.getByRole('button', { name: `Enable the webhook to ${receiver.url}/console-hook` }).waitFor();
    const hooks = await e2e.request('GET', '/webhooks');
    assert.equal(hooks.body.items.find((w: { url: string }) => w.url === `${receiver.url}/console-hook`)?.enabled, false);
    await page.getByRole('button', { name: `Deliveries of the webhook to ${receiver.url}/console-hook` }).click();
    await page.getByText('No deliveries yet.').waitFor();
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
    assert.deepEqual(pageErrors, []);
  });
});
