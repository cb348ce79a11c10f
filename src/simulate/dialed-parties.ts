// The second parties of a flow simulation: the channels a `dial` step creates and dials, and the
// mixing bridge it puts them in, on the virtual clock. Each party plays its script (the callee
// language, simulation script's `dialed`), with the event sequences the simulator plays for a
// real Asterisk 22.10.1 (traces m-bridge-two-legs and m2-dial-leg-busy-and-noanswer):
//   created: StasisStart at once, Down; dialed: Dial "" then RINGING, state Ringing;
//   answers: state Up, Dial ANSWER; hangs up later: hangup request and ChannelDestroyed 16;
//   busy / congestion / reject: no final Dial event, hangup request and ChannelDestroyed with the
//   cause (17, 34, 21); rings out: at the dial timeout, hangup request 32 (soft), ChannelDestroyed 19;
//   fail: it cannot be reached, POST /channels/create answers 500 Allocation failed.
// A bridge's playbacks (ringback, announcements) play for their length and show in `media`.
import type { CalleeScript } from '../sim/types.js';
import { causeText } from '../sim/ari-format.js';
import type { CreateChannelRequest, PortResult, TelephonyEvent } from '../telephony/port.js';
import type { VirtualClock } from './virtual-clock.js';
import type { PlayedMedia } from './played-media.js';

/** The endpoint a simulated dial reaches: the number, as the routing would hand it on. */
export const SIMULATED_TECH = 'Simulated/';
const DEFAULT_ANSWER_MS = 1000;
const DEFAULT_GAP_MS = 350;

interface Party {
  id: string;
  script: CalleeScript;
  answered: boolean;
  gone: boolean;
  bridge: SimBridge | undefined;
  timers: unknown[];
}

interface SimBridge {
  id: string;
  members: Party[];
  /** Members that entered it (the application is subscribed to it through them). */
  entered: number;
  recording: { name: string; startedMs: number } | undefined;
}

const OK: PortResult = { ok: true, value: undefined };
const notFound = (message: string): PortResult => ({ ok: false, kind: 'not-found', message });

export interface PartyDeps {
  clock: VirtualClock;
  emit(event: TelephonyEvent): void;
  /** The script of the party `number` reaches. */
  scriptFor(number: string): CalleeScript;
  /** A bridge playback: plays for its length, then `done` (or `stopped`); returns its entry. */
  play(playbackId: string, media: string[], bridgeId: string): PlayedMedia | undefined;
  /** The call's own channel (the first party), which the dial puts in the bridge too. */
  firstChannelId: string;
}

export class DialedParties {
  private readonly parties = new Map<string, Party>();
  private readonly bridges = new Map<string, SimBridge>();
  /** The bridges the first party is in. */
  private readonly firstIn = new Set<string>();

  constructor(private readonly deps: PartyDeps) {}

