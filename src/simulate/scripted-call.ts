// One answered call of a flow simulation, in process: the telephony port the real steps talk to,
// played by a scripted callee (the simulator's callee-script language) on a virtual clock, with
// the parties a dial step reaches and its bridge (dialed-parties.ts). Media "play" for their
// known length (the simulator's sound lengths, or an estimate for spoken media) and are
// recorded as what would have played.
import type { CalleeScript, DtmfStep } from '../sim/types.js';
import { BUILTIN_SOUNDS_MS } from '../sim/asterisk.js';
import { asteriskMedia } from '../domain/steps/media-uri.js';
import type { ChannelListing, CreateChannelRequest, PortResult, TelephonyEvent, TelephonyPort } from '../telephony/port.js';
import type { VirtualClock } from './virtual-clock.js';
import { DialedParties } from './dialed-parties.js';
import { partyFor, type SimulationScript } from './script.js';
import type { PlayedMedia } from './played-media.js';

export type { PlayedMedia } from './played-media.js';

const DIGIT_MS = 600;
const CHARACTER_MS = 550;
const NUMBER_MS = 1200;
const TONE_MS = 30_000;
const URL_MS = 2_000;
const UNKNOWN_SOUND_MS = 1_000;
const DEFAULT_GAP_MS = 350;
/** espeak-ng's default 175 words a minute is about 14 characters a second. */
const SPOKEN_CHARACTER_MS = 70;

function mediaLength(written: string): { ms: number; estimated: boolean } {
  const uri = asteriskMedia(written); // a plain URL plays as sound:<url>
  const colon = uri.indexOf(':');
  const scheme = uri.slice(0, colon);
  const value = uri.slice(colon + 1);
  switch (scheme) {
    case 'sound':
      if (/^https?:/.test(value)) return { ms: URL_MS, estimated: true };
      return value in BUILTIN_SOUNDS_MS ? { ms: BUILTIN_SOUNDS_MS[value]!, estimated: false } : { ms: UNKNOWN_SOUND_MS, estimated: true };
    case 'digits': return { ms: value.length * DIGIT_MS, estimated: false };
    case 'characters': return { ms: value.length * CHARACTER_MS, estimated: false };
    case 'number': return { ms: NUMBER_MS, estimated: false };
    case 'tone': return { ms: TONE_MS, estimated: true };
    default: return { ms: UNKNOWN_SOUND_MS, estimated: true };
  }
}

type Unsupported = 'originate' | 'answer' | 'listChannels' | 'listBridgeIds' | 'listSounds' | 'storedRecordingFile' | 'deleteStoredRecording';

const OK: Promise<PortResult> = Promise.resolve({ ok: true, value: undefined });
const notFound = (message: string): Promise<PortResult<never>> => Promise.resolve({ ok: false, kind: 'not-found', message });

export class ScriptedCall implements TelephonyPort {
  readonly played: PlayedMedia[] = [];
  private listener: ((event: TelephonyEvent) => void) | undefined;
  private playbacks = new Map<string, { finish: unknown; entry: PlayedMedia; on: { channelId?: string; bridgeId?: string } }>();
  private started = 0;
  private finished = 0;
  private hungUp = false;
  /** Text behind each simulated speech URI (see simulate-flow.ts), shown with what played. */
  readonly spoken = new Map<string, string>();
  private readonly parties: DialedParties;

  constructor(
    readonly channelId: string,
    private readonly clock: VirtualClock,
    private readonly script: SimulationScript,
    private readonly onFarEndHangup: () => void,
  ) {
    this.parties = new DialedParties({
      clock, firstChannelId: channelId,
      emit: (event) => this.listener?.(event),
      scriptFor: (number) => partyFor(script, number),
      play: (playbackId, media, bridgeId) => this.startPlayback(playbackId, media, { bridgeId }),
    });
  }

