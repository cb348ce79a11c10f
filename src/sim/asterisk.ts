// The simulated Asterisk's state (channels, playbacks, bridges, recordings, scripts) and the event
// helpers every resource module shares. The REST operations live in one module per ARI resource.
import type { Clock } from './clock.js';
import { HttpMediaCache } from './http-media.js';
import { ariTimestamp, causeText, globToRegExp } from './ari-format.js';
import type { CalleeScript, SimChannelInfo, SimRequestRecord } from './types.js';
import { type EventSink } from './rest.js';
import { type Chan, type Playback, type Bridge, type LiveRec, type Stored, type AsteriskOptions, BUILTIN_SOUNDS_MS, ENTITY_ID } from './entities.js';

export { ApiError, Args, type EventSink, type Reply } from './rest.js';
export { BUILTIN_SOUNDS_MS } from './entities.js';

export class SimAsterisk {
  readonly channels = new Map<string, Chan>();
  readonly playbacks = new Map<string, Playback>();
  readonly bridges = new Map<string, Bridge>();
  readonly liveRecordings = new Map<string, LiveRec>();
  readonly stored = new Map<string, Stored>();
  readonly globals = new Map<string, string>();
  readonly httpMedia: HttpMediaCache;
  /** Media WebSocket channels waiting for (or served by) their client, by connection id. */
  readonly mediaSockets = new Map<string, Chan>();
  rtpSeq = 0;
  snoopSeq = 0;
  readonly scripts = new Map<string, CalleeScript>();
  readonly known: RegExp[];
  readonly offline: RegExp[];
  readonly sounds: Record<string, number>;
  readonly missing: Set<string>;
  localSeq = 0;
  pjsipSeq = 0;
  idSeq = 0;
  originates = 0;
  startupTime = ariTimestamp();
  /**
   * Fault: the next created channels (POST /channels/create) enter the application this many
   * simulated milliseconds late, as a loaded real Asterisk does (trace s-dial-before-stasis-start).
   */
  createdEnterDelays: number[] = [];
  /** Graceful stop in progress: new originates are refused. */
  stopping = false;
  idleWaiters: Array<() => void> = [];

  constructor(readonly opts: AsteriskOptions, readonly clock: Clock, readonly sink: EventSink) {
    for (const [k, v] of Object.entries(opts.scripts)) this.scripts.set(k, v);
    this.known = opts.knownEndpoints.map(globToRegExp);
    this.offline = opts.offlineEndpoints.map(globToRegExp);
    this.sounds = { ...BUILTIN_SOUNDS_MS, ...opts.soundDurationsMs };
    this.missing = new Set(opts.missingSounds);
    this.httpMedia = new HttpMediaCache(opts.astCacheDir);
  }

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


  emit(apps: ReadonlySet<string>, type: string, fields: Record<string, unknown>): void {
    if (apps.size === 0) return;
    this.sink.deliver(apps, { type, timestamp: ariTimestamp(), ...fields, asterisk_id: ENTITY_ID });
  }

  chanJson(c: Chan): Record<string, unknown> {
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

  /**
   * Local ;2 events reach the apps subscribed to its ;1 half (as the traces show), and its own app
   * while in one; those of a channel the app created (POST /channels/create) reach none (traces s, t).
   */
  appsOf(c: Chan): ReadonlySet<string> {
    if (!c.owner || c.owner.created) return c.apps;
    return c.apps.size === 0 ? c.owner.apps : new Set([...c.owner.apps, ...c.apps]);
  }

  chanEvent(c: Chan, type: string, extra: Record<string, unknown> = {}): void {
    const apps = this.appsOf(c);
    if (apps.size === 0) return;
    this.emit(apps, type, { ...extra, channel: this.chanJson(c) });
  }

  setState(c: Chan, state: string): void {
    c.state = state;
    this.chanEvent(c, 'ChannelStateChange');
  }

  dial(c: Chan, dialstatus: string, dialstring = c.dialstring): void {
    this.emit(this.appsOf(c), 'Dial', { dialstatus, forward: '', dialstring, peer: this.chanJson(c) });
  }

  destroyedEvent(c: Chan, cause: number, techCause?: number): void {
    this.chanEvent(c, 'ChannelDestroyed', { cause, cause_txt: causeText(cause), ...(techCause !== undefined ? { tech_cause: techCause } : {}) });
  }

  hangupRequest(c: Chan, cause?: number, soft?: boolean, techCause?: number): void {
    this.chanEvent(c, 'ChannelHangupRequest', {
      ...(cause !== undefined ? { cause } : {}),
      ...(techCause !== undefined ? { tech_cause: techCause } : {}),
      ...(soft ? { soft: true } : {}),
    });
  }

  varset(c: Chan, variable: string, value: string): void {
    this.chanEvent(c, 'ChannelVarset', { variable, value });
  }

  at(c: Chan, ms: number, fn: () => void): void {
    c.tasks.push(this.clock.after(ms, () => {
      if (c.alive) fn();
    }));
  }























  /** Resolves once no channel is left. */
  whenIdle(): Promise<void> {
    if (this.channels.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
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

