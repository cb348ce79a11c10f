// The operation registry: every operation of the HTTP API, declared once. From it come the routes
// (custom and ServiceStack's predefined /api, /json/reply, /xml/reply, /json/oneway), the
// request binding, the XML typing, the metadata pages, the generated client DTOs, CSV and OpenAPI.
//
// Adding an operation:
//   1. its request DTO (and response DTO, if new) in `dtos.ts`: fields with type, description and
//      source (path fields are named in the route: `/things/{thingId}`);
//   2. one entry below (name = the request DTO's name);
//   3. one handler under the same name in `handlers.ts` (the type checker insists).
// Nothing else: a test fails if a route is served that is not declared here, or the reverse.
import { ROLES } from '../../services/accounts.js';
import { DTOS } from './dtos.js';
import type { Operation } from './types.js';

type Entry = Omit<Operation, 'requiresAuth' | 'anyRole' | 'status' | 'summary'> & Partial<Pick<Operation, 'requiresAuth' | 'status'>>;

const ENTRIES = [
  // ---- sessions ----
  {
    name: 'NewOutgoingSession', verb: 'POST', routes: ['/sessions/outgoing'], request: 'NewOutgoingSession', response: 'Session', tags: ['Sessions'],
    description: 'Places an outgoing call: the session is recorded (queued) and handed to the engine, which dials numberToDial from callerId and runs the flow once the callee answers. The answer does not wait for the call: follow it with GetSession. Send an Idempotency-Key header to retry safely.',
  },
  {
    name: 'ListSessions', verb: 'GET', routes: ['/sessions'], request: 'ListSessions', response: 'SessionList', tags: ['Sessions'], list: true,
    description: 'Lists the account\'s sessions, newest first, filtered by state, flow, number and creation date.',
  },
  {
    name: 'GetSession', verb: 'GET', routes: ['/sessions/{sessionId}'], request: 'GetSession', response: 'Session', tags: ['Sessions'],
    description: 'One session: its state, answer and end times, end reason, variables and timeline.',
  },
  {
    name: 'EndSession', verb: 'DELETE', routes: ['/sessions/{sessionId}'], request: 'EndSession', response: 'Session', tags: ['Sessions'],
    description: 'Ends a session: a live call is hung up (it ends completed), a queued or ringing one ends canceled; a finished session is left as it is (409 SessionNotLive). Answers with the session as it is now; its final state follows on GetSession.',
  },
  {
    name: 'RedirectSession', verb: 'POST', routes: ['/sessions/{sessionId}/redirect'], request: 'RedirectSession', response: undefined, status: 204, tags: ['Sessions'],
    description: 'Stops the current step of a live, answered call (not the call) and runs another flow, or another step of it. Recorded in the timeline with the flow version. 409 when the session is not live or not answered yet.',
  },
  {
    name: 'HoldSession', verb: 'POST', routes: ['/sessions/{sessionId}/hold'], request: 'HoldSession', response: undefined, status: 204, tags: ['Sessions'],
    description: 'hold: true plays music on hold (ARI moh) and pauses the flow; hold: false stops the music and runs the interrupted step again. 409 when the session is not live or not answered yet.',
  },
  {
    name: 'SendSessionDtmf', verb: 'POST', routes: ['/sessions/{sessionId}/dtmf'], request: 'SendSessionDtmf', response: undefined, status: 204, tags: ['Sessions'],
    description: 'Sends DTMF digits to the far end of a live, answered call (ARI channels/{id}/dtmf). 409 when the session is not live.',
  },
  {
    name: 'StreamSessionEvents', verb: 'GET', routes: ['/sessions/{sessionId}/events'], request: 'StreamSessionEvents', response: undefined, tags: ['Sessions'], stream: true,
    description: 'text/event-stream: the session\'s events (the webhooks\' JSON) from its timeline, then live; closed after session.ended. Last-Event-ID resumes; heartbeats are comment lines. At most EVENT_STREAMS_PER_ACCOUNT streams per account (429).',
  },
  {
    name: 'StreamEvents', verb: 'GET', routes: ['/events'], request: 'StreamEvents', response: undefined, tags: ['Sessions'], stream: true,
    description: 'text/event-stream: the events of every session of the account, live; Last-Event-ID replays what came after that event.',
  },
  // ---- webhooks ----
  { name: 'ListWebhooks', verb: 'GET', routes: ['/webhooks'], request: 'ListWebhooks', response: 'WebhookList', tags: ['Webhooks'], list: true, description: 'Lists the account\'s webhook subscriptions.' },
  { name: 'GetWebhookSigningSecret', verb: 'GET', routes: ['/webhooks/signing-secret'], request: 'GetWebhookSigningSecret', response: 'SigningSecret', tags: ['Webhooks'], description: 'The secret that signs the statusCallback deliveries of the account\'s calls (created on first use).' },
  { name: 'GetWebhook', verb: 'GET', routes: ['/webhooks/{webhookId}'], request: 'GetWebhook', response: 'Webhook', tags: ['Webhooks'], description: 'One webhook subscription.' },
  { name: 'NewWebhook', verb: 'POST', routes: ['/webhooks'], request: 'NewWebhook', response: 'Webhook', status: 201, tags: ['Webhooks'], description: 'Subscribes a URL to the events of every session of the account (see docs/webhooks.md).' },
  { name: 'PatchWebhook', verb: 'PATCH', alsoVerbs: ['PUT'], routes: ['/webhooks/{webhookId}'], request: 'PatchWebhook', response: 'Webhook', tags: ['Webhooks'], description: 'Changes the URL, event types, enabled flag or secret of a webhook.' },
  { name: 'DeleteWebhook', verb: 'DELETE', routes: ['/webhooks/{webhookId}'], request: 'DeleteWebhook', response: undefined, status: 204, tags: ['Webhooks'], description: 'Deletes a webhook; its pending deliveries are abandoned, the delivered ones stay listed.' },
  { name: 'ListWebhookDeliveries', verb: 'GET', routes: ['/webhooks/{webhookId}/deliveries'], request: 'ListWebhookDeliveries', response: 'WebhookDeliveryList', tags: ['Webhooks'], list: true, description: 'The events sent to a webhook, newest first, with every attempt.' },
  // ---- recordings ----
  { name: 'ListSessionRecordings', verb: 'GET', routes: ['/sessions/{sessionId}/recordings'], request: 'ListSessionRecordings', response: 'RecordingList', tags: ['Recordings'], description: 'The recordings a session made, oldest first (deleted ones left out).' },
  { name: 'GetRecording', verb: 'GET', routes: ['/recordings/{recordingId}'], request: 'GetRecording', response: 'Recording', tags: ['Recordings'], description: 'A recording\'s metadata: session, step, duration, format, size, content type, created.' },
  {
    name: 'GetRecordingFile', verb: 'GET', routes: ['/recordings/{recordingId}/file'], request: 'GetRecordingFile', response: undefined, tags: ['Recordings'], produces: 'audio/wav',
    description: 'The audio (audio/wav), read from Asterisk\'s stored recordings; a Range header gets 206 with that range (416 when outside the file).',
  },
  { name: 'DeleteRecording', verb: 'DELETE', routes: ['/recordings/{recordingId}'], request: 'DeleteRecording', response: undefined, status: 204, tags: ['Recordings'], description: 'Deletes the recording from Asterisk and from the session\'s list.' },
  // ---- flows ----
  { name: 'ListFlows', verb: 'GET', routes: ['/flows'], request: 'ListFlows', response: 'FlowList', tags: ['Flows'], list: true, description: 'Lists the account\'s flows, latest versions.' },
  { name: 'GetFlow', verb: 'GET', routes: ['/flows/{flowId}'], request: 'GetFlow', response: 'Flow', tags: ['Flows'], description: 'One flow: its latest version, or the version asked for.' },
  { name: 'NewFlow', verb: 'POST', routes: ['/flows'], request: 'NewFlow', response: 'Flow', status: 201, tags: ['Flows'], description: 'Creates a flow from a flow document (see docs/flows.md); invalid documents get one field error per problem.' },
  {
    name: 'PatchFlow', verb: 'PATCH', alsoVerbs: ['PUT'], routes: ['/flows/{flowId}'], request: 'PatchFlow', response: 'Flow', tags: ['Flows'],
    description: 'Stores a new version of a flow (older versions are kept: sessions reference them). Omitted fields keep their current value.',
  },
  { name: 'DeleteFlow', verb: 'DELETE', routes: ['/flows/{flowId}'], request: 'DeleteFlow', response: undefined, status: 204, tags: ['Flows'], description: 'Deletes a flow; sessions keep the versions they ran.' },
  {
    name: 'SimulateFlow', verb: 'POST', routes: ['/flows/{flowId}/simulate'], request: 'SimulateFlow', response: 'SimulationReport', tags: ['Flows'],
    description: 'Runs the flow\'s latest version against a scripted callee (or several scenarios) on a virtual clock: final state, variables, path, media and timeline, without a call (see docs/flows.md).',
  },
  {
    name: 'SimulateFlowDocument', verb: 'POST', routes: ['/flows/simulate'], request: 'SimulateFlowDocument', response: 'SimulationReport', tags: ['Flows'],
    description: 'Simulates an unsaved flow document, as SimulateFlow does.',
  },
  {
    name: 'PreviewSpeech', verb: 'POST', routes: ['/speech/preview'], request: 'PreviewSpeech', response: undefined, tags: ['Flows'], produces: 'audio/wav',
    description: 'The audio (audio/wav, 8 kHz mono) a say step with this text, voice and language makes a call hear, from the engine\'s text to speech and its cache (the console\'s "listen"). The text is checked as the say step checks it (at most 1000 characters); {{placeholders}} take the example values given, else their variable\'s name. 503 TtsUnavailable when text to speech is off or its provider missing, TtsFailed when a synthesis fails; 429 while too many previews are being synthesized.',
  },
  {
    name: 'ListSounds', verb: 'GET', routes: ['/sounds'], request: 'ListSounds', response: 'SoundList', tags: ['Flows'], list: true,
    description: 'The sounds the engine\'s Asterisk can play as sound:<id> (ARI GET /sounds of a connected Asterisk server), sorted by id, filtered by language and by a search in their ids; kept for a minute. 503 SoundsUnavailable while no Asterisk server answers.',
  },
  { name: 'CopyFlow', verb: 'POST', routes: ['/flows/{flowId}/copy'], request: 'CopyFlow', response: 'Flow', status: 201, tags: ['Flows'], description: 'Creates a new flow (version 1) from the latest version of another.' },
  // ---- phone numbers ----
  { name: 'ListPhoneNumbers', verb: 'GET', routes: ['/phone-numbers'], request: 'ListPhoneNumbers', response: 'PhoneNumberList', tags: ['PhoneNumbers'], list: true, description: 'Lists the account\'s phone numbers.' },
  { name: 'GetPhoneNumber', verb: 'GET', routes: ['/phone-numbers/{phoneNumberId}'], request: 'GetPhoneNumber', response: 'PhoneNumber', tags: ['PhoneNumbers'], description: 'One phone number.' },
  { name: 'NewPhoneNumber', verb: 'POST', routes: ['/phone-numbers'], request: 'NewPhoneNumber', response: 'PhoneNumber', status: 201, tags: ['PhoneNumbers'], description: 'Adds a number the account calls from; a number registered in any account is refused (409).' },
  { name: 'PatchPhoneNumber', verb: 'PATCH', alsoVerbs: ['PUT'], routes: ['/phone-numbers/{phoneNumberId}'], request: 'PatchPhoneNumber', response: 'PhoneNumber', tags: ['PhoneNumbers'], description: 'Renames, enables or disables a number. The number itself cannot change: delete it and add the new one.' },
  { name: 'DeletePhoneNumber', verb: 'DELETE', routes: ['/phone-numbers/{phoneNumberId}'], request: 'DeletePhoneNumber', response: undefined, status: 204, tags: ['PhoneNumbers'], description: 'Removes a number.' },
  // ---- lab extensions ----
  { name: 'ListExtensions', verb: 'GET', routes: ['/extensions'], request: 'ListExtensions', response: 'ExtensionList', tags: ['Extensions'], list: true, description: 'Lists the account\'s lab extensions.' },
  { name: 'GetExtension', verb: 'GET', routes: ['/extensions/{extensionId}'], request: 'GetExtension', response: 'Extension', tags: ['Extensions'], description: 'One lab extension.' },
  { name: 'NewExtension', verb: 'POST', routes: ['/extensions'], request: 'NewExtension', response: 'Extension', status: 201, tags: ['Extensions'], description: 'Adds a lab extension (2 to 8 digits) whose inbound flow runs when a lab phone dials it; an extension registered in any account is refused (409).' },
  { name: 'PatchExtension', verb: 'PATCH', alsoVerbs: ['PUT'], routes: ['/extensions/{extensionId}'], request: 'PatchExtension', response: 'Extension', tags: ['Extensions'], description: 'Renames, enables or disables an extension, or changes its inbound flow. The extension itself cannot change: delete it and add the new one.' },
  { name: 'DeleteExtension', verb: 'DELETE', routes: ['/extensions/{extensionId}'], request: 'DeleteExtension', response: undefined, status: 204, tags: ['Extensions'], description: 'Removes a lab extension.' },
  // ---- account ----
  { name: 'GetAccount', verb: 'GET', routes: ['/account'], request: 'GetAccount', response: 'Account', tags: ['Account'], description: 'The account the request acts on and its settings.' },
  {
    name: 'PatchAccount', verb: 'PATCH', alsoVerbs: ['PUT'], routes: ['/account'], request: 'PatchAccount', response: 'Account', tags: ['Account'],
    description: 'Changes the account\'s settings. Turning callerIdPassthrough on needs the SystemAdministrator role (403 otherwise): it lets flows present numbers the account does not own.',
  },
  // ---- probes (public) ----
  { name: 'GetHealth', verb: 'GET', routes: ['/health'], request: 'GetHealth', response: 'Health', tags: ['Health'], requiresAuth: false, description: 'Liveness: 200 whenever the process serves HTTP, even while Asterisk is down.' },
  { name: 'GetReadiness', verb: 'GET', routes: ['/ready'], request: 'GetReadiness', response: 'Readiness', tags: ['Health'], requiresAuth: false, description: 'Readiness: 200 when ARI is connected and the database is writable, else 503 with Retry-After.' },
] as const satisfies readonly Entry[];

export type OperationName = (typeof ENTRIES)[number]['name'];

function complete(e: Entry): Operation {
  const requiresAuth = e.requiresAuth ?? true;
  const request = DTOS.get(e.request);
  if (!request || (e.response !== undefined && !DTOS.has(e.response))) throw new Error(`operation ${e.name}: DTO not declared`);
  return {
    ...e,
    summary: request.description,
    status: e.status ?? 200,
    requiresAuth,
    anyRole: requiresAuth ? ROLES : [],
  };
}

export const OPERATIONS: readonly Operation[] = ENTRIES.map((e: Entry) => complete(e));

export const OPERATIONS_BY_NAME: ReadonlyMap<string, Operation> = new Map(OPERATIONS.map((o) => [o.name, o]));
