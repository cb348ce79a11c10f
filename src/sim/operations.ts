// The one table of ARI operations the simulator implements. It drives three things that must
// never drift apart: the Swagger 1.1 declarations served under /ari/api-docs (which ari-client
// turns into methods), request routing, and parameter decoding/defaults.

export type ParamType = 'path' | 'query' | 'body';
export type DataType = 'string' | 'int' | 'long' | 'boolean' | 'containers' | 'object';

export interface ParamSpec {
  name: string;
  paramType: ParamType;
  dataType: DataType;
  required?: boolean;
  allowMultiple?: boolean;
  defaultValue?: string | number | boolean;
  allowableValues?: string[];
  description: string;
}

export type ResourceName =
  | 'asterisk' | 'endpoints' | 'channels' | 'bridges' | 'recordings' | 'sounds' | 'playbacks' | 'applications' | 'events';

export interface OperationSpec {
  resource: ResourceName;
  path: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  nickname: string;
  summary: string;
  responseClass: string;
  params: ParamSpec[];
  errors: Array<[number, string]>;
  upgrade?: 'websocket';
}

export const RESOURCE_DESCRIPTIONS: Record<ResourceName, string> = {
  asterisk: 'Asterisk resources',
  endpoints: 'Endpoint resources',
  channels: 'Channel resources',
  bridges: 'Bridge resources',
  recordings: 'Recording resources',
  sounds: 'Sound resources',
  playbacks: 'Playback control resources',
  applications: 'Stasis application resources',
  events: 'WebSocket resource',
};

const p = (name: string, description: string): ParamSpec => ({ name, paramType: 'path', dataType: 'string', required: true, description });
const q = (name: string, dataType: DataType, description: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name, paramType: 'query', dataType, required: false, allowMultiple: false, description, ...extra,
});
const variablesBody = (required = false): ParamSpec => ({
  name: 'variables', paramType: 'body', dataType: 'containers', required, description: 'The "variables" key in the body object holds variable key/value pairs to set.',
});

const channelId = p('channelId', "Channel's id");
const bridgeId = p('bridgeId', "Bridge's id");
const playbackIdPath = p('playbackId', "Playback's id");
const recordingName = p('recordingName', "The recording's name");

const CH_404: [number, string] = [404, 'Channel not found'];
const CH_409: [number, string] = [409, 'Channel not in a Stasis application'];
const CH_412: [number, string] = [412, 'Channel in invalid state'];

const originateParams = (withIdInPath: boolean): ParamSpec[] => [
  ...(withIdInPath ? [p('channelId', 'The unique id to assign the channel on creation.')] : []),
  q('endpoint', 'string', 'Endpoint to call.', { required: true }),
  q('extension', 'string', 'The extension to dial after the endpoint answers.'),
  q('context', 'string', 'The context to dial after the endpoint answers.'),
  q('priority', 'long', 'The priority to dial after the endpoint answers.'),
  q('label', 'string', 'The label to dial after the endpoint answers.'),
  q('app', 'string', 'The application that is subscribed to the originated channel.'),
  q('appArgs', 'string', 'The application arguments to pass to the Stasis application.'),
  q('callerId', 'string', 'CallerID to use when dialing the endpoint or extension.'),
  q('timeout', 'int', 'Timeout (in seconds) before giving up dialing, or -1 for no timeout.', { defaultValue: 30 }),
  variablesBody(),
  ...(withIdInPath ? [] : [q('channelId', 'string', 'The unique id to assign the channel on creation.')]),
  q('otherChannelId', 'string', 'The unique id to assign the second channel when using local channels.'),
  q('originator', 'string', 'The unique id of the channel which is originating this one.'),
  q('formats', 'string', 'The format name capability list to use if originator is not specified.'),
];

const playParams = (withIdInPath: boolean, target: 'channel' | 'bridge'): ParamSpec[] => [
  target === 'channel' ? channelId : bridgeId,
  ...(withIdInPath ? [playbackIdPath] : []),
  q('media', 'string', 'Media URIs to play (sound:, recording:, number:, digits:, characters:, tone:).', { required: true, allowMultiple: true }),
  q('lang', 'string', 'For sounds, selects language for sound.'),
  q('offsetms', 'int', 'Number of milliseconds to skip before playing.', { defaultValue: 0 }),
  q('skipms', 'int', 'Number of milliseconds to skip for forward/reverse operations.', { defaultValue: 3000 }),
  ...(withIdInPath ? [] : [q('playbackId', 'string', 'Playback ID.')]),
];

