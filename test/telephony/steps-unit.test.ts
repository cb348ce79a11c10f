// Unit tests of the flow steps against a scripted port: staged playback, the gather timer rules,
// say/branch/set/pause/record/hangup, and cancellation by a hangup.
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { FakePort, type FakePortOptions } from '../support/telephony-fake-port.js';
import { CallMedia } from '../../src/telephony/call-media.js';
import { execStep } from '../../src/telephony/steps/index.js';
import { playMedia } from '../../src/telephony/steps/media.js';
import { sayMedia } from '../../src/telephony/steps/say.js';
import type { StepContext } from '../../src/telephony/steps/types.js';
import type { GatherStep } from '../../src/domain/flow.js';
import { CallAborted } from '../../src/telephony/wait.js';

const CHANNEL = 'chan-1';

interface Harness {
  port: FakePort;
  ctx: StepContext;
  abort: AbortController;
  events: Array<{ type: string; data: Record<string, unknown> }>;
  vars: Record<string, string>;
}

// Every timer here (the steps' timeouts, the fake port's media and digits) runs on a mocked
// clock that moves 1 ms per turn of the event loop, once everything runnable has run: timers fire
// in the order of their due times however slow the machine, so margins of a few ms hold.
let driving = false;
async function driveClock(): Promise<void> {
  while (driving) {
    await new Promise((resolve) => setImmediate(resolve));
    if (driving) mock.timers.tick(1);
  }
}

let harnesses: Harness[] = [];
beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout'] });
  driving = true;
  void driveClock();
});
afterEach(() => {
  for (const h of harnesses) {
    h.abort.abort('test over');
    h.port.dispose();
  }
  harnesses = [];
  driving = false;
  mock.timers.reset();
});

function harness(opts: FakePortOptions = {}, timing: Partial<StepContext['timing']> = {}): Harness {
  const port = new FakePort(opts);
  const media = new CallMedia();
  port.onEvent((e) => media.handle(e));
  const abort = new AbortController();
  const events: Harness['events'] = [];
  const vars: Record<string, string> = {};
  let n = 0;
  const ctx: StepContext = {
    sessionId: 's-1',
    channelId: CHANNEL,
    port,
    media,
    signal: abort.signal,
    timing: { playbackStartTimeoutMs: 200, playbackMaxMs: 2000, recordingGraceMs: 200, ...timing },
    logger: pino({ level: 'silent' }),
    variables: () => ({ ...vars }),
    setVariable: (name, value) => { vars[name] = value; },
    timeline: (...[type, data]) => { events.push({ type, data }); },
    newId: (kind) => `${kind}-${++n}`,
    // The two-leg steps run through the call session (test/e2e/dial-calls.test.ts).
    dial: () => Promise.reject(new Error('not a two-leg harness')),
    transfer: () => Promise.reject(new Error('not a two-leg harness')),
  };
  const h = { port, ctx, abort, events, vars };
  harnesses.push(h);
  // A hangup aborts the flow, as the call session does.
  port.onEvent((e) => { if (e.type === 'hangup-request' || e.type === 'channel-destroyed') abort.abort('far end hung up'); });
  return h;
}

