// Every DTO of the API: request and response types with their fields, types and descriptions. The
// binding, XML typing, metadata pages, generated client DTOs, CSV columns and OpenAPI schemas are
// all read from these declarations. Adding a field is one line here.
import { FINAL_STATES, LIVE_STATES } from '../../domain/model.js';
import { EVENT_TYPES } from '../../events/event-model.js';
import type { Dto, Field } from './types.js';
import { stepOwnFields } from './step-fields.js';
import { STEP_TYPES } from '../../domain/steps/index.js';

export const SESSIONS_NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.Sessions';
export const FLOWS_NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.Flows';
export const NUMBERS_NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.PhoneNumbers';
export const EXTENSIONS_NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.Extensions';
export const ACCOUNTS_NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.Accounts';
export const SYSTEM_NS = 'http://schemas.datacontract.org/2004/07/Voice.Api';
export const RECORDINGS_NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.Recordings';
export const WEBHOOKS_NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.Webhooks';
export const SERVICESTACK_NS = 'http://schemas.servicestack.net/types';

export const SORT_ORDERS = ['Ascend', 'Descend'] as const;
const STATES = [...LIVE_STATES, ...FINAL_STATES] as const;

const q = (f: Field): Field => ({ ...f, source: 'query' });
const path = (name: string, description: string): Field => ({ name, type: 'string', required: true, source: 'path', description });

const PAGE_FIELDS: readonly Field[] = [
  { name: 'totalCount', type: 'int', description: 'How many items match, on all pages (omitted with simplifiedPaging)' },
  { name: 'totalPages', type: 'int', description: 'How many pages of countPerPage items (omitted with simplifiedPaging)' },
  { name: 'hasMorePages', type: 'bool', required: true, description: 'True when a later page has more items' },
];

const listOf = (name: string, item: string, namespace: string, description: string): Dto => ({
  name, namespace, description,
  fields: [{ name: 'items', type: { list: { ref: item } }, required: true, description: `The ${item} items of this page` }, ...PAGE_FIELDS],
});

/** FlowStep: the common fields, then every step type's own fields (domain/steps/), once each. */
const STEP_FIELDS: readonly Field[] = [
  { name: 'id', type: 'string', required: true, description: 'Unique in the flow; the target of next and branches' },
  { name: 'type', type: 'string', required: true, allowed: STEP_TYPES, description: 'What the step does' },
  { name: 'next', type: 'string', description: 'Step to run after this one (default: the next in the list)' },
  ...stepOwnFields(),
];

const FLOW_DOC_FIELDS: readonly Field[] = [
  { name: 'name', type: 'string', required: true, description: 'Name of the flow' },
  { name: 'steps', type: { list: { ref: 'FlowStep' } }, required: true, description: 'The steps, run in order unless a step names the next one (see docs/flows.md)' },
];

const SIMULATION_FIELDS: readonly Field[] = [
  { name: 'script', type: 'object', description: 'The callee script (result, answerAfterMs, hangupAfterMs, dtmf) of one run; default: answers, silent' },
  { name: 'expect', type: 'object', description: 'Expectations of that run: state, variables, path' },
  { name: 'scenarios', type: { list: 'object' }, description: 'Several runs instead: {name, script, expect} each; adds a step coverage summary' },
];

