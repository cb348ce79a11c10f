// What the simulated Asterisk holds: channels, playbacks, bridges, recordings, and the constants of its behaviour.
import type { WebSocket } from 'ws';
import type { Task } from './clock.js';
import { type CallerId } from './ari-format.js';
import type { CalleeScript, DtmfStep, MediaProbe, SimRequestRecord } from './types.js';

export type Tech = 'PJSIP' | 'Local' | 'UnicastRTP' | 'WebSocket' | 'Snoop';

export interface Dialplan {
  context: string;
  exten: string;
  priority: number;
  app_name: string;
  app_data: string;
}

export interface Player {
  queue: Playback[];
  current?: Playback;
}

export interface Chan {
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
  script: CalleeScript;
  timeoutSec: number;
  tasks: Task[];
  player: Player;
  startedCount: number;
  finishedCount: number;
  pendingDtmf: DtmfStep[];
  bridge?: Bridge;
  recording?: LiveRec;
  /** Recordings asked for while one runs: each starts when the one before it ends (trace n). */
  recordQueue: LiveRec[];
  requests: SimRequestRecord[];
  alive: boolean;
  answered: boolean;
  /** A media WebSocket channel's format (MEDIA_START). */
  mediaFormat?: string;
  /** Sent back to the dialplan by /continue: STASISSTATUS is set when it hangs up. */
  leftStasis?: boolean;
  /** Made by POST /channels/create: rings only once the app dials it. */
  created?: 'waiting' | 'dialing';
  /** Streamed audio: a media socket, a snoop's target, a scripted voice (media-audio.ts). */
  media?: ChanMedia;
}

/** A channel's part in streamed audio (media-audio.ts), set on the channels that take part. */
export interface ChanMedia {
  /** A media WebSocket channel's connected client. */
  socket?: WebSocket;
  /** Frames its client sent, played one per 20 ms. */
  incoming: Buffer[];
  /** A snoop channel: whose audio it copies (in: what the target says, out: what it hears). */
  snoop?: { target: Chan; spy: string };
  /** Tick at which a scripted voice starts (its channel's first tick answered). */
  voiceStart?: number;
  /** The scripted voice, once it spoke: frame n of it. */
  voice?: { frame(n: number): Buffer | undefined };
}

export interface Playback {
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

export interface Bridge {
  id: string;
  name: string;
  bridgeType: string;
  channels: Chan[];
  creationtime: string;
  apps: Set<string>;
  /** Per app, the channels it added that have not left but by hanging up: BridgeDestroyed reaches apps still counted (traces m, m2). */
  subscriptions: Map<string, number>;
  /** Member names in Asterisk's list order, a playback's Announcer included: the order of BRIDGEPEER lists (trace r). */
  peers: string[];
  /** Bridge technology as last chosen: a snapshot shows it as it was before the change it announces (trace r). */
  technology: string;
  /** The Announcer channel that plays media to the bridge, while one plays. */
  announcer?: string;
  /** The Announcer channel that plays music on hold to the bridge, while it plays (trace u). */
  moh?: string;
  player: Player;
  recording?: LiveRec;
}

export interface LiveRec {
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
  /** Beep before recording, and the shortest of maxDurationSeconds/maxSilenceSeconds (0 = none). */
  beepMs: number;
  limitSec: number;
  task?: Task;
  apps: Set<string>;
}

export interface Stored {
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
  astCacheDir: string;
  mediaProbe?: MediaProbe;
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

export const RECORDING_FORMATS = new Set(['wav', 'gsm', 'ulaw', 'alaw', 'sln', 'slin', 'g722', 'g729', 'wav49', 'WAV', 'ogg', 'mp3', 'h264']);
export const DTMF_DIGITS = /^[0-9A-Da-d*#]$/;
export const LOCAL_OPTION = /\/[a-zA-Z]+$/;
export const TRUNK_CONTEXT = 'from-trunk';
export const PHONE_CONTEXT = 'from-phones';
export const ENTITY_ID = '02:42:ac:11:00:02';
export const DIGIT_MS = 500;
export const DEFAULT_RING_MS = 1000;
/** Caller IDs of the lab's PJSIP endpoints (asterisk-config/pjsip.conf): a created channel's caller. */
export const ENDPOINT_CALLER_IDS: Record<string, { name: string; number: string }> = {
  phone1: { name: 'Lab Phone 1', number: '1001' },
  phone2: { name: 'Lab Phone 2', number: '1002' },
  phone3: { name: 'Lab Phone 3', number: '1003' },
  phone4: { name: 'Lab Phone 4', number: '1004' },
};
export const DEFAULT_DTMF_GAP_MS = 350;