describe('playback', () => {
  test('plays the media as one playback with an engine-chosen id and continues', async () => {
    const h = harness();
    const result = await execStep({ id: 'p', type: 'playback', media: ['sound:hello-world', 'sound:thank-you'] }, h.ctx);
    assert.deepEqual(result, { kind: 'next' });
    const [[channel, playbackId, media]] = h.port.ops('play') as [[string, string, string[]]];
    assert.equal(channel, CHANNEL);
    assert.equal(playbackId, 'playback-1');
    assert.deepEqual(media, ['sound:hello-world', 'sound:thank-you']);
    assert.deepEqual(h.events.map((e) => e.type), ['playback.started', 'playback.finished']);
    assert.equal(h.ctx.media.size(), 0, 'no registration left behind');
  });

  test('PlaybackStarted/Finished arriving before the REST answer are not missed', async () => {
    const h = harness({ mediaMs: () => 0 });
    const result = await playMedia(h.ctx, ['sound:beep']);
    assert.deepEqual(result, { kind: 'done' });
  });

  test('a playback that finishes in state failed (missing sound) fails the step, distinct from done', async () => {
    const h = harness({ playbackOutcome: () => 'failed' });
    const result = await execStep({ id: 'p', type: 'playback', media: ['sound:does-not-exist'] }, h.ctx);
    assert.equal(result.kind, 'failed');
    assert.match(result.kind === 'failed' ? result.reason : '', /playback failed: sound:does-not-exist/);
  });

  test('a playback that never starts fails after the start timeout', async () => {
    const h = harness({ playbackOutcome: () => 'silent' }, { playbackStartTimeoutMs: 50 });
    const result = await playMedia(h.ctx, ['sound:x']);
    assert.equal(result.kind, 'failed');
    assert.match(result.kind === 'failed' ? result.reason : '', /did not start/);
  });

  test('an unknown-scheme playback that starts and never finishes fails after the finish timeout, and is stopped', async () => {
    const h = harness({ playbackOutcome: () => 'never' }, { playbackMaxMs: 60 });
    const result = await playMedia(h.ctx, ['foo:bar']);
    assert.equal(result.kind, 'failed');
    assert.match(result.kind === 'failed' ? result.reason : '', /did not finish/);
    assert.equal(h.port.ops('stopPlayback').length, 1);
  });

  test('play answered 404 (channel gone) interrupts the flow instead of failing it', async () => {
    const h = harness({ playResult: () => ({ ok: false, kind: 'not-found', message: 'Channel not found' }) });
    await assert.rejects(playMedia(h.ctx, ['sound:x']), CallAborted);
  });

  test('play refused for another reason fails the step with the reason', async () => {
    const h = harness({ playResult: () => ({ ok: false, kind: 'failed', message: 'Failed to queue media for playback' }) });
    const result = await playMedia(h.ctx, ['sound:x']);
    assert.equal(result.kind, 'failed');
    assert.match(result.kind === 'failed' ? result.reason : '', /Failed to queue media/);
  });

  test('a far-end hangup mid-playback rejects the wait with CallAborted', async () => {
    const h = harness({ mediaMs: () => 5000 });
    h.port.onPlay = () => h.port.later(20, () => h.port.farEndHangup(CHANNEL));
    await assert.rejects(execStep({ id: 'p', type: 'playback', media: ['sound:long'] }, h.ctx), CallAborted);
    assert.equal(h.ctx.media.size(), 0);
  });
});

