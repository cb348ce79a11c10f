// Translates ARI event JSON (as Asterisk sends it over the events WebSocket) into the engine's
// TelephonyEvents. Anything malformed or irrelevant gives undefined: events are untrusted input.
import type { ChannelState, TelephonyEvent } from '../port.js';

/** The ARI event types the engine consumes (translated by the adapter, never routed per channel). */
export const CONSUMED_EVENT_TYPES = [
  'Dial', 'StasisStart', 'StasisEnd', 'ChannelStateChange', 'ChannelDtmfReceived', 'ChannelHangupRequest',
  'ChannelDestroyed', 'PlaybackStarted', 'PlaybackFinished', 'RecordingFinished', 'RecordingFailed',
  'ChannelEnteredBridge', 'ChannelLeftBridge', 'BridgeDestroyed',
] as const;

type Rec = Record<string, unknown>;

const CHANNEL_STATES: readonly ChannelState[] = [
  'Down', 'Rsrvd', 'OffHook', 'Dialing', 'Ring', 'Ringing', 'Up', 'Busy', 'Dialing Offhook', 'Pre-ring', 'Unknown',
];

function rec(value: unknown): Rec | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : undefined;
}
function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
function channelState(value: unknown): ChannelState {
  return CHANNEL_STATES.find((s) => s === value) ?? 'Unknown';
}
/** Playbacks and recordings name their target as `channel:<id>` (or `bridge:<id>`...). */
export function channelOfTarget(targetUri: unknown): string | undefined {
  const uri = str(targetUri);
  return uri?.startsWith('channel:') ? uri.slice('channel:'.length) || undefined : undefined;
}

function bridgeOfTarget(targetUri: unknown): string | undefined {
  const uri = str(targetUri);
  return uri?.startsWith('bridge:') ? uri.slice('bridge:'.length) || undefined : undefined;
}

/** Asterisk stamps events as `2026-11-20T23:20:58.710+0000`; the engine stores ISO 8601 UTC throughout. */
function isoTime(timestamp: string | undefined): string {
  const ms = timestamp === undefined ? Number.NaN : Date.parse(timestamp);
  return new Date(Number.isNaN(ms) ? Date.now() : ms).toISOString();
}

export function translateAriEvent(raw: unknown): TelephonyEvent | undefined {
  const ev = rec(raw);
  if (!ev) return undefined;
  const type = str(ev.type);
  const at = isoTime(str(ev.timestamp));
  const channel = rec(ev.channel);
  const channelId = str(channel?.id);
  switch (type) {
    case 'Dial': {
      // The Stasis side of an originate is the Dial's `peer` (there is no `caller`).
      const peerId = str(rec(ev.peer)?.id);
      const dialstatus = str(ev.dialstatus);
      if (!peerId || dialstatus === undefined) return undefined;
      return { type: 'dial', channelId: peerId, dialstatus, at };
    }
    case 'StasisStart': {
      if (!channelId) return undefined;
      const args = Array.isArray(ev.args) ? ev.args.filter((a): a is string => typeof a === 'string') : [];
      const caller = str(rec(channel?.caller)?.number);
      const channelName = str(channel?.name);
      return {
        type: 'stasis-start', channelId, args, state: channelState(channel?.state),
        ...(caller ? { caller } : {}), ...(channelName ? { channelName } : {}), at,
      };
    }
    case 'StasisEnd':
      return channelId ? { type: 'stasis-end', channelId, at } : undefined;
    case 'ChannelStateChange':
      return channelId ? { type: 'state-change', channelId, state: channelState(channel?.state), at } : undefined;
    case 'ChannelDtmfReceived': {
      const digit = str(ev.digit);
      if (!channelId || !digit || !/^[0-9A-D*#]$/.test(digit)) return undefined;
      return { type: 'dtmf', channelId, digit, durationMs: num(ev.duration_ms) ?? 0, at };
    }
    case 'ChannelHangupRequest': {
      if (!channelId) return undefined;
      const cause = num(ev.cause);
      const soft = typeof ev.soft === 'boolean' ? ev.soft : undefined;
      return { type: 'hangup-request', channelId, ...(cause !== undefined ? { cause } : {}), ...(soft !== undefined ? { soft } : {}), at };
    }
    case 'ChannelDestroyed':
      if (!channelId) return undefined;
      return { type: 'channel-destroyed', channelId, cause: num(ev.cause) ?? 0, causeTxt: str(ev.cause_txt) ?? '', at };
    case 'PlaybackStarted':
    case 'PlaybackFinished': {
      const playback = rec(ev.playback);
      const playbackId = str(playback?.id);
      if (!playbackId) return undefined;
      const target = channelOfTarget(playback?.target_uri);
      const bridge = bridgeOfTarget(playback?.target_uri);
      const on = { ...(target ? { channelId: target } : {}), ...(bridge ? { bridgeId: bridge } : {}) };
      if (type === 'PlaybackStarted') return { type: 'playback-started', playbackId, ...on, at };
      return { type: 'playback-finished', playbackId, ...on, state: str(playback?.state) ?? 'unknown', at };
    }
    case 'RecordingFinished':
    case 'RecordingFailed': {
      const recording = rec(ev.recording);
      const name = str(recording?.name);
      if (!name) return undefined;
      const target = channelOfTarget(recording?.target_uri);
      const bridge = bridgeOfTarget(recording?.target_uri);
      const on = { ...(target ? { channelId: target } : {}), ...(bridge ? { bridgeId: bridge } : {}) };
      if (type === 'RecordingFinished') {
        const durationSec = num(recording?.duration);
        return {
          type: 'recording-finished', name, ...on, state: str(recording?.state) ?? 'done',
          ...(durationSec !== undefined ? { durationSec } : {}), at,
        };
      }
      const cause = str(recording?.cause);
      return { type: 'recording-failed', name, ...on, ...(cause ? { cause } : {}), at };
    }
    case 'ChannelEnteredBridge':
    case 'ChannelLeftBridge': {
      const bridgeId = str(rec(ev.bridge)?.id);
      if (!bridgeId || !channelId) return undefined;
      return { type: type === 'ChannelEnteredBridge' ? 'bridge-entered' : 'bridge-left', bridgeId, channelId, at };
    }
    case 'BridgeDestroyed': {
      const bridgeId = str(rec(ev.bridge)?.id);
      return bridgeId ? { type: 'bridge-destroyed', bridgeId, at } : undefined;
    }
    default:
      return undefined;
  }
}
