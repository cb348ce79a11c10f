// The dial step's call: a second leg connected to the first in a mixing bridge, the way Asterisk
// 22 documents it for ARI and traces m-bridge-two-legs / m2-dial-leg-busy-and-noanswer show:
//   bridge created (type mixing), first party added, ringback on the bridge (tone or moh);
//   POST /channels/create (originator: the first party) — the leg enters the application Down
//   (its StasisStart, which may come after the create's answer); then POST /channels/{id}/dial
//   with the ring time;
//   answered (Dial ANSWER / state Up): ringback stopped, the leg added to the bridge;
//   over when the leg goes (its hangup), the time limit is reached (we hang it up) or the first
//   party hangs up (we hang the leg up); the bridge is destroyed and the first party stays in the
//   application for the rest of the flow.
// The outcome of a leg that does not answer: its final Dial status when Asterisk publishes one
// (the `dialstatus` values Asterisk documents: BUSY → busy; NOANSWER → no-answer; CONGESTION,
// CHANUNAVAIL, CANCEL and any other final status → failed: a dial cancelled by anyone but the
// caller is a failed dial for the flow, while the caller hanging up cancels the step anyway). A Local channel's dial
// goes through Asterisk's dial core, which publishes them (main/dial.c). A PJSIP leg's recordings
// (trace m2) show no final Dial event: then the outcome is read from the leg's ChannelDestroyed
// cause (17 busy; 18, 19, 21 no answer; others failed). Either way the leg is then hung up if it
// is not gone yet and its end awaited. A refused create (500 "Allocation failed": an
// unregistered endpoint) fails at once.
// Longer than 250 lines: the sequence above is one staged operation (every wait and its cleanup
// in one function), read top to bottom like the trace it follows.
import { randomUUID } from 'node:crypto';
import { dialBridgeId, dialedLegId } from './leg-ids.js';
import type { DialOutcome } from '../domain/flow.js';
import type { TelephonyEvent, TelephonyPort } from './port.js';
import { CallLeg, type LegNews } from './call-leg.js';
import type { CallMedia } from './call-media.js';
import { CallAborted, REAL_TIMERS, waitUntil, type Timers } from './wait.js';
import type { TimelineWriter } from '../domain/timeline.js';

export interface DialRequest {
  to: string;
  callerId: string | undefined;
  timeoutMs: number;
  timeLimitMs: number | undefined;
  ringback: 'ringing' | 'moh';
  /** Media both parties hear once they are bridged (a playback on the bridge). */
  announce: string[] | undefined;
  /** Record the bridged conversation (a stored recording of the session, like the record step's). */
  record: boolean;
  /** The dial step's id (the recording is registered under it). */
  stepId: string;
}

export interface DialResult {
  outcome: DialOutcome;
  /** Cause of the second leg's end, or why it could not be made. */
  reason: string;
}

/** What the session gives the dial: its first channel, the routing, and the event routing of new legs. */
export interface DialContext {
  port: TelephonyPort;
  sessionId: string;
  firstChannelId: string;
  /** The first leg's media (the bridge's playbacks and recording are watched there). */
  media: CallMedia;
  hangupConfirmMs: number;
  /** Grace for the recording's RecordingFinished after the bridge is destroyed. */
  recordingGraceMs: number;
  timeline: TimelineWriter;
  /** The ARI endpoint and the caller number for `to`, or why not (no route, policy, callerId not owned). */
  resolve(to: string, callerId: string | undefined): Promise<{ ok: true; endpoint: string; callerNumber: string } | { ok: false; reason: string }>;
  /** Routes the events of a new channel or bridge to this session (before it is created). */
  attach(kind: 'channel' | 'bridge', id: string): void;
  /** Feeds the dialed leg's events: set while a dial runs. */
  setDialedLeg(handler: ((event: TelephonyEvent) => void) | undefined): void;
  /** The waits' timers (default Node's; a flow simulation passes its virtual clock). */
  timers?: Timers;
  /** Ids of what the dial creates (default: leg-ids.ts's and random ones; a simulation passes repeatable ones). */
  newId?: (kind: 'leg' | 'bridge' | 'playback' | 'recording') => string;
}

