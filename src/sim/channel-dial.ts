// Channels coming up: originate/create, Local and PJSIP progress to the callee script's outcome,
// entering Stasis, the far end's DTMF, inbound calls. Sequences follow the recordings of a real Asterisk 22.
import { randomUUID } from 'node:crypto';
import { ariTimestamp, normalizeEndpoint, parseCallerId, type CallerId } from './ari-format.js';
import type { CalleeScript } from './types.js';
import { ApiError, fail, type Reply, Args } from './rest.js';
import { type Tech, type Dialplan, type Chan, DTMF_DIGITS, LOCAL_OPTION, TRUNK_CONTEXT, PHONE_CONTEXT, DEFAULT_RING_MS, DEFAULT_DTMF_GAP_MS } from './entities.js';
import type { SimAsterisk } from './asterisk.js';
import { life, type Lifecycle } from './lifecycle.js';

export function newId(sim: SimAsterisk): string {
  return `${Math.floor(Date.now() / 1000)}.${sim.idSeq++}`;
}

export function isKnown(sim: SimAsterisk, endpoint: string): boolean {
  const n = normalizeEndpoint(endpoint);
  if (sim.offline.some((r) => r.test(n))) return false;
  return sim.known.some((r) => r.test(n));
}

export function originate(sim: SimAsterisk, args: Args, pathChannelId?: string): Reply {
  const endpoint = args.str('endpoint');
  if (!endpoint) fail(400, 'Endpoint must be specified');
  const app = args.str('app');
  const extension = args.str('extension');
  if (!app && !extension) fail(400, 'Application or extension must be specified');
  const rawTimeout = args.int('timeout') ?? 30;
  const c = allocate(sim, args, endpoint as string, pathChannelId ?? args.str('channelId'), parseCallerId(args.str('callerId')), rawTimeout === 0 ? 30 : rawTimeout);
  const vars = args.vars();
  const snapshot = sim.chanJson(c);
  // Asterisk answers at once with the channel Down; everything else arrives as events.
  sim.clock.after(0, () => {
    if (!c.alive) return;
    if (c.tech === 'Local') progressLocal(sim, c, vars, c.caller);
    else progressPjsip(sim, c);
  });
  return { status: 200, body: snapshot };
}

