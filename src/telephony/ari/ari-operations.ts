// The TelephonyPort's requests to Asterisk, as ARI documents them (api-docs of Asterisk 22):
// which resource, verb and parameters each operation sends. How they are sent is the adapter's
// (ari-client-adapter.ts): `send` when the answer carries nothing the port returns, `read` for a
// JSON answer, `download` for a file; each answers a typed PortResult.
import { asteriskMediaUri } from './media-url-padding.js';
import type { ChannelListing, OriginateRequest, PortResult, SoundInfo, TelephonyPort } from '../port.js';
import type { PortFailure } from './ari-errors.js';
import type { QueryParams } from './ari-transport.js';
import { asteriskMedia } from '../../domain/steps/media-uri.js';

export interface StoredFile { data: Buffer; contentType: string }

export interface AriRequests {
  /** The Stasis application the engine's channels enter. */
  app: string;
  send(what: string, method: 'POST' | 'DELETE', path: string, query?: QueryParams, body?: unknown): Promise<PortResult>;
  read<T>(what: string, path: string, map: (value: unknown) => T, query?: QueryParams): Promise<PortResult<T>>;
  download(path: string, maxBytes: number): Promise<PortResult<StoredFile>>;
}

export type AriOperations = Omit<TelephonyPort, 'start' | 'close' | 'isConnected' | 'onEvent' | 'onConnection' | 'placement'>;

/** A stored recording is read whole (an hour of 8 kHz WAV is 58 MB); longer ones are refused. */
const MAX_RECORDING_BYTES = 100 * 1024 * 1024;

/** A path segment as ari-client fills it in: encoded, and required (it refuses '' before sending). */
function segment(name: string, value: string): string | PortFailure {
  return value ? encodeURIComponent(value) : { ok: false, kind: 'invalid', message: `${name} is a required path param.` };
}

/** The ids of a list of ARI objects (bridges); anything without a string id is skipped. */
function idsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .map((item: unknown) => (typeof item === 'object' && item !== null && 'id' in item && typeof item.id === 'string' ? item.id : undefined))
    .filter((id): id is string => id !== undefined);
}

/**
 * ARI's Channel objects as listed (id, dialplan, creationtime); anything without a string id is
 * skipped. The application is what `Stasis` runs with, up to its first comma (its arguments
 * follow: `lab-inbound,+12125550100,1001` in trace q of 22.10.1).
 */
function channelsOf(value: unknown): ChannelListing[] {
  if (!Array.isArray(value)) return [];
  return (value as unknown[]).flatMap((item): ChannelListing[] => {
    const { id, dialplan, creationtime } = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    if (typeof id !== 'string') return [];
    const { app_name: appName, app_data: appData } = (typeof dialplan === 'object' && dialplan !== null ? dialplan : {}) as Record<string, unknown>;
    const stasisApp = appName === 'Stasis' && typeof appData === 'string' && appData !== '' ? appData.split(',')[0] : undefined;
    // `2026-11-20T23:21:19.856+0000`: the offset without a colon, which Date.parse reads.
    const createdMs = typeof creationtime === 'string' ? Date.parse(creationtime) : NaN;
    return [{ id, ...(stasisApp ? { stasisApp } : {}), ...(Number.isFinite(createdMs) ? { createdMs } : {}) }];
  });
}