  private at(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  private later(party: Party, ms: number, fn: () => void): void {
    party.timers.push(this.deps.clock.setTimeout(() => { if (!party.gone) fn(); }, ms));
  }

  isParty(channelId: string): boolean {
    return this.parties.has(channelId);
  }

  createChannel(req: CreateChannelRequest): PortResult {
    const number = req.endpoint.startsWith(SIMULATED_TECH) ? req.endpoint.slice(SIMULATED_TECH.length) : req.endpoint;
    const script = this.deps.scriptFor(number);
    if (script.result === 'fail') return { ok: false, kind: 'failed', message: 'Allocation failed' };
    if (this.parties.has(req.channelId)) return { ok: false, kind: 'conflict', message: 'Channel with the same id already exists' };
    const party: Party = { id: req.channelId, script, answered: false, gone: false, bridge: undefined, timers: [] };
    this.parties.set(party.id, party);
    this.later(party, 0, () => this.deps.emit({ type: 'stasis-start', channelId: party.id, args: req.appArgs, state: 'Down', at: this.at() }));
    return OK;
  }

  dial(channelId: string, timeoutSec: number): PortResult {
    const party = this.parties.get(channelId);
    if (!party || party.gone) return notFound('Channel not found');
    const { script } = party;
    this.later(party, 0, () => {
      this.deps.emit({ type: 'dial', channelId, dialstatus: '', at: this.at() });
      this.deps.emit({ type: 'state-change', channelId, state: 'Ringing', at: this.at() });
      this.deps.emit({ type: 'dial', channelId, dialstatus: 'RINGING', at: this.at() });
    });
    const result = script.result ?? 'answer';
    const delay = script.answerAfterMs ?? DEFAULT_ANSWER_MS;
    const timeoutMs = timeoutSec > 0 ? timeoutSec * 1000 : Infinity;
    if (result === 'no-answer' || delay >= timeoutMs) {
      if (timeoutMs !== Infinity) this.later(party, timeoutMs, () => this.end(party, 19, { cause: 32, soft: true }));
      return OK;
    }
    this.later(party, delay, () => {
      if (result !== 'answer') {
        const cause = ({ busy: 17, congestion: 34, reject: 21 } as Record<string, number>)[result] ?? 38;
        this.end(party, cause, { cause });
        return;
      }
      party.answered = true;
      this.deps.emit({ type: 'state-change', channelId, state: 'Up', at: this.at() });
      this.deps.emit({ type: 'dial', channelId, dialstatus: 'ANSWER', at: this.at() });
      this.afterAnswer(party);
    });
    return OK;
  }

  private afterAnswer(party: Party): void {
    for (const step of party.script.dtmf ?? []) {
      const gap = step.gapMs ?? DEFAULT_GAP_MS;
      [...step.digits].forEach((digit, i) => {
        this.later(party, (step.atMs ?? 0) + (step.delayMs ?? 0) + i * gap, () => this.deps.emit({ type: 'dtmf', channelId: party.id, digit, durationMs: 100, at: this.at() }));
      });
    }
    const after = party.script.hangupAfterMs;
    if (after !== undefined) this.later(party, after, () => this.end(party, 16, { cause: 16 }));
  }

  /** The party goes: its hangup request (when Asterisk sends one), it leaves the bridge, ChannelDestroyed. */
  private end(party: Party, cause: number, request?: { cause: number; soft?: boolean }): void {
    if (party.gone) return;
    party.gone = true;
    for (const t of party.timers) this.deps.clock.clearTimeout(t);
    if (request) this.deps.emit({ type: 'hangup-request', channelId: party.id, cause: request.cause, ...(request.soft ? { soft: true } : {}), at: this.at() });
    const bridge = party.bridge;
    if (bridge) {
      bridge.members = bridge.members.filter((m) => m !== party);
      party.bridge = undefined;
      this.deps.emit({ type: 'bridge-left', bridgeId: bridge.id, channelId: party.id, at: this.at() });
    }
    this.deps.emit({ type: 'stasis-end', channelId: party.id, at: this.at() });
    this.deps.emit({ type: 'channel-destroyed', channelId: party.id, cause, causeTxt: causeText(cause), at: this.at() });
  }

  /** The first party hung up: it leaves its bridge (the dial step then hangs up the dialed party). */
  firstPartyGone(): void {
    for (const bridgeId of this.firstIn) this.deps.emit({ type: 'bridge-left', bridgeId, channelId: this.deps.firstChannelId, at: this.at() });
    this.firstIn.clear();
  }

  /** DELETE /channels/{id} of a dialed party. */
  hangup(channelId: string): PortResult {
    const party = this.parties.get(channelId);
    if (!party || party.gone) return notFound('Channel not found');
    this.deps.clock.setTimeout(() => this.end(party, 16), 0);
    return OK;
  }

  createBridge(bridgeId: string): PortResult {
    if (this.bridges.has(bridgeId)) return { ok: false, kind: 'conflict', message: 'Bridge with the same bridgeId already exists' };
    this.bridges.set(bridgeId, { id: bridgeId, members: [], entered: 0, recording: undefined });
    return OK;
  }

  addToBridge(bridgeId: string, channelIds: string[]): PortResult {
    const bridge = this.bridges.get(bridgeId);
    if (!bridge) return notFound('Bridge not found');
    for (const id of channelIds) {
      const party = this.parties.get(id);
      if (id !== this.deps.firstChannelId && (!party || party.gone)) return { ok: false, kind: 'invalid', message: 'Channel not found' };
    }
    for (const id of channelIds) {
      const party = this.parties.get(id);
      if (party) {
        party.bridge = bridge;
        bridge.members.push(party);
      } else {
        this.firstIn.add(bridgeId);
      }
      bridge.entered += 1;
      this.deps.emit({ type: 'bridge-entered', bridgeId, channelId: id, at: this.at() });
    }
    return OK;
  }

  /** DELETE /bridges/{id}: the members leave (last joined first), its recording ends, BridgeDestroyed. */
  destroyBridge(bridgeId: string): PortResult {
    const bridge = this.bridges.get(bridgeId);
    if (!bridge) return notFound('Bridge not found');
    this.bridges.delete(bridgeId);
    for (const party of [...bridge.members].reverse()) {
      party.bridge = undefined;
      this.deps.emit({ type: 'bridge-left', bridgeId, channelId: party.id, at: this.at() });
    }
    if (this.firstIn.delete(bridgeId)) this.deps.emit({ type: 'bridge-left', bridgeId, channelId: this.deps.firstChannelId, at: this.at() });
    if (bridge.recording !== undefined) {
      const { name, startedMs } = bridge.recording;
      const durationSec = Math.round((this.deps.clock.now() - startedMs) / 1000);
      this.deps.clock.setTimeout(() => this.deps.emit({ type: 'recording-finished', name, bridgeId, state: 'done', durationSec, at: this.at() }), 0);
    }
    if (bridge.entered > 0) this.deps.emit({ type: 'bridge-destroyed', bridgeId, at: this.at() });
    return OK;
  }

  playOnBridge(bridgeId: string, playbackId: string, media: string[]): PortResult {
    if (!this.bridges.has(bridgeId)) return notFound('Bridge not found');
    this.deps.play(playbackId, media, bridgeId);
    return OK;
  }

  bridgeExists(bridgeId: string): PortResult {
    return this.bridges.has(bridgeId) ? OK : notFound('Bridge not found');
  }

  recordBridge(bridgeId: string, name: string): PortResult {
    const bridge = this.bridges.get(bridgeId);
    if (!bridge) return notFound('Bridge not found');
    bridge.recording = { name, startedMs: this.deps.clock.now() };
    return OK;
  }
}
