// A scripted TelephonyPort for unit tests of steps and call sessions (no ARI, no sockets).
// Playbacks run on timers like Asterisk's (PlaybackStarted, then PlaybackFinished after the
// media's duration), hangups produce Asterisk's event sequence, and tests inject any event.
import type {
  ChannelListing, ConnectionEvent, CreateChannelRequest, OriginateRequest, PortResult, SoundInfo, TelephonyEvent, TelephonyPort,
} from '../../src/telephony/port.js';

export interface FakePlayback {
  playbackId: string;
  channelId: string;
  media: string[];
  stopped: boolean;
}

export interface FakePortOptions {
  /** Duration of one media item (default 30 ms). */
  mediaMs?: (media: string) => number;
  /** Final state of a playback (default `done`; `never` = starts and never finishes; `silent` = no events at all). */
  playbackOutcome?: (media: string[]) => 'done' | 'failed' | 'never' | 'silent';
  /** Answer of play() (default ok). */
  playResult?: (channelId: string) => PortResult;
}

const now = (): string => new Date().toISOString();

export class FakePort implements TelephonyPort {
  readonly calls: Array<{ op: string; args: unknown[] }> = [];
  readonly playbacks: FakePlayback[] = [];
  private readonly listeners: Array<(e: TelephonyEvent) => void> = [];
  private readonly connectionListeners: Array<(e: ConnectionEvent) => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly finishTimers = new Map<string, NodeJS.Timeout>();
  readonly channels = new Set<string>();
  /** Bridges that exist (created and not destroyed). */
  readonly bridges = new Set<string>();
  connected = true;
  originateResults: PortResult[] = [];
  /** Fires after each play() was accepted (tests use it to press digits "during the prompt"). */
  onPlay: ((p: FakePlayback) => void) | undefined;
  /** Fires when a playback finishes (for "N ms after the prompt ended"). */
  onPlaybackFinished: ((p: FakePlayback, state: string) => void) | undefined;

  constructor(private readonly opts: FakePortOptions = {}) {}

  emit(event: TelephonyEvent): void {
    for (const l of this.listeners) l(event);
  }

  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  dtmf(channelId: string, digit: string): void {
    this.emit({ type: 'dtmf', channelId, digit, durationMs: 100, at: now() });
  }

  /** The far end hangs up, as Asterisk reports it. */
  farEndHangup(channelId: string, cause = 16): void {
    this.emit({ type: 'hangup-request', channelId, at: now() });
    for (const p of this.playbacks) if (p.channelId === channelId && this.finishTimers.has(p.playbackId)) this.finishPlayback(p, 'failed');
    this.emit({ type: 'stasis-end', channelId, at: now() });
    this.emit({ type: 'channel-destroyed', channelId, cause, causeTxt: 'Normal Clearing', at: now() });
    this.channels.delete(channelId);
  }

  private finishPlayback(p: FakePlayback, state: string): void {
    const t = this.finishTimers.get(p.playbackId);
    if (t) clearTimeout(t);
    this.finishTimers.delete(p.playbackId);
    this.emit({ type: 'playback-finished', playbackId: p.playbackId, channelId: p.channelId, state, at: now() });
    this.onPlaybackFinished?.(p, state);
  }

  ops(op: string): Array<unknown[]> {
    return this.calls.filter((c) => c.op === op).map((c) => c.args);
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    for (const t of this.finishTimers.values()) clearTimeout(t);
    this.timers.clear();
    this.finishTimers.clear();
  }