function randomIds(firstChannelId: string): (kind: 'leg' | 'bridge' | 'playback' | 'recording') => string {
  return (kind) => {
    if (kind === 'leg') return dialedLegId(firstChannelId);
    if (kind === 'bridge') return dialBridgeId(firstChannelId);
    return `${kind === 'playback' ? 'pb' : 'rec'}-${randomUUID()}`;
  };
}

/** The channel variable carrying the session id (as on the first leg). */
const SESSION_ID_VARIABLE = 'ENGINE_SESSION_ID';
/** How long a created channel may take to enter the application (its StasisStart) before it is dialed. */
const ENTER_APP_TIMEOUT_MS = 5_000;
/** Grace beyond the ring time for Asterisk's own dial timeout to end the leg. */
const RING_GRACE_MS = 10_000;

export async function dialAndBridge(given: DialContext, req: DialRequest, signal: AbortSignal): Promise<DialResult> {
  const ctx = { ...given, timers: given.timers ?? REAL_TIMERS, newId: given.newId ?? randomIds(given.firstChannelId) };
  const target = await ctx.resolve(req.to, req.callerId);
  if (!target.ok) {
    ctx.timeline('dial.ended', { outcome: 'failed', reason: target.reason });
    return { outcome: 'failed', reason: target.reason };
  }
  const legId = ctx.newId('leg');
  const bridgeId = ctx.newId('bridge');
  const news: LegNews[] = [];
  const listeners = new Set<() => void>();
  const notify = (): void => { for (const l of [...listeners]) l(); };
  const subscribe = (l: () => void): (() => void) => { listeners.add(l); return () => listeners.delete(l); };
  const leg = new CallLeg(legId, ctx.port, ctx.hangupConfirmMs, (...args) => ctx.timeline(...args), 'created');
  const onNews = (n: LegNews): void => { news.push(n); notify(); };
  ctx.attach('channel', legId);
  ctx.attach('bridge', bridgeId);
  let finalStatus: DialResult | undefined;
  ctx.setDialedLeg((event) => {
    const status = event.type === 'dial' && finalStatus === undefined && !leg.answered ? dialStatusOutcome(event.dialstatus) : undefined;
    if (status) finalStatus = status;
    const n = leg.handle(event);
    if (n) onNews(n);
    else if (status) notify();
  });
  const seen = (kind: LegNews['kind']): LegNews | undefined => news.find((n) => n.kind === kind);
  let bridgeMade = false;
  let ringback: { stop(): Promise<void> } | undefined;
  let announcement: { stop(): Promise<void> } | undefined;
  let recording: { finish(): Promise<void> } | undefined;
  let result: DialResult = { outcome: 'failed', reason: 'not dialed' };
  try {
    const made = await ctx.port.createBridge(bridgeId, ctx.sessionId);
    if (!made.ok) return (result = { outcome: 'failed', reason: `bridge refused (${made.kind}): ${made.message}` });
    bridgeMade = true;
    ctx.timeline('bridge.created', { bridgeId, type: 'mixing' });
    const joined = await ctx.port.addToBridge(bridgeId, [ctx.firstChannelId]);
    if (!joined.ok) {
      if (joined.kind === 'not-found') throw new CallAborted('channel gone');
      return (result = { outcome: 'failed', reason: `bridge refused the caller (${joined.kind}): ${joined.message}` });
    }
    ringback = await startRingback(ctx, bridgeId, req.ringback);
    ctx.timeline('leg.created', { leg: legId, role: 'dialed', endpoint: target.endpoint, number: req.to, callerId: target.callerNumber });
    const created = await ctx.port.createChannel({
      channelId: legId, endpoint: target.endpoint, originator: ctx.firstChannelId, callerNumber: target.callerNumber,
      variables: { [SESSION_ID_VARIABLE]: ctx.sessionId }, appArgs: ['dialed', ctx.sessionId],
    });
    if (!created.ok) {
      leg.markGone();
      ctx.timeline('leg.failed', { leg: legId, kind: created.kind, message: created.message });
      return (result = { outcome: 'failed', reason: `Asterisk refused the channel (${created.kind}): ${created.message}` });
    }
    // POST /channels/create can answer before the channel is in the application; a dial sent then
    // gets 409 "Channel not in Stasis application" (seen on a real 22.10.1 under load, trace
    // s-dial-before-stasis-start). Its StasisStart is the documented signal that it may be dialed.
    const entered = await waitUntil(() => seen('entered-app') ?? seen('destroyed'), subscribe, signal, ENTER_APP_TIMEOUT_MS, ctx.timers);
    if (entered === undefined) return (result = { outcome: 'failed', reason: `the created channel did not enter the application within ${ENTER_APP_TIMEOUT_MS} ms` });
    if (entered.kind === 'destroyed') return (result = unanswered(entered.cause, entered.causeTxt));
    const dialed = await ctx.port.dial(legId, ctx.firstChannelId, Math.ceil(req.timeoutMs / 1000));
    if (!dialed.ok && dialed.kind !== 'not-found') {
      return (result = { outcome: 'failed', reason: `dial refused (${dialed.kind}): ${dialed.message}` });
    }
    const first = await waitUntil(() => seen('answered') ?? finalStatus ?? seen('destroyed'), subscribe, signal, req.timeoutMs + RING_GRACE_MS, ctx.timers);
    if (first === undefined) return (result = { outcome: 'no-answer', reason: `no answer within ${req.timeoutMs} ms` });
    if ('outcome' in first) return (result = first);
    if (first.kind === 'destroyed') return (result = unanswered(first.cause, first.causeTxt));
    await ringback.stop();
    ringback = undefined;
    ctx.timeline('leg.answered', { leg: legId });
    const bridged = await ctx.port.addToBridge(bridgeId, [legId]);
    if (!bridged.ok) {
      // Refused because the party hung up right after answering (its end is on its way)?
      const gone = await waitUntil(() => seen('destroyed'), subscribe, signal, ctx.hangupConfirmMs, ctx.timers);
      if (gone?.kind === 'destroyed') return (result = { outcome: 'answered', reason: `the dialed party hung up at once: cause ${gone.cause} (${gone.causeTxt})` });
      return (result = { outcome: 'failed', reason: `bridge refused the dialed party (${bridged.kind}): ${bridged.message}` });
    }
    if (req.announce) announcement = await playOnBridge(ctx, bridgeId, req.announce);
    if (req.record) recording = await recordBridge(ctx, bridgeId, req);
    const over = await waitUntil(() => seen('destroyed'), subscribe, signal, req.timeLimitMs, ctx.timers);
    const gone = over?.kind === 'destroyed' ? over : undefined;
    result = {
      outcome: 'answered',
      reason: gone ? `the dialed party hung up: cause ${gone.cause} (${gone.causeTxt})` : `time limit of ${req.timeLimitMs} ms reached`,
    };
    return result;
  } catch (err) {
    if (err instanceof CallAborted || signal.aborted) result = { outcome: 'canceled', reason: 'the caller hung up or the call was stopped' };
    throw err;
  } finally {
    if (ringback) await ringback.stop();
    if (announcement) await announcement.stop();
    if (!leg.gone) {
      await leg.hangup(onNews);
      await waitUntil(() => seen('destroyed'), subscribe, new AbortController().signal, ctx.hangupConfirmMs + 1_000, ctx.timers);
    }
    if (bridgeMade) {
      const destroyed = await ctx.port.destroyBridge(bridgeId);
      ctx.timeline('bridge.destroyed', { bridgeId, ...(destroyed.ok ? {} : { kind: destroyed.kind }) });
    }
    // Destroying the bridge ends its recording: RecordingFinished follows.
    if (recording) await recording.finish();
    ctx.setDialedLeg(undefined);
    leg.dispose();
    ctx.timeline('dial.ended', { leg: legId, outcome: result.outcome, reason: result.reason });
  }
}