describe('gather timer rules', () => {
  const base: GatherStep = { id: 'g', type: 'gather', variable: 'choice', timeoutMs: 300, interDigitTimeoutMs: 150 };

  /** Presses digits `gapMs` apart, starting `afterMs` after the trigger. */
  const press = (h: Harness, digits: string, afterMs = 10, gapMs = 10): void => {
    [...digits].forEach((d, i) => h.port.later(afterMs + i * gapMs, () => h.port.dtmf(CHANNEL, d)));
  };
  const input = (h: Harness) => h.events.find((e) => e.type === 'gather.input')?.data;

  test('rule 1: digits pressed during the prompt count, and the first one stops the prompt (barge-in)', async () => {
    const h = harness({ mediaMs: () => 2000 });
    h.port.onPlay = () => press(h, '7', 20);
    const result = await execStep({ ...base, prompt: ['sound:menu'], maxDigits: 1 }, h.ctx);
    assert.deepEqual(result, { kind: 'next' });
    assert.equal(h.vars.choice, '7');
    assert.equal(h.port.ops('stopPlayback').length, 1, 'the prompt was stopped');
    assert.equal(h.port.playbacks[0]?.stopped, true);
  });

  test('rule 2: the first-digit timeout counts from the end of the prompt, not from its start', async () => {
    // The prompt lasts 400 ms, longer than the 300 ms timeout; the digit comes 100 ms after it ends.
    const h = harness({ mediaMs: () => 400 });
    h.port.onPlaybackFinished = () => press(h, '5', 100);
    await execStep({ ...base, prompt: ['sound:menu'], maxDigits: 1 }, h.ctx);
    assert.equal(h.vars.choice, '5');
    assert.equal(input(h)?.end, 'max-digits');
  });

  test('rule 2: without any digit the gather ends on the first-digit timeout (no input)', async () => {
    const h = harness();
    const result = await execStep({ ...base, maxDigits: 3, noInput: 'bye' }, h.ctx);
    assert.deepEqual(result, { kind: 'next', stepId: 'bye' });
    assert.equal(input(h)?.end, 'timeout');
    assert.equal(input(h)?.outcome, 'no-input');
    assert.equal(h.vars.choice, '');
  });

  test('rule 3: after a digit the inter-digit timeout ends the input', async () => {
    const h = harness();
    press(h, '12', 10, 20);
    await execStep({ ...base, timeoutMs: 5000, interDigitTimeoutMs: 120, maxDigits: 6 }, h.ctx);
    assert.equal(h.vars.choice, '12');
    assert.equal(input(h)?.end, 'inter-digit-timeout');
  });

  test('rule 3: each digit restarts the inter-digit timeout', async () => {
    const h = harness();
    // Gaps of 80 ms, each shorter than the 150 ms inter-digit timeout: all four digits are in.
    press(h, '1234', 10, 80);
    await execStep({ ...base, maxDigits: 10 }, h.ctx);
    assert.equal(h.vars.choice, '1234');
  });

  test('rule 4: finishOnKey ends the input at once and is not part of the digits', async () => {
    const h = harness();
    press(h, '42#9', 10, 10);
    await execStep({ ...base, finishOnKey: '#', maxDigits: 10, interDigitTimeoutMs: 5000, timeoutMs: 5000 }, h.ctx);
    assert.equal(h.vars.choice, '42');
    assert.equal(input(h)?.end, 'finish-key');
  });

  test('rule 5: maxDigits ends the input at once; later digits are dropped', async () => {
    const h = harness();
    press(h, '123', 10, 10);
    await execStep({ ...base, maxDigits: 2, finishOnKey: '#', interDigitTimeoutMs: 5000, timeoutMs: 5000 }, h.ctx);
    assert.equal(h.vars.choice, '12');
    assert.equal(input(h)?.end, 'max-digits');
  });

  test('rule 6: finishOnKey wins over maxDigits when it comes first', async () => {
    const h = harness();
    press(h, '1#', 10, 10);
    await execStep({ ...base, maxDigits: 3, finishOnKey: '#', interDigitTimeoutMs: 5000 }, h.ctx);
    assert.equal(h.vars.choice, '1');
    assert.equal(input(h)?.end, 'finish-key');
  });

  test('rule 7: branches pick the target; no match after the last attempt goes to noMatch', async () => {
    const matched = harness();
    press(matched, '2');
    assert.deepEqual(await execStep({ ...base, maxDigits: 1, branches: { '1': 'yes', '2': 'no' } }, matched.ctx), { kind: 'next', stepId: 'no' });

    const unmatched = harness();
    press(unmatched, '9');
    const result = await execStep({ ...base, maxDigits: 1, branches: { '1': 'yes' }, noMatch: 'bye' }, unmatched.ctx);
    assert.deepEqual(result, { kind: 'next', stepId: 'bye' });
    assert.equal(unmatched.vars.choice, '9');
  });

  test('rule 7: attempts replay the prompt after no input, then noInput', async () => {
    const h = harness();
    const result = await execStep({ ...base, timeoutMs: 40, prompt: ['sound:menu'], attempts: 3, noInput: 'bye' }, h.ctx);
    assert.deepEqual(result, { kind: 'next', stepId: 'bye' });
    assert.equal(h.port.ops('play').length, 3);
    assert.deepEqual(h.events.filter((e) => e.type === 'gather.input').map((e) => e.data.attempt), [1, 2, 3]);
  });

  test('rule 7: a valid answer on the second attempt is taken', async () => {
    const h = harness();
    let plays = 0;
    h.port.onPlay = () => { plays += 1; if (plays === 2) press(h, '1', 5); };
    const result = await execStep({ ...base, timeoutMs: 60, prompt: ['sound:menu'], maxDigits: 1, attempts: 2, branches: { '1': 'yes' }, noInput: 'bye' }, h.ctx);
    assert.deepEqual(result, { kind: 'next', stepId: 'yes' });
  });

  test('a DTMF flood is bounded: the gather keeps maxDigits and the rest is dropped', async () => {
    const h = harness();
    for (let i = 0; i < 1000; i++) h.port.dtmf(CHANNEL, String(i % 10));
    h.ctx.media.startCollecting();
    for (let i = 0; i < 1000; i++) h.port.dtmf(CHANNEL, String(i % 10));
    assert.ok(h.ctx.media.takeDigits().length <= 64);
    h.ctx.media.stopCollecting();
    assert.ok(h.ctx.media.droppedDigits >= 1000);
  });

  test('a hangup mid-gather interrupts it', async () => {
    const h = harness();
    h.port.later(30, () => h.port.farEndHangup(CHANNEL));
    await assert.rejects(execStep({ ...base, timeoutMs: 5000 }, h.ctx), CallAborted);
    assert.equal(h.ctx.media.size(), 0);
  });

  test('a failed prompt fails the gather', async () => {
    const h = harness({ playbackOutcome: () => 'failed' });
    const result = await execStep({ ...base, prompt: ['sound:does-not-exist'] }, h.ctx);
    assert.equal(result.kind, 'failed');
  });
});