  /** The call is answered: the script's timed DTMF and hangup start counting. */
  answered(): void {
    for (const step of this.script.dtmf ?? []) if (step.atMs !== undefined) this.sendDigits(step, step.atMs);
    if (this.script.hangupAfterMs !== undefined) {
      this.clock.setTimeout(() => {
        if (this.hungUp) return;
        this.hungUp = true;
        this.parties.firstPartyGone();
        this.onFarEndHangup();
      }, this.script.hangupAfterMs);
    }
  }

  /** An event of the call's channel (nothing once it hung up) or of a bridge playback (always). */
  private emit(event: TelephonyEvent): void {
    if (!this.hungUp || ('bridgeId' in event && event.bridgeId !== undefined)) this.listener?.(event);
  }

  private at(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private sendDigits(step: DtmfStep, afterMs: number): void {
    const gap = step.gapMs ?? DEFAULT_GAP_MS;
    [...step.digits].forEach((digit, i) => {
      this.clock.setTimeout(() => this.emit({ type: 'dtmf', channelId: this.channelId, digit, durationMs: 100, at: this.at() }), afterMs + (step.delayMs ?? 0) + i * gap);
    });
  }

  private triggers(kind: 'afterPlaybackStarted' | 'afterPlaybackFinished', n: number): void {
    for (const step of this.script.dtmf ?? []) if (step[kind] === n) this.sendDigits(step, 0);
  }

  start(): Promise<void> { return Promise.resolve(); }
  close(): Promise<void> { return Promise.resolve(); }
  isConnected(): boolean { return true; }
  onEvent(listener: (event: TelephonyEvent) => void): void { this.listener = listener; }
  onConnection(): void { /* always connected: nothing to report */ }

  private unsupported(what: Unsupported): Promise<PortResult<never>> {
    return Promise.resolve({ ok: false, kind: 'failed', message: `${what} is not part of a flow simulation` });
  }

  originate(): Promise<PortResult> { return this.unsupported('originate'); }
  answer(): Promise<PortResult> { return this.unsupported('answer'); }
  listChannels(): Promise<PortResult<ChannelListing[]>> { return this.unsupported('listChannels'); }
  listBridgeIds(): Promise<PortResult<string[]>> { return this.unsupported('listBridgeIds'); }
  listSounds(): Promise<PortResult<never>> { return this.unsupported('listSounds'); }
  storedRecordingFile(): Promise<PortResult<{ data: Buffer; contentType: string }>> { return this.unsupported('storedRecordingFile'); }
  deleteStoredRecording(): Promise<PortResult> { return this.unsupported('deleteStoredRecording'); }
  createChannel(req: CreateChannelRequest): Promise<PortResult> { return Promise.resolve(this.parties.createChannel(req)); }
  dial(channelId: string, _caller: string, timeoutSec: number): Promise<PortResult> { return Promise.resolve(this.parties.dial(channelId, timeoutSec)); }
  createBridge(bridgeId: string): Promise<PortResult> { return Promise.resolve(this.parties.createBridge(bridgeId)); }
  addToBridge(bridgeId: string, channelIds: string[]): Promise<PortResult> {
    if (this.hungUp && channelIds.includes(this.channelId)) return notFound('Channel not found');
    return Promise.resolve(this.parties.addToBridge(bridgeId, channelIds));
  }
  destroyBridge(bridgeId: string): Promise<PortResult> { return Promise.resolve(this.parties.destroyBridge(bridgeId)); }
  playOnBridge(bridgeId: string, playbackId: string, media: string[]): Promise<PortResult> { return Promise.resolve(this.parties.playOnBridge(bridgeId, playbackId, media)); }
  startBridgeMoh(bridgeId: string): Promise<PortResult> { return Promise.resolve(this.parties.bridgeExists(bridgeId)); }
  stopBridgeMoh(bridgeId: string): Promise<PortResult> { return Promise.resolve(this.parties.bridgeExists(bridgeId)); }
  recordBridge(bridgeId: string, opts: { name: string }): Promise<PortResult> { return Promise.resolve(this.parties.recordBridge(bridgeId, opts.name)); }

  /** A blind transfer: the call leaves the application for the dialplan (StasisEnd). */
  continueInDialplan(channelId: string): Promise<PortResult> {
    if (this.hungUp || channelId !== this.channelId) return notFound('Channel not found');
    this.clock.setTimeout(() => {
      this.emit({ type: 'stasis-end', channelId, at: this.at() });
      this.hungUp = true;
    }, 0);
    return OK;
  }

  play(channelId: string, playbackId: string, media: string[]): Promise<PortResult> {
    if (this.hungUp || channelId !== this.channelId) return notFound('Channel not found');
    this.startPlayback(playbackId, media, { channelId });
    return OK;
  }

  /** A playback on the channel (it counts for the callee's DTMF triggers) or on the bridge. */
  private startPlayback(playbackId: string, media: string[], on: { channelId?: string; bridgeId?: string }): PlayedMedia {
    const lengths = media.map((uri) => {
      const text = this.spoken.get(uri);
      return text !== undefined ? { ms: text.length * SPOKEN_CHARACTER_MS, estimated: true } : mediaLength(uri);
    });
    const text = media.map((uri) => this.spoken.get(uri)).filter((t) => t !== undefined).join(' ');
    const entry: PlayedMedia = {
      atMs: this.clock.now(), playbackId, media,
      ...(text ? { text } : {}),
      ...(lengths.some((l) => l.estimated) ? { estimated: true } : {}),
      ...(on.bridgeId !== undefined ? { bridgeId: on.bridgeId } : {}),
    };
    this.played.push(entry);
    const total = lengths.reduce((sum, l) => sum + l.ms, 0);
    this.clock.setTimeout(() => {
      this.emit({ type: 'playback-started', playbackId, ...on, at: this.at() });
      if (on.bridgeId !== undefined) return;
      this.started += 1;
      this.triggers('afterPlaybackStarted', this.started);
    }, 0);
    const finish = this.clock.setTimeout(() => this.finish(playbackId, 'done'), total);
    this.playbacks.set(playbackId, { finish, entry, on });
    return entry;
  }

  private finish(playbackId: string, state: string, stopped = false): void {
    const pb = this.playbacks.get(playbackId);
    if (!pb) return;
    this.playbacks.delete(playbackId);
    this.clock.clearTimeout(pb.finish);
    pb.entry.state = stopped ? 'stopped' : state;
    this.emit({ type: 'playback-finished', playbackId, ...pb.on, state, at: this.at() });
    if (pb.on.bridgeId !== undefined) return;
    this.finished += 1;
    this.triggers('afterPlaybackFinished', this.finished);
  }

  stopPlayback(playbackId: string): Promise<PortResult> {
    if (!this.playbacks.has(playbackId)) return notFound('Playback not found');
    this.clock.setTimeout(() => this.finish(playbackId, 'done', true), 0);
    return OK;
  }

  playbackState(playbackId: string): Promise<PortResult<string>> {
    return this.playbacks.has(playbackId) ? Promise.resolve({ ok: true, value: 'playing' }) : notFound('Playback not found');
  }

  /** A silent callee: the recording ends on maxSilence when set, else at maxDuration. */
  record(channelId: string, opts: { name: string; maxDurationSeconds: number; maxSilenceSeconds: number }): Promise<PortResult> {
    if (this.hungUp || channelId !== this.channelId) return notFound('Channel not found');
    const seconds = opts.maxSilenceSeconds > 0 ? Math.min(opts.maxSilenceSeconds, opts.maxDurationSeconds) : opts.maxDurationSeconds;
    this.clock.setTimeout(() => this.emit({ type: 'recording-finished', name: opts.name, channelId, state: 'done', durationSec: seconds, at: this.at() }), seconds * 1000);
    return OK;
  }

  hangup(channelId: string): Promise<PortResult> {
    if (this.parties.isParty(channelId)) return Promise.resolve(this.parties.hangup(channelId));
    this.hungUp = true;
    return OK;
  }
  setVariable(): Promise<PortResult> { return OK; }
  startMoh(): Promise<PortResult> { return OK; }
  stopMoh(): Promise<PortResult> { return OK; }
  sendDtmf(): Promise<PortResult> { return OK; }
}