/** The checks and the channel (Local pair or PJSIP) shared by originate and create. */
export function allocate(sim: SimAsterisk, args: Args, ep: string, channelId: string | undefined, caller: CallerId, timeoutSec: number): Chan {
  const slash = ep.indexOf('/');
  if (slash <= 0 || slash === ep.length - 1) fail(400, 'Invalid endpoint specified');
  if (args.str('originator') && args.str('formats')) fail(400, 'Originator and formats can\'t both be specified');
  const otherId = args.str('otherChannelId');
  if ((channelId && sim.channels.has(channelId)) || (otherId && sim.channels.has(otherId))) {
    fail(409, 'Channel with given unique ID already exists');
  }
  const originator = args.str('originator');
  if (originator && !sim.channels.has(originator)) fail(400, 'Provided originator channel was not found');
  const tech = ep.slice(0, slash).toLowerCase();
  if (sim.stopping || (tech !== 'pjsip' && tech !== 'local') || !isKnown(sim, ep)) {
    throw new ApiError(500, { error: 'Allocation failed' });
  }
  const app = args.str('app');
  const appArgs = args.str('appArgs');
  const vars = args.vars();
  const script = sim.scriptFor(ep);
  const resource = ep.slice(slash + 1);
  const ids = { one: channelId || newId(sim), two: otherId || '' };
  let c: Chan;
  if (tech === 'local') {
    const target = resource.replace(LOCAL_OPTION, '');
    const at = target.lastIndexOf('@');
    const exten = at < 0 ? target : target.slice(0, at);
    const context = at < 0 ? 'default' : target.slice(at + 1);
    const base = `Local/${target}-${(sim.localSeq++).toString(16).padStart(8, '0')}`;
    c = makeChan(sim, {
      id: ids.one, name: `${base};1`, tech: 'Local', endpoint: ep, endpointName: '', dialstring: target, caller, script, timeoutSec,
      dialplan: { context, exten, priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' }, protocolId: '',
    });
    const two = makeChan(sim, {
      id: ids.two || newId(sim), name: `${base};2`, tech: 'Local', endpoint: ep, endpointName: '', dialstring: target, caller, script, timeoutSec,
      dialplan: { context, exten, priority: 1, app_name: '', app_data: '' }, protocolId: '',
    });
    two.state = 'Ring';
    two.owner = c;
    c.half2 = two;
  } else {
    const at = resource.indexOf('@');
    const sl = resource.indexOf('/');
    const endpointName = at >= 0 ? resource.slice(at + 1) : sl >= 0 ? resource.slice(0, sl) : resource;
    c = makeChan(sim, {
      id: ids.one, name: `PJSIP/${endpointName}-${(sim.pjsipSeq++).toString(16).padStart(8, '0')}`, tech: 'PJSIP', endpoint: ep, endpointName,
      dialstring: resource, caller, script, timeoutSec, protocolId: randomUUID(),
      dialplan: { context: endpointName === 'trunk' || at >= 0 ? TRUNK_CONTEXT : PHONE_CONTEXT, exten: 's', priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' },
    });
  }
  for (const [k, v] of Object.entries(vars)) life.applyVar(sim, c, k, v);
  if (c.half2) for (const [k, v] of Object.entries(vars)) c.half2.vars.set(k, v);
  if (app) {
    c.stasisApp = app;
    c.apps.add(app);
    c.args = appArgs ? appArgs.split(',') : [];
  }
  sim.originates++;
  return c;
}

export function makeChan(sim: SimAsterisk, init: {
  id: string; name: string; tech: Tech; endpoint: string; endpointName: string; dialstring: string; caller: CallerId;
  script: CalleeScript; timeoutSec: number; dialplan: Dialplan; protocolId: string;
}): Chan {
  const c: Chan = {
    ...init,
    state: 'Down',
    connected: { ...init.caller },
    caller: { ...init.caller },
    creationtime: ariTimestamp(),
    vars: new Map(),
    apps: new Set(),
    args: [],
    inStasis: false,
    inbound: false,
    tasks: [],
    player: { queue: [] },
    startedCount: 0,
    finishedCount: 0,
    pendingDtmf: [],
    recordQueue: [],
    requests: [],
    alive: true,
    answered: false,
  };
  sim.channels.set(c.id, c);
  return c;
}

export function outcomeDelay(sim: SimAsterisk, c: Chan): number {
  return Math.max(0, c.script.answerAfterMs ?? DEFAULT_RING_MS);
}

export function timeoutMs(sim: SimAsterisk, c: Chan): number {
  return c.timeoutSec < 0 ? Infinity : c.timeoutSec * 1000;
}

/** Local/… : the ;2 half runs the callee's "dialplan" (traces a, b, b2, b3, c, d). */
export function progressLocal(sim: SimAsterisk, c: Chan, vars: Record<string, string>, caller: CallerId): void {
  const two = c.half2 as Chan;
  for (const [k, v] of Object.entries(vars)) sim.varset(two, k, v);
  if (caller.name !== '' || caller.number !== '') {
    sim.chanEvent(two, 'ChannelCallerId', { caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened' });
    sim.chanEvent(two, 'ChannelConnectedLine');
  }
  if (c.script.stasis) {
    life.enterFromDialplan(sim, c, c.script.stasis, caller);
    return;
  }
  runLocalLeg(sim, c);
}

/** The dialplan application a Local ;2 half runs for a callee script's result (traces a, b, b2, b3, c). */
const CALLEE_DIALPLAN: Record<string, [string, string]> = {
  answer: ['Answer', ''], busy: ['Busy', '20'], congestion: ['Congestion', '20'], reject: ['Hangup', '21'], 'no-answer': ['Ringing', ''],
};

export function runCalleeDialplan(sim: SimAsterisk, two: Chan, result: string): void {
  const [dpApp, dpData] = CALLEE_DIALPLAN[result] ?? ['Answer', ''];
  two.dialplan = { ...two.dialplan, app_name: dpApp, app_data: dpData };
  sim.chanEvent(two, 'ChannelDialplan', { dialplan_app: dpApp, dialplan_app_data: dpData });
}

/**
 * The ;2 half runs the callee's "dialplan" and the ;1 half shows the outcome (traces a, b, b2, b3,
 * c, d). A created Local leg the app dials shows it otherwise: channel-create.ts.
 */
function runLocalLeg(sim: SimAsterisk, c: Chan): void {
  const two = c.half2 as Chan;
  const result = c.script.result ?? 'answer';
  if (result === 'fail') {
    // No such extension: both halves die with cause 0 and no Dial event (trace d, steps 5-6).
    sim.destroyedEvent(two, 0);
    sim.destroyedEvent(c, 0);
    life.remove(sim, c);
    return;
  }
  sim.dial(c, '');
  runCalleeDialplan(sim, two, result);
  const timeout = timeoutMs(sim, c);
  const delay = outcomeDelay(sim, c);
  if (result === 'no-answer' || (result === 'answer' && delay > 0)) {
    sim.setState(c, 'Ringing');
    sim.dial(c, 'RINGING');
  }
  if (result === 'no-answer' || delay >= timeout) {
    if (timeout === Infinity) return;
    sim.at(c, timeout, () => {
      // Trace c: the timeout ends it with cause 19 on both halves.
      sim.hangupRequest(two, 19);
      sim.destroyedEvent(c, 19);
      sim.hangupRequest(two, 16, true);
      sim.destroyedEvent(two, 19);
      life.remove(sim, c);
    });
    return;
  }
  sim.at(c, delay, () => {
    switch (result) {
      case 'answer':
        sim.setState(two, 'Up');
        sim.setState(c, 'Up');
        sim.dial(c, 'ANSWER');
        enterStasis(sim, c);
        break;
      case 'busy':
      case 'congestion':
        // Trace b / b2: the app's half dies with cause 0; the cause shows on ;2 only.
        sim.setState(two, 'Busy');
        sim.dial(c, result === 'busy' ? 'BUSY' : 'CONGESTION');
        sim.hangupRequest(two, 0);
        sim.destroyedEvent(c, 0);
        sim.hangupRequest(two, 16, true);
        sim.destroyedEvent(two, result === 'busy' ? 17 : 34);
        life.remove(sim, c);
        break;
      case 'reject':
        // Trace b3: Hangup(21) before answer.
        sim.hangupRequest(two, 16, true);
        sim.hangupRequest(c, 21);
        sim.destroyedEvent(two, 21);
        sim.dial(c, 'NOANSWER');
        sim.destroyedEvent(c, 21);
        life.remove(sim, c);
        break;
    }
  });
}

/** PJSIP/… : a SIP callee (traces i, i3, i4). */
export function progressPjsip(sim: SimAsterisk, c: Chan): void {
  const result = c.script.result ?? 'answer';
  sim.dial(c, '');
  sim.setState(c, 'Ringing');
  sim.dial(c, 'RINGING');
  const timeout = timeoutMs(sim, c);
  const delay = outcomeDelay(sim, c);
  if (result === 'no-answer' || delay >= timeout) {
    // Trace i4: only ChannelDestroyed, cause 19 with SIP 480.
    if (timeout !== Infinity) {
      sim.at(c, timeout, () => {
        sim.destroyedEvent(c, 19, 480);
        life.remove(sim, c);
      });
    }
    return;
  }
  sim.at(c, delay, () => {
    if (result === 'answer') {
      sim.setState(c, 'Up');
      sim.dial(c, 'ANSWER');
      enterStasis(sim, c);
      return;
    }
    // Trace i3: 486 → cause 17. 603 Decline → 21, 503 → 34, 500 → 38.
    const [cause, sip, status] = ({
      busy: [17, 486, 'BUSY'], congestion: [34, 503, 'CONGESTION'], reject: [21, 603, 'NOANSWER'], fail: [38, 500, 'CHANUNAVAIL'],
    } as Record<string, [number, number, string]>)[result] ?? [38, 500, 'CHANUNAVAIL'];
    sim.hangupRequest(c, cause, false, sip);
    sim.dial(c, status);
    sim.destroyedEvent(c, cause, sip);
    life.remove(sim, c);
  });
}

export function enterStasis(sim: SimAsterisk, c: Chan): void {
  c.answered = true;
  const app = c.stasisApp;
  if (!app) return; // originated into the dialplan: no application sees it
  if (!sim.sink.hasApp(app)) {
    // Stasis() fails for an application without a WebSocket: the call is torn down (trace d, step 9).
    life.hangupInternal(sim, c, 16, 'silent');
    return;
  }
  c.inStasis = true;
  c.dialplan = { ...c.dialplan, app_name: 'Stasis', app_data: [app, ...c.args].join(',') };
  sim.varset(c, 'STASISSTATUS', '');
  c.vars.set('STASISSTATUS', '');
  sim.chanEvent(c, 'StasisStart', { args: c.args });
  scheduleScript(sim, c);
}

export function scheduleScript(sim: SimAsterisk, c: Chan): void {
  const s = c.script;
  if (s.hangupAfterMs !== undefined && s.hangupAfterMs >= 0) sim.at(c, s.hangupAfterMs, () => life.farEndHangup(sim, c));
  for (const step of s.dtmf ?? []) {
    if (step.afterPlaybackStarted !== undefined || step.afterPlaybackFinished !== undefined) c.pendingDtmf.push(step);
    else sim.at(c, (step.atMs ?? 0) + (step.delayMs ?? 0), () => sendDigits(sim, c, step.digits, step.gapMs));
  }
}

export function checkDtmfTriggers(sim: SimAsterisk, c: Chan): void {
  if (c.pendingDtmf.length === 0) return;
  const ready = c.pendingDtmf.filter((s) =>
    (s.afterPlaybackStarted !== undefined && c.startedCount >= s.afterPlaybackStarted)
    || (s.afterPlaybackFinished !== undefined && c.finishedCount >= s.afterPlaybackFinished));
  if (ready.length === 0) return;
  c.pendingDtmf = c.pendingDtmf.filter((s) => !ready.includes(s));
  for (const s of ready) sim.at(c, s.delayMs ?? 0, () => sendDigits(sim, c, s.digits, s.gapMs));
}

/** The far end sends DTMF (RFC 4733 or SendDTMF on the Local ;2 half): ChannelDtmfReceived, 100 ms each. */
export function sendDigits(sim: SimAsterisk, c: Chan, digits: string, gapMs?: number): void {
  const gap = gapMs ?? DEFAULT_DTMF_GAP_MS;
  [...digits].filter((d) => DTMF_DIGITS.test(d)).forEach((digit, i) => {
    sim.at(c, i * gap, () => {
      if (!c.answered) return;
      // SendDTMF on a Local half lasts 100 ms; a SIP phone's RFC 4733 digits 180 ms (traces a, i).
      sim.chanEvent(c, 'ChannelDtmfReceived', { digit: digit.toUpperCase(), duration_ms: c.tech === 'PJSIP' ? 180 : 100 });
      const rec = c.recording;
      if (rec && rec.state === 'recording' && (rec.terminateOn === 'any' || rec.terminateOn === digit)) life.finishRecording(sim, rec, 'done');
    });
  });
}

export function farEndDtmf(sim: SimAsterisk, channelId: string, digits: string, gapMs?: number): boolean {
  const c = sim.channels.get(channelId);
  if (!c || !c.alive || !c.answered) return false;
  sendDigits(sim, c.owner ?? c, digits, gapMs);
  return true;
}

/**
 * A phone calls in (trace l): StasisStart in state Ring, with the dialed extension as argument.
 * `unseen`: the StasisStart is lost, as when it was sent while the application's WebSocket was
 * reconnecting: the channel is in the application, and the application never heard of it.
 */
export function inbound(sim: SimAsterisk, from: string, exten: string, app: string, args: string[], caller: CallerId, unseen = false): string {
  const endpointName = from.replace(/^pjsip\//i, '');
  const c = makeChan(sim, {
    id: newId(sim), name: `PJSIP/${endpointName}-${(sim.pjsipSeq++).toString(16).padStart(8, '0')}`, tech: 'PJSIP', endpoint: `PJSIP/${endpointName}`,
    endpointName, dialstring: '', caller, script: { result: 'answer' }, timeoutSec: -1, protocolId: randomUUID(),
    dialplan: { context: PHONE_CONTEXT, exten, priority: 2, app_name: 'Stasis', app_data: [app, ...args].join(',') },
  });
  c.inbound = true;
  c.connected = { name: '', number: '' };
  c.state = 'Ring';
  c.stasisApp = app;
  c.apps.add(app);
  c.args = args;
  sim.clock.after(0, () => {
    if (!c.alive) return;
    if (!sim.sink.hasApp(app)) {
      life.remove(sim, c);
      return;
    }
    c.inStasis = true;
    c.answered = true;
    if (!unseen) sim.chanEvent(c, 'StasisStart', { args });
  });
  return c.id;
}

/** What this module does for the others (lifecycle.ts). */
export const lifecycle = { allocate, outcomeDelay, timeoutMs, runCalleeDialplan, scheduleScript, enterStasis, checkDtmfTriggers } satisfies Partial<Lifecycle>;
