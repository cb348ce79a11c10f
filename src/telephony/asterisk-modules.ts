// The Asterisk modules each telephony capability needs, named once: per port operation and per
// media kind a flow may play. The tables are keyed by the port's operations and the domain's media
// schemes, so a new operation or scheme does not compile until it names its modules, and
// test/config/feature-modules.test.ts checks that asterisk-config/modules.conf loads every one: a
// feature cannot land with its module missing (as `sound:http` media and music on hold once did,
// with ARI still answering 2xx). Names are module files without `.so`.
import type { TelephonyPort } from './port.js';
import { MEDIA_SCHEMES } from '../domain/steps/media-uri.js';

/** The port's operations on Asterisk (connection management aside). */
export type PortOperation = Exclude<keyof TelephonyPort, 'start' | 'close' | 'isConnected' | 'onEvent' | 'onConnection' | 'placement'>;

/** What being connected at all takes: ARI over HTTP, its events WebSocket, Stasis. */
export const CONNECTION_MODULES = ['res_ari', 'res_http_websocket', 'res_ari_events', 'res_ari_applications', 'res_ari_asterisk', 'res_stasis', 'app_stasis'] as const;

const CHANNELS = 'res_ari_channels';
const BRIDGES = 'res_ari_bridges';
/** A mixing bridge: two parties natively, more (or an announcer) through softmix. */
const MIXING = ['bridge_simple', 'bridge_native_rtp', 'bridge_softmix'];
/** Playbacks, recordings and music on a bridge go through an announcer/recorder channel. */
const BRIDGE_MEDIA = 'chan_bridge_media';

export const PORT_OPERATION_MODULES: Record<PortOperation, readonly string[]> = {
  // The default route and the lab phones are PJSIP endpoints; Local channels are in the core.
  originate: [CHANNELS, 'chan_pjsip'],
  answer: [CHANNELS, 'res_stasis_answer'],
  play: [CHANNELS, 'res_stasis_playback', 'res_ari_playbacks'],
  stopPlayback: ['res_ari_playbacks'],
  playbackState: ['res_ari_playbacks'],
  record: [CHANNELS, 'res_stasis_recording', 'format_wav'],
  hangup: [CHANNELS],
  setVariable: [CHANNELS],
  // Without res_musiconhold (and a `default` class in musiconhold.conf) ARI still answers 204.
  startMoh: [CHANNELS, 'res_musiconhold'],
  stopMoh: [CHANNELS, 'res_musiconhold'],
  sendDtmf: [CHANNELS],
  createChannel: [CHANNELS, 'chan_pjsip'],
  dial: [CHANNELS],
  createBridge: [BRIDGES, ...MIXING],
  addToBridge: [BRIDGES, ...MIXING],
  destroyBridge: [BRIDGES],
  playOnBridge: [BRIDGES, BRIDGE_MEDIA, 'res_stasis_playback', 'res_ari_playbacks'],
  startBridgeMoh: [BRIDGES, BRIDGE_MEDIA, 'res_musiconhold'],
  stopBridgeMoh: [BRIDGES, BRIDGE_MEDIA, 'res_musiconhold'],
  recordBridge: [BRIDGES, BRIDGE_MEDIA, 'res_stasis_recording', 'format_wav'],
  // The transfer step's context lives in extensions.conf.
  continueInDialplan: [CHANNELS, 'pbx_config'],
  storedRecordingFile: ['res_ari_recordings'],
  deleteStoredRecording: ['res_ari_recordings'],
  listChannels: [CHANNELS],
  listBridgeIds: [BRIDGES],
  listSounds: ['res_ari_sounds'],
};

/** A `sound:` URI that is an http(s) URL rather than a file of the sounds directory. */
export const URL_MEDIA = 'sound-url';

export const MEDIA_MODULES: Record<(typeof MEDIA_SCHEMES)[number] | typeof URL_MEDIA, readonly string[]> = {
  // The sounds directory's files (the lab's core sounds are WAV or GSM) and generated speech.
  sound: ['format_wav', 'format_gsm', 'format_pcm'],
  // `sound:http(s)://…`: fetched by res_http_media_cache through res_curl (text to speech, URL media).
  [URL_MEDIA]: ['res_curl', 'res_http_media_cache', 'format_wav'],
  recording: ['res_stasis_recording', 'format_wav'],
  // Said with the core's say.c from the sound files.
  digits: ['format_wav', 'format_gsm'],
  number: ['format_wav', 'format_gsm'],
  characters: ['format_wav', 'format_gsm'],
  // Indications (indications.conf) are in the core.
  tone: [],
};

/** Every module the engine's features need, sorted. */
export function modulesTheEngineNeeds(): string[] {
  const all = new Set<string>(CONNECTION_MODULES);
  for (const list of [...Object.values(PORT_OPERATION_MODULES), ...Object.values(MEDIA_MODULES)]) for (const m of list) all.add(m);
  return [...all].sort();
}