/** ARI's Sound objects (id, text, formats[{language, format}]); malformed entries are skipped. */
function soundsOf(value: unknown): SoundInfo[] {
  if (!Array.isArray(value)) return [];
  const out: SoundInfo[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const { id, text, formats } = item as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') continue;
    const pairs = Array.isArray(formats) ? (formats as unknown[]).flatMap((f) => {
      const { language, format } = (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>;
      return typeof language === 'string' && typeof format === 'string' ? [{ language, format }] : [];
    }) : [];
    out.push({ id, ...(typeof text === 'string' && text !== '' ? { text } : {}), formats: pairs });
  }
  return out;
}

export function ariOperations({ app, send, read, download }: AriRequests): AriOperations {
  return {
    originate(req: OriginateRequest) {
      if (req.appArgs.some((a) => a.includes(','))) {
        return Promise.resolve({ ok: false, kind: 'invalid', message: 'appArgs may not contain commas' });
      }
      return send('originate', 'POST', '/channels', [
        ['endpoint', req.endpoint],
        ['app', app],
        ['appArgs', req.appArgs.join(',')],
        ['callerId', req.callerId],
        ['timeout', req.timeoutSec],
        ['channelId', req.channelId],
      ], { variables: req.variables }); // the JSON body ARI documents for channel variables
    },

    answer(channelId) {
      const id = segment('channelId', channelId);
      return typeof id === 'string' ? send('answer', 'POST', `/channels/${id}/answer`) : Promise.resolve(id);
    },

    play(channelId, playbackId, media) {
      if (media.length === 0 || media.some((m) => m.length === 0 || m.includes(','))) {
        return Promise.resolve({ ok: false, kind: 'invalid', message: 'media must be non-empty URIs without commas' });
      }
      const id = segment('channelId', channelId);
      if (typeof id !== 'string') return Promise.resolve(id);
      const pb = segment('playbackId', playbackId);
      if (typeof pb !== 'string') return Promise.resolve(pb);
      // One `media` query parameter, comma-separated: a repeated parameter is not a list to Asterisk.
      // A plain http(s) URL goes as `sound:<url>`, the form Asterisk fetches, then padded if short.
      return send('play', 'POST', `/channels/${id}/play/${pb}`, [['media', media.map((m) => asteriskMediaUri(asteriskMedia(m))).join(',')]]);
    },

    stopPlayback(playbackId) {
      const pb = segment('playbackId', playbackId);
      return typeof pb === 'string' ? send('stopPlayback', 'DELETE', `/playbacks/${pb}`) : Promise.resolve(pb);
    },

    playbackState(playbackId) {
      const pb = segment('playbackId', playbackId);
      return typeof pb === 'string'
        ? read('playbackState', `/playbacks/${pb}`, (value) =>
          (typeof value === 'object' && value !== null && 'state' in value && typeof value.state === 'string' ? value.state : 'unknown'))
        : Promise.resolve(pb);
    },

    record(channelId, o) {
      const id = segment('channelId', channelId);
      return typeof id === 'string' ? send('record', 'POST', `/channels/${id}/record`, [
        ['name', o.name], ['format', o.format], ['maxDurationSeconds', o.maxDurationSeconds], ['maxSilenceSeconds', o.maxSilenceSeconds],
        ['beep', o.beep], ['terminateOn', o.terminateOn], ['ifExists', 'fail'],
      ]) : Promise.resolve(id);
    },

    hangup(channelId, reason = 'normal') {
      const id = segment('channelId', channelId);
      return typeof id === 'string' ? send('hangup', 'DELETE', `/channels/${id}`, [['reason', reason]]) : Promise.resolve(id);
    },

    startMoh(channelId, mohClass) {
      const id = segment('channelId', channelId);
      return typeof id === 'string' ? send('startMoh', 'POST', `/channels/${id}/moh`, mohClass ? [['mohClass', mohClass]] : []) : Promise.resolve(id);
    },

    stopMoh(channelId) {
      const id = segment('channelId', channelId);
      return typeof id === 'string' ? send('stopMoh', 'DELETE', `/channels/${id}/moh`) : Promise.resolve(id);
    },

    sendDtmf(channelId, digits) {
      if (!/^[0-9A-Da-d*#]{1,64}$/.test(digits)) return Promise.resolve({ ok: false, kind: 'invalid', message: 'digits must be 1 to 64 of 0-9 A-D * #' });
      const id = segment('channelId', channelId);
      return typeof id === 'string' ? send('sendDtmf', 'POST', `/channels/${id}/dtmf`, [['dtmf', digits]]) : Promise.resolve(id);
    },

    setVariable(channelId, name, value) {
      const id = segment('channelId', channelId);
      return typeof id === 'string' ? send('setVariable', 'POST', `/channels/${id}/variable`, [['variable', name], ['value', value]]) : Promise.resolve(id);
    },

    createChannel(req) {
      if (req.appArgs.some((a) => a.includes(','))) return Promise.resolve({ ok: false, kind: 'invalid', message: 'appArgs may not contain commas' });
      return send('createChannel', 'POST', '/channels/create', [
        ['endpoint', req.endpoint],
        ['app', app],
        ['appArgs', req.appArgs.join(',')],
        ['channelId', req.channelId],
        ['originator', req.originator],
      ], { variables: { ...req.variables, 'CALLERID(num)': req.callerNumber } });
    },

    dial(channelId, callerChannelId, timeoutSec) {
      const id = segment('channelId', channelId);
      return typeof id === 'string' ? send('dial', 'POST', `/channels/${id}/dial`, [['caller', callerChannelId], ['timeout', timeoutSec]]) : Promise.resolve(id);
    },

    createBridge(bridgeId, name) {
      const id = segment('bridgeId', bridgeId);
      return typeof id === 'string' ? send('createBridge', 'POST', `/bridges/${id}`, [['type', 'mixing'], ['name', name]]) : Promise.resolve(id);
    },

    addToBridge(bridgeId, channelIds) {
      const id = segment('bridgeId', bridgeId);
      return typeof id === 'string' ? send('addToBridge', 'POST', `/bridges/${id}/addChannel`, [['channel', channelIds.join(',')]]) : Promise.resolve(id);
    },

    destroyBridge(bridgeId) {
      const id = segment('bridgeId', bridgeId);
      return typeof id === 'string' ? send('destroyBridge', 'DELETE', `/bridges/${id}`) : Promise.resolve(id);
    },

    playOnBridge(bridgeId, playbackId, media) {
      if (media.length === 0 || media.some((m) => m.length === 0 || m.includes(','))) {
        return Promise.resolve({ ok: false, kind: 'invalid', message: 'media must be non-empty URIs without commas' });
      }
      const id = segment('bridgeId', bridgeId);
      if (typeof id !== 'string') return Promise.resolve(id);
      const pb = segment('playbackId', playbackId);
      if (typeof pb !== 'string') return Promise.resolve(pb);
      return send('playOnBridge', 'POST', `/bridges/${id}/play/${pb}`, [['media', media.map(asteriskMediaUri).join(',')]]);
    },

    startBridgeMoh(bridgeId, mohClass) {
      const id = segment('bridgeId', bridgeId);
      return typeof id === 'string' ? send('startBridgeMoh', 'POST', `/bridges/${id}/moh`, mohClass ? [['mohClass', mohClass]] : []) : Promise.resolve(id);
    },

    recordBridge(bridgeId, o) {
      const id = segment('bridgeId', bridgeId);
      return typeof id === 'string' ? send('recordBridge', 'POST', `/bridges/${id}/record`, [
        ['name', o.name], ['format', o.format], ['maxDurationSeconds', o.maxDurationSeconds], ['ifExists', 'fail'], ['beep', 'false'], ['terminateOn', 'none'],
      ]) : Promise.resolve(id);
    },

    stopBridgeMoh(bridgeId) {
      const id = segment('bridgeId', bridgeId);
      return typeof id === 'string' ? send('stopBridgeMoh', 'DELETE', `/bridges/${id}/moh`) : Promise.resolve(id);
    },

    continueInDialplan(channelId, context, extension, priority) {
      const id = segment('channelId', channelId);
      return typeof id === 'string'
        ? send('continueInDialplan', 'POST', `/channels/${id}/continue`, [['context', context], ['extension', extension], ['priority', priority]])
        : Promise.resolve(id);
    },

    storedRecordingFile(name) {
      if (!name) return Promise.resolve({ ok: false, kind: 'invalid', message: 'recordingName is a required path param.' });
      return download(`/recordings/stored/${encodeURIComponent(name)}/file`, MAX_RECORDING_BYTES);
    },

    deleteStoredRecording(name) {
      const id = segment('recordingName', name);
      return typeof id === 'string' ? send('deleteStoredRecording', 'DELETE', `/recordings/stored/${id}`) : Promise.resolve(id);
    },

    listChannels: () => read('listChannels', '/channels', channelsOf),

    listBridgeIds: () => read('listBridges', '/bridges', idsOf),

    listSounds: (language) => read('listSounds', '/sounds', soundsOf, language ? [['lang', language]] : []),
  };
}