/** Records the bridge; `finish` waits (bounded) for its RecordingFinished and registers it. */
type Dialing = DialContext & Required<Pick<DialContext, 'timers' | 'newId'>>;

async function recordBridge(ctx: Dialing, bridgeId: string, req: DialRequest): Promise<{ finish(): Promise<void> } | undefined> {
  const name = ctx.newId('recording');
  const watch = ctx.media.expectRecording(name);
  const maxDurationSeconds = req.timeLimitMs === undefined ? 0 : Math.ceil(req.timeLimitMs / 1000) + 1;
  const res = await ctx.port.recordBridge(bridgeId, { name, format: 'wav', maxDurationSeconds });
  if (!res.ok) {
    ctx.media.forgetRecording(name);
    ctx.timeline('error', { op: 'recordBridge', kind: res.kind, message: res.message });
    return undefined;
  }
  ctx.timeline('recording.started', { name, bridgeId });
  return {
    finish: async () => {
      const subscribe = (l: () => void): (() => void) => ctx.media.subscribe(l);
      const outcome = await waitUntil(() => watch.finished ?? (watch.failed !== undefined ? { state: 'failed' } : undefined), subscribe, new AbortController().signal, ctx.recordingGraceMs, ctx.timers);
      ctx.media.forgetRecording(name);
      // The `recording.finished` row (state done) registers the recording with the session.
      ctx.timeline('recording.finished', { name, stepId: req.stepId, format: 'wav', bridgeId, ...(outcome ?? { state: 'lost' }) });
    },
  };
}

