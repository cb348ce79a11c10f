// The narrow telephony port: everything the engine needs from Asterisk, in the engine's words.
// Only `ari/ari-client-adapter.ts` implements it against a real ARI server (plain HTTP and WebSocket);
// unit tests implement it with a fake. Nothing here knows about HTTP or express.

/** Channel states as ARI reports them. */
export type ChannelState =
  | 'Down' | 'Rsrvd' | 'OffHook' | 'Dialing' | 'Ring' | 'Ringing' | 'Up' | 'Busy'
  | 'Dialing Offhook' | 'Pre-ring' | 'Unknown';

export interface OriginateRequest {
  /** Engine-generated id, so that a retried originate is idempotent (ARI answers 409 if it exists). */
  channelId: string;
  /** ARI endpoint, e.g. `PJSIP/+18144043093@trunk` or `PJSIP/phone1`. */
  endpoint: string;
  /** Caller ID as ARI takes it: `"Name" <+12125550100>` or `+12125550100`. */
  callerId: string;
  /** Seconds to wait for an answer before Asterisk gives up (cause 19). */
  timeoutSec: number;
  /** Channel variables set on the new channel (e.g. the session id). */
  variables: Record<string, string>;
  /** Arguments passed to the Stasis app, seen again in StasisStart.args. */
  appArgs: string[];
}

/** A second leg (the dial step), made in the application before it is dialed (POST /channels/create). */
export interface CreateChannelRequest {
  channelId: string;
  endpoint: string;
  /** The first party's channel: Asterisk takes codecs and linked ids from it. */
  originator: string;
  /** Number shown to the dialed party (set as CALLERID(num) on the new channel). */
  callerNumber: string;
  variables: Record<string, string>;
  appArgs: string[];
}

/** Typed outcome of a REST call: the adapter maps ARI's statuses and connection errors to these kinds. */
export type PortResult<T = void> =
  | { ok: true; value: T }
  | { ok: false; kind: 'not-found' | 'conflict' | 'invalid' | 'unavailable' | 'failed'; message: string };

/** A sound file Asterisk can play as `sound:<id>` (ARI's Sound: GET /sounds). */
export interface SoundInfo {
  id: string;
  /** The words spoken, when Asterisk knows them (ARI leaves it out for the core sounds). */
  text?: string;
  /** Each language and format the file exists in. */
  formats: Array<{ language: string; format: string }>;
}

export type PlaybackEndState = 'done' | 'failed' | 'cancelled';

/**
 * Events the engine consumes, translated from ARI events. `channelId` is always the channel of the
 * Stasis application's side (the originated channel) when ARI relates the event to it.
 */
export type TelephonyEvent =
  | { type: 'dial'; channelId: string; dialstatus: string; at: string }
  | { type: 'stasis-start'; channelId: string; args: string[]; state: ChannelState; caller?: string; channelName?: string; server?: string; at: string }
  | { type: 'stasis-end'; channelId: string; at: string }
  | { type: 'state-change'; channelId: string; state: ChannelState; at: string }
  | { type: 'dtmf'; channelId: string; digit: string; durationMs: number; at: string }
  | { type: 'hangup-request'; channelId: string; cause?: number; soft?: boolean; at: string }
  | { type: 'channel-destroyed'; channelId: string; cause: number; causeTxt: string; at: string }
  | { type: 'playback-started'; playbackId: string; channelId?: string; bridgeId?: string; at: string }
  | { type: 'playback-finished'; playbackId: string; channelId?: string; bridgeId?: string; state: string; at: string }
  | { type: 'recording-finished'; name: string; channelId?: string; bridgeId?: string; state: string; durationSec?: number; at: string }
  | { type: 'recording-failed'; name: string; channelId?: string; bridgeId?: string; cause?: string; at: string }
  | { type: 'bridge-entered' | 'bridge-left'; bridgeId: string; channelId: string; at: string }
  | { type: 'bridge-destroyed'; bridgeId: string; at: string };

/** One channel of GET /channels, in the engine's words. */
export interface ChannelListing {
  id: string;
  /**
   * The Stasis application the channel is in: its dialplan application is `Stasis` and its
   * `app_data` is `<application>[,<args>…]` (Asterisk 22.10.1: `lab`, `lab-inbound,100`). Absent
   * for a channel elsewhere in the dialplan (`AppDial2` while an originate rings, `Answer`...).
   */
  stasisApp?: string;
  /** When Asterisk created it (`creationtime`, Asterisk's clock), epoch milliseconds. */
  createdMs?: number;
  /** The server that listed it, behind a port of several. */
  server?: string;
}

/** Connection-level news: the engine reconnects and reconciles on these (`server`: which one, behind a port of several). */
export type ConnectionEvent =
  | { type: 'connected'; server?: string }
  | { type: 'disconnected'; reason: string; server?: string };

/** One Asterisk server as /ready and the metrics report it: by name, never by URL or credentials. */
export interface ServerHealth {
  name: string;
  /** Its events WebSocket is connected (the application registered): it takes new calls if its weight is above 0. */
  up: boolean;
  /** Calls running on it (first channels; dialed legs and stream channels are part of their call). */
  liveCalls: number;
  weight: number;
}

/**
 * Which Asterisk server a call runs on, for a port in front of several (ari/ari-servers.ts): the
 * engine stores a session's server so that a reconciliation, or another engine after a crash,
 * hangs its channel up on the right one. A session's other channels, bridges, playbacks and
 * recordings follow its first channel.
 */
