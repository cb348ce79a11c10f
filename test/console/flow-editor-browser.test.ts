// The flow editor in a real browser (Debian's Chromium driven by playwright-core) against the
// engine on embedded defaults: the demo-like flow built from an empty one by real pointer
// gestures (mouse down, move, up), saved, and called through the simulator; an exit reconnected
// and the JSON following; undo/redo; a validation error pinned on a step while drawing; the
// same flow built with the keyboard only; a step type added by a test build appearing in the
// palette with its form. Every wait is for a DOM state, never a sleep.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { buildConsole } from '../../scripts/build-console.js';
import { waitUntil } from '../support/wait-until.js';
import { seriousViolations } from '../support/axe.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPO = join(import.meta.dirname, '..', '..');
const SHOTS = join(REPO, 'docs', 'screenshots');
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) to run the console browser tests`;
/** Generous: two cores shared by a whole team's builds and tests. */
const T = 60_000;
const CALLEE = '+13125550142';

interface Doc { name: string; steps: Array<Record<string, unknown>> }

describe('flow editor in Chromium', { skip }, () => {
  let e2e: E2E;
  let browser: Browser;
  let page: Page;
  let fixtureDir: string;
  /** The flow the first test draws and saves (version 1). */
  let drawnFlowId = '';
  const pageErrors: string[] = [];

  before(async () => {
    await buildConsole();
    e2e = await startE2E({ SIM_TIME_SCALE: '1' }, { [CALLEE]: { result: 'answer', answerAfterMs: 200 } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(T);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${e2e.base}/console/`);
    await page.getByLabel('Token').fill(e2e.token());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Live calls' }).waitFor();
    fixtureDir = mkdtempSync(join(tmpdir(), 'console-fixture-'));
  });

  after(async () => {
    await browser?.close();
    await e2e?.close();
    if (fixtureDir) rmSync(fixtureDir, { recursive: true, force: true });
  });

  const json = async (): Promise<Doc> => JSON.parse(await page.locator('#flow-json').inputValue()) as Doc;
  const waitJson = (what: string, pred: (d: Doc) => boolean): Promise<Doc> => waitUntil(async () => {
    try {
      const doc = await json();
      return pred(doc) ? doc : false;
    } catch {
      return false;
    }
  }, { message: `the JSON: ${what}`, timeoutMs: T });
  const centre = async (selector: string): Promise<{ x: number; y: number }> => {
    const box = await page.locator(selector).boundingBox();
    assert.ok(box, `${selector} is on the page`);
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  };
  /** A real drag: press, move in steps, release. */
  const drag = async (from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> => {
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
    await page.mouse.move(to.x, to.y, { steps: 4 });
    await page.mouse.up();
  };
  const canvasPoint = async (dx: number, dy: number): Promise<{ x: number; y: number }> => {
    const box = await page.locator('svg.flow-canvas').boundingBox();
    assert.ok(box);
    return { x: box.x + dx, y: box.y + dy };
  };
  const node = (id: string): string => `svg.flow-canvas g.canvas-node[data-step="${id}"]`;
  const handle = (id: string, exit: string): string => `svg.flow-canvas [data-handle="${id}:${exit}"]`;

  async function dropStep(type: string, dx: number, dy: number): Promise<void> {
    await drag(await centre(`button.palette-item[data-type="${type}"]`), await canvasPoint(dx, dy));
  }

  test('the demo flow built from an empty flow by drag and drop, saved, and a call with it completes with the digit', async () => {
    await page.goto(`${e2e.base}/console/#/flows/new`);
    await page.locator('svg.flow-canvas').waitFor();
    await dropStep('playback', 110, 80);
    await page.locator(node('playback1')).waitFor();
    // Drawn without its media: the domain validator's error is pinned on the step as it is drawn.
    await page.locator(`${node('playback1')}.invalid .error-pin`).waitFor();
    assert.match(await page.locator(`${node('playback1')} > title`).textContent() ?? '', /1 error: steps\[0\]\.media is required/);
    await page.getByRole('button', { name: /^playback1, playback step, start step, 1 error/ }).waitFor();
    await dropStep('gather', 340, 80);
    await dropStep('say', 570, 60);
    await dropStep('hangup', 570, 300);
    await page.locator(node('hangup1')).waitFor();

    // Exits dragged onto steps: playback → gather, two branches of the gather, say → hangup.
    await drag(await centre(handle('playback1', 'then')), await centre(node('gather1')));
    await waitJson('playback1.next = gather1', (d) => d.steps[0]?.next === 'gather1');
    await drag(await centre(handle('gather1', '+ branches')), await centre(node('say1')));
    await waitJson('branch 1 to say1', (d) => JSON.stringify(d.steps[1]?.branches) === '{"1":"say1"}');
    await drag(await centre(handle('gather1', '+ branches')), await centre(node('hangup1')));
    await waitJson('branch 2 to hangup1', (d) => JSON.stringify(d.steps[1]?.branches) === '{"1":"say1","2":"hangup1"}');
    await drag(await centre(handle('say1', 'then')), await centre(node('hangup1')));
    await waitJson('say1.next = hangup1', (d) => d.steps[2]?.next === 'hangup1');
    // A step dragged somewhere else keeps its exits.
    await drag(await centre(`${node('hangup1')} .node-id`), await canvasPoint(420, 330));

    // The forms, generated from the definitions.
    await page.locator(`${node('playback1')} .node-id`).click();
    await page.getByLabel('media 1').fill('sound:hello-world');
    await page.locator(`${node('playback1')}:not(.invalid)`).waitFor();
    await page.locator(`${node('gather1')} .node-id`).click();
    await page.getByLabel('variable', { exact: true }).fill('choice');
    await page.getByLabel('maxDigits').fill('1');
    await page.locator(`${node('say1')} .node-id`).click();
    await page.getByLabel('digits', { exact: true }).fill('{{choice}}');
    await page.getByText('Valid flow.').waitFor();
    const built = await json();
    assert.deepEqual(built.steps, [
      { id: 'playback1', type: 'playback', next: 'gather1', media: ['sound:hello-world'] },
      { id: 'gather1', type: 'gather', branches: { 1: 'say1', 2: 'hangup1' }, variable: 'choice', maxDigits: 1 },
      { id: 'say1', type: 'say', next: 'hangup1', digits: '{{choice}}' },
      { id: 'hangup1', type: 'hangup' },
    ]);
    if (process.env.CONSOLE_SCREENSHOTS === '1') await page.screenshot({ path: join(SHOTS, 'flow-editor.png'), fullPage: false });

    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByTestId('saved').waitFor();
    await page.waitForURL(/#\/flows\/[^n]/);
    const flowId = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
    drawnFlowId = flowId;
    const stored = await e2e.request('GET', `/flows/${flowId}`);
    assert.equal(stored.status, 200);
    assert.deepEqual(stored.body.document.steps.map((s: { id: string }) => s.id), ['playback1', 'gather1', 'say1', 'hangup1']);

    // "Call me" from the editor: the saved drawing runs on a real (simulated) call.
    await page.getByLabel('Your number').fill(CALLEE);
    await page.getByRole('button', { name: 'Call me' }).click();
    await page.getByTestId('call-me-result').getByRole('link', { name: 'watch the call' }).click();
    await page.waitForURL(/#\/sessions\//);
    await page.getByText('Step gather1 (gather) started').waitFor();
    const sessionId = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
    const session = await e2e.request('GET', `/sessions/${sessionId}`);
    const dtmf = await fetch(`${e2e.sim.url}/sim/channels/${encodeURIComponent(session.body.channelId)}/dtmf`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ digits: '1' }),
    });
    assert.equal(dtmf.status, 204);
    await page.locator('[data-testid="session-state"][data-state="completed"]').waitFor();
    const choice = page.locator('tr', { has: page.locator('td', { hasText: /^choice$/ }) });
    assert.equal((await choice.locator('td').nth(1).innerText()).trim(), '1');
    await page.getByText('Step say1 (say) started').waitFor();

    // Reconnecting an exit: branch 2 dragged from the hangup onto the say; the JSON follows; undo, redo.
    await page.goto(`${e2e.base}/console/#/flows/${encodeURIComponent(flowId)}`);
    await page.locator(node('hangup1')).waitFor();
    await drag(await centre(handle('gather1', 'branches 2')), await centre(node('say1')));
    await waitJson('branch 2 reconnected to say1', (d) => (d.steps[1]?.branches as Record<string, string>)['2'] === 'say1');
    await page.getByRole('button', { name: 'Undo' }).click();
    await waitJson('undo: branch 2 back to hangup1', (d) => (d.steps[1]?.branches as Record<string, string>)['2'] === 'hangup1');
    await page.getByRole('button', { name: 'Redo' }).click();
    await waitJson('redo: branch 2 to say1', (d) => (d.steps[1]?.branches as Record<string, string>)['2'] === 'say1');
    // The keyboard's undo from a step of the drawing.
    await page.locator(node('say1')).focus();
    await page.keyboard.press('Control+z');
    await waitJson('Ctrl+Z: branch 2 back to hangup1', (d) => (d.steps[1]?.branches as Record<string, string>)['2'] === 'hangup1');

    // The JSON edited: the drawing follows at once.
    const doc = await json();
    doc.steps[2]!.id = 'thanks';
    (doc.steps[1]!.branches as Record<string, string>)['1'] = 'thanks';
    await page.locator('#flow-json').fill(JSON.stringify(doc, null, 2));
    await page.locator(node('thanks')).waitFor();
    assert.equal(await page.locator(node('say1')).count(), 0);
    // A target typed wrong in the JSON: the error is pinned on the step.
    (doc.steps[1]!.branches as Record<string, string>)['1'] = 'nowhere';
    await page.locator('#flow-json').fill(JSON.stringify(doc, null, 2));
    await page.locator(`${node('gather1')}.invalid`).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save as a new version' }).isDisabled(), true);
    assert.deepEqual(pageErrors, []);
  });

  test('the editor passes axe-core with no serious or critical violation', async () => {
    assert.ok(drawnFlowId, 'the flow drawn by the first test');
    await page.goto(`${e2e.base}/console/#/flows`);
    await page.goto(`${e2e.base}/console/#/flows/${encodeURIComponent(drawnFlowId)}`);
    await page.locator(`${node('gather1')} .node-id`).click();
    await page.locator('form[data-step-form="gather1"]').waitFor();
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  });

  test('versions: a changed field in the difference of two versions; an old version restored as a new one', async () => {
    assert.ok(drawnFlowId, 'the flow drawn by the first test');
    // Another page first: the same address again would not reload the view.
    await page.goto(`${e2e.base}/console/#/flows`);
    await page.goto(`${e2e.base}/console/#/flows/${encodeURIComponent(drawnFlowId)}`);
    await page.locator(`${node('playback1')} .node-id`).click();
    await page.getByLabel('media 1').fill('sound:beep');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByText('Saved as version 2.').waitFor();
    await page.getByRole('button', { name: 'Restore version 1 as a new version' }).waitFor();
    // Who saved each version: the token's subject, on both rows.
    const versionsTable = page.getByRole('region', { name: 'Versions', exact: true }).locator('table');
    await versionsTable.locator('tbody tr', { hasText: 'e2e-user' }).nth(1).waitFor();
    assert.deepEqual(await versionsTable.locator('thead th').allInnerTexts().then((t) => t.map((x) => x.trim()).slice(0, 5)), ['Version', 'Name', 'Steps', 'Saved', 'Saved by']);
    await page.getByLabel('Compare version').selectOption('1');
    await page.getByLabel('with version').selectOption('2');
    await page.getByRole('button', { name: 'Show the difference' }).click();
    await page.getByTestId('version-diff').getByText('step playback1: media ["sound:hello-world"] → ["sound:beep"]').waitFor();
    if (process.env.CONSOLE_SCREENSHOTS === '1') await page.getByRole('region', { name: 'Versions', exact: true }).screenshot({ path: join(SHOTS, 'flow-versions.png') });

    await page.getByRole('button', { name: 'Restore version 1 as a new version' }).click();
    await page.getByText('Version 1 restored as version 3.').waitFor();
    await waitJson('the restored document in the editor', (d) => JSON.stringify(d.steps[0]?.media) === '["sound:hello-world"]');
    const stored = await e2e.request('GET', `/flows/${drawnFlowId}`);
    assert.equal(stored.body.version, 3);
    assert.deepEqual(stored.body.document.steps[0].media, ['sound:hello-world']);
  });

  test('media fields suggest the engine\'s sounds as you type; "Listen" plays a say text from the engine\'s TTS in the page', async () => {
    await page.goto(`${e2e.base}/console/#/flows`);
    await page.locator('a[href="#/flows/new"]').click();
    await page.locator('svg.flow-canvas').waitFor();
    await page.getByRole('button', { name: 'Add playback' }).click();
    await page.locator('form[data-step-form="playback1"]').waitFor();
    const media = page.getByLabel('media 1');
    await media.fill('sound:demo');
    const suggested = (): Promise<string[]> => page.evaluate<string[]>('[...document.querySelectorAll("#engine-sounds option")].map((o) => o.value)');
    await waitUntil(async () => JSON.stringify(await suggested()) === JSON.stringify(['sound:demo-congrats', 'sound:demo-echotest', 'sound:demo-instruct', 'sound:demo-thanks']),
      { message: 'the simulator\'s demo-* sounds suggested', timeoutMs: T });
    assert.equal(await media.getAttribute('list'), 'engine-sounds');
    await media.fill('sound:nothing-like-it');
    await page.getByTestId('sounds-status').getByText('No sound of Asterisk matches "nothing-like-it"').waitFor();
    // Free text stays allowed: a sound Asterisk does not list is kept as typed.
    await media.fill('sound:custom/welcome');
    await waitJson('the typed sound kept', (d) => JSON.stringify(d.steps[0]?.media) === '["sound:custom/welcome"]');

    await page.getByRole('button', { name: 'Add say' }).click();
    await page.locator('form[data-step-form="say1"]').waitFor();
    await page.getByLabel('text', { exact: true }).fill('Hello {{name}}, welcome to the console.');
    await page.getByLabel('language', { exact: true }).fill('en-US');
    await page.getByRole('button', { name: 'Listen to say1 text' }).click();
    const player = page.locator('#step-1-text-listen-audio');
    const playable = '((a) => !a.hidden && a.src.startsWith("blob:") && a.readyState >= 1 && a.duration > 0.5 && a.error === null)(document.getElementById("step-1-text-listen-audio"))';
    await waitUntil(() => page.evaluate<boolean>(playable),
      { message: 'the preview\'s audio loaded from a blob URL with a duration', timeoutMs: T });
    assert.equal(await player.getAttribute('aria-label'), 'Preview of say1 text');
    if (process.env.CONSOLE_SCREENSHOTS === '1') {
      await page.locator('#step-1-text-listen-audio').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, 'flow-editor-listen.png'), fullPage: false });
    }
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
    assert.deepEqual(pageErrors, []);
  });

  test('the keyboard alone builds the same flow', async () => {
    await page.goto(`${e2e.base}/console/#/flows`);
    // The list may hold a flow saved under the default name "New flow": the toolbar's link is the one to /flows/new.
    await page.locator('a[href="#/flows/new"]').click();
    await page.locator('svg.flow-canvas').waitFor();
    const add = async (type: string): Promise<void> => {
      await page.getByRole('button', { name: `Add ${type}` }).focus();
      await page.keyboard.press('Enter');
      await page.locator(`form[data-step-form="${type}1"]`).waitFor();
    };
    const pick = async (label: string, value: string): Promise<void> => {
      const select = page.getByLabel(label, { exact: true });
      await select.focus();
      await select.selectOption(value);
    };
    const type = async (label: string, text: string): Promise<void> => {
      await page.getByLabel(label, { exact: true }).focus();
      await page.keyboard.type(text);
    };
    await add('playback');
    await type('media 1', 'sound:hello-world');
    await add('gather');
    await add('say');
    await add('hangup');
    // Back to a step on the drawing: focus it, Enter opens its form.
    await page.locator(node('playback1')).focus();
    await page.keyboard.press('Enter');
    await page.locator('form[data-step-form="playback1"]').waitFor();
    await pick('next goes to', 'gather1');
    await page.locator(node('gather1')).focus();
    await page.keyboard.press('Enter');
    await page.locator('form[data-step-form="gather1"]').waitFor();
    await pick('New branches entry goes to', 'say1');
    await page.getByRole('button', { name: 'Add branches entry' }).focus();
    await page.keyboard.press('Enter');
    await pick('New branches entry goes to', 'hangup1');
    await page.getByRole('button', { name: 'Add branches entry' }).focus();
    await page.keyboard.press('Enter');
    await type('variable', 'choice');
    await type('maxDigits', '1');
    await page.locator(node('say1')).focus();
    await page.keyboard.press('Enter');
    await type('digits', '{{choice}}');
    await pick('next goes to', 'hangup1');
    await page.getByText('Valid flow.').waitFor();
    assert.deepEqual((await json()).steps, [
      { id: 'playback1', type: 'playback', next: 'gather1', media: ['sound:hello-world'] },
      { id: 'gather1', type: 'gather', branches: { 1: 'say1', 2: 'hangup1' }, variable: 'choice', maxDigits: 1 },
      { id: 'say1', type: 'say', next: 'hangup1', digits: '{{choice}}' },
      { id: 'hangup1', type: 'hangup' },
    ]);
    // A step deleted from the keyboard takes the exits that led to it.
    await page.locator(node('hangup1')).focus();
    await page.keyboard.press('Delete');
    await waitJson('hangup1 gone with its exits', (d) => d.steps.length === 3 && d.steps[2]?.next === undefined);
    assert.deepEqual((await json()).steps[1]!.branches, { 1: 'say1' });
  });

  test('a step type added to the step table (a test build) gets a palette entry and a working form', async () => {
    await buildConsole(fixtureDir, { stepsModule: join(REPO, 'test', 'console', 'fixtures', 'steps-with-beep.ts') });
    const bundle = readFileSync(join(fixtureDir, 'assets', 'console.js'));
    await page.route('**/console/assets/console.js', (route) => route.fulfill({ body: bundle, contentType: 'text/javascript' }));
    try {
      await page.goto(`${e2e.base}/console/#/flows/new`);
      await page.reload();
      await dropStep('beep', 200, 100);
      await page.locator(`${node('beep1')}.invalid`).waitFor();
      await page.locator(`${node('beep1')} .node-id`).click();
      assert.equal(await page.getByLabel('times *').getAttribute('max'), '5');
      await page.getByLabel('times *').fill('9');
      await page.locator('[data-field="times"] .field-error').getByText('steps[0].times must be from 1 to 5').waitFor();
      await page.getByLabel('times *').fill('3');
      await page.getByLabel('pitch').selectOption({ label: 'high' });
      await dropStep('hangup', 200, 300);
      await drag(await centre(handle('beep1', 'onDone')), await centre(node('hangup1')));
      await waitJson('beep1 with its fields and exit', (d) => JSON.stringify(d.steps[0]) === '{"id":"beep1","type":"beep","times":3,"pitch":"high","onDone":"hangup1"}');
      await page.getByText('Valid flow.').waitFor();
    } finally {
      await page.unroute('**/console/assets/console.js');
    }
  });
});