const recordParams = (target: 'channel' | 'bridge'): ParamSpec[] => [
  target === 'channel' ? channelId : bridgeId,
  q('name', 'string', 'Recording name.', { required: true }),
  q('format', 'string', 'Format to encode audio in.', { required: true }),
  q('maxDurationSeconds', 'int', 'Maximum duration of the recording, in seconds. 0 for no limit.', { defaultValue: 0 }),
  q('maxSilenceSeconds', 'int', 'Maximum duration of silence, in seconds. 0 for no limit.', { defaultValue: 0 }),
  q('ifExists', 'string', 'Action to take if a recording with the same name already exists.', { defaultValue: 'fail', allowableValues: ['fail', 'overwrite', 'append'] }),
  q('beep', 'boolean', 'Play beep when recording begins.', { defaultValue: false }),
  q('terminateOn', 'string', 'DTMF input to terminate recording.', { defaultValue: 'none', allowableValues: ['none', 'any', '*', '#'] }),
];

export const OPERATIONS: OperationSpec[] = [
  // asterisk
  { resource: 'asterisk', path: '/asterisk/info', method: 'GET', nickname: 'getInfo', summary: 'Gets Asterisk system information.', responseClass: 'AsteriskInfo',
    params: [q('only', 'string', 'Filter information returned.', { allowMultiple: true, allowableValues: ['build', 'system', 'config', 'status'] })], errors: [] },
  { resource: 'asterisk', path: '/asterisk/ping', method: 'GET', nickname: 'ping', summary: 'Response pong message.', responseClass: 'AsteriskPing', params: [], errors: [] },
  { resource: 'asterisk', path: '/asterisk/variable', method: 'GET', nickname: 'getGlobalVar', summary: 'Get the value of a global variable.', responseClass: 'Variable',
    params: [q('variable', 'string', 'The variable to get', { required: true })], errors: [[400, 'Missing variable parameter.']] },
  { resource: 'asterisk', path: '/asterisk/variable', method: 'POST', nickname: 'setGlobalVar', summary: 'Set the value of a global variable.', responseClass: 'void',
    params: [q('variable', 'string', 'The variable to set', { required: true }), q('value', 'string', 'The value to set the variable to')], errors: [[400, 'Missing variable parameter.']] },

  // endpoints
  { resource: 'endpoints', path: '/endpoints', method: 'GET', nickname: 'list', summary: 'List all endpoints.', responseClass: 'List[Endpoint]', params: [], errors: [] },
  { resource: 'endpoints', path: '/endpoints/{tech}', method: 'GET', nickname: 'listByTech', summary: 'List available endoints for a given endpoint technology.', responseClass: 'List[Endpoint]',
    params: [p('tech', 'Technology of the endpoints (PJSIP, Local)')], errors: [[404, 'Endpoints not found']] },
  { resource: 'endpoints', path: '/endpoints/{tech}/{resource}', method: 'GET', nickname: 'get', summary: 'Details for an endpoint.', responseClass: 'Endpoint',
    params: [p('tech', 'Technology of the endpoint'), p('resource', 'ID of the endpoint')], errors: [[400, 'Invalid parameters'], [404, 'Endpoints not found']] },

  // channels
  { resource: 'channels', path: '/channels', method: 'GET', nickname: 'list', summary: 'List all active channels in Asterisk.', responseClass: 'List[Channel]', params: [], errors: [] },
  { resource: 'channels', path: '/channels', method: 'POST', nickname: 'originate', summary: 'Create a new channel (originate).', responseClass: 'Channel',
    params: originateParams(false), errors: [[400, 'Invalid parameters for originating a channel.'], [409, 'Channel with given unique ID already exists.']] },
  { resource: 'channels', path: '/channels/create', method: 'POST', nickname: 'create', summary: 'Create channel.', responseClass: 'Channel',
    params: [q('endpoint', 'string', 'Endpoint for channel communication', { required: true }), q('app', 'string', 'Stasis Application to place channel into', { required: true }),
      q('appArgs', 'string', 'The application arguments to pass to the Stasis application provided by \'app\'.'),
      q('channelId', 'string', 'The unique id to assign the channel on creation.'), q('otherChannelId', 'string', 'The unique id to assign the second channel when using local channels.'),
      q('originator', 'string', 'Unique ID of the calling channel'), q('formats', 'string', 'The format name capability list to use if originator is not specified.'), variablesBody()],
    errors: [[409, 'Channel with given unique ID already exists.']] },
  { resource: 'channels', path: '/channels/{channelId}/dial', method: 'POST', nickname: 'dial', summary: 'Dial a created channel.', responseClass: 'void',
    params: [channelId, q('caller', 'string', 'Channel ID of caller'), q('timeout', 'int', 'Dial timeout', { defaultValue: 0 })],
    errors: [[404, 'Channel cannot be found.'], [409, 'Channel cannot be dialed.']] },
  { resource: 'channels', path: '/channels/externalMedia', method: 'POST', nickname: 'externalMedia', summary: 'Start an External Media session.', responseClass: 'Channel',
    params: [q('channelId', 'string', 'The unique id to assign the channel on creation.'), q('app', 'string', 'Stasis Application to place channel into', { required: true }),
      variablesBody(), q('external_host', 'string', 'Hostname/ip:port or websocket_client connection ID of external host.'),
      q('encapsulation', 'string', 'Payload encapsulation protocol', { defaultValue: 'rtp', allowableValues: ['rtp', 'audiosocket', 'none'] }),
      q('transport', 'string', 'Transport protocol', { defaultValue: 'udp', allowableValues: ['udp', 'tcp', 'websocket'] }),
      q('connection_type', 'string', 'Connection type (client/server)', { defaultValue: 'client', allowableValues: ['client', 'server'] }),
      q('format', 'string', 'Format to encode audio in', { required: true }),
      q('direction', 'string', 'External media direction', { defaultValue: 'both', allowableValues: ['both'] }),
      q('data', 'string', 'An arbitrary data field')],
    errors: [[400, 'Invalid parameters'], [409, 'Channel is not in a Stasis application; Channel is already bridged']] },
  { resource: 'channels', path: '/channels/{channelId}/snoop', method: 'POST', nickname: 'snoopChannel', summary: 'Start snooping.', responseClass: 'Channel',
    params: [channelId, q('spy', 'string', 'Direction of audio to spy on', { defaultValue: 'none', allowableValues: ['none', 'both', 'out', 'in'] }),
      q('whisper', 'string', 'Direction of audio to whisper into', { defaultValue: 'none', allowableValues: ['none', 'both', 'out', 'in'] }),
      q('app', 'string', 'Application the snooping channel is placed into', { required: true }),
      q('appArgs', 'string', 'The application arguments to pass to the Stasis application'), q('snoopId', 'string', 'Unique ID to assign to snooping channel')],
    errors: [[400, 'Invalid parameters'], [404, 'Channel not found']] },
  { resource: 'channels', path: '/channels/{channelId}', method: 'GET', nickname: 'get', summary: 'Channel details.', responseClass: 'Channel', params: [channelId], errors: [CH_404] },
  { resource: 'channels', path: '/channels/{channelId}', method: 'POST', nickname: 'originateWithId', summary: 'Create a new channel (originate with id).', responseClass: 'Channel',
    params: originateParams(true), errors: [[400, 'Invalid parameters for originating a channel.'], [409, 'Channel with given unique ID already exists.']] },
  { resource: 'channels', path: '/channels/{channelId}', method: 'DELETE', nickname: 'hangup', summary: 'Delete (i.e. hangup) a channel.', responseClass: 'void',
    params: [channelId, q('reason_code', 'string', 'The reason code for hanging up the channel for detail use. Mutually exclusive with reason.'),
      q('reason', 'string', 'Reason for hanging up the channel for simple use. Mutually exclusive with reason_code.', {
        allowableValues: ['normal', 'busy', 'congestion', 'no_answer', 'timeout', 'rejected', 'unallocated', 'normal_unspecified', 'number_incomplete', 'codec_mismatch', 'interworking', 'failure', 'answered_elsewhere'] })],
    errors: [[400, 'Invalid reason for hangup provided'], CH_404] },
  { resource: 'channels', path: '/channels/{channelId}/continue', method: 'POST', nickname: 'continueInDialplan', summary: 'Exit application; continue execution in the dialplan.', responseClass: 'void',
    params: [channelId, q('context', 'string', 'The context to continue to.'), q('extension', 'string', 'The extension to continue to.'), q('priority', 'int', 'The priority to continue to.'), q('label', 'string', 'The label to continue to.')],
    errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/redirect', method: 'POST', nickname: 'redirect', summary: 'Redirect the channel to a different location.', responseClass: 'void',
    params: [channelId, q('endpoint', 'string', 'The endpoint to redirect the channel to', { required: true })],
    errors: [[400, 'Endpoint parameter not provided'], [404, 'Channel or endpoint not found'], CH_409, [422, 'Endpoint is not the same type as the channel'], CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/answer', method: 'POST', nickname: 'answer', summary: 'Answer a channel.', responseClass: 'void', params: [channelId], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/ring', method: 'POST', nickname: 'ring', summary: 'Indicate ringing to a channel.', responseClass: 'void', params: [channelId], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/ring', method: 'DELETE', nickname: 'ringStop', summary: 'Stop ringing indication on a channel if locally generated.', responseClass: 'void', params: [channelId], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/dtmf', method: 'POST', nickname: 'sendDTMF', summary: 'Send provided DTMF to a given channel.', responseClass: 'void',
    params: [channelId, q('dtmf', 'string', 'DTMF To send.'), q('before', 'int', 'Amount of time to wait before DTMF digits (specified in milliseconds) start.', { defaultValue: 0 }),
      q('between', 'int', 'Amount of time in between DTMF digits (specified in milliseconds).', { defaultValue: 100 }), q('duration', 'int', 'Length of each DTMF digit (specified in milliseconds).', { defaultValue: 100 }),
      q('after', 'int', 'Amount of time to wait after DTMF digits (specified in milliseconds) end.', { defaultValue: 0 })],
    errors: [[400, 'DTMF is required'], CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/hold', method: 'POST', nickname: 'hold', summary: 'Hold a channel.', responseClass: 'void', params: [channelId], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/hold', method: 'DELETE', nickname: 'unhold', summary: 'Remove a channel from hold.', responseClass: 'void', params: [channelId], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/mute', method: 'POST', nickname: 'mute', summary: 'Mute a channel.', responseClass: 'void',
    params: [channelId, q('direction', 'string', 'Direction in which to mute audio', { defaultValue: 'both', allowableValues: ['both', 'in', 'out'] })], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/mute', method: 'DELETE', nickname: 'unmute', summary: 'Unmute a channel.', responseClass: 'void',
    params: [channelId, q('direction', 'string', 'Direction in which to unmute audio', { defaultValue: 'both', allowableValues: ['both', 'in', 'out'] })], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/moh', method: 'POST', nickname: 'startMoh', summary: 'Play music on hold to a channel.', responseClass: 'void',
    params: [channelId, q('mohClass', 'string', 'Music on hold class to use')], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/moh', method: 'DELETE', nickname: 'stopMoh', summary: 'Stop playing music on hold to a channel.', responseClass: 'void', params: [channelId], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/silence', method: 'POST', nickname: 'startSilence', summary: 'Play silence to a channel.', responseClass: 'void', params: [channelId], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/silence', method: 'DELETE', nickname: 'stopSilence', summary: 'Stop playing silence to a channel.', responseClass: 'void', params: [channelId], errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/play', method: 'POST', nickname: 'play', summary: 'Start playback of media.', responseClass: 'Playback',
    params: playParams(false, 'channel'), errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/play/{playbackId}', method: 'POST', nickname: 'playWithId', summary: 'Start playback of media and specify the playbackId.', responseClass: 'Playback',
    params: playParams(true, 'channel'), errors: [CH_404, CH_409, CH_412] },
  { resource: 'channels', path: '/channels/{channelId}/record', method: 'POST', nickname: 'record', summary: 'Start a recording.', responseClass: 'LiveRecording',
    params: recordParams('channel'), errors: [[400, 'Invalid parameters'], CH_404, [409, 'Channel is not in a Stasis application; the channel is currently bridged with other hcannels; A recording with the same name already exists on the system and can not be overwritten because it is in progress or ifExists=fail'], [422, 'The format specified is unknown on this system']] },
  { resource: 'channels', path: '/channels/{channelId}/variable', method: 'GET', nickname: 'getChannelVar', summary: 'Get the value of a channel variable or function.', responseClass: 'Variable',
    params: [channelId, q('variable', 'string', 'The channel variable or function to get', { required: true })], errors: [[400, 'Missing variable parameter.'], [404, 'Channel or variable not found'], CH_409] },
  { resource: 'channels', path: '/channels/{channelId}/variable', method: 'POST', nickname: 'setChannelVar', summary: 'Set the value of a channel variable or function.', responseClass: 'void',
    params: [channelId, q('variable', 'string', 'The channel variable or function to set', { required: true }), q('value', 'string', 'The value to set the variable to')],
    errors: [[400, 'Missing variable parameter.'], CH_404, CH_409] },

  // bridges
  { resource: 'bridges', path: '/bridges', method: 'GET', nickname: 'list', summary: 'List all active bridges in Asterisk.', responseClass: 'List[Bridge]', params: [], errors: [] },
  { resource: 'bridges', path: '/bridges', method: 'POST', nickname: 'create', summary: 'Create a new bridge.', responseClass: 'Bridge',
    params: [q('type', 'string', 'Comma separated list of bridge type attributes (mixing, holding, dtmf_events, proxy_media, video_sfu, video_single, sdp_label).'),
      q('bridgeId', 'string', 'Unique ID to give to the bridge being created.'), q('name', 'string', 'Name to give to the bridge being created.')],
    errors: [[409, 'Bridge with the same bridgeId already exists']] },
  { resource: 'bridges', path: '/bridges/{bridgeId}', method: 'POST', nickname: 'createWithId', summary: 'Create a new bridge or updates an existing one.', responseClass: 'Bridge',
    params: [q('type', 'string', 'Comma separated list of bridge type attributes.'), p('bridgeId', 'Unique ID to give to the bridge being created.'), q('name', 'string', 'Set the name of the bridge.')],
    errors: [[409, 'Bridge with the same bridgeId already exists']] },
  { resource: 'bridges', path: '/bridges/{bridgeId}', method: 'GET', nickname: 'get', summary: 'Get bridge details.', responseClass: 'Bridge', params: [bridgeId], errors: [[404, 'Bridge not found']] },
  { resource: 'bridges', path: '/bridges/{bridgeId}', method: 'DELETE', nickname: 'destroy', summary: 'Shut down a bridge.', responseClass: 'void', params: [bridgeId], errors: [[404, 'Bridge not found']] },
  { resource: 'bridges', path: '/bridges/{bridgeId}/moh', method: 'POST', nickname: 'startMoh', summary: 'Play music on hold to a bridge or change the MOH class that is playing.', responseClass: 'void',
    params: [bridgeId, q('mohClass', 'string', "Channel's id")], errors: [[404, 'Bridge not found'], [409, 'Bridge not in Stasis application']] },
  { resource: 'bridges', path: '/bridges/{bridgeId}/moh', method: 'DELETE', nickname: 'stopMoh', summary: 'Stop playing music on hold to a bridge.', responseClass: 'void',
    params: [bridgeId], errors: [[404, 'Bridge not found'], [409, 'Bridge not in Stasis application']] },
  { resource: 'bridges', path: '/bridges/{bridgeId}/addChannel', method: 'POST', nickname: 'addChannel', summary: 'Add a channel to a bridge.', responseClass: 'void',
    params: [bridgeId, q('channel', 'string', 'Ids of channels to add to bridge', { required: true, allowMultiple: true }), q('role', 'string', 'Channel\'s role in the bridge'),
      q('absorbDTMF', 'boolean', 'Absorb DTMF coming from this channel, preventing it to pass through to the bridge', { defaultValue: false }),
      q('mute', 'boolean', 'Mute audio from this channel, preventing it to pass through to the bridge', { defaultValue: false }),
      q('inhibitConnectedLineUpdates', 'boolean', 'Do not present the identity of the newly connected channel to other bridge members', { defaultValue: false })],
    errors: [[400, 'Channel not found'], [404, 'Bridge not found'], [409, 'Bridge not in Stasis application; Channel currently recording'], [422, 'Channel not in Stasis application']] },
  { resource: 'bridges', path: '/bridges/{bridgeId}/removeChannel', method: 'POST', nickname: 'removeChannel', summary: 'Remove a channel from a bridge.', responseClass: 'void',
    params: [bridgeId, q('channel', 'string', 'Ids of channels to remove from bridge', { required: true, allowMultiple: true })],
    errors: [[400, 'Channel not found'], [404, 'Bridge not found'], [409, 'Bridge not in Stasis application'], [422, 'Channel not in this bridge']] },
  { resource: 'bridges', path: '/bridges/{bridgeId}/play', method: 'POST', nickname: 'play', summary: 'Start playback of media on a bridge.', responseClass: 'Playback',
    params: playParams(false, 'bridge'), errors: [[404, 'Bridge not found'], [409, 'Bridge not in a Stasis application']] },
  { resource: 'bridges', path: '/bridges/{bridgeId}/play/{playbackId}', method: 'POST', nickname: 'playWithId', summary: 'Start playback of media on a bridge with a playbackId.', responseClass: 'Playback',
    params: playParams(true, 'bridge'), errors: [[404, 'Bridge not found'], [409, 'Bridge not in a Stasis application']] },
  { resource: 'bridges', path: '/bridges/{bridgeId}/record', method: 'POST', nickname: 'record', summary: 'Start a recording on a bridge.', responseClass: 'LiveRecording',
    params: recordParams('bridge'), errors: [[400, 'Invalid parameters'], [404, 'Bridge not found'], [409, 'Bridge is not in a Stasis application; A recording with the same name already exists on the system and can not be overwritten because it is in progress or ifExists=fail'], [422, 'The format specified is unknown on this system']] },

  // recordings
  { resource: 'recordings', path: '/recordings/stored', method: 'GET', nickname: 'listStored', summary: 'List recordings that are complete.', responseClass: 'List[StoredRecording]', params: [], errors: [] },
  { resource: 'recordings', path: '/recordings/stored/{recordingName}', method: 'GET', nickname: 'getStored', summary: 'Get a stored recording\'s details.', responseClass: 'StoredRecording', params: [recordingName], errors: [[404, 'Recording not found']] },
  { resource: 'recordings', path: '/recordings/stored/{recordingName}', method: 'DELETE', nickname: 'deleteStored', summary: 'Delete a stored recording.', responseClass: 'void', params: [recordingName], errors: [[404, 'Recording not found']] },
  { resource: 'recordings', path: '/recordings/stored/{recordingName}/file', method: 'GET', nickname: 'getStoredFile', summary: 'Get the file associated with the stored recording.', responseClass: 'binary',
    params: [p('recordingName', 'The name of the recording')], errors: [[403, 'The recording file could not be opened'], [404, 'Recording not found']] },
  { resource: 'recordings', path: '/recordings/stored/{recordingName}/copy', method: 'POST', nickname: 'copyStored', summary: 'Copy a stored recording.', responseClass: 'StoredRecording',
    params: [p('recordingName', 'The name of the recording to copy'), q('destinationRecordingName', 'string', 'The destination name of the recording', { required: true })],
    errors: [[404, 'Recording not found'], [409, 'A recording with the same name already exists on the system']] },
  { resource: 'recordings', path: '/recordings/live/{recordingName}', method: 'GET', nickname: 'getLive', summary: 'List live recordings.', responseClass: 'LiveRecording', params: [recordingName], errors: [[404, 'Recording not found']] },
  { resource: 'recordings', path: '/recordings/live/{recordingName}', method: 'DELETE', nickname: 'cancel', summary: 'Stop a live recording and discard it.', responseClass: 'void', params: [recordingName], errors: [[404, 'Recording not found']] },
  { resource: 'recordings', path: '/recordings/live/{recordingName}/stop', method: 'POST', nickname: 'stop', summary: 'Stop a live recording and store it.', responseClass: 'void', params: [recordingName], errors: [[404, 'Recording not found']] },
  { resource: 'recordings', path: '/recordings/live/{recordingName}/pause', method: 'POST', nickname: 'pause', summary: 'Pause a live recording.', responseClass: 'void', params: [recordingName], errors: [[404, 'Recording not found'], [409, 'Recording not in session']] },
  { resource: 'recordings', path: '/recordings/live/{recordingName}/pause', method: 'DELETE', nickname: 'unpause', summary: 'Unpause a live recording.', responseClass: 'void', params: [recordingName], errors: [[404, 'Recording not found'], [409, 'Recording not in session']] },
  { resource: 'recordings', path: '/recordings/live/{recordingName}/mute', method: 'POST', nickname: 'mute', summary: 'Mute a live recording.', responseClass: 'void', params: [recordingName], errors: [[404, 'Recording not found'], [409, 'Recording not in session']] },
  { resource: 'recordings', path: '/recordings/live/{recordingName}/mute', method: 'DELETE', nickname: 'unmute', summary: 'Unmute a live recording.', responseClass: 'void', params: [recordingName], errors: [[404, 'Recording not found'], [409, 'Recording not in session']] },

  // sounds
  { resource: 'sounds', path: '/sounds', method: 'GET', nickname: 'list', summary: 'List all sounds.', responseClass: 'List[Sound]',
    params: [q('lang', 'string', 'Lookup sound for a specific language.'), q('format', 'string', 'Lookup sound in a specific format.')], errors: [] },
  { resource: 'sounds', path: '/sounds/{soundId}', method: 'GET', nickname: 'get', summary: 'Get a sound\'s details.', responseClass: 'Sound', params: [p('soundId', "Sound's id")], errors: [] },

  // playbacks
  { resource: 'playbacks', path: '/playbacks/{playbackId}', method: 'GET', nickname: 'get', summary: 'Get a playback\'s details.', responseClass: 'Playback', params: [playbackIdPath], errors: [[404, 'The playback cannot be found']] },
  { resource: 'playbacks', path: '/playbacks/{playbackId}', method: 'DELETE', nickname: 'stop', summary: 'Stop a playback.', responseClass: 'void', params: [playbackIdPath], errors: [[404, 'The playback cannot be found']] },
  { resource: 'playbacks', path: '/playbacks/{playbackId}/control', method: 'POST', nickname: 'control', summary: 'Control a playback.', responseClass: 'void',
    params: [playbackIdPath, q('operation', 'string', 'Operation to perform on the playback.', { required: true, allowableValues: ['restart', 'pause', 'unpause', 'reverse', 'forward'] })],
    errors: [[400, 'The provided operation parameter was invalid'], [404, 'The playback cannot be found'], [409, "The operation cannot be performed in the playback's current state"]] },

  // applications
  { resource: 'applications', path: '/applications', method: 'GET', nickname: 'list', summary: 'List all applications.', responseClass: 'List[Application]', params: [], errors: [] },
  { resource: 'applications', path: '/applications/{applicationName}', method: 'GET', nickname: 'get', summary: 'Get details of an application.', responseClass: 'Application',
    params: [p('applicationName', "Application's name")], errors: [[404, 'Application does not exist.']] },
  { resource: 'applications', path: '/applications/{applicationName}/subscription', method: 'POST', nickname: 'subscribe', summary: 'Subscribe an application to a event source.', responseClass: 'Application',
    params: [p('applicationName', "Application's name"), q('eventSource', 'string', 'URI for event source (channel:{channelId}, bridge:{bridgeId}, endpoint:{tech}[/{resource}])', { required: true, allowMultiple: true })],
    errors: [[400, 'Missing parameter.'], [404, 'Application does not exist.'], [422, 'Event source does not exist.']] },
  { resource: 'applications', path: '/applications/{applicationName}/subscription', method: 'DELETE', nickname: 'unsubscribe', summary: 'Unsubscribe an application from an event source.', responseClass: 'Application',
    params: [p('applicationName', "Application's name"), q('eventSource', 'string', 'URI for event source', { required: true, allowMultiple: true })],
    errors: [[400, 'Missing parameter; event source scheme not recognized.'], [404, 'Application does not exist.'], [409, 'Application not subscribed to event source.'], [422, 'Event source does not exist.']] },

  // events
  { resource: 'events', path: '/events', method: 'GET', nickname: 'eventWebsocket', summary: 'WebSocket connection for events.', responseClass: 'Message', upgrade: 'websocket',
    params: [q('app', 'string', 'Applications to subscribe to.', { required: true, allowMultiple: true }), q('subscribeAll', 'boolean', 'Subscribe to all Asterisk events.')], errors: [] },
];

export const RESOURCES = [...new Set(OPERATIONS.map((o) => o.resource))];

export interface CompiledRoute {
  regex: RegExp;
  pathParams: string[];
  byMethod: Map<string, OperationSpec>;
}

/** One route per distinct path template; methods hang off it (unknown method on a known path: 405). */
export function compileRoutes(): CompiledRoute[] {
  const byPath = new Map<string, CompiledRoute>();
  for (const op of OPERATIONS) {
    let route = byPath.get(op.path);
    if (!route) {
      const pathParams: string[] = [];
      const source = op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
        pathParams.push(name);
        return '([^/]+)';
      });
      route = { regex: new RegExp(`^${source}$`), pathParams, byMethod: new Map() };
      byPath.set(op.path, route);
    }
    route.byMethod.set(op.method, op);
  }
  // Literal segments win over parameters (e.g. /recordings/stored before /{x}).
  return [...byPath.entries()]
    .sort(([a], [b]) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))
    .map(([, r]) => r);
}

