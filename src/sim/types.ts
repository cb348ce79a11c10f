// Public types of the simulator (re-exported by index.ts).
import type { Logger } from '../log.js';

export interface DtmfStep {
  digits: string;
  /** Milliseconds after answer (StasisStart). */
  atMs?: number;
  /** Once the N-th playback on the channel has started (1 = the first). */
  afterPlaybackStarted?: number;
  /** Once the N-th playback on the channel has finished (done or failed). */
  afterPlaybackFinished?: number;
  /** Extra wait after the trigger before the first digit. */
  delayMs?: number;
  /** Time between two digits of `digits` (default 350 ms, as a real phone sends them). */
  gapMs?: number;
}

export type CalleeResult = 'answer' | 'busy' | 'no-answer' | 'congestion' | 'reject' | 'fail';

/** What a callee says once answered (media streams): a tone or a WAV file. */
export interface SpeakScript {
  /** A sine tone of this frequency (default 440 Hz) unless `wav` is given. */
  toneHz?: number;
  /** Peak of the tone in 16-bit linear units (default 8000). */
  amplitude?: number;
  /** A WAV file (8 kHz mono, 16-bit PCM or μ-law) said instead of a tone. */
  wav?: string;
  /** Start this long after the channel's audio starts flowing (default 0). */
  startMs?: number;
  /** Length (default: the WAV's, or as long as the call for a tone). */
  durationMs?: number;
  /**
   * Instead of audio, frames that carry their own number (uint32 LE at byte 0) and the time they
   * were made (float64 LE at byte 4, performance.timeOrigin + performance.now()): benchmarks check
   * loss, order and latency with them.
   */
  counter?: boolean;
}

/** Told of every frame a media WebSocket channel receives from its client (benchmarks, tests). */
export type MediaProbe = (channelId: string, frame: Buffer) => void;

export interface CalleeScript {
  result?: CalleeResult;
  /** Ring time before the outcome (answer, busy, congestion, reject, fail). Default 1000 ms. */
  answerAfterMs?: number;
  /** Far end hangs up this long after answer. Default: never. */
  hangupAfterMs?: number;
  dtmf?: DtmfStep[];
  /**
   * For a Local channel: its ;2 half runs `Stasis(app,args…)` from the dialplan instead of a
   * callee (the lab's [test-inbound] context: a call into an application, as from a phone).
   * `${EXTEN}` and `${CALLERID(num)}` in `args` are the Local extension and the caller's number.
   */
  stasis?: { app: string; args: string[] };
  /** Audio the callee says (heard by a media stream bridged with it). */
  speak?: SpeakScript;
  /** Keep what the callee hears while bridged with a media WebSocket channel (RunningSimulator.heardAudio). */
  recordHeard?: boolean;
}

export interface SimulatorOptions {
  /** 0 = a random free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  username?: string;
  password?: string;
  /** Multiplies every duration: 0.01 runs 100 times faster. Default 1. */
  timeScale?: number;
  scripts?: Record<string, CalleeScript>;
  /** Applies to endpoints no script matches. Default: answer after 1 s, silent, never hangs up. */
  defaultScript?: CalleeScript;
  /**
   * The simulated Asterisk's astcachedir, whose length sets the shortest `sound:http` URL that
   * plays (http-media.ts). Default /var/cache/asterisk (Debian's and the compose lab's).
   */
  astCacheDir?: string;
  /** Length of `sound:` media by name; merged over the built-in table. */
  soundDurationsMs?: Record<string, number>;
  /** Length of a sound missing from the table. Default 2000 ms. */
  defaultSoundMs?: number;
  /** Sounds that do not exist (play fails at once). Default ['does-not-exist']. */
  missingSounds?: string[];
  /**
   * Endpoints that can be dialed, as Asterisk would find them configured and reachable.
   * Exact names or `*` globs. Default: PJSIP/phone1..phone4, PJSIP/*@trunk, Local/*.
   */
  knownEndpoints?: string[];
  /** Configured PJSIP endpoints without a registered contact: listed offline, originate gets 500. */
  offlineEndpoints?: string[];
  /** Real milliseconds a restart resets connections before Asterisk is back (not time-scaled). Default 500. */
  restartDowntimeMs?: number;
  /** How many REST calls `requests()` keeps. Default 1000. */
  requestLogSize?: number;
  /** Told of every frame media WebSocket clients send (benchmarks). */
  mediaProbe?: MediaProbe;
  logger?: Logger;
}

export interface SimRequestRecord {
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  status: number;
}

export interface SimChannelInfo {
  id: string;
  name: string;
  endpoint: string;
  state: string;
  app?: string;
  inStasis: boolean;
  createdAt: string;
  script: CalleeScript;
  /** REST requests addressed to this channel (or that created it), oldest first. */
  requests: SimRequestRecord[];
}

export interface FailRule {
  method?: string;
  path: RegExp | string;
  status: number;
  body?: unknown;
  /** How many matching requests fail (default 1). */
  count?: number;
  /** Wait this long (real ms) before answering. */
  delayMs?: number;
}

export interface DelayRule {
  method?: string;
  path: RegExp | string;
  delayMs: number;
  count?: number;
}

export interface SimFaults {
  /** Closes every events WebSocket abruptly (code 1006 on the client side). */
  dropWebSockets(): void;
  /** Stops listening for `ms` real milliseconds: connections are refused, live sockets cut. */
  refuseConnections(ms: number): void;
  /** Asterisk restart: hangup events with cause 4, WebSockets closed 1006, REST resets ~0.5 s, then no channels. */
  restart(): Promise<void>;
  /** Graceful stop: new originates get 500 until the last call ends, then WebSockets close 1000 and connections are refused. */
  stopGracefully(): Promise<void>;
  /** Brings a gracefully stopped simulator back (fresh start, no channels). */
  start(): Promise<void>;
  failNext(match: FailRule): void;
  delayNext(match: DelayRule): void;
  /** The next `count` created channels (POST /channels/create) enter the application `delayMs` late (simulated time). */
  delayCreatedStasisStart(delayMs: number, count?: number): void;
  /** Removes pending fail/delay rules. */
  clear(): void;
}

export interface RunningSimulator {
  /** http://127.0.0.1:PORT (no /ari). */
  url: string;
  port: number;
  username: string;
  password: string;
  close(): Promise<void>;
  setCallee(key: string, script: CalleeScript): void;
  deleteCallee(key: string): void;
  channels(): SimChannelInfo[];
  /** Originate requests accepted (200) since start. */
  originateCount(): number;
  /** The last REST calls, oldest first. */
  requests(): SimRequestRecord[];
  /** Far-end actions on a live channel, as the scripted callee would do them. */
  sendDtmf(channelId: string, digits: string, gapMs?: number): boolean;
  hangupFromFarEnd(channelId: string): boolean;
  /** What a channel whose script has `recordHeard` heard (μ-law, 8 kHz), kept after it hangs up. */
  heardAudio(channelId: string): Buffer | undefined;
  faults: SimFaults;
}