/** Dial statuses of a dial still under way (or answered, which the leg itself reports). */
const PROGRESS_STATUSES = new Set(['', 'RINGING', 'PROGRESS', 'PROCEEDING', 'ANSWER']);

/** The outcome a final Dial status gives, or undefined while the dial is under way. */
function dialStatusOutcome(status: string): DialResult | undefined {
  if (PROGRESS_STATUSES.has(status)) return undefined;
  const reason = `Dial ${status}`;
  if (status === 'BUSY') return { outcome: 'busy', reason };
  if (status === 'NOANSWER') return { outcome: 'no-answer', reason };
  return { outcome: 'failed', reason };
}

/** Busy, no answer or failed, from the cause Asterisk gave the leg that never answered. */
function unanswered(cause: number, causeTxt: string): DialResult {
  const reason = `cause ${cause} (${causeTxt})`;
  if (cause === 17) return { outcome: 'busy', reason };
  if (cause === 18 || cause === 19 || cause === 21) return { outcome: 'no-answer', reason };
  return { outcome: 'failed', reason };
}

/** Ringing tone (a playback on the bridge) or music on hold to the first party while the leg rings. */
async function startRingback(ctx: Dialing, bridgeId: string, kind: 'ringing' | 'moh'): Promise<{ stop(): Promise<void> }> {
  if (kind === 'moh') {
    const res = await ctx.port.startBridgeMoh(bridgeId);
    if (!res.ok) ctx.timeline('error', { op: 'startBridgeMoh', kind: res.kind, message: res.message });
    return { stop: async () => { if (res.ok) await ctx.port.stopBridgeMoh(bridgeId); } };
  }
  return playOnBridge(ctx, bridgeId, ['tone:ring']);
}

/** A playback every channel of the bridge hears; `stop` ends it if it still plays. */
async function playOnBridge(ctx: Dialing, bridgeId: string, media: string[]): Promise<{ stop(): Promise<void> }> {
  const playbackId = ctx.newId('playback');
  const watch = ctx.media.expectPlayback(playbackId);
  const res = await ctx.port.playOnBridge(bridgeId, playbackId, media);
  ctx.timeline('bridge.playback', { bridgeId, playbackId, media, ...(res.ok ? {} : { kind: res.kind, message: res.message }) });
  if (!res.ok) {
    ctx.media.forgetPlayback(playbackId);
    ctx.timeline('error', { op: 'playOnBridge', kind: res.kind, message: res.message });
    return { stop: async () => undefined };
  }
  return {
    stop: async () => {
      if (watch.finished === undefined) await ctx.port.stopPlayback(playbackId);
      ctx.media.forgetPlayback(playbackId);
    },
  };
}