/** Swagger 1.1 resource listing, as Asterisk serves it at /ari/api-docs/resources.json. */
export function resourceListing(basePath: string): unknown {
  return {
    _copyright: 'Written for the ari-flow-engine ARI simulator (MIT).',
    apiVersion: '2.0.0',
    swaggerVersion: '1.1',
    basePath,
    apis: RESOURCES.map((r) => ({ path: `/api-docs/${r}.{format}`, description: RESOURCE_DESCRIPTIONS[r] })),
  };
}

/** One resource's API declaration, generated from the operation table. */
export function apiDeclaration(resource: ResourceName, basePath: string, models: Record<string, unknown>): unknown {
  const paths = new Map<string, OperationSpec[]>();
  for (const op of OPERATIONS) {
    if (op.resource !== resource) continue;
    const list = paths.get(op.path) ?? [];
    list.push(op);
    paths.set(op.path, list);
  }
  return {
    _copyright: 'Written for the ari-flow-engine ARI simulator (MIT).',
    apiVersion: '2.0.0',
    swaggerVersion: resource === 'events' ? '1.2' : '1.1',
    basePath,
    resourcePath: `/api-docs/${resource}.{format}`,
    apis: [...paths.entries()].map(([path, ops]) => ({
      path,
      description: RESOURCE_DESCRIPTIONS[resource],
      operations: ops.map((op) => ({
        httpMethod: op.method,
        ...(op.upgrade ? { upgrade: op.upgrade, websocketProtocol: 'ari' } : {}),
        summary: op.summary,
        nickname: op.nickname,
        responseClass: op.responseClass,
        parameters: op.params.map((prm) => ({
          name: prm.name,
          description: prm.description,
          paramType: prm.paramType,
          required: prm.required ?? false,
          allowMultiple: prm.allowMultiple ?? false,
          dataType: prm.dataType,
          ...(prm.defaultValue !== undefined ? { defaultValue: prm.defaultValue } : {}),
          ...(prm.allowableValues ? { allowableValues: { valueType: 'LIST', values: prm.allowableValues } } : {}),
        })),
        errorResponses: op.errors.map(([code, reason]) => ({ code, reason })),
      })),
    })),
    models,
  };
}
