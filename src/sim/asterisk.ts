// The simulated Asterisk: channels, playbacks, bridges, recordings, scripted callees, and the
// REST operations on them. Event order, fields and causes follow the recordings of a real
// Asterisk 22 that the conformance test replays; comments name the trace a sequence comes from.
import { randomUUID } from 'node:crypto';
import { arch, release } from 'node:os';
import type { Clock, Task } from './clock.js';
import {
  ariTimestamp, astTrue, causeText, formatCallerIdAll, globToRegExp, HANGUP_REASONS, normalizeEndpoint, parseCallerId,
  type CallerId,
} from './ari-format.js';
import type { CalleeScript, DtmfStep, SimChannelInfo, SimRequestRecord } from './types.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : `HTTP ${status}`);
  }
}

const fail = (status: number, message: string): never => {
  throw new ApiError(status, { message });
};

/** Where events go: the server routes them to the WebSockets of the given applications. */
export interface EventSink {
  deliver(apps: ReadonlySet<string>, event: Record<string, unknown>): void;
  hasApp(app: string): boolean;
  apps(): string[];
}

export interface Reply {
  status: number;
  body?: unknown;
}

/** Decoded parameters of one request, typed on demand the way Asterisk's generated code does. */
export class Args {
  constructor(private readonly values: Map<string, unknown>, private readonly defaults: Map<string, unknown>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  str(name: string): string | undefined {
    const v = this.values.get(name) ?? this.defaults.get(name);
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v.map(String).join(',');
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  /** Asterisk's atoi: non-numbers read as 0. */
  int(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const n = Number.parseInt(v, 10);
    return Number.isNaN(n) ? 0 : n;
  }

  bool(name: string): boolean {
    const v = this.values.get(name) ?? this.defaults.get(name);
    if (typeof v === 'boolean') return v;
    return astTrue(v === undefined ? undefined : String(v));
  }

  /** allowMultiple: a JSON array, or a comma-separated string (a repeated key keeps only the last). */
  list(name: string): string[] {
    const v = this.values.get(name);
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v.map(String).filter((s) => s !== '');
    return String(v).split(',').map((s) => s.trim()).filter((s) => s !== '');
  }

  /** The `variables` body object (`{"variables": {...}}`). */
  vars(): Record<string, string> {
    const v = this.values.get('variables');
    const out: Record<string, string> = {};
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = typeof val === 'string' ? val : JSON.stringify(val);
    }
    return out;
  }
}

type Tech = 'PJSIP' | 'Local';

interface Dialplan {
  context: string;
  exten: string;
  priority: number;
  app_name: string;
  app_data: string;
}

interface Player {
  queue: Playback[];
  current?: Playback;
}

interface Chan {
  id: string;
  name: string;
  tech: Tech;
  endpoint: string;
  /** PJSIP endpoint (phone1, trunk) this channel belongs to. */
  endpointName: string;
  dialstring: string;
  state: string;
  protocolId: string;
  caller: CallerId;
  connected: CallerId;
  dialplan: Dialplan;
  creationtime: string;
  vars: Map<string, string>;
  apps: Set<string>;
  stasisApp?: string;
  args: string[];
  inStasis: boolean;
  /** Local ;1: its ;2 half. */
  half2?: Chan;
  /** Local ;2: its ;1 half. */
  owner?: Chan;
  inbound: boolean;
  /** Made by POST /channels/create, and whether it was dialed since. */
  created?: boolean;
  dialed?: boolean;
  script: CalleeScript;
  timeoutSec: number;
  tasks: Task[];
  player: Player;
  startedCount: number;
  finishedCount: number;
  pendingDtmf: DtmfStep[];
  bridge?: Bridge;
  recording?: LiveRec;
  requests: SimRequestRecord[];
  alive: boolean;
  answered: boolean;
}

interface Playback {
  id: string;
  media: string[];
  index: number;
  targetUri: string;
  language: string;
  state: 'queued' | 'playing' | 'paused' | 'continuing' | 'done' | 'failed';
  player: Player;
  channel?: Chan;
  bridge?: Bridge;
  task?: Task;
  endsAt: number;
  remainingMs: number;
  skipMs: number;
}

interface Bridge {
  id: string;
  name: string;
  bridgeType: string;
  channels: Chan[];
  creationtime: string;
  apps: Set<string>;
  player: Player;
  recording?: LiveRec;
}

interface LiveRec {
  name: string;
  format: string;
  targetUri: string;
  channel?: Chan;
  bridge?: Bridge;
  state: 'queued' | 'recording' | 'paused' | 'done' | 'failed' | 'canceled';
  startedAt: number;
  pausedMs: number;
  pausedAt?: number;
  terminateOn: string;
  task?: Task;
  apps: Set<string>;
}

interface Stored {
  name: string;
  format: string;
  durationMs: number;
}

export interface AsteriskOptions {
  scripts: Record<string, CalleeScript>;
  defaultScript: CalleeScript;
  soundDurationsMs: Record<string, number>;
  defaultSoundMs: number;
  missingSounds: string[];
  knownEndpoints: string[];
  offlineEndpoints: string[];
}

/** Lengths of common Asterisk core sounds (hello-world, demo-thanks measured in the traces). */
export const BUILTIN_SOUNDS_MS: Record<string, number> = {
  'hello-world': 1400,
  'demo-thanks': 5500,
  'demo-congrats': 10500,
  'demo-echotest': 6000,
  'demo-instruct': 12000,
  'tt-monkeys': 9000,
  'tt-weasels': 4000,
  'vm-goodbye': 700,
  goodbye: 700,
  beep: 300,
  silence: 1000,
  'pls-hold-while-try': 2000,
  'please-try-again': 1200,
  'invalid': 1000,
  'agent-pass': 1000,
  'auth-thankyou': 900,
  'conf-onlyperson': 2200,
  'queue-thankyou': 1500,
  'vm-intro': 2800,
  'vm-review': 5000,
};

const RECORDING_FORMATS = new Set(['wav', 'gsm', 'ulaw', 'alaw', 'sln', 'slin', 'g722', 'g729', 'wav49', 'WAV', 'ogg', 'mp3', 'h264']);
const DTMF_DIGITS = /^[0-9A-Da-d*#]$/;
const LOCAL_OPTION = /\/[a-zA-Z]+$/;
const TRUNK_CONTEXT = 'from-trunk';
const PHONE_CONTEXT = 'from-phones';
const ENTITY_ID = '02:42:ac:11:00:02';
const DIGIT_MS = 500;
const DEFAULT_RING_MS = 1000;
const DEFAULT_DTMF_GAP_MS = 350;

export class SimAsterisk {
  readonly channels = new Map<string, Chan>();
  private readonly playbacks = new Map<string, Playback>();
  private readonly bridges = new Map<string, Bridge>();
  private readonly liveRecordings = new Map<string, LiveRec>();
  private readonly stored = new Map<string, Stored>();
  private readonly globals = new Map<string, string>();
  private readonly scripts = new Map<string, CalleeScript>();
  private readonly known: RegExp[];
  private readonly offline: RegExp[];
  private readonly sounds: Record<string, number>;
  private readonly missing: Set<string>;
  private localSeq = 0;
  private pjsipSeq = 0;
  private idSeq = 0;
  private originates = 0;
  private startupTime = ariTimestamp();
  /** Graceful stop in progress: new originates are refused. */
  stopping = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: AsteriskOptions, private readonly clock: Clock, private readonly sink: EventSink) {
    for (const [k, v] of Object.entries(opts.scripts)) this.scripts.set(k, v);
    this.known = opts.knownEndpoints.map(globToRegExp);
    this.offline = opts.offlineEndpoints.map(globToRegExp);
    this.sounds = { ...BUILTIN_SOUNDS_MS, ...opts.soundDurationsMs };
    this.missing = new Set(opts.missingSounds);
  }

  // ---------------------------------------------------------------- scripts & introspection

  setCallee(key: string, script: CalleeScript): void {
    this.scripts.set(key, script);
  }

  deleteCallee(key: string): void {
    this.scripts.delete(key);
  }

  callees(): Record<string, CalleeScript> {
    return Object.fromEntries(this.scripts);
  }

  originateCount(): number {
    return this.originates;
  }

  channelInfos(): SimChannelInfo[] {
    return [...this.channels.values()].map((c) => ({
      id: c.id,
      name: c.name,
      endpoint: c.endpoint,
      state: c.state,
      ...(c.stasisApp ? { app: c.stasisApp } : {}),
      inStasis: c.inStasis,
      createdAt: c.creationtime,
      script: c.script,
      requests: c.requests.slice(),
    }));
  }

  /** Attaches a REST request to the channel it concerns (for GET /sim/channels). */
  noteRequest(channelId: string, record: SimRequestRecord): void {
    const c = this.channels.get(channelId);
    if (c && c.requests.length < 500) c.requests.push(record);
  }

  /** Resolves a script: a whole endpoint name first, then the longest number key the endpoint contains. */
  scriptFor(endpoint: string): CalleeScript {
    const exact = this.scripts.get(endpoint);
    if (exact) return exact;
    let best: CalleeScript | undefined;
    let bestLen = 0;
    for (const [key, script] of this.scripts) {
      if (key.length <= bestLen) continue;
      if (endpoint.includes(key) || (key.startsWith('+') && containsNumber(endpoint, key.slice(1)))) {
        best = script;
        bestLen = key.length;
      }
    }
    return best ?? this.opts.defaultScript;
  }

  // ---------------------------------------------------------------- events

  private emit(apps: ReadonlySet<string>, type: string, fields: Record<string, unknown>): void {
    if (apps.size === 0) return;
    this.sink.deliver(apps, { type, timestamp: ariTimestamp(), ...fields, asterisk_id: ENTITY_ID });
  }

  private chanJson(c: Chan): Record<string, unknown> {
    return {
      id: c.id,
      name: c.name,
      state: c.state,
      protocol_id: c.protocolId,
      caller: { name: c.caller.name, number: c.caller.number },
      connected: { name: c.connected.name, number: c.connected.number },
      accountcode: '',
      dialplan: { ...c.dialplan },
      creationtime: c.creationtime,
      language: 'en',
    };
  }

  /** Local ;2 events reach the apps subscribed to its ;1 half (as the traces show). */
  private appsOf(c: Chan): ReadonlySet<string> {
    return c.owner ? c.owner.apps : c.apps;
  }

  private chanEvent(c: Chan, type: string, extra: Record<string, unknown> = {}): void {
    const apps = this.appsOf(c);
    if (apps.size === 0) return;
    this.emit(apps, type, { ...extra, channel: this.chanJson(c) });
  }

  private setState(c: Chan, state: string): void {
    c.state = state;
    this.chanEvent(c, 'ChannelStateChange');
  }

  private dial(c: Chan, dialstatus: string): void {
    this.emit(this.appsOf(c), 'Dial', { dialstatus, forward: '', dialstring: c.dialstring, peer: this.chanJson(c) });
  }

  private destroyedEvent(c: Chan, cause: number, techCause?: number): void {
    this.chanEvent(c, 'ChannelDestroyed', { cause, cause_txt: causeText(cause), ...(techCause !== undefined ? { tech_cause: techCause } : {}) });
  }

  private hangupRequest(c: Chan, cause?: number, soft?: boolean, techCause?: number): void {
    this.chanEvent(c, 'ChannelHangupRequest', {
      ...(cause !== undefined ? { cause } : {}),
      ...(techCause !== undefined ? { tech_cause: techCause } : {}),
      ...(soft ? { soft: true } : {}),
    });
  }

  private varset(c: Chan, variable: string, value: string): void {
    this.chanEvent(c, 'ChannelVarset', { variable, value });
  }

  private at(c: Chan, ms: number, fn: () => void): void {
    c.tasks.push(this.clock.after(ms, () => {
      if (c.alive) fn();
    }));
  }

  // ---------------------------------------------------------------- originate

  private newId(): string {
    return `${Math.floor(Date.now() / 1000)}.${this.idSeq++}`;
  }

  private isKnown(endpoint: string): boolean {
    const n = normalizeEndpoint(endpoint);
    if (this.offline.some((r) => r.test(n))) return false;
    return this.known.some((r) => r.test(n));
  }

  originate(args: Args, pathChannelId?: string): Reply {
    const endpoint = args.str('endpoint');
    if (!endpoint) fail(400, 'Endpoint must be specified');
    const app = args.str('app');
    const extension = args.str('extension');
    if (!app && !extension) fail(400, 'Application or extension must be specified');
    const ep = endpoint as string;
    const slash = ep.indexOf('/');
    if (slash <= 0 || slash === ep.length - 1) fail(400, 'Invalid endpoint specified');
    if (args.str('originator') && args.str('formats')) fail(400, 'Originator and formats can\'t both be specified');
    const channelId = pathChannelId ?? args.str('channelId');
    const otherId = args.str('otherChannelId');
    if ((channelId && this.channels.has(channelId)) || (otherId && this.channels.has(otherId))) {
      fail(409, 'Channel with given unique ID already exists');
    }
    const originator = args.str('originator');
    if (originator && !this.channels.has(originator)) fail(400, 'Provided originator channel was not found');
    const tech = ep.slice(0, slash).toLowerCase();
    if (this.stopping || (tech !== 'pjsip' && tech !== 'local') || !this.isKnown(ep)) {
      throw new ApiError(500, { error: 'Allocation failed' });
    }

    const caller = parseCallerId(args.str('callerId'));
    const rawTimeout = args.int('timeout') ?? 30;
    const timeoutSec = rawTimeout === 0 ? 30 : rawTimeout;
    const appArgs = args.str('appArgs');
    const vars = args.vars();
    const script = this.scriptFor(ep);
    const resource = ep.slice(slash + 1);
    const ids = { one: channelId || this.newId(), two: otherId || '' };
    let c: Chan;
    if (tech === 'local') {
      const target = resource.replace(LOCAL_OPTION, '');
      const at = target.lastIndexOf('@');
      const exten = at < 0 ? target : target.slice(0, at);
      const context = at < 0 ? 'default' : target.slice(at + 1);
      const base = `Local/${target}-${(this.localSeq++).toString(16).padStart(8, '0')}`;
      c = this.makeChan({
        id: ids.one, name: `${base};1`, tech: 'Local', endpoint: ep, endpointName: '', dialstring: target, caller, script, timeoutSec,
        dialplan: { context, exten, priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' }, protocolId: '',
      });
      const two = this.makeChan({
        id: ids.two || this.newId(), name: `${base};2`, tech: 'Local', endpoint: ep, endpointName: '', dialstring: target, caller, script, timeoutSec,
        dialplan: { context, exten, priority: 1, app_name: '', app_data: '' }, protocolId: '',
      });
      two.state = 'Ring';
      two.owner = c;
      c.half2 = two;
    } else {
      const at = resource.indexOf('@');
      const sl = resource.indexOf('/');
      const endpointName = at >= 0 ? resource.slice(at + 1) : sl >= 0 ? resource.slice(0, sl) : resource;
      c = this.makeChan({
        id: ids.one, name: `PJSIP/${endpointName}-${(this.pjsipSeq++).toString(16).padStart(8, '0')}`, tech: 'PJSIP', endpoint: ep, endpointName,
        dialstring: resource, caller, script, timeoutSec, protocolId: randomUUID(),
        dialplan: { context: endpointName === 'trunk' || at >= 0 ? TRUNK_CONTEXT : PHONE_CONTEXT, exten: 's', priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' },
      });
    }
    for (const [k, v] of Object.entries(vars)) this.applyVar(c, k, v);
    if (c.half2) for (const [k, v] of Object.entries(vars)) c.half2.vars.set(k, v);
    if (app) {
      c.stasisApp = app;
      c.apps.add(app);
      c.args = appArgs ? appArgs.split(',') : [];
    }
    this.originates++;
    const snapshot = this.chanJson(c);
    // Asterisk answers at once with the channel Down; everything else arrives as events.
    this.clock.after(0, () => {
      if (!c.alive) return;
      if (c.tech === 'Local') this.progressLocal(c, vars, caller);
      else this.progressPjsip(c);
    });
    return { status: 200, body: snapshot };
  }

  private makeChan(init: {
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
      requests: [],
      alive: true,
      answered: false,
    };
    this.channels.set(c.id, c);
    return c;
  }

  private outcomeDelay(c: Chan): number {
    return Math.max(0, c.script.answerAfterMs ?? DEFAULT_RING_MS);
  }

  private timeoutMs(c: Chan): number {
    return c.timeoutSec < 0 ? Infinity : c.timeoutSec * 1000;
  }

  /** Local/… : the ;2 half runs the callee's "dialplan" (traces a, b, b2, b3, c, d). */
  private progressLocal(c: Chan, vars: Record<string, string>, caller: CallerId): void {
    const two = c.half2 as Chan;
    for (const [k, v] of Object.entries(vars)) this.varset(two, k, v);
    if (caller.name !== '' || caller.number !== '') {
      this.chanEvent(two, 'ChannelCallerId', { caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened' });
      this.chanEvent(two, 'ChannelConnectedLine');
    }
    const result = c.script.result ?? 'answer';
    if (result === 'fail') {
      // No such extension: both halves die with cause 0 and no Dial event (trace d, steps 5-6).
      this.destroyedEvent(two, 0);
      this.destroyedEvent(c, 0);
      this.remove(c);
      return;
    }
    this.dial(c, '');
    const apps: Record<string, [string, string]> = {
      answer: ['Answer', ''], busy: ['Busy', '20'], congestion: ['Congestion', '20'], reject: ['Hangup', '21'], 'no-answer': ['Ringing', ''],
    };
    const [dpApp, dpData] = apps[result] ?? ['Answer', ''];
    two.dialplan = { ...two.dialplan, app_name: dpApp, app_data: dpData };
    this.chanEvent(two, 'ChannelDialplan', { dialplan_app: dpApp, dialplan_app_data: dpData });
    const timeout = this.timeoutMs(c);
    const delay = this.outcomeDelay(c);
    if (result === 'no-answer' || (result === 'answer' && delay > 0)) {
      this.setState(c, 'Ringing');
      this.dial(c, 'RINGING');
    }
    if (result === 'no-answer' || delay >= timeout) {
      if (timeout !== Infinity) this.at(c, timeout, () => this.localNoAnswer(c));
      return;
    }
    this.at(c, delay, () => {
      switch (result) {
        case 'answer':
          this.setState(two, 'Up');
          this.setState(c, 'Up');
          this.dial(c, 'ANSWER');
          this.enterStasis(c);
          break;
        case 'busy':
        case 'congestion':
          // Trace b / b2: the app's half dies with cause 0; the cause shows on ;2 only.
          this.setState(two, 'Busy');
          this.dial(c, result === 'busy' ? 'BUSY' : 'CONGESTION');
          this.hangupRequest(two, 0);
          this.destroyedEvent(c, 0);
          this.hangupRequest(two, 16, true);
          this.destroyedEvent(two, result === 'busy' ? 17 : 34);
          this.remove(c);
          break;
        case 'reject':
          // Trace b3: Hangup(21) before answer.
          this.hangupRequest(two, 16, true);
          this.hangupRequest(c, 21);
          this.destroyedEvent(two, 21);
          this.dial(c, 'NOANSWER');
          this.destroyedEvent(c, 21);
          this.remove(c);
          break;
      }
    });
  }

  private localNoAnswer(c: Chan): void {
    const two = c.half2 as Chan;
    // Trace c: the originate timeout ends it with cause 19 on both halves.
    this.hangupRequest(two, 19);
    this.destroyedEvent(c, 19);
    this.hangupRequest(two, 16, true);
    this.destroyedEvent(two, 19);
    this.remove(c);
  }

  /** PJSIP/… : a SIP callee (traces i, i3, i4). */
  private progressPjsip(c: Chan): void {
    const result = c.script.result ?? 'answer';
    this.dial(c, '');
    this.setState(c, 'Ringing');
    this.dial(c, 'RINGING');
    const timeout = this.timeoutMs(c);
    const delay = this.outcomeDelay(c);
    if (result === 'no-answer' || delay >= timeout) {
      // Trace i4: only ChannelDestroyed, cause 19 with SIP 480.
      if (timeout !== Infinity) {
        this.at(c, timeout, () => {
          this.destroyedEvent(c, 19, 480);
          this.remove(c);
        });
      }
      return;
    }
    this.at(c, delay, () => {
      if (result === 'answer') {
        this.setState(c, 'Up');
        this.dial(c, 'ANSWER');
        this.enterStasis(c);
        return;
      }
      // Trace i3: 486 → cause 17. 603 Decline → 21, 503 → 34, 500 → 38.
      const [cause, sip, status] = ({
        busy: [17, 486, 'BUSY'], congestion: [34, 503, 'CONGESTION'], reject: [21, 603, 'NOANSWER'], fail: [38, 500, 'CHANUNAVAIL'],
      } as Record<string, [number, number, string]>)[result] ?? [38, 500, 'CHANUNAVAIL'];
      this.hangupRequest(c, cause, false, sip);
      this.dial(c, status);
      this.destroyedEvent(c, cause, sip);
      this.remove(c);
    });
  }

  private enterStasis(c: Chan): void {
    c.answered = true;
    const app = c.stasisApp;
    if (!app) return; // originated into the dialplan: no application sees it
    if (!this.sink.hasApp(app)) {
      // Stasis() fails for an application without a WebSocket: the call is torn down (trace d, step 9).
      this.hangupInternal(c, 16, 'silent');
      return;
    }
    c.inStasis = true;
    c.dialplan = { ...c.dialplan, app_name: 'Stasis', app_data: [app, ...c.args].join(',') };
    this.varset(c, 'STASISSTATUS', '');
    c.vars.set('STASISSTATUS', '');
    this.chanEvent(c, 'StasisStart', { args: c.args });
    this.scheduleScript(c);
  }

  private scheduleScript(c: Chan): void {
    const s = c.script;
    if (s.hangupAfterMs !== undefined && s.hangupAfterMs >= 0) this.at(c, s.hangupAfterMs, () => this.farEndHangup(c));
    for (const step of s.dtmf ?? []) {
      if (step.afterPlaybackStarted !== undefined || step.afterPlaybackFinished !== undefined) c.pendingDtmf.push(step);
      else this.at(c, (step.atMs ?? 0) + (step.delayMs ?? 0), () => this.sendDigits(c, step.digits, step.gapMs));
    }
  }

  private checkDtmfTriggers(c: Chan): void {
    if (c.pendingDtmf.length === 0) return;
    const ready = c.pendingDtmf.filter((s) =>
      (s.afterPlaybackStarted !== undefined && c.startedCount >= s.afterPlaybackStarted)
      || (s.afterPlaybackFinished !== undefined && c.finishedCount >= s.afterPlaybackFinished));
    if (ready.length === 0) return;
    c.pendingDtmf = c.pendingDtmf.filter((s) => !ready.includes(s));
    for (const s of ready) this.at(c, s.delayMs ?? 0, () => this.sendDigits(c, s.digits, s.gapMs));
  }

  /** The far end sends DTMF (RFC 4733 or SendDTMF on the Local ;2 half): ChannelDtmfReceived, 100 ms each. */
  sendDigits(c: Chan, digits: string, gapMs?: number): void {
    const gap = gapMs ?? DEFAULT_DTMF_GAP_MS;
    [...digits].filter((d) => DTMF_DIGITS.test(d)).forEach((digit, i) => {
      this.at(c, i * gap, () => {
        if (!c.answered) return;
        // SendDTMF on a Local half lasts 100 ms; a SIP phone's RFC 4733 digits 180 ms (traces a, i).
        this.chanEvent(c, 'ChannelDtmfReceived', { digit: digit.toUpperCase(), duration_ms: c.tech === 'PJSIP' ? 180 : 100 });
        const rec = c.recording;
        if (rec && rec.state === 'recording' && (rec.terminateOn === 'any' || rec.terminateOn === digit)) this.finishRecording(rec, 'done');
      });
    });
  }

  farEndDtmf(channelId: string, digits: string, gapMs?: number): boolean {
    const c = this.channels.get(channelId);
    if (!c || !c.alive || !c.answered) return false;
    this.sendDigits(c.owner ?? c, digits, gapMs);
    return true;
  }

  farEndHangupById(channelId: string): boolean {
    const c = this.channels.get(channelId);
    if (!c || !c.alive) return false;
    this.farEndHangup(c.owner ?? c);
    return true;
  }

  // ---------------------------------------------------------------- hangup

  private farEndHangup(c: Chan): void {
    if (!c.alive) return;
    if (!c.answered) {
      this.hangupInternal(c, 16, 'app');
      return;
    }
    if (c.tech === 'Local') {
      // Trace f: the ;2 half hangs up (dialplan Hangup(16)).
      const two = c.half2 as Chan;
      this.hangupRequest(two, 16, true);
      this.hangupRequest(c, 16);
      this.destroyedEvent(two, 16);
      this.channels.delete(two.id);
      two.alive = false;
      this.leaveStasis(c);
      this.destroyedEvent(c, 16);
      this.remove(c);
    } else {
      // Trace i2: BYE from the phone; no cause on the request, cause 0 on ChannelDestroyed.
      this.rtpQos(c);
      this.hangupRequest(c);
      this.leaveStasis(c);
      this.destroyedEvent(c, 0);
      this.remove(c);
    }
  }

  private rtpQos(c: Chan): void {
    const n = (x: number) => x.toFixed(6).padStart(10, '0');
    this.varset(c, 'RTPAUDIOQOS', `ssrc=${(Math.random() * 2 ** 31) | 0};themssrc=${(Math.random() * 2 ** 31) | 0};lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000`);
    this.varset(c, 'RTPAUDIOQOSJITTER', `minrxjitter=${n(0)};maxrxjitter=${n(0)};avgrxjitter=${n(0)};stdevrxjitter=${n(0)};mintxjitter=${n(0)};maxtxjitter=${n(0)};avgtxjitter=${n(0)};stdevtxjitter=${n(0)};`);
    this.varset(c, 'RTPAUDIOQOSLOSS', `  minrxlost=${n(0)};  maxrxlost=${n(0)};  avgrxlost=${n(0)};  stdevrxlost=${n(0)};  mintxlost=${n(0)};  maxtxlost=${n(0)};  avgtxlost=${n(0)};  stdevtxlost=${n(0)};`);
    this.varset(c, 'RTPAUDIOQOSRTT', `     minrtt=${n(0)};     maxrtt=${n(0)};     avgrtt=${n(0)};     stdevrtt=${n(0)};`);
    this.varset(c, 'RTPAUDIOQOSMES', `   minrxmes=${n(0)};   maxrxmes=${n(0)};   avgrxmes=${n(0)};   stdevrxmes=${n(0)};   mintxmes=${n(0)};   maxtxmes=${n(0)};   avgtxmes=${n(0)};   stdevtxmes=${n(0)};`);
  }

  /** Leaves the bridge, ends playbacks/recording, StasisEnd and STASISSTATUS, as Asterisk does on hangup. */
  private leaveStasis(c: Chan): void {
    this.failPlayer(c.player);
    if (c.bridge) this.removeFromBridge(c.bridge, c);
    if (c.recording) this.finishRecording(c.recording, 'done');
    if (c.inStasis) {
      c.inStasis = false;
      this.chanEvent(c, 'StasisEnd');
      // An inbound channel is only watched while in Stasis (trace l): nothing follows StasisEnd.
      if (c.inbound) c.apps.clear();
      c.dialplan = { ...c.dialplan, app_name: 'AppDial2', app_data: '(Outgoing Line)' };
      this.varset(c, 'STASISSTATUS', 'SUCCESS');
    }
  }

  /**
   * Hangup requested through ARI (cause from reason/reason_code), or internal teardown.
   * `mode`: 'app' = DELETE /channels (traces a, h, i, j), 'restart' = core restart (trace k), 'silent' = no events.
   */
  private hangupInternal(c: Chan, cause: number, mode: 'app' | 'restart' | 'silent'): void {
    if (!c.alive) return;
    if (mode === 'silent') {
      this.remove(c);
      return;
    }
    if (c.owner) {
      // DELETE on the ;2 half: the far side of the Local pair hangs up.
      this.farEndHangup(c.owner);
      return;
    }
    const two = c.half2;
    if (mode === 'restart') {
      this.hangupRequest(c, 4, true);
      this.failPlayer(c.player);
      if (two) {
        this.hangupRequest(two, 4, true);
        this.hangupRequest(two, 16, true);
      }
      if (c.bridge) this.removeFromBridge(c.bridge, c);
      if (c.recording) this.finishRecording(c.recording, 'done');
      if (c.inStasis) {
        c.inStasis = false;
        this.chanEvent(c, 'StasisEnd');
        this.hangupRequest(c, 0);
        c.dialplan = { ...c.dialplan, app_name: 'AppDial2', app_data: '(Outgoing Line)' };
        this.varset(c, 'STASISSTATUS', 'SUCCESS');
      }
      this.destroyedEvent(c, 0);
      if (two) this.destroyedEvent(two, 0);
      this.remove(c);
      return;
    }
    if (!c.answered) {
      // Hangup while still ringing: the dial is cancelled.
      this.hangupRequest(c, 32, true);
      this.dial(c, 'CANCEL');
      this.destroyedEvent(c, cause);
      if (two) {
        this.hangupRequest(two, 16, true);
        this.destroyedEvent(two, cause);
      }
      this.remove(c);
      return;
    }
    if (c.tech === 'PJSIP') this.rtpQos(c);
    this.hangupRequest(c, 32, true);
    this.leaveStasis(c);
    if (two) {
      this.hangupRequest(two, cause);
      this.destroyedEvent(c, cause);
      this.hangupRequest(two, 16, true);
      this.destroyedEvent(two, cause);
    } else {
      this.destroyedEvent(c, cause);
    }
    this.remove(c);
  }

  private remove(c: Chan): void {
    for (const half of [c, c.half2]) {
      if (!half) continue;
      half.alive = false;
      for (const t of half.tasks) this.clock.cancel(t);
      half.tasks = [];
      this.channels.delete(half.id);
      for (const pb of [half.player.current, ...half.player.queue]) if (pb) this.playbacks.delete(pb.id);
      half.player.queue = [];
      half.player.current = undefined;
    }
    if (this.channels.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves once no channel is left. */
  whenIdle(): Promise<void> {
    if (this.channels.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Core restart: every call is torn down with cause 4 (trace k). */
  restartHangups(): void {
    for (const c of [...this.channels.values()]) if (!c.owner && c.alive) this.hangupInternal(c, 0, 'restart');
  }

  /** After a restart or a fresh start: nothing survives except stored recordings and scripts. */
  reset(): void {
    for (const c of this.channels.values()) for (const t of c.tasks) this.clock.cancel(t);
    this.channels.clear();
    this.playbacks.clear();
    this.bridges.clear();
    this.liveRecordings.clear();
    this.globals.clear();
    this.stopping = false;
    this.startupTime = ariTimestamp();
  }

  // ---------------------------------------------------------------- channel operations

  private chan(id: string | undefined): Chan {
    const c = id ? this.channels.get(id) : undefined;
    if (!c || !c.alive) return fail(404, 'Channel not found');
    return c;
  }

  private stasisChan(id: string | undefined): Chan {
    const c = this.chan(id);
    if (!c.inStasis) fail(409, 'Channel not in Stasis application');
    return c;
  }

  hangup(args: Args): Reply {
    const c = this.chan(args.str('channelId'));
    const reason = args.str('reason');
    const reasonCode = args.str('reason_code');
    if (reason !== undefined && reasonCode !== undefined) fail(400, 'The reason and reason_code can\'t both be specified');
    let cause = 16;
    if (reasonCode !== undefined) {
      const n = Number.parseInt(reasonCode, 10);
      if (Number.isNaN(n)) fail(400, 'Invalid reason for hangup reason_code provided');
      cause = n;
    } else if (reason !== undefined) {
      const mapped = HANGUP_REASONS[reason];
      if (mapped === undefined) fail(400, 'Invalid reason for hangup reason provided');
      cause = mapped as number;
    }
    this.hangupInternal(c, cause, 'app');
    return { status: 204 };
  }

  answer(args: Args): Reply {
    const c = this.stasisChan(args.str('channelId'));
    if (c.state !== 'Up') {
      this.setState(c, 'Up');
      c.answered = true;
    }
    return { status: 204 };
  }

  ring(args: Args, on: boolean): Reply {
    const c = this.stasisChan(args.str('channelId'));
    if (on && c.state === 'Ring') this.setState(c, 'Ringing');
    return { status: 204 };
  }

  noop(args: Args): Reply {
    this.stasisChan(args.str('channelId'));
    return { status: 204 };
  }

  sendDtmfToChannel(args: Args): Reply {
    this.stasisChan(args.str('channelId'));
    // The digits go to the far end; the app sees no event for them.
    if (!args.str('dtmf')) fail(400, 'DTMF is required');
    return { status: 204 };
  }

  continueInDialplan(args: Args): Reply {
    const c = this.stasisChan(args.str('channelId'));
    this.failPlayer(c.player);
    if (c.bridge) this.removeFromBridge(c.bridge, c);
    c.inStasis = false;
    this.chanEvent(c, 'StasisEnd');
    this.varset(c, 'STASISSTATUS', 'SUCCESS');
    const context = args.str('context') ?? c.dialplan.context;
    const exten = args.str('extension') ?? c.dialplan.exten;
    c.dialplan = { context, exten, priority: args.int('priority') ?? 1, app_name: '', app_data: '' };
    // The simulator has no dialplan: falling off the end of it hangs the call up.
    this.at(c, 0, () => {
      this.hangupRequest(c, 16);
      this.destroyedEvent(c, 16);
      if (c.half2) this.destroyedEvent(c.half2, 16);
      this.remove(c);
    });
    return { status: 204 };
  }

  redirect(args: Args): Reply {
    const endpoint = args.str('endpoint');
    const c = this.stasisChan(args.str('channelId'));
    if (!endpoint) fail(400, "Required parameter 'endpoint' not provided.");
    if (!(endpoint as string).includes('/')) fail(422, `Endpoint parameter '${endpoint}' does not contain tech/resource`);
    // Compared without case; the message names the technology as the request spelled it.
    const tech = (endpoint as string).split('/')[0] ?? '';
    if (tech.toLowerCase() !== c.tech.toLowerCase()) fail(422, `Endpoint technology '${tech}' does not match channel technology '${c.tech}'`);
    // The far end follows the redirect (302/REFER) and this leg ends.
    this.at(c, 0, () => this.hangupInternal(c, 16, 'app'));
    return { status: 204 };
  }

  getVar(args: Args): Reply {
    const variable = args.str('variable');
    const c = this.chan(args.str('channelId'));
    if (!variable) fail(400, 'Variable name is required');
    const value = this.readVar(c, variable as string);
    if (value === undefined) fail(404, 'Provided variable was not found');
    return { status: 200, body: { value } };
  }

  private readVar(c: Chan, name: string): string | undefined {
    switch (name) {
      case 'CALLERID(all)': return formatCallerIdAll(c.caller);
      case 'CALLERID(num)': case 'CALLERID(number)': return c.caller.number;
      case 'CALLERID(name)': return c.caller.name;
      case 'CONNECTEDLINE(num)': return c.connected.number;
      case 'CONNECTEDLINE(name)': return c.connected.name;
      case 'CHANNEL(name)': return c.name;
      case 'CHANNEL(uniqueid)': case 'UNIQUEID': return c.id;
      case 'CHANNEL(state)': return c.state;
      case 'CHANNEL(language)': return 'en';
      case 'EXTEN': return c.dialplan.exten;
      case 'CONTEXT': return c.dialplan.context;
      default: return c.vars.get(name) ?? this.globals.get(name);
    }
  }

  private applyVar(c: Chan, name: string, value: string): void {
    if (name === 'CALLERID(name)') c.caller = { ...c.caller, name: value };
    else if (name === 'CALLERID(num)' || name === 'CALLERID(number)') c.caller = { ...c.caller, number: value };
    else if (name === 'CALLERID(all)') c.caller = parseCallerId(value);
    else c.vars.set(name, value);
  }

  setVar(args: Args): Reply {
    const variable = args.str('variable');
    const c = this.stasisChan(args.str('channelId'));
    if (!variable) fail(400, 'Variable name is required');
    const value = args.str('value') ?? '';
    this.applyVar(c, variable as string, value);
    if (!/\(/.test(variable as string)) this.varset(c, variable as string, value);
    return { status: 204 };
  }

  getChannel(args: Args): Reply {
    return { status: 200, body: this.chanJson(this.chan(args.str('channelId'))) };
  }

  listChannels(): Reply {
    return { status: 200, body: [...this.channels.values()].map((c) => this.chanJson(c)) };
  }

  // ---------------------------------------------------------------- playbacks

  private mediaDuration(uri: string): number | 'missing' | 'unknown' {
    const colon = uri.indexOf(':');
    const scheme = colon < 0 ? '' : uri.slice(0, colon);
    const rest = colon < 0 ? '' : uri.slice(colon + 1);
    switch (scheme) {
      case 'sound': {
        if (rest === '' || this.missing.has(rest)) return 'missing';
        return this.sounds[rest] ?? this.opts.defaultSoundMs;
      }
      case 'recording': {
        const rec = this.stored.get(rest);
        return rec ? Math.max(rec.durationMs, 100) : 'missing';
      }
      case 'digits':
        return Math.max(1, [...rest].filter((ch) => /[0-9*#a-dA-D]/.test(ch)).length) * DIGIT_MS;
      case 'characters':
        return Math.max(1, rest.length) * DIGIT_MS;
      case 'number': {
        if (!/^-?\d+$/.test(rest)) return 'missing';
        return Math.max(1, Math.ceil(rest.replace('-', '').length * 0.75)) * 600;
      }
      case 'tone':
        // A tone plays until it is stopped.
        return rest === '' ? 'missing' : Infinity;
      default:
        return 'unknown';
    }
  }

  private pbJson(pb: Playback): Record<string, unknown> {
    const next = pb.media[pb.index + 1];
    return {
      id: pb.id,
      media_uri: pb.media[pb.index],
      ...(next !== undefined ? { next_media_uri: next } : {}),
      target_uri: pb.targetUri,
      language: pb.language,
      state: pb.state,
    };
  }

  private pbApps(pb: Playback): ReadonlySet<string> {
    return pb.channel ? this.appsOf(pb.channel) : pb.bridge ? pb.bridge.apps : new Set();
  }

  private pbEvent(pb: Playback, type: string): void {
    this.emit(this.pbApps(pb), type, { playback: this.pbJson(pb) });
  }

  play(args: Args, target: 'channel' | 'bridge', pathPlaybackId?: string): Reply {
    let player: Player;
    let channel: Chan | undefined;
    let bridge: Bridge | undefined;
    let targetUri: string;
    if (target === 'channel') {
      channel = this.stasisChan(args.str('channelId'));
      player = channel.player;
      targetUri = `channel:${channel.id}`;
    } else {
      bridge = this.bridge(args.str('bridgeId'));
      player = bridge.player;
      targetUri = `bridge:${bridge.id}`;
    }
    const media = args.list('media');
    if (media.length === 0) fail(500, 'Failed to queue media for playback');
    const id = pathPlaybackId ?? args.str('playbackId') ?? randomUUID();
    if (this.playbacks.has(id)) fail(409, 'A playback with the same ID already exists');
    const pb: Playback = {
      id, media, index: 0, targetUri, language: args.str('lang') || 'en', state: 'queued', player, endsAt: 0, remainingMs: 0,
      skipMs: args.int('skipms') ?? 3000,
      ...(channel ? { channel } : {}), ...(bridge ? { bridge } : {}),
    };
    this.playbacks.set(id, pb);
    player.queue.push(pb);
    const snapshot = this.pbJson(pb);
    if (!player.current) this.clock.after(0, () => this.pump(player));
    return { status: 201, body: snapshot };
  }

  private pump(player: Player): void {
    if (player.current) return;
    const next = player.queue.shift();
    if (!next) return;
    if (next.channel && !next.channel.alive) return;
    player.current = next;
    this.beginMedia(next, true);
  }

  private beginMedia(pb: Playback, first: boolean): void {
    pb.state = 'playing';
    const duration = this.mediaDuration(pb.media[pb.index] ?? '');
    this.pbEvent(pb, 'PlaybackStarted');
    if (first && pb.channel) {
      pb.channel.startedCount++;
      this.checkDtmfTriggers(pb.channel);
    }
    if (duration === 'unknown') {
      // Trace g: an unknown scheme starts and never finishes; the channel is free for the next play.
      pb.player.current = undefined;
      this.playbacks.delete(pb.id);
      this.pump(pb.player);
      return;
    }
    if (duration === 'missing') {
      this.mediaEnded(pb, 'failed');
      return;
    }
    this.runFor(pb, duration);
  }

  private runFor(pb: Playback, ms: number): void {
    pb.endsAt = performance.now() + ms * this.clock.scale;
    pb.remainingMs = ms;
    if (ms === Infinity) return;
    pb.task = this.clock.after(ms, () => this.mediaEnded(pb, 'done'));
  }

  private mediaEnded(pb: Playback, outcome: 'done' | 'failed'): void {
    pb.task = undefined;
    if (pb.index + 1 < pb.media.length) {
      // Several media: PlaybackContinuing between items, even after a missing one (trace h2).
      pb.state = 'continuing';
      this.pbEvent(pb, 'PlaybackContinuing');
      pb.index++;
      this.beginMedia(pb, false);
      return;
    }
    this.finish(pb, outcome);
  }

  private finish(pb: Playback, state: 'done' | 'failed'): void {
    this.clock.cancel(pb.task);
    pb.task = undefined;
    pb.state = state;
    this.pbEvent(pb, 'PlaybackFinished');
    this.playbacks.delete(pb.id);
    if (pb.player.current === pb) pb.player.current = undefined;
    if (pb.channel) {
      pb.channel.finishedCount++;
      this.checkDtmfTriggers(pb.channel);
    }
    this.pump(pb.player);
  }

  /** Hangup or restart: the active playback and every queued one end as failed (trace h). */
  private failPlayer(player: Player): void {
    const current = player.current;
    const queued = player.queue;
    player.queue = [];
    player.current = undefined;
    if (current) {
      this.clock.cancel(current.task);
      current.state = 'failed';
      this.pbEvent(current, 'PlaybackFinished');
      this.playbacks.delete(current.id);
    }
    for (const pb of queued) {
      pb.state = 'playing';
      this.pbEvent(pb, 'PlaybackStarted');
      pb.state = 'failed';
      this.pbEvent(pb, 'PlaybackFinished');
      this.playbacks.delete(pb.id);
    }
  }

  private playback(id: string | undefined): Playback {
    const pb = id ? this.playbacks.get(id) : undefined;
    if (!pb) return fail(404, 'Playback not found');
    return pb;
  }

  getPlayback(args: Args): Reply {
    return { status: 200, body: this.pbJson(this.playback(args.str('playbackId'))) };
  }

  stopPlayback(args: Args): Reply {
    const pb = this.playback(args.str('playbackId'));
    if (pb.player.current === pb) {
      this.finish(pb, 'done');
    } else {
      // A queued playback is cancelled silently: it never starts (Asterisk publishes nothing).
      pb.player.queue = pb.player.queue.filter((x) => x !== pb);
      this.playbacks.delete(pb.id);
    }
    return { status: 204 };
  }

  controlPlayback(args: Args): Reply {
    const operation = args.str('operation');
    const pb = this.playback(args.str('playbackId'));
    if (!operation) fail(400, 'Missing parameter operation');
    const op = operation as string;
    if (!['restart', 'pause', 'unpause', 'reverse', 'forward'].includes(op)) fail(400, `Invalid operation ${op}`);
    if (pb.state === 'queued') fail(409, 'Can only control playing playbacks');
    const now = performance.now();
    const remainingReal = () => (pb.remainingMs === Infinity ? Infinity : Math.max(0, (pb.endsAt - now) / this.clock.scale));
    switch (op) {
      case 'pause':
        if (pb.state === 'playing') {
          pb.remainingMs = remainingReal();
          this.clock.cancel(pb.task);
          pb.task = undefined;
          pb.state = 'paused';
        }
        break;
      case 'unpause':
        if (pb.state === 'paused') {
          pb.state = 'playing';
          this.pbEvent(pb, 'PlaybackStarted');
          this.runFor(pb, pb.remainingMs);
        }
        break;
      case 'restart': {
        const full = this.mediaDuration(pb.media[pb.index] ?? '');
        if (typeof full === 'number' && pb.state === 'playing') {
          this.clock.cancel(pb.task);
          this.runFor(pb, full);
        } else if (typeof full === 'number') {
          pb.remainingMs = full;
        }
        break;
      }
      case 'reverse':
      case 'forward': {
        const left = pb.state === 'paused' ? pb.remainingMs : remainingReal();
        const full = this.mediaDuration(pb.media[pb.index] ?? '');
        const cap = typeof full === 'number' ? full : left;
        const moved = op === 'forward' ? Math.max(0, left - pb.skipMs) : Math.min(cap, left + pb.skipMs);
        if (pb.state === 'playing') {
          this.clock.cancel(pb.task);
          this.runFor(pb, moved);
        } else {
          pb.remainingMs = moved;
        }
        break;
      }
    }
    return { status: 204 };
  }

  // ---------------------------------------------------------------- recordings

  record(args: Args, target: 'channel' | 'bridge'): Reply {
    let channel: Chan | undefined;
    let bridge: Bridge | undefined;
    if (target === 'channel') channel = this.stasisChan(args.str('channelId'));
    else bridge = this.bridge(args.str('bridgeId'));
    const name = args.str('name');
    const format = args.str('format');
    if (!name) fail(400, 'Recording name is required');
    if (!format) fail(400, 'Format is required');
    const ifExists = args.str('ifExists') ?? 'fail';
    if (!['fail', 'overwrite', 'append'].includes(ifExists)) fail(400, `ifExists invalid: ${ifExists}`);
    const terminateOn = args.str('terminateOn') ?? 'none';
    if (!['none', 'any', '*', '#'].includes(terminateOn)) fail(400, `terminateOn invalid: ${terminateOn}`);
    const maxDur = args.int('maxDurationSeconds') ?? 0;
    const maxSil = args.int('maxSilenceSeconds') ?? 0;
    if (maxDur < 0) fail(400, 'maxDurationSeconds cannot be negative');
    if (maxSil < 0) fail(400, 'maxSilenceSeconds cannot be negative');
    if (!RECORDING_FORMATS.has(format as string)) fail(422, `Unknown format: ${format}`);
    if (this.liveRecordings.has(name as string)) fail(409, 'Recording is already in progress');
    if (this.stored.has(name as string) && ifExists === 'fail') fail(409, 'Recording already exists');
    if (channel?.bridge) fail(409, 'Channel is currently bridged with other channels');
    const rec: LiveRec = {
      name: name as string, format: format as string, targetUri: channel ? `channel:${channel.id}` : `bridge:${(bridge as Bridge).id}`,
      state: 'queued', startedAt: 0, pausedMs: 0, terminateOn,
      apps: channel ? new Set(this.appsOf(channel)) : new Set((bridge as Bridge).apps),
      ...(channel ? { channel } : {}), ...(bridge ? { bridge } : {}),
    };
    this.liveRecordings.set(rec.name, rec);
    if (channel) channel.recording = rec;
    if (bridge) bridge.recording = rec;
    const snapshot = this.recJson(rec);
    const beepMs = args.bool('beep') ? 300 : 0;
    this.clock.after(beepMs, () => {
      if (rec.state !== 'queued') return;
      rec.state = 'recording';
      rec.startedAt = performance.now();
      this.emit(rec.apps, 'RecordingStarted', { recording: this.recJson(rec) });
      // The scripted callee is silent, so maxSilenceSeconds ends the recording when it is shorter.
      const limits = [maxDur, maxSil].filter((s) => s > 0);
      if (limits.length > 0) rec.task = this.clock.after(Math.min(...limits) * 1000, () => this.finishRecording(rec, 'done'));
    });
    return { status: 201, body: snapshot };
  }

  private recJson(rec: LiveRec, final = false): Record<string, unknown> {
    const base: Record<string, unknown> = { name: rec.name, format: rec.format, state: rec.state, target_uri: rec.targetUri };
    if (final) {
      const secs = this.recordedSeconds(rec);
      base.duration = secs;
      base.talking_duration = 0;
      base.silence_duration = secs;
    }
    return base;
  }

  private recordedSeconds(rec: LiveRec): number {
    if (rec.startedAt === 0) return 0;
    const end = rec.pausedAt ?? performance.now();
    return Math.max(0, Math.round((end - rec.startedAt - rec.pausedMs) / this.clock.scale / 1000));
  }

  private finishRecording(rec: LiveRec, state: 'done' | 'canceled'): void {
    if (rec.state === 'done' || rec.state === 'canceled' || rec.state === 'failed') return;
    this.clock.cancel(rec.task);
    const secs = this.recordedSeconds(rec);
    rec.state = state;
    this.liveRecordings.delete(rec.name);
    if (rec.channel && rec.channel.recording === rec) rec.channel.recording = undefined;
    if (rec.bridge && rec.bridge.recording === rec) rec.bridge.recording = undefined;
    if (state === 'done') this.stored.set(rec.name, { name: rec.name, format: rec.format, durationMs: secs * 1000 });
    this.emit(rec.apps, 'RecordingFinished', { recording: this.recJson(rec, true) });
  }

  private live(name: string | undefined): LiveRec {
    const rec = name ? this.liveRecordings.get(name) : undefined;
    if (!rec) return fail(404, 'Recording not found');
    return rec;
  }

  getLive(args: Args): Reply {
    return { status: 200, body: this.recJson(this.live(args.str('recordingName'))) };
  }

  stopLive(args: Args, discard: boolean): Reply {
    const rec = this.live(args.str('recordingName'));
    this.finishRecording(rec, discard ? 'canceled' : 'done');
    return { status: 204 };
  }

  pauseLive(args: Args, pause: boolean): Reply {
    const rec = this.live(args.str('recordingName'));
    if (rec.state !== 'recording' && rec.state !== 'paused') fail(409, 'Recording not in session');
    if (pause && rec.state === 'recording') {
      rec.state = 'paused';
      rec.pausedAt = performance.now();
    } else if (!pause && rec.state === 'paused') {
      rec.pausedMs += performance.now() - (rec.pausedAt ?? performance.now());
      rec.pausedAt = undefined;
      rec.state = 'recording';
    }
    return { status: 204 };
  }

  muteLive(args: Args): Reply {
    const rec = this.live(args.str('recordingName'));
    if (rec.state !== 'recording' && rec.state !== 'paused') fail(409, 'Recording not in session');
    return { status: 204 };
  }

  listStored(): Reply {
    return { status: 200, body: [...this.stored.values()].map((s) => ({ name: s.name, format: s.format })) };
  }

  private storedRec(name: string | undefined): Stored {
    const s = name ? this.stored.get(name) : undefined;
    if (!s) return fail(404, 'Recording not found');
    return s;
  }

  getStored(args: Args): Reply {
    const s = this.storedRec(args.str('recordingName'));
    return { status: 200, body: { name: s.name, format: s.format } };
  }

  deleteStored(args: Args): Reply {
    const s = this.storedRec(args.str('recordingName'));
    this.stored.delete(s.name);
    return { status: 204 };
  }

  copyStored(args: Args): Reply {
    const s = this.storedRec(args.str('recordingName'));
    const dest = args.str('destinationRecordingName');
    if (!dest) fail(400, 'Missing parameter destinationRecordingName');
    if (this.stored.has(dest as string)) fail(409, 'A recording with the same name already exists on the system');
    this.stored.set(dest as string, { ...s, name: dest as string });
    return { status: 200, body: { name: dest, format: s.format } };
  }

  // ---------------------------------------------------------------- bridges

  private bridgeJson(b: Bridge): Record<string, unknown> {
    return {
      id: b.id,
      technology: b.bridgeType === 'holding' ? 'holding_bridge' : b.channels.length > 2 ? 'softmix' : 'simple_bridge',
      bridge_type: b.bridgeType,
      bridge_class: 'stasis',
      creator: 'Stasis',
      name: b.name,
      channels: b.channels.map((c) => c.id),
      creationtime: b.creationtime,
      video_mode: 'talker',
    };
  }

  private bridge(id: string | undefined): Bridge {
    const b = id ? this.bridges.get(id) : undefined;
    if (!b) return fail(404, 'Bridge not found');
    return b;
  }

  createBridge(args: Args, pathId?: string): Reply {
    const id = pathId ?? args.str('bridgeId') ?? randomUUID();
    const existing = this.bridges.get(id);
    if (existing) {
      if (pathId) {
        // createWithId on an existing bridge updates its name.
        const name = args.str('name');
        if (name !== undefined) existing.name = name;
        return { status: 200, body: this.bridgeJson(existing) };
      }
      fail(409, 'Bridge with the same bridgeId already exists');
    }
    const types = (args.str('type') ?? 'mixing').split(',').map((t) => t.trim()).filter(Boolean);
    const bridgeType = types.includes('holding') ? 'holding' : 'mixing';
    const b: Bridge = { id, name: args.str('name') ?? '', bridgeType, channels: [], creationtime: ariTimestamp(), apps: new Set(), player: { queue: [] } };
    this.bridges.set(id, b);
    return { status: 200, body: this.bridgeJson(b) };
  }

  getBridge(args: Args): Reply {
    return { status: 200, body: this.bridgeJson(this.bridge(args.str('bridgeId'))) };
  }

  listBridges(): Reply {
    return { status: 200, body: [...this.bridges.values()].map((b) => this.bridgeJson(b)) };
  }

  addToBridge(args: Args): Reply {
    const b = this.bridge(args.str('bridgeId'));
    const ids = args.list('channel');
    if (ids.length === 0) fail(400, 'Missing parameter channel');
    const chans = ids.map((id) => {
      const c = this.channels.get(id);
      if (!c || !c.alive) return fail(400, 'Channel not found');
      return c;
    });
    for (const c of chans) if (!c.inStasis) fail(422, 'Channel not in Stasis application');
    for (const c of chans) if (c.recording) fail(409, 'Channel currently recording');
    for (const c of chans) {
      if (c.bridge === b) continue;
      if (c.bridge) this.removeFromBridge(c.bridge, c);
      b.channels.push(c);
      c.bridge = b;
      for (const a of c.apps) b.apps.add(a);
      this.emit(new Set([...b.apps, ...this.appsOf(c)]), 'ChannelEnteredBridge', { bridge: this.bridgeJson(b), channel: this.chanJson(c) });
    }
    return { status: 204 };
  }

  removeFromBridgeOp(args: Args): Reply {
    const b = this.bridge(args.str('bridgeId'));
    const ids = args.list('channel');
    if (ids.length === 0) fail(400, 'Missing parameter channel');
    const chans = ids.map((id) => {
      const c = this.channels.get(id);
      if (!c || !c.alive) return fail(400, 'Channel not found');
      return c;
    });
    for (const c of chans) if (c.bridge !== b) fail(422, 'Channel not in this bridge');
    for (const c of chans) this.removeFromBridge(b, c);
    return { status: 204 };
  }

  private removeFromBridge(b: Bridge, c: Chan): void {
    b.channels = b.channels.filter((x) => x !== c);
    c.bridge = undefined;
    this.emit(new Set([...b.apps, ...this.appsOf(c)]), 'ChannelLeftBridge', { bridge: this.bridgeJson(b), channel: this.chanJson(c) });
  }

  destroyBridge(args: Args): Reply {
    const b = this.bridge(args.str('bridgeId'));
    for (const c of [...b.channels]) this.removeFromBridge(b, c);
    this.failPlayer(b.player);
    if (b.recording) this.finishRecording(b.recording, 'done');
    this.bridges.delete(b.id);
    this.emit(b.apps, 'BridgeDestroyed', { bridge: this.bridgeJson(b) });
    return { status: 204 };
  }

  // ---------------------------------------------------------------- asterisk, endpoints, sounds, applications

  info(args: Args): Reply {
    const all: Record<string, unknown> = {
      build: { os: 'Linux', kernel: release(), machine: arch() === 'x64' ? 'x86_64' : arch(), options: 'OPTIONAL_API', date: this.startupTime.slice(0, 10), user: 'root' },
      system: { version: '22.10.1', entity_id: ENTITY_ID },
      config: { name: '', default_language: 'en', setid: { user: '', group: '' } },
      status: { startup_time: this.startupTime, last_reload_time: this.startupTime },
    };
    const only = args.list('only');
    if (only.length === 0) return { status: 200, body: all };
    const body: Record<string, unknown> = {};
    for (const key of only) if (key in all) body[key] = all[key];
    return { status: 200, body };
  }

  ping(): Reply {
    return { status: 200, body: { ping: 'pong', timestamp: ariTimestamp(), asterisk_id: ENTITY_ID } };
  }

  getGlobal(args: Args): Reply {
    const variable = args.str('variable');
    if (!variable) fail(400, 'Variable name is required');
    const value = this.globals.get(variable as string);
    if (value === undefined) fail(404, 'Provided variable was not found');
    return { status: 200, body: { value } };
  }

  setGlobal(args: Args): Reply {
    const variable = args.str('variable');
    if (!variable) fail(400, 'Variable name is required');
    this.globals.set(variable as string, args.str('value') ?? '');
    return { status: 204 };
  }

  private endpointList(): Array<{ technology: string; resource: string; state: string; channel_ids: string[] }> {
    const byResource = new Map<string, string>();
    const add = (pattern: string, state: string) => {
      const m = /^pjsip\/(.+)$/i.exec(pattern);
      if (!m) return;
      const rest = m[1] as string;
      const at = rest.lastIndexOf('@');
      const resource = at >= 0 ? rest.slice(at + 1) : rest;
      if (resource.includes('*') || byResource.has(resource)) return;
      byResource.set(resource, state);
    };
    for (const p of this.opts.offlineEndpoints) add(p, 'offline');
    for (const p of this.opts.knownEndpoints) add(p, 'online');
    return [...byResource.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([resource, state]) => ({
        technology: 'PJSIP',
        resource,
        state,
        channel_ids: [...this.channels.values()].filter((c) => c.tech === 'PJSIP' && c.endpointName === resource).map((c) => c.id),
      }));
  }

  listEndpoints(args: Args, byTech: boolean): Reply {
    const list = this.endpointList();
    if (!byTech) return { status: 200, body: list };
    const tech = args.str('tech') ?? '';
    if (tech.toLowerCase() === 'local') return { status: 200, body: [] };
    if (tech.toLowerCase() !== 'pjsip') fail(404, `No Endpoints found - invalid tech ${tech}`);
    return { status: 200, body: list };
  }

  getEndpoint(args: Args): Reply {
    const tech = (args.str('tech') ?? '').toLowerCase();
    const resource = args.str('resource');
    const ep = tech === 'pjsip' ? this.endpointList().find((e) => e.resource === resource) : undefined;
    if (!ep) fail(404, 'Endpoint not found');
    return { status: 200, body: ep };
  }

  private soundJson(id: string): Record<string, unknown> {
    return {
      id,
      formats: [
        { language: 'en_US_f_Allison', format: 'gsm' }, { language: 'en_US_f_Allison', format: 'slin' },
        { language: 'en', format: 'gsm' }, { language: 'en', format: 'slin' },
      ],
    };
  }

  listSounds(): Reply {
    return { status: 200, body: Object.keys(this.sounds).filter((s) => !this.missing.has(s)).sort().map((s) => this.soundJson(s)) };
  }

  getSound(args: Args): Reply {
    const id = args.str('soundId') ?? '';
    if (!(id in this.sounds) || this.missing.has(id)) fail(404, 'Sound not found');
    return { status: 200, body: this.soundJson(id) };
  }

  private appJson(name: string): Record<string, unknown> {
    return {
      name,
      channel_ids: [...this.channels.values()].filter((c) => c.apps.has(name)).map((c) => c.id),
      bridge_ids: [...this.bridges.values()].filter((b) => b.apps.has(name)).map((b) => b.id),
      endpoint_ids: [],
      device_names: [],
      events_allowed: [],
      events_disallowed: [],
    };
  }

  listApps(): Reply {
    return { status: 200, body: this.sink.apps().sort().map((a) => this.appJson(a)) };
  }

  getApp(args: Args): Reply {
    const name = args.str('applicationName') ?? '';
    if (!this.sink.hasApp(name)) fail(404, 'Application not found');
    return { status: 200, body: this.appJson(name) };
  }

  subscribe(args: Args, on: boolean): Reply {
    const name = args.str('applicationName') ?? '';
    const sources = args.list('eventSource');
    if (sources.length === 0) fail(400, 'Missing parameter eventSource');
    if (!this.sink.hasApp(name)) fail(404, 'Application not found');
    const targets: Array<Set<string>> = [];
    for (const source of sources) {
      const colon = source.indexOf(':');
      const scheme = colon < 0 ? source : source.slice(0, colon);
      const id = colon < 0 ? '' : source.slice(colon + 1);
      if (scheme === 'channel') {
        const c = this.channels.get(id);
        if (!c) fail(422, `Event source not found: ${source}`);
        targets.push((c as Chan).apps);
      } else if (scheme === 'bridge') {
        const b = this.bridges.get(id);
        if (!b) fail(422, `Event source not found: ${source}`);
        targets.push((b as Bridge).apps);
      } else if (scheme === 'endpoint' || scheme === 'deviceState') {
        continue;
      } else {
        fail(400, `Invalid scheme: ${scheme}`);
      }
    }
    for (const set of targets) {
      if (on) set.add(name);
      else if (!set.has(name)) fail(409, 'Application not subscribed to event source');
    }
    if (!on) for (const set of targets) set.delete(name);
    return { status: 200, body: this.appJson(name) };
  }

  /**
   * POST /channels/create (traces m, m2): the channel enters the application at once, in state
   * Down, before any dial; an unknown endpoint fails with 500 "Allocation failed".
   */
  createChannel(args: Args): Reply {
    const ep = args.str('endpoint') ?? '';
    const app = args.str('app') ?? '';
    const slash = ep.indexOf('/');
    if (slash <= 0 || slash === ep.length - 1) fail(400, 'Invalid endpoint specified');
    const channelId = args.str('channelId');
    if (channelId && this.channels.has(channelId)) fail(409, 'Channel with given unique ID already exists');
    const originator = args.str('originator');
    if (originator && !this.channels.has(originator)) fail(400, 'Provided originator channel was not found');
    if (this.stopping || ep.slice(0, slash).toLowerCase() !== 'pjsip' || !this.isKnown(ep)) throw new ApiError(500, { error: 'Allocation failed' });
    const resource = ep.slice(slash + 1);
    const at = resource.indexOf('@');
    const endpointName = at >= 0 ? resource.slice(at + 1) : resource;
    const vars = args.vars();
    const caller = { name: vars['CALLERID(name)'] ?? '', number: vars['CALLERID(num)'] ?? '' };
    const c = this.makeChan({
      id: channelId || this.newId(), name: `PJSIP/${endpointName}-${(this.pjsipSeq++).toString(16).padStart(8, '0')}`, tech: 'PJSIP', endpoint: ep, endpointName,
      dialstring: resource, caller, script: this.scriptFor(ep), timeoutSec: -1, protocolId: randomUUID(),
      dialplan: { context: PHONE_CONTEXT, exten: 's', priority: 1, app_name: 'Stasis', app_data: app },
    });
    for (const [k, v] of Object.entries(vars)) if (!k.startsWith('CALLERID(')) this.applyVar(c, k, v);
    c.stasisApp = app;
    c.apps.add(app);
    c.args = (args.str('appArgs') ?? '').split(',').filter((a) => a !== '');
    c.created = true;
    const snapshot = this.chanJson(c);
    this.clock.after(0, () => {
      if (!c.alive) return;
      c.inStasis = true;
      this.chanEvent(c, 'StasisStart', { args: c.args });
    });
    return { status: 200, body: snapshot };
  }

  /**
   * POST /channels/{id}/dial of a created channel (traces m, m2): Dial with the dialstring, then
   * RINGING and ANSWER with an empty one; a failed dial has no final Dial event — a rejecting
   * phone gives HangupRequest 17 (SIP 486) and Destroyed 17, the timeout HangupRequest 32 soft
   * and Destroyed 19 (SIP 480).
   */
  dialCreated(args: Args): Reply {
    const c = this.channels.get(args.str('channelId') ?? '');
    if (!c || !c.alive) fail(404, 'Channel cannot be found.');
    const ch = c as Chan;
    if (!ch.created || ch.dialed) fail(409, 'Channel cannot be dialed.');
    ch.dialed = true;
    const timeoutSec = args.int('timeout') ?? 0;
    const timeout = timeoutSec > 0 ? timeoutSec * 1000 : 30_000;
    this.clock.after(0, () => {
      if (!ch.alive) return;
      this.emit(this.appsOf(ch), 'Dial', { dialstatus: '', forward: '', dialstring: ch.dialstring, peer: this.chanJson(ch) });
      const result = ch.script.result ?? 'answer';
      const ringing = (): void => {
        this.setState(ch, 'Ringing');
        this.emit(this.appsOf(ch), 'Dial', { dialstatus: 'RINGING', forward: '', dialstring: '', peer: this.chanJson(ch) });
      };
      ringing();
      const delay = this.outcomeDelay(ch);
      if (result === 'no-answer' || (result === 'answer' && delay >= timeout)) {
        this.at(ch, timeout, () => {
          this.hangupRequest(ch, 32, true);
          this.hangupInternalCreated(ch, 19, 480);
        });
        return;
      }
      this.at(ch, delay, () => {
        if (result === 'answer') {
          this.setState(ch, 'Up');
          this.emit(this.appsOf(ch), 'Dial', { dialstatus: 'ANSWER', forward: '', dialstring: '', peer: this.chanJson(ch) });
          ch.answered = true;
          this.scheduleScript(ch);
          return;
        }
        const [cause, sip] = ({ busy: [17, 486], congestion: [34, 503], reject: [21, 603] } as Record<string, [number, number]>)[result] ?? [38, 500];
        this.hangupRequest(ch, cause, false, sip);
        this.hangupInternalCreated(ch, cause, sip);
      });
    });
    return { status: 204, body: undefined };
  }

  /** A created leg that failed to connect: out of Stasis, then destroyed with the cause. */
  private hangupInternalCreated(c: Chan, cause: number, sip: number): void {
    if (c.bridge) this.removeFromBridge(c.bridge, c);
    c.inStasis = false;
    this.chanEvent(c, 'StasisEnd');
    this.destroyedEvent(c, cause, sip);
    this.remove(c);
  }

  /** A phone calls in (trace l): StasisStart in state Ring, with the dialed extension as argument. */
  inbound(from: string, exten: string, app: string, args: string[], caller: CallerId): string {
    const endpointName = from.replace(/^pjsip\//i, '');
    const c = this.makeChan({
      id: this.newId(), name: `PJSIP/${endpointName}-${(this.pjsipSeq++).toString(16).padStart(8, '0')}`, tech: 'PJSIP', endpoint: `PJSIP/${endpointName}`,
      endpointName, dialstring: '', caller, script: { result: 'answer' }, timeoutSec: -1, protocolId: randomUUID(),
      dialplan: { context: PHONE_CONTEXT, exten, priority: 2, app_name: 'Stasis', app_data: [app, ...args].join(',') },
    });
    c.inbound = true;
    c.connected = { name: '', number: '' };
    c.state = 'Ring';
    c.stasisApp = app;
    c.apps.add(app);
    c.args = args;
    this.clock.after(0, () => {
      if (!c.alive) return;
      if (!this.sink.hasApp(app)) {
        this.remove(c);
        return;
      }
      c.inStasis = true;
      c.answered = true;
      this.chanEvent(c, 'StasisStart', { args });
    });
    return c.id;
  }
}

function containsNumber(haystack: string, digits: string): boolean {
  if (digits === '') return false;
  let i = haystack.indexOf(digits);
  while (i >= 0) {
    const before = haystack[i - 1];
    const after = haystack[i + digits.length];
    if ((before === undefined || !/[0-9]/.test(before)) && (after === undefined || !/[0-9]/.test(after))) return true;
    i = haystack.indexOf(digits, i + 1);
  }
  return false;
}
