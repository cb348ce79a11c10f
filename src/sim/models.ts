// Swagger models for the declarations the simulator serves. ari-client reads the `events`
// models to promote event properties to resource objects (Channel, Playback, ...), and it fails
// on any event type it cannot find here, so every event the simulator sends is declared.
import type { ResourceName } from './operations.js';

type Prop = [type: string, required: boolean, description?: string];
type Model = { id: string; description: string; properties: Record<string, Record<string, unknown>> };

function model(id: string, description: string, props: Record<string, Prop>): Model {
  const properties: Model['properties'] = {};
  for (const [name, [type, required, desc]] of Object.entries(props)) {
    properties[name] = { type, required, ...(desc ? { description: desc } : {}) };
  }
  return { id, description, properties };
}

const S = (required = true): Prop => ['string', required];

const callerId = model('CallerID', 'Caller identification', { name: S(), number: S() });
const dialplanCep = model('DialplanCEP', 'Dialplan location (context/extension/priority)', {
  context: S(), exten: S(), priority: ['long', true], app_name: S(), app_data: S(),
});
const channel = model('Channel', 'A specific communication connection between Asterisk and an Endpoint.', {
  id: S(), protocol_id: S(), name: S(), state: S(), caller: ['CallerID', true], connected: ['CallerID', true],
  accountcode: S(), dialplan: ['DialplanCEP', true], creationtime: ['Date', true], language: S(),
  channelvars: ['object', false], caller_rdnis: S(false), tenantid: S(false),
});
const playback = model('Playback', 'Object representing the playback of media to a channel', {
  id: S(), media_uri: S(), next_media_uri: S(false), target_uri: S(), language: S(false), state: S(),
});
const liveRecording = model('LiveRecording', 'A recording that is in progress', {
  name: S(), format: S(), target_uri: S(), state: S(), duration: ['int', false], talking_duration: ['int', false],
  silence_duration: ['int', false], cause: S(false),
});
const storedRecording = model('StoredRecording', 'A past recording that may be played back.', { name: S(), format: S() });
const bridge = model('Bridge', 'The merging of media from one or more channels.', {
  id: S(), technology: S(), bridge_type: S(), bridge_class: S(), creator: S(), name: S(), channels: ['List[string]', true],
  video_mode: S(false), video_source_id: S(false), creationtime: ['Date', true], bridgevars: ['object', false],
});
const endpoint = model('Endpoint', 'An external device that may offer/accept calls to/from Asterisk.', {
  technology: S(), resource: S(), state: S(false), channel_ids: ['List[string]', true],
});
const variable = model('Variable', 'The value of a channel variable', { value: S() });

const MODELS: Record<ResourceName, Model[]> = {
  asterisk: [
    model('BuildInfo', 'Info about how Asterisk was built', { os: S(), kernel: S(), options: S(), machine: S(), date: S(), user: S() }),
    model('SystemInfo', 'Info about Asterisk', { version: S(), entity_id: S() }),
    model('SetId', 'Effective user/group id', { user: S(), group: S() }),
    model('ConfigInfo', 'Info about Asterisk configuration', {
      name: S(), default_language: S(), max_channels: ['int', false], max_open_files: ['int', false], max_load: ['double', false], setid: ['SetId', true],
    }),
    model('StatusInfo', 'Info about Asterisk status', { startup_time: ['Date', true], last_reload_time: ['Date', true] }),
    model('AsteriskInfo', 'Asterisk system information', {
      build: ['BuildInfo', false], system: ['SystemInfo', false], config: ['ConfigInfo', false], status: ['StatusInfo', false],
    }),
    model('AsteriskPing', 'Asterisk ping information', { asterisk_id: S(), ping: S(), timestamp: S() }),
    variable,
  ],
  endpoints: [endpoint],
  channels: [callerId, dialplanCep, channel, variable],
  bridges: [bridge],
  recordings: [storedRecording, liveRecording],
  sounds: [model('FormatLangPair', 'Identifies the format and language of a sound file', { language: S(), format: S() }),
    model('Sound', 'A media file that may be played back.', { id: S(), text: S(false), formats: ['List[FormatLangPair]', true] })],
  playbacks: [playback],
  applications: [model('Application', 'Details of a Stasis application', {
    name: S(), channel_ids: ['List[string]', true], bridge_ids: ['List[string]', true], endpoint_ids: ['List[string]', true],
    device_names: ['List[string]', true], events_allowed: ['List[object]', true], events_disallowed: ['List[object]', true],
  })],
  events: [],
};