export interface ServerPlacement {
  servers(): ServerHealth[];
  /** Chooses the server of a new outgoing call (docs/scaling.md#placing-calls) and keeps the channel on it. */
  placeOn(channelId: string): PortResult<string>;
  /** A channel whose server the store knows (a session of an engine that is gone); false when no such server is configured. */
  pin(server: string, channelId: string): boolean;
  /** True while that server's events WebSocket is connected. */
  isUp(server: string): boolean;
}

export interface TelephonyPort {
  /** Connects (REST + events WebSocket) and keeps reconnecting until `close()`. Resolves on first connect. */
  start(): Promise<void>;
  close(): Promise<void>;
  isConnected(): boolean;

  /** One listener for all call events; the live-call registry routes them by channel id (no per-channel listeners). */
  onEvent(listener: (event: TelephonyEvent) => void): void;
  onConnection(listener: (event: ConnectionEvent) => void): void;
  /** Present when the port fronts several Asterisk servers (always, in the stack). */
  readonly placement?: ServerPlacement;

  originate(req: OriginateRequest): Promise<PortResult>;
  answer(channelId: string): Promise<PortResult>;
  /** Starts one playback (several media play in sequence) with an engine-chosen playback id. */
  play(channelId: string, playbackId: string, media: string[]): Promise<PortResult>;
  stopPlayback(playbackId: string): Promise<PortResult>;
  /** ARI's state of a playback (`queued`, `playing`...); not-found once it is over. Used to resync after a reconnect. */
  playbackState(playbackId: string): Promise<PortResult<string>>;
  record(channelId: string, opts: { name: string; format: string; maxDurationSeconds: number; maxSilenceSeconds: number; beep: boolean; terminateOn: string }): Promise<PortResult>;
  hangup(channelId: string, reason?: 'normal' | 'busy' | 'congestion' | 'no_answer'): Promise<PortResult>;
  setVariable(channelId: string, name: string, value: string): Promise<PortResult>;
  /** Music on hold (POST/DELETE /channels/{id}/moh); an unknown class still answers 204 in Asterisk 22. */
  startMoh(channelId: string, mohClass?: string): Promise<PortResult>;
  stopMoh(channelId: string): Promise<PortResult>;
  /** DTMF to the far end (POST /channels/{id}/dtmf); the application sees no event for it. */
  sendDtmf(channelId: string, digits: string): Promise<PortResult>;
  /** POST /channels/create: the channel enters the application at once, in state Down, undialed. */
  createChannel(req: CreateChannelRequest): Promise<PortResult>;
  /** POST /channels/{id}/dial of a created channel; `timeoutSec` is the ring time. */
  dial(channelId: string, callerChannelId: string, timeoutSec: number): Promise<PortResult>;
  /** POST /bridges/{id}?type=mixing, with the name Asterisk shows for it (`bridge show`). */
  createBridge(bridgeId: string, name: string): Promise<PortResult>;
  addToBridge(bridgeId: string, channelIds: string[]): Promise<PortResult>;
  /** DELETE /bridges/{id}: the channels left in it stay in the application. */
  destroyBridge(bridgeId: string): Promise<PortResult>;
  /** A playback every channel of the bridge hears. */
  playOnBridge(bridgeId: string, playbackId: string, media: string[]): Promise<PortResult>;
  startBridgeMoh(bridgeId: string, mohClass?: string): Promise<PortResult>;
  /** POST /bridges/{id}/record: records what the bridge mixes; ends when the bridge is destroyed. */
  recordBridge(bridgeId: string, opts: { name: string; format: string; maxDurationSeconds: number }): Promise<PortResult>;
  stopBridgeMoh(bridgeId: string): Promise<PortResult>;
  /** POST /channels/{id}/continue: the channel leaves the application for the dialplan. */
  continueInDialplan(channelId: string, context: string, extension: string, priority: number): Promise<PortResult>;
  /** A stored recording's file (GET /recordings/stored/{name}/file) with Asterisk's content type. */
  storedRecordingFile(name: string): Promise<PortResult<{ data: Buffer; contentType: string }>>;
  deleteStoredRecording(name: string): Promise<PortResult>;
  /** The channels that exist now (GET /channels: to reconcile sessions after a reconnect, and to find channels no call owns). */
  listChannels(): Promise<PortResult<ChannelListing[]>>;
  /** Ids of the bridges that exist now (GET /bridges; used to destroy those of sessions settled after a crash). */
  listBridgeIds(): Promise<PortResult<string[]>>;
  /** The sounds Asterisk's sounds directory holds (GET /sounds?lang=), for the console's media fields. */
  listSounds(language?: string): Promise<PortResult<SoundInfo[]>>;
}

/**
 * Asterisk's side of a media stream (the `stream` step, src/streams/): chan_websocket channels
 * (POST /channels/externalMedia, transport=websocket, encapsulation=none, connection_type=server:
 * Asterisk waits for the engine to connect to /media/{connection id}, trace r of 22.10.1) and snoop
 * channels for listen-only streams. Bridges and hangups go through the TelephonyPort.
 */
export interface StreamMediaPort {
  /** A WebSocket media channel in μ-law entering the application once its socket connects; answers its connection id. */
  externalMediaSocket(channelId: string): Promise<PortResult<{ connectionId: string }>>;
  /** Where the engine connects for that channel's audio: ws(s)://asterisk/media/{connection id}. */
  mediaSocketUrl(connectionId: string): string;
  /** Headers of that connection (Asterisk's HTTP server authenticates like ARI, with that server's credentials). */
  mediaSocketHeaders(connectionId: string): Record<string, string>;
  /** POST /channels/{id}/snoop: a channel hearing `spy` (in: what the caller says, out: what the caller hears). */
  snoop(channelId: string, snoopId: string, spy: 'in' | 'out'): Promise<PortResult>;
}