  // ---- TelephonyPort ----
  async start(): Promise<void> {
    for (const l of this.connectionListeners) l({ type: 'connected' });
  }
  async close(): Promise<void> {
    this.dispose();
  }
  isConnected(): boolean {
    return this.connected;
  }
  onEvent(listener: (event: TelephonyEvent) => void): void {
    this.listeners.push(listener);
  }
  onConnection(listener: (event: ConnectionEvent) => void): void {
    this.connectionListeners.push(listener);
  }
  connectionEvent(event: ConnectionEvent): void {
    for (const l of this.connectionListeners) l(event);
  }
  async originate(req: OriginateRequest): Promise<PortResult> {
    this.calls.push({ op: 'originate', args: [req] });
    const result = this.originateResults.shift() ?? { ok: true, value: undefined };
    if (result.ok) this.channels.add(req.channelId);
    return result;
  }
  async answer(channelId: string): Promise<PortResult> {
    this.calls.push({ op: 'answer', args: [channelId] });
    return { ok: true, value: undefined };
  }
  async play(channelId: string, playbackId: string, media: string[]): Promise<PortResult> {
    this.calls.push({ op: 'play', args: [channelId, playbackId, media] });
    const refused = this.opts.playResult?.(channelId);
    if (refused && !refused.ok) return refused;
    const p: FakePlayback = { playbackId, channelId, media, stopped: false };
    this.playbacks.push(p);
    const outcome = this.opts.playbackOutcome?.(media) ?? 'done';
    if (outcome === 'silent') return { ok: true, value: undefined };
    // As with Asterisk, PlaybackStarted may arrive before the REST answer.
    this.emit({ type: 'playback-started', playbackId, channelId, at: now() });
    if (outcome !== 'never') {
      const ms = media.reduce((n, m) => n + (this.opts.mediaMs?.(m) ?? 30), 0);
      this.finishTimers.set(playbackId, setTimeout(() => this.finishPlayback(p, outcome), ms));
    } else {
      this.finishTimers.set(playbackId, setTimeout(() => undefined, 0));
    }
    this.onPlay?.(p);
    return { ok: true, value: undefined };
  }
  async stopPlayback(playbackId: string): Promise<PortResult> {
    this.calls.push({ op: 'stopPlayback', args: [playbackId] });
    const p = this.playbacks.find((x) => x.playbackId === playbackId);
    if (!p || !this.finishTimers.has(playbackId)) return { ok: false, kind: 'not-found', message: 'Playback not found' };
    p.stopped = true;
    // Asterisk reports a stopped playback as `done`.
    this.later(1, () => this.finishPlayback(p, 'done'));
    return { ok: true, value: undefined };
  }
  async playbackState(playbackId: string): Promise<PortResult<string>> {
    this.calls.push({ op: 'playbackState', args: [playbackId] });
    return this.finishTimers.has(playbackId) ? { ok: true, value: 'playing' } : { ok: false, kind: 'not-found', message: 'Playback not found' };
  }
  async record(channelId: string, opts: { name: string }): Promise<PortResult> {
    this.calls.push({ op: 'record', args: [channelId, opts] });
    this.later(20, () => this.emit({ type: 'recording-finished', name: opts.name, channelId, state: 'done', durationSec: 1, at: now() }));
    return { ok: true, value: undefined };
  }
  async hangup(channelId: string, reason?: string): Promise<PortResult> {
    this.calls.push({ op: 'hangup', args: [channelId, reason] });
    if (!this.channels.has(channelId)) return { ok: false, kind: 'not-found', message: 'Channel not found' };
    this.later(1, () => {
      this.emit({ type: 'hangup-request', channelId, cause: 32, soft: true, at: now() });
      this.emit({ type: 'stasis-end', channelId, at: now() });
      this.emit({ type: 'channel-destroyed', channelId, cause: 16, causeTxt: 'Normal Clearing', at: now() });
      this.channels.delete(channelId);
    });
    return { ok: true, value: undefined };
  }
  async setVariable(channelId: string, name: string, value: string): Promise<PortResult> {
    this.calls.push({ op: 'setVariable', args: [channelId, name, value] });
    return { ok: true, value: undefined };
  }
  async startMoh(channelId: string, mohClass?: string): Promise<PortResult> {
    this.calls.push({ op: 'startMoh', args: [channelId, mohClass] });
    return this.channels.has(channelId) ? { ok: true, value: undefined } : { ok: false, kind: 'not-found', message: 'Channel not found' };
  }
  async stopMoh(channelId: string): Promise<PortResult> {
    this.calls.push({ op: 'stopMoh', args: [channelId] });
    return this.channels.has(channelId) ? { ok: true, value: undefined } : { ok: false, kind: 'not-found', message: 'Channel not found' };
  }
  async sendDtmf(channelId: string, digits: string): Promise<PortResult> {
    this.calls.push({ op: 'sendDtmf', args: [channelId, digits] });
    return this.channels.has(channelId) ? { ok: true, value: undefined } : { ok: false, kind: 'not-found', message: 'Channel not found' };
  }
  async createChannel(req: CreateChannelRequest): Promise<PortResult> {
    this.calls.push({ op: 'createChannel', args: [req] });
    this.channels.add(req.channelId);
    // As Asterisk does (trace m): the created channel enters the application Down, after the answer.
    this.later(0, () => this.emit({ type: 'stasis-start', channelId: req.channelId, args: req.appArgs, state: 'Down', at: now() }));
    return { ok: true, value: undefined };
  }
  async dial(channelId: string, caller: string, timeoutSec: number): Promise<PortResult> {
    this.calls.push({ op: 'dial', args: [channelId, caller, timeoutSec] });
    return this.channels.has(channelId) ? { ok: true, value: undefined } : { ok: false, kind: 'not-found', message: 'Channel cannot be found.' };
  }
  async createBridge(bridgeId: string, name: string): Promise<PortResult> {
    this.calls.push({ op: 'createBridge', args: [bridgeId, name] });
    this.bridges.add(bridgeId);
    return { ok: true, value: undefined };
  }
  async addToBridge(bridgeId: string, channelIds: string[]): Promise<PortResult> {
    this.calls.push({ op: 'addToBridge', args: [bridgeId, channelIds] });
    return { ok: true, value: undefined };
  }
  async destroyBridge(bridgeId: string): Promise<PortResult> {
    this.calls.push({ op: 'destroyBridge', args: [bridgeId] });
    return this.bridges.delete(bridgeId) ? { ok: true, value: undefined } : { ok: false, kind: 'not-found', message: 'Bridge not found' };
  }
  async playOnBridge(bridgeId: string, playbackId: string, media: string[]): Promise<PortResult> {
    this.calls.push({ op: 'playOnBridge', args: [bridgeId, playbackId, media] });
    return { ok: true, value: undefined };
  }
  async startBridgeMoh(bridgeId: string, mohClass?: string): Promise<PortResult> {
    this.calls.push({ op: 'startBridgeMoh', args: [bridgeId, mohClass] });
    return { ok: true, value: undefined };
  }
  async recordBridge(bridgeId: string, opts: { name: string }): Promise<PortResult> {
    this.calls.push({ op: 'recordBridge', args: [bridgeId, opts.name] });
    return { ok: true, value: undefined };
  }
  async stopBridgeMoh(bridgeId: string): Promise<PortResult> {
    this.calls.push({ op: 'stopBridgeMoh', args: [bridgeId] });
    return { ok: true, value: undefined };
  }
  async continueInDialplan(channelId: string, context: string, extension: string, priority: number): Promise<PortResult> {
    this.calls.push({ op: 'continueInDialplan', args: [channelId, context, extension, priority] });
    return this.channels.has(channelId) ? { ok: true, value: undefined } : { ok: false, kind: 'not-found', message: 'Channel not found' };
  }
  async listChannels(): Promise<PortResult<ChannelListing[]>> {
    this.calls.push({ op: 'listChannels', args: [] });
    return { ok: true, value: [...this.channels].map((id) => ({ id })) };
  }
  async listBridgeIds(): Promise<PortResult<string[]>> {
    this.calls.push({ op: 'listBridgeIds', args: [] });
    return { ok: true, value: [...this.bridges] };
  }
  async listSounds(language?: string): Promise<PortResult<SoundInfo[]>> {
    this.calls.push({ op: 'listSounds', args: language === undefined ? [] : [language] });
    return { ok: true, value: [{ id: 'hello-world', formats: [{ language: 'en', format: 'gsm' }] }] };
  }

  /** Stored recordings by name (tests put files here). */
  readonly storedFiles = new Map<string, { data: Buffer; contentType: string }>();

  async storedRecordingFile(name: string): Promise<PortResult<{ data: Buffer; contentType: string }>> {
    this.calls.push({ op: 'storedRecordingFile', args: [name] });
    const file = this.storedFiles.get(name);
    return file ? { ok: true, value: file } : { ok: false, kind: 'not-found', message: 'Recording not found' };
  }

  async deleteStoredRecording(name: string): Promise<PortResult> {
    this.calls.push({ op: 'deleteStoredRecording', args: [name] });
    return this.storedFiles.delete(name) ? { ok: true, value: undefined } : { ok: false, kind: 'not-found', message: 'Recording not found' };
  }
}