const CH: Prop = ['Channel', true];
const eventModels: Array<[string, string, Record<string, Prop>]> = [
  ['ApplicationReplaced', 'Notification that another WebSocket has taken over for an application.', {}],
  ['ApplicationRegistered', 'Notification that a Stasis app has been registered.', {}],
  ['ApplicationUnregistered', 'Notification that a Stasis app has been unregistered.', {}],
  ['BridgeCreated', 'Notification that a bridge has been created.', { bridge: ['Bridge', true] }],
  ['BridgeDestroyed', 'Notification that a bridge has been destroyed.', { bridge: ['Bridge', true] }],
  ['ChannelCreated', 'Notification that a channel has been created.', { channel: CH }],
  ['ChannelDestroyed', 'Notification that a channel has been destroyed.', { cause: ['int', true], cause_txt: S(), tech_cause: ['int', false], channel: CH }],
  ['ChannelEnteredBridge', 'Notification that a channel has entered a bridge.', { bridge: ['Bridge', true], channel: ['Channel', false] }],
  ['ChannelLeftBridge', 'Notification that a channel has left a bridge.', { bridge: ['Bridge', true], channel: CH }],
  ['ChannelStateChange', 'Notification of a channel\'s state change.', { channel: CH }],
  ['ChannelDtmfReceived', 'DTMF received on a channel.', { digit: S(), duration_ms: ['int', true], channel: CH }],
  ['ChannelDialplan', 'Channel changed location in the dialplan.', { channel: CH, dialplan_app: S(), dialplan_app_data: S() }],
  ['ChannelCallerId', 'Channel changed Caller ID.', { caller_presentation: ['int', true], caller_presentation_txt: S(), channel: CH }],
  ['ChannelConnectedLine', 'Channel changed Connected Line.', { channel: CH }],
  ['ChannelHangupRequest', 'A hangup was requested on the channel.', { cause: ['int', false], tech_cause: ['int', false], soft: ['boolean', false], channel: CH }],
  ['ChannelVarset', 'Channel variable changed.', { variable: S(), value: S(), channel: ['Channel', false] }],
  ['ChannelHold', 'A channel initiated a media hold.', { channel: CH, musicclass: S(false) }],
  ['ChannelUnhold', 'A channel initiated a media unhold.', { channel: CH }],
  ['Dial', 'Dialing state has changed.', {
    caller: ['Channel', false], peer: CH, forward: S(false), forwarded: ['Channel', false], dialstring: S(false), dialstatus: S(),
  }],
  ['StasisStart', 'Notification that a channel has entered a Stasis application.', { args: ['List[string]', true], channel: CH, replace_channel: ['Channel', false] }],
  ['StasisEnd', 'Notification that a channel has left a Stasis application.', { channel: CH }],
  ['PlaybackStarted', 'Event showing the start of a media playback operation.', { playback: ['Playback', true] }],
  ['PlaybackContinuing', 'Event showing the continuation of a media playback operation from one media URI to the next in the list.', { playback: ['Playback', true] }],
  ['PlaybackFinished', 'Event showing the completion of a media playback operation.', { playback: ['Playback', true] }],
  ['RecordingStarted', 'Event showing the start of a recording operation.', { recording: ['LiveRecording', true] }],
  ['RecordingFinished', 'Event showing the completion of a recording operation.', { recording: ['LiveRecording', true] }],
  ['RecordingFailed', 'Event showing failure of a recording operation.', { recording: ['LiveRecording', true] }],
  ['EndpointStateChange', 'Endpoint state changed.', { endpoint: ['Endpoint', true] }],
];

MODELS.events = [
  model('Message', 'Base type for errors and events', { type: S(), asterisk_id: S(false) }),
  model('Event', 'Base type for asynchronous events from Asterisk.', { application: S(), timestamp: ['Date', true] }),
  ...eventModels.map(([id, description, props]) => model(id, description, props)),
];

export function modelsFor(resource: ResourceName): Record<string, Model> {
  const out: Record<string, Model> = {};
  for (const m of MODELS[resource]) out[m.id] = m;
  return out;
}

export const EVENT_TYPES = new Set(eventModels.map(([id]) => id));