const DTO_LIST: readonly Dto[] = [
  // ---- shared ----
  {
    name: 'ListRequest', namespace: SYSTEM_NS, description: 'Paging and sorting of list operations',
    fields: [
      q({ name: 'page', type: 'int', description: 'Page number, 1-based (default 1)' }),
      q({ name: 'countPerPage', type: 'int', description: 'Items per page (default 25, at most 100)' }),
      q({ name: 'all', type: 'bool', description: 'All items on one page (at most 1000)' }),
      q({ name: 'specificIds', type: { list: 'string' }, description: 'Only the items with these ids (comma-separated in a query string)' }),
      q({ name: 'sortField', type: 'string', description: 'Field to sort by: dateCreated (default), plus the fields each list names' }),
      q({ name: 'sortOrder', type: 'string', allowed: SORT_ORDERS, description: 'Ascend or Descend (the list\'s default order otherwise)' }),
      q({ name: 'simplifiedPaging', type: 'bool', description: 'Answer with items and hasMorePages only, without the counts' }),
    ],
  },
  {
    name: 'ResponseError', namespace: SERVICESTACK_NS, description: 'One field error',
    fields: [
      { name: 'errorCode', type: 'string', required: true, description: 'Stable code, e.g. NotEmpty, InvalidPhoneNumber' },
      { name: 'fieldName', type: 'string', required: true, description: 'The request field (camelCase), e.g. numberToDial, steps[2].next' },
      { name: 'message', type: 'string', required: true, description: 'Human-readable message' },
    ],
  },
  {
    name: 'ResponseStatus', namespace: SERVICESTACK_NS, description: 'ServiceStack\'s error shape',
    fields: [
      { name: 'errorCode', type: 'string', required: true, description: 'Stable code, e.g. ValidationException, NotFound' },
      { name: 'message', type: 'string', required: true, description: 'Human-readable message' },
      { name: 'errors', type: { list: { ref: 'ResponseError' } }, description: 'Field errors' },
    ],
  },
  {
    name: 'ErrorResponse', namespace: SERVICESTACK_NS, description: 'The body of every error',
    fields: [{ name: 'responseStatus', type: { ref: 'ResponseStatus' }, required: true, description: 'What went wrong' }],
  },

  // ---- sessions ----
  {
    name: 'NewOutgoingSession', namespace: SESSIONS_NS, description: 'Places an outgoing call that runs a flow',
    fields: [
      { name: 'flowId', type: 'string', required: true, description: 'The flow to run once the callee answers (its latest version)' },
      { name: 'numberToDial', type: 'string', required: true, description: 'The number to call, E.164 (e.g. +18144043093), allowed by the destination policy' },
      { name: 'callerId', type: 'string', description: 'An enabled phone number of the account, E.164; omitted: one of them at random' },
      { name: 'statusCallback', type: 'string', description: 'http(s) URL receiving this call\'s events, signed with the account\'s signing secret (docs/webhooks.md)' },
      { name: 'statusCallbackEvents', type: { list: 'string' }, allowed: EVENT_TYPES, description: 'Event types sent to statusCallback (default: the state changes); session.ended is always sent' },
    ],
  },
  {
    name: 'SessionEvent', namespace: SESSIONS_NS, description: 'One entry of a session\'s timeline',
    fields: [
      { name: 'seq', type: 'int', description: 'Order within the session' },
      { name: 'at', type: 'DateTime', description: 'When it happened' },
      { name: 'type', type: 'string', description: 'e.g. state, step.started, step.finished, dtmf' },
      { name: 'data', type: { map: 'object' }, description: 'Details of the event' },
    ],
  },
  {
    name: 'SessionLeg', namespace: SESSIONS_NS, description: 'One channel of a session, read from its timeline',
    fields: [
      { name: 'channelId', type: 'string', description: 'The ARI channel id (timeline rows about this leg carry it as `leg`)' },
      { name: 'role', type: 'string', allowed: ['caller', 'callee', 'dialed'], description: 'callee: the party an outbound call reached; caller: who called in; dialed: a party a dial step connected' },
      { name: 'endpoint', type: 'string', description: 'The endpoint dialed (inbound: the caller\'s channel name)' },
      { name: 'number', type: 'string', description: 'The party\'s number' },
      { name: 'state', type: 'string', allowed: ['created', 'ringing', 'up', 'ended', 'failed', 'transferred'], description: 'Where the leg is' },
      { name: 'dateCreated', type: 'DateTime', description: 'When the leg was made' },
      { name: 'dateAnswered', type: 'DateTime', description: 'When it answered' },
      { name: 'dateEnded', type: 'DateTime', description: 'When it ended' },
      { name: 'cause', type: 'int', description: 'Q.850 hangup cause Asterisk gave (ChannelDestroyed)' },
      { name: 'causeTxt', type: 'string', description: 'The cause in words' },
    ],
  },
  {
    name: 'Session', namespace: SESSIONS_NS, description: 'A call placed by the engine and the flow it runs',
    fields: [
      { name: 'id', type: 'string', required: true, description: 'Session id' },
      { name: 'accountId', type: 'string', required: true, description: 'Account the session belongs to' },
      { name: 'direction', type: 'string', required: true, allowed: ['outbound', 'inbound'], description: 'outbound: placed by NewOutgoingSession; inbound: a call to a number of the account' },
      { name: 'flowId', type: 'string', required: true, description: 'The flow it runs' },
      { name: 'flowVersion', type: 'int', required: true, description: 'The version of the flow it runs' },
      { name: 'numberToDial', type: 'string', required: true, description: 'The number called, E.164 (inbound: the number of the account that was called)' },
      { name: 'callerId', type: 'string', required: true, description: 'The number called from (inbound: the caller\'s number as Asterisk gives it)' },
      { name: 'from', type: 'string', required: true, description: 'The calling party (= callerId)' },
      { name: 'to', type: 'string', required: true, description: 'The called party (= numberToDial)' },
      { name: 'state', type: 'string', required: true, allowed: STATES, description: 'queued, dialing, ringing, in-progress, then completed, busy, no-answer, failed or canceled' },
      { name: 'dateCreated', type: 'DateTime', required: true, description: 'When the session was created' },
      { name: 'dateAnswered', type: 'DateTime', nullable: true, description: 'When the callee answered (GetSession only; null: not answered)' },
      { name: 'dateEnded', type: 'DateTime', nullable: true, description: 'When the call ended (GetSession only; null: not ended)' },
      { name: 'endReason', type: 'string', nullable: true, description: 'Why it ended as it did (GetSession only; null: not ended)' },
      { name: 'channelId', type: 'string', description: 'The ARI channel id (GetSession only)' },
      { name: 'endpoint', type: 'string', description: 'The endpoint dialed (GetSession only)' },
      { name: 'variables', type: { map: 'string' }, description: 'Variables set by the flow, e.g. gathered digits (GetSession only)' },
      { name: 'legs', type: { list: { ref: 'SessionLeg' } }, description: 'Its channels: the first party, then each party a dial step connected (GetSession only)' },
      { name: 'timeline', type: { list: { ref: 'SessionEvent' } }, description: 'Every event in order (GetSession only)' },
      { name: 'webhookDeliveries', type: { list: { ref: 'WebhookDelivery' } }, description: 'Its events on their way to each destination, with their attempts (GetSession only)' },
    ],
  },
  listOf('SessionList', 'Session', SESSIONS_NS, 'A page of sessions'),
  {
    name: 'ListSessions', namespace: SESSIONS_NS, inherits: 'ListRequest', description: 'Lists the account\'s sessions, newest first',
    fields: [
      q({ name: 'state', type: 'string', allowed: STATES, description: 'Only sessions in this state' }),
      q({ name: 'flowId', type: 'string', description: 'Only sessions running this flow' }),
      q({ name: 'number', type: 'string', description: 'Only sessions with this numberToDial or callerId (E.164)' }),
      q({ name: 'dateFrom', type: 'string', description: 'Created on or after (ISO 8601 date or date-time)' }),
      q({ name: 'dateTo', type: 'string', description: 'Created on or before (ISO 8601; a bare date covers its whole day)' }),
    ],
  },
  { name: 'GetSession', namespace: SESSIONS_NS, description: 'One session with its timeline', fields: [path('sessionId', 'Session id')] },
  { name: 'EndSession', namespace: SESSIONS_NS, description: 'Ends a session', fields: [path('sessionId', 'Session id')] },

  // ---- flows ----
  { name: 'FlowStep', namespace: FLOWS_NS, description: 'One step of a flow (the fields its type uses)', fields: STEP_FIELDS },
  { name: 'FlowDocument', namespace: FLOWS_NS, description: 'What a flow runs', fields: FLOW_DOC_FIELDS },
  {
    name: 'Flow', namespace: FLOWS_NS, description: 'A version of a call flow',
    fields: [
      { name: 'id', type: 'string', description: 'Flow id' },
      { name: 'accountId', type: 'string', description: 'Account the flow belongs to' },
      { name: 'name', type: 'string', description: 'Name of the flow' },
      { name: 'version', type: 'int', description: 'Version, from 1; every update adds one' },
      { name: 'document', type: { ref: 'FlowDocument' }, description: 'The flow document of this version' },
      { name: 'dateCreated', type: 'DateTime', description: 'When the flow was created' },
      { name: 'dateModified', type: 'DateTime', description: 'When this version was stored' },
      { name: 'createdBy', type: 'string', nullable: true, description: 'Who stored this version: the subject (sub) of the token that saved it; null when unknown (versions stored before this was recorded, or by the engine itself)' },
    ],
  },
  listOf('FlowList', 'Flow', FLOWS_NS, 'A page of flows'),
  { name: 'ListFlows', namespace: FLOWS_NS, inherits: 'ListRequest', description: 'Lists the account\'s flows (latest versions)', fields: [] },
  {
    name: 'GetFlow', namespace: FLOWS_NS, description: 'One flow',
    fields: [path('flowId', 'Flow id'), q({ name: 'version', type: 'int', description: 'A given version (default: the latest)' })],
  },
  { name: 'NewFlow', namespace: FLOWS_NS, description: 'Creates a flow (version 1)', fields: FLOW_DOC_FIELDS, xmlRootAliases: ['Flow', 'FlowDocument'] },
  {
    name: 'PatchFlow', namespace: FLOWS_NS, description: 'Stores a new version of a flow; omitted fields keep their current value', xmlRootAliases: ['Flow', 'FlowDocument'],
    fields: [path('flowId', 'Flow id'), ...FLOW_DOC_FIELDS.map((f) => ({ ...f, required: false }))],
  },
  { name: 'DeleteFlow', namespace: FLOWS_NS, description: 'Deletes a flow; sessions keep their versions', fields: [path('flowId', 'Flow id')] },
  {
    name: 'CopyFlow', namespace: FLOWS_NS, description: 'Creates a new flow from the latest version of another',
    fields: [path('flowId', 'The flow to copy'), { name: 'name', type: 'string', description: 'Name of the copy (default: "Copy of " and the name)' }],
  },

  {
    name: 'PreviewSpeech', namespace: FLOWS_NS, description: 'Speaks a say step\'s text with the engine\'s text to speech: the audio a call would hear',
    fields: [
      { name: 'text', type: 'string', required: true, description: 'The say step\'s text template (at most 1000 characters)' },
      { name: 'voice', type: 'string', description: 'The TTS voice (espeak-ng: en-us, en+f3, fr...), as the say step takes it' },
      { name: 'language', type: 'string', description: 'BCP 47 language of the text, e.g. en-US' },
      { name: 'variables', type: { map: 'string' }, description: 'Example values of the text\'s {{placeholders}} (at most 50, 200 characters each); a placeholder without one says its variable\'s name' },
    ],
  },
  {
    name: 'Sound', namespace: FLOWS_NS, description: 'A sound file Asterisk plays as sound:<id>',
    fields: [
      { name: 'id', type: 'string', required: true, description: 'The sound\'s name, e.g. hello-world or digits/1: play it as sound:<id>' },
      { name: 'text', type: 'string', description: 'The words spoken, when Asterisk knows them' },
      { name: 'languages', type: { list: 'string' }, required: true, description: 'The languages it exists in (en, en_US_f_Allison...)' },
      { name: 'formats', type: { list: 'string' }, required: true, description: 'The file formats it exists in (gsm, slin, wav...)' },
    ],
  },
  listOf('SoundList', 'Sound', FLOWS_NS, 'A page of sounds'),
  {
    name: 'ListSounds', namespace: FLOWS_NS, inherits: 'ListRequest', description: 'Lists the sounds Asterisk can play, sorted by id (sortField: id)',
    fields: [
      q({ name: 'language', type: 'string', description: 'Only sounds in this language (e.g. en), as Asterisk names its sound folders' }),
      q({ name: 'search', type: 'string', description: 'Only sounds whose id (or text) contains this, ignoring case (at most 100 characters)' }),
    ],
  },
  {
    name: 'SimulateFlow', namespace: FLOWS_NS, description: 'Runs a saved flow (its latest version) against scripted callees on a virtual clock',
    fields: [path('flowId', 'Flow id'), ...SIMULATION_FIELDS],
  },
  {
    name: 'SimulateFlowDocument', namespace: FLOWS_NS, description: 'Runs an unsaved flow document against scripted callees on a virtual clock',
    fields: [{ name: 'document', type: { ref: 'FlowDocument' }, required: true, description: 'The flow document (checked as on save)' }, ...SIMULATION_FIELDS],
  },
  {
    name: 'SimulationResult', namespace: FLOWS_NS, description: 'One scripted run of a flow',
    fields: [
      { name: 'name', type: 'string', description: 'The scenario\'s name' },
      { name: 'state', type: 'string', allowed: STATES, description: 'Final state of the session' },
      { name: 'reason', type: 'string', description: 'Why it ended (a failure, the far end hanging up)' },
      { name: 'variables', type: { map: 'string' }, description: 'Session variables at the end' },
      { name: 'path', type: { list: 'string' }, description: 'Step ids in the order they ran' },
      { name: 'media', type: { list: 'object' }, description: 'What would have played: atMs, media, text (TTS), state' },
      { name: 'timeline', type: { list: 'object' }, description: 'Timeline events with virtual times (atMs from the dial)' },
      { name: 'durationMs', type: 'int', description: 'Virtual length of the call, from the dial' },
      { name: 'failures', type: { list: 'string' }, description: 'Expectations that did not hold' },
    ],
  },
  {
    name: 'SimulationReport', namespace: FLOWS_NS, description: 'The runs of a simulation',
    fields: [
      { name: 'results', type: { list: { ref: 'SimulationResult' } }, description: 'One result per scenario, in order' },
      { name: 'coverage', type: 'object', description: 'With scenarios: steps (reachedBy), edges (takenBy) and unreachedSteps' },
      { name: 'passed', type: 'bool', description: 'Every expectation held' },
    ],
  },

  // ---- recordings ----
  {
    name: 'Recording', namespace: RECORDINGS_NS, description: 'A recording a session made (record step)',
    fields: [
      { name: 'id', type: 'string', description: 'Recording id (its name in Asterisk)' },
      { name: 'sessionId', type: 'string', description: 'The session that recorded it' },
      { name: 'stepId', type: 'string', description: 'The record step' },
      { name: 'format', type: 'string', description: 'Audio format (wav)' },
      { name: 'durationSec', type: 'int', description: 'Length in whole seconds (rounded down, as Asterisk reports it)' },
      { name: 'size', type: 'long', description: 'Bytes of the file (GetRecording only)' },
      { name: 'contentType', type: 'string', description: 'Content type of the file (GetRecording only)' },
      { name: 'dateCreated', type: 'DateTime', description: 'When the recording finished' },
    ],
  },
  {
    name: 'RecordingList', namespace: RECORDINGS_NS, description: 'The recordings of a session',
    fields: [{ name: 'items', type: { list: { ref: 'Recording' } }, description: 'Oldest first' }],
  },
  { name: 'ListSessionRecordings', namespace: RECORDINGS_NS, description: 'The recordings of a session', fields: [path('sessionId', 'Session id')] },
  { name: 'GetRecording', namespace: RECORDINGS_NS, description: 'One recording\'s metadata', fields: [path('recordingId', 'Recording id')] },
  { name: 'GetRecordingFile', namespace: RECORDINGS_NS, description: 'One recording\'s audio (Range requests answered with 206)', fields: [path('recordingId', 'Recording id')] },
  { name: 'DeleteRecording', namespace: RECORDINGS_NS, description: 'Deletes a recording (from Asterisk too)', fields: [path('recordingId', 'Recording id')] },

  // ---- phone numbers ----
  {
    name: 'PhoneNumber', namespace: NUMBERS_NS, description: 'A number the account calls from',
    fields: [
      { name: 'id', type: 'string', description: 'Phone number id' },
      { name: 'accountId', type: 'string', description: 'Account the number belongs to' },
      { name: 'number', type: 'string', description: 'The number, E.164' },
      { name: 'name', type: 'string', description: 'A label' },
      { name: 'enabled', type: 'bool', description: 'Usable as callerId' },
      { name: 'inboundFlowId', type: 'string', nullable: true, description: 'The flow a call to this number runs (null: such calls are refused)' },
      { name: 'dateCreated', type: 'DateTime', description: 'When it was added' },
      { name: 'dateModified', type: 'DateTime', description: 'When it last changed' },
    ],
  },
  listOf('PhoneNumberList', 'PhoneNumber', NUMBERS_NS, 'A page of phone numbers'),
  { name: 'ListPhoneNumbers', namespace: NUMBERS_NS, inherits: 'ListRequest', description: 'Lists the account\'s phone numbers', fields: [] },
  { name: 'GetPhoneNumber', namespace: NUMBERS_NS, description: 'One phone number', fields: [path('phoneNumberId', 'Phone number id')] },
  {
    name: 'NewPhoneNumber', namespace: NUMBERS_NS, description: 'Adds a number the account calls from', xmlRootAliases: ['PhoneNumber'],
    fields: [
      { name: 'number', type: 'string', required: true, description: 'The number, E.164; not registered in any account yet' },
      { name: 'name', type: 'string', description: 'A label' },
      { name: 'enabled', type: 'bool', description: 'Usable as callerId (default true)' },
      { name: 'inboundFlowId', type: 'string', description: 'The flow a call to this number runs (default: none, calls to it are refused)' },
    ],
  },
  {
    name: 'PatchPhoneNumber', namespace: NUMBERS_NS, description: 'Renames, enables or disables a number (the number itself cannot change)', xmlRootAliases: ['PhoneNumber'],
    fields: [
      path('phoneNumberId', 'Phone number id'),
      { name: 'name', type: 'string', description: 'A label' },
      { name: 'enabled', type: 'bool', description: 'Usable as callerId' },
      { name: 'inboundFlowId', type: 'string', nullable: true, description: 'The flow a call to this number runs; "" or null: none (calls to it are refused)' },
    ],
  },
  { name: 'DeletePhoneNumber', namespace: NUMBERS_NS, description: 'Removes a number', fields: [path('phoneNumberId', 'Phone number id')] },

  // ---- lab extensions ----
  {
    name: 'Extension', namespace: EXTENSIONS_NS, description: 'A lab extension of the account: a short number a lab phone dials to reach a flow',
    fields: [
      { name: 'id', type: 'string', description: 'Extension id' },
      { name: 'accountId', type: 'string', description: 'Account the extension belongs to' },
      { name: 'number', type: 'string', description: 'The extension, 2 to 8 digits (the lab dialplan sends 8000-8999 to the engine)' },
      { name: 'name', type: 'string', description: 'A label' },
      { name: 'enabled', type: 'bool', description: 'Takes calls (false: calls to it are refused)' },
      { name: 'inboundFlowId', type: 'string', nullable: true, description: 'The flow a call to this extension runs (null: such calls are refused)' },
      { name: 'dateCreated', type: 'DateTime', description: 'When it was added' },
      { name: 'dateModified', type: 'DateTime', description: 'When it last changed' },
    ],
  },
  listOf('ExtensionList', 'Extension', EXTENSIONS_NS, 'A page of extensions'),
  { name: 'ListExtensions', namespace: EXTENSIONS_NS, inherits: 'ListRequest', description: 'Lists the account\'s lab extensions', fields: [] },
  { name: 'GetExtension', namespace: EXTENSIONS_NS, description: 'One lab extension', fields: [path('extensionId', 'Extension id')] },
  {
    name: 'NewExtension', namespace: EXTENSIONS_NS, description: 'Adds a lab extension to the account', xmlRootAliases: ['Extension'],
    fields: [
      { name: 'number', type: 'string', required: true, description: 'The extension, 2 to 8 digits; not registered in any account yet' },
      { name: 'name', type: 'string', description: 'A label' },
      { name: 'enabled', type: 'bool', description: 'Takes calls (default true)' },
      { name: 'inboundFlowId', type: 'string', description: 'The flow a call to this extension runs (default: none, calls to it are refused)' },
    ],
  },
  {
    name: 'PatchExtension', namespace: EXTENSIONS_NS, description: 'Renames, enables or disables an extension, or changes its flow (the extension itself cannot change)', xmlRootAliases: ['Extension'],
    fields: [
      path('extensionId', 'Extension id'),
      { name: 'name', type: 'string', description: 'A label' },
      { name: 'enabled', type: 'bool', description: 'Takes calls' },
      { name: 'inboundFlowId', type: 'string', nullable: true, description: 'The flow a call to this extension runs; "" or null: none (calls to it are refused)' },
    ],
  },
  { name: 'DeleteExtension', namespace: EXTENSIONS_NS, description: 'Removes a lab extension', fields: [path('extensionId', 'Extension id')] },

  // ---- account ----
  {
    name: 'Account', namespace: ACCOUNTS_NS, description: 'The account the request acts on, with its settings',
    fields: [
      { name: 'id', type: 'string', description: 'Account id' },
      { name: 'name', type: 'string', description: 'Name of the account' },
      { name: 'callerIdPassthrough', type: 'bool', description: 'A dial step may present the first party\'s number to the dialed party (callerId "first-party"); default false' },
      { name: 'dateCreated', type: 'DateTime', description: 'When the account was created' },
      { name: 'dateModified', type: 'DateTime', description: 'When its settings last changed (absent: never)' },
    ],
  },
  { name: 'GetAccount', namespace: ACCOUNTS_NS, description: 'The account and its settings', fields: [] },
  {
    name: 'PatchAccount', namespace: ACCOUNTS_NS, description: 'Changes the account\'s settings; omitted fields keep their value', xmlRootAliases: ['Account'],
    fields: [
      { name: 'callerIdPassthrough', type: 'bool', description: 'true: dial steps may present the first party\'s number (only a SystemAdministrator may turn it on); false: they may not' },
    ],
  },

  // ---- live control ----
  {
    name: 'RedirectSession', namespace: SESSIONS_NS, description: 'Runs another flow (or another step) on a live call',
    fields: [
      path('sessionId', 'Session id'),
      { name: 'flowId', type: 'string', required: true, description: 'The flow to run now (its latest version); the current step stops, the call stays up' },
      { name: 'stepId', type: 'string', description: 'The step of that flow to start at (default: its first)' },
    ],
  },
  {
    name: 'HoldSession', namespace: SESSIONS_NS, description: 'Puts a live call on hold (music on hold, the flow paused) or takes it off',
    fields: [
      path('sessionId', 'Session id'),
      { name: 'hold', type: 'bool', required: true, description: 'true: music on hold and the flow paused; false: the flow resumes with the step it was in' },
      { name: 'mohClass', type: 'string', description: 'Asterisk music-on-hold class (default: the channel\'s)' },
    ],
  },
  {
    name: 'SendSessionDtmf', namespace: SESSIONS_NS, description: 'Sends DTMF digits to the far end of a live call',
    fields: [path('sessionId', 'Session id'), { name: 'digits', type: 'string', required: true, description: '1 to 64 of 0-9, A-D, * and #' }],
  },
  {
    name: 'StreamSessionEvents', namespace: SESSIONS_NS, description: 'The session\'s events as Server-Sent Events: its timeline so far, then live, closed after session.ended',
    fields: [path('sessionId', 'Session id'), { name: 'lastEventId', type: 'string', source: 'query', description: 'Resume after this event id (the Last-Event-ID header does the same)' }],
  },
  {
    name: 'StreamEvents', namespace: SESSIONS_NS, description: 'The events of all the account\'s sessions as Server-Sent Events, live',
    fields: [{ name: 'lastEventId', type: 'string', source: 'query', description: 'Resume after this event id (the Last-Event-ID header does the same)' }],
  },

  // ---- webhooks ----
  {
    name: 'Webhook', namespace: WEBHOOKS_NS, description: 'A subscription: the account\'s session events sent to a URL, signed',
    fields: [
      { name: 'id', type: 'string', description: 'Webhook id' },
      { name: 'accountId', type: 'string', description: 'Account it belongs to' },
      { name: 'url', type: 'string', description: 'http(s) URL the events are POSTed to' },
      { name: 'events', type: { list: 'string' }, allowed: EVENT_TYPES, description: 'Event types sent (session.ended always)' },
      { name: 'enabled', type: 'bool', description: 'False: nothing is sent' },
      { name: 'secret', type: 'string', description: 'The signing secret as stored (the key of the legacy X-Engine-Signature header)' },
      { name: 'standardWebhooksSecret', type: 'string', description: 'The secret to give a Standard Webhooks library (whsec_...): the secret itself when already in that form' },
      { name: 'dateCreated', type: 'DateTime', description: 'When it was created' },
      { name: 'dateModified', type: 'DateTime', description: 'When it last changed' },
    ],
  },
  listOf('WebhookList', 'Webhook', WEBHOOKS_NS, 'A page of webhooks'),
  { name: 'ListWebhooks', namespace: WEBHOOKS_NS, inherits: 'ListRequest', description: 'Lists the account\'s webhooks', fields: [] },
  { name: 'GetWebhook', namespace: WEBHOOKS_NS, description: 'One webhook', fields: [path('webhookId', 'Webhook id')] },
  {
    name: 'NewWebhook', namespace: WEBHOOKS_NS, description: 'Subscribes a URL to the account\'s session events', xmlRootAliases: ['Webhook'],
    fields: [
      { name: 'url', type: 'string', required: true, description: 'http(s) URL; no loopback, private or metadata address unless ALLOW_PRIVATE_DESTINATIONS' },
      { name: 'events', type: { list: 'string' }, allowed: EVENT_TYPES, description: 'Event types to send (default: the state changes)' },
      { name: 'enabled', type: 'bool', description: 'Default true' },
      { name: 'secret', type: 'string', description: 'Signing secret, at least 16 characters (default: generated)' },
    ],
  },
  {
    name: 'PatchWebhook', namespace: WEBHOOKS_NS, description: 'Changes a webhook; omitted fields keep their value', xmlRootAliases: ['Webhook'],
    fields: [
      path('webhookId', 'Webhook id'),
      { name: 'url', type: 'string', description: 'http(s) URL' },
      { name: 'events', type: { list: 'string' }, allowed: EVENT_TYPES, description: 'Event types to send' },
      { name: 'enabled', type: 'bool', description: 'False: nothing is sent' },
      { name: 'secret', type: 'string', description: 'New signing secret, at least 16 characters' },
    ],
  },
  { name: 'DeleteWebhook', namespace: WEBHOOKS_NS, description: 'Deletes a webhook (its pending deliveries are abandoned)', fields: [path('webhookId', 'Webhook id')] },
  {
    name: 'WebhookDeliveryAttempt', namespace: WEBHOOKS_NS, description: 'One attempt to deliver an event',
    fields: [
      { name: 'attempt', type: 'int', description: '1 for the first' },
      { name: 'at', type: 'DateTime', description: 'When it was sent' },
      { name: 'statusCode', type: 'int', nullable: true, description: 'The receiver\'s HTTP status (null when no answer came)' },
      { name: 'error', type: 'string', nullable: true, description: 'Why it failed (HTTP 500, timed out, ECONNREFUSED, destination refused...; null: it succeeded)' },
      { name: 'durationMs', type: 'int', description: 'How long it took' },
    ],
  },
  {
    name: 'WebhookDelivery', namespace: WEBHOOKS_NS, description: 'An event on its way to one destination',
    fields: [
      { name: 'eventId', type: 'string', description: 'The event id (evt_...), the same on every attempt' },
      { name: 'target', type: 'string', description: 'callback (the session\'s statusCallback) or the webhook id' },
      { name: 'sessionId', type: 'string', description: 'The session of the event' },
      { name: 'sequence', type: 'int', description: 'The event\'s sequence number in its session' },
      { name: 'type', type: 'string', allowed: EVENT_TYPES, description: 'The event type' },
      { name: 'url', type: 'string', description: 'Where it is sent' },
      { name: 'status', type: 'string', allowed: ['pending', 'delivered', 'abandoned'], description: 'pending (retrying), delivered or abandoned (too old)' },
      { name: 'attempts', type: { list: { ref: 'WebhookDeliveryAttempt' } }, description: 'The attempts so far' },
      { name: 'nextAttemptAt', type: 'DateTime', nullable: true, description: 'When it is tried next (pending only, else null)' },
      { name: 'dateCreated', type: 'DateTime', description: 'When the event was committed' },
      { name: 'dateFinished', type: 'DateTime', nullable: true, description: 'When it was delivered or abandoned (null while pending)' },
    ],
  },
  listOf('WebhookDeliveryList', 'WebhookDelivery', WEBHOOKS_NS, 'A page of deliveries, newest first'),
  { name: 'ListWebhookDeliveries', namespace: WEBHOOKS_NS, inherits: 'ListRequest', description: 'The deliveries of one webhook, newest first', fields: [path('webhookId', 'Webhook id')] },
  { name: 'GetWebhookSigningSecret', namespace: WEBHOOKS_NS, description: 'The secret signing the account\'s statusCallback deliveries', fields: [] },
  { name: 'SigningSecret', namespace: WEBHOOKS_NS, description: 'A signing secret', fields: [
    { name: 'secret', type: 'string', description: 'The signing secret as stored (the key of the legacy X-Engine-Signature header)' },
    { name: 'standardWebhooksSecret', type: 'string', description: 'The secret to give a Standard Webhooks library (whsec_...): the secret itself when already in that form' },
  ] },

  // ---- health ----
  { name: 'GetHealth', namespace: SYSTEM_NS, description: 'Liveness', fields: [] },
  { name: 'Health', namespace: SYSTEM_NS, description: 'The process serves HTTP', fields: [{ name: 'status', type: 'string', description: 'ok' }] },
  { name: 'GetReadiness', namespace: SYSTEM_NS, description: 'Readiness', fields: [] },
  {
    name: 'Readiness', namespace: SYSTEM_NS, description: 'Whether calls can be placed',
    fields: [
      { name: 'status', type: 'string', allowed: ['ready', 'unavailable'], description: 'ready or unavailable' },
      { name: 'ari', type: 'bool', description: 'Connected to Asterisk' },
      { name: 'database', type: 'bool', description: 'The database is writable' },
      { name: 'reconciled', type: 'bool', description: 'Live sessions reconciled with Asterisk since the last (re)connection' },
      { name: 'reason', type: 'string', description: 'Why it is not ready (absent when ready)' },
      { name: 'servers', type: { list: 'object' }, description: 'Each Asterisk server by name: {name, up, liveCalls}; ready while at least one is up (docs/scaling.md)' },
      { name: 'tts', type: 'object', description: 'Text to speech for say text: provider, available, detail (what is wrong); absent with TTS_PROVIDER=none. Unavailable TTS fails say-text steps only, so it does not make the engine unready' },
    ],
  },
];

export const DTOS: ReadonlyMap<string, Dto> = new Map(DTO_LIST.map((d) => [d.name, d]));

export function dto(name: string): Dto {
  const d = DTOS.get(name);
  if (!d) throw new Error(`no DTO named ${name}`);
  return d;
}

/** Own and inherited fields, base first (as the generated classes list them). */
export function allFields(d: Dto): readonly Field[] {
  return d.inherits ? [...allFields(dto(d.inherits)), ...d.fields] : d.fields;
}

/** Each DTO's fields by lower-cased name: camelCase and PascalCase (and XML elements) find them alike. */
const FIELD_INDEX: ReadonlyMap<string, ReadonlyMap<string, Field>> = new Map(
  DTO_LIST.map((d) => [d.name, new Map(allFields(d).map((f) => [f.name.toLowerCase(), f]))]),
);

export function fieldOf(dtoName: string, name: string): Field | undefined {
  return FIELD_INDEX.get(dtoName)?.get(name.toLowerCase());
}
