// Entities shared by the store, the services, the HTTP layer and the telephony runner.
// Pure types: nothing here imports express, ari-client or a database driver.
import type { FlowDocument } from './flow.js';

export interface Account {
  id: string;
  name: string;
  dateCreated: string;
}

export interface PhoneNumber {
  id: string;
  accountId: string;
  /** E.164, unique across the whole engine. */
  number: string;
  name: string;
  enabled: boolean;
  /** The flow a call to this number runs (null: such calls are refused). */
  inboundFlowId: string | null;
  dateCreated: string;
  dateModified: string;
}

/** A lab extension (domain/extension.ts): a short dial string an account owns, for calls to the engine. */
export interface Extension {
  id: string;
  accountId: string;
  /** The extension: 2 to 8 digits, unique across the whole engine. */
  number: string;
  name: string;
  /** False: calls to it are refused. */
  enabled: boolean;
  /** The flow a call to this extension runs (null: such calls are refused). */
  inboundFlowId: string | null;
  dateCreated: string;
  dateModified: string;
}

/** An account's settings; an account that never changed them has the defaults. */
export interface AccountSettings {
  accountId: string;
  /** A dial step may present the first party's number (callerId "first-party"); default false. */
  callerIdPassthrough: boolean;
  /** When they last changed (null: never, the defaults). */
  dateModified: string | null;
}

export interface Flow {
  id: string;
  accountId: string;
  name: string;
  /** Starts at 1; every update stores a new version and keeps the old ones (sessions reference them). */
  version: number;
  document: FlowDocument;
  dateCreated: string;
  dateModified: string;
  /** Who saved this version (the token's subject); absent when unknown (before migration 8, or the engine's seed). */
  createdBy?: string;
}

/** A sound file of Asterisk's sounds directory, played as `sound:<id>`. */
export interface Sound {
  id: string;
  /** The words spoken, when Asterisk knows them. */
  text?: string;
  /** The languages it exists in, sorted. */
  languages: string[];
  /** The file formats it exists in, sorted. */
  formats: string[];
}

export type SessionState =
  | 'queued' | 'dialing' | 'ringing' | 'in-progress'
  | 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';

export const LIVE_STATES: readonly SessionState[] = ['queued', 'dialing', 'ringing', 'in-progress'];
export const FINAL_STATES: readonly SessionState[] = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

/** `outbound`: placed by NewOutgoingSession; `inbound`: a call to an owned number. */
export type CallDirection = 'outbound' | 'inbound';
/** A recording a session made (record step), stored by Asterisk under `id` (its ARI name). */
export interface Recording {
  id: string;
  accountId: string;
  sessionId: string;
  stepId?: string;
  format: string;
  durationSec?: number;
  dateCreated: string;
}

export interface Session {
  id: string;
  accountId: string;
  direction: CallDirection;
  flowId: string;
  flowVersion: number;
  /** The number called: the callee of an outbound call, the owned number of an inbound one. */
  numberToDial: string;
  /** The number calling: an owned number on outbound calls, the caller's number on inbound ones. */
  callerId: string;
  state: SessionState;
  /** ARI channel id chosen by the engine before originate. */
  channelId: string;
  endpoint: string;
  /** Variables set by the flow (e.g. gathered digits). */
  variables: Record<string, string>;
  /** Why the session ended the way it did (cause text, dial status, fault), once final. */
  endReason: string | null;
  dateCreated: string;
  dateAnswered: string | null;
  dateEnded: string | null;
  /** Per-call webhook URL (NewOutgoingSession.statusCallback) and the event types it wants. */
  statusCallback: string | null;
  statusCallbackEvents: string[] | null;
  /** The engine process that runs the session while it is live (null once it ended, or never placed). */
  ownerId: string | null;
  /** Until when the owner's claim holds (renewed while it runs). */
  leaseExpires: string | null;
  /** The Asterisk server its call runs on, by name (docs/scaling.md); absent when not known (single server before migration 9). */
  asteriskServer?: string;
}

/** An account's webhook subscription. */
export interface Webhook {
  id: string;
  accountId: string;
  url: string;
  /** Event types (`session.answered`...); `session.ended` is always delivered. */
  events: string[];
  enabled: boolean;
  /** HMAC-SHA256 key of the signatures. */
  secret: string;
  dateCreated: string;
  dateModified: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'abandoned';

/** One event on its way to one destination, with its attempts. */
export interface WebhookDelivery {
  eventId: string;
  /** `callback` (the session's statusCallback) or the webhook id. */
  target: string;
  sessionId: string;
  sequence: number;
  type: string;
  url: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  nextAttemptAt: string | null;
  dateCreated: string;
  dateFinished: string | null;
}

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface SessionEvent {
  /** Monotonic per session: the timeline is ordered by it. */
  seq: number;
  sessionId: string;
  at: string;
  /** e.g. `state`, `step.started`, `step.finished`, `ari.dial`, `dtmf`, `playback.finished`, `error`. */
  type: string;
  data: Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  totalCount: number;
  totalPages: number;
  hasMorePages: boolean;
}

export interface PageRequest {
  /** 1-based. */
  page: number;
  countPerPage: number;
  /** Only these ids (ListRequest.specificIds). */
  ids?: readonly string[];
  /** A field the list names as sortable (camelCase, as the API shows it); default: the list's own order. */
  sort?: { field: string; descending: boolean };
}

/** Fields each list can be sorted by (ListRequest.sortField). */
export const SORT_FIELDS = {
  sessions: ['dateCreated', 'state', 'numberToDial', 'callerId', 'flowId'],
  flows: ['dateCreated', 'name'],
  phoneNumbers: ['dateCreated', 'number', 'name'],
  extensions: ['dateCreated', 'number', 'name'],
} as const;