describe('other steps', () => {
  test('say renders the template and keeps only speakable characters', () => {
    assert.deepEqual(sayMedia({ id: 's', type: 'say', digits: '{{code}}' }, { code: '12,sound:x#' }), ['digits:12#']);
    assert.deepEqual(sayMedia({ id: 's', type: 'say', number: '{{n}}' }, { n: '42' }), ['number:42']);
    assert.deepEqual(sayMedia({ id: 's', type: 'say', number: '{{n}}' }, { n: '4,2' }), []);
    assert.deepEqual(sayMedia({ id: 's', type: 'say', characters: 'ab-c' }, {}), ['characters:abc']);
  });

  test('say with nothing to say continues without playing', async () => {
    const h = harness();
    assert.deepEqual(await execStep({ id: 's', type: 'say', digits: '{{missing}}' }, h.ctx), { kind: 'next' });
    assert.equal(h.port.ops('play').length, 0);
  });

  test('branch goes to the case, else the default, else on', async () => {
    const h = harness();
    h.vars.choice = '1';
    assert.deepEqual(await execStep({ id: 'b', type: 'branch', variable: 'choice', cases: { '1': 'yes' }, default: 'bye' }, h.ctx), { kind: 'next', stepId: 'yes' });
    h.vars.choice = '3';
    assert.deepEqual(await execStep({ id: 'b', type: 'branch', variable: 'choice', cases: { '1': 'yes' }, default: 'bye' }, h.ctx), { kind: 'next', stepId: 'bye' });
    assert.deepEqual(await execStep({ id: 'b', type: 'branch', variable: 'choice', cases: { '1': 'yes' } }, h.ctx), { kind: 'next' });
  });

  test('set renders a template into a variable', async () => {
    const h = harness();
    h.vars.name = 'Ada';
    await execStep({ id: 's', type: 'set', variable: 'greeting', value: 'hi {{name}}' }, h.ctx);
    assert.equal(h.vars.greeting, 'hi Ada');
  });

  test('pause waits, and a hangup cuts it short', async () => {
    const h = harness();
    assert.deepEqual(await execStep({ id: 'p', type: 'pause', ms: 10 }, h.ctx), { kind: 'next' });
    h.port.later(10, () => h.port.farEndHangup(CHANNEL));
    await assert.rejects(execStep({ id: 'p', type: 'pause', ms: 60_000 }, h.ctx), CallAborted);
  });

  test('record stores the recording name in the variable', async () => {
    const h = harness();
    assert.deepEqual(await execStep({ id: 'r', type: 'record', variable: 'msg', maxDurationMs: 1000 }, h.ctx), { kind: 'next' });
    assert.equal(h.vars.msg, 'recording-1');
    const [[, opts]] = h.port.ops('record') as [[string, Record<string, unknown>]];
    assert.equal(opts.format, 'wav');
    assert.equal(opts.maxDurationSeconds, 1);
  });

  test('hangup ends the flow', async () => {
    const h = harness();
    assert.deepEqual(await execStep({ id: 'h', type: 'hangup' }, h.ctx), { kind: 'hangup' });
  });
});
