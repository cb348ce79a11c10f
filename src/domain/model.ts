// Entities shared by the store, the services, the HTTP layer and the telephony runner.
// Pure types: nothing here imports express, ari-client or sqlite3.
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
  dateCreated: string;
  dateModified: string;
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
}

export type SessionState =
  | 'queued' | 'dialing' | 'ringing' | 'in-progress'
  | 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';

export const LIVE_STATES: readonly SessionState[] = ['queued', 'dialing', 'ringing', 'in-progress'];
export const FINAL_STATES: readonly SessionState[] = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

export interface Session {
  id: string;
  accountId: string;
  flowId: string;
  flowVersion: number;
  numberToDial: string;
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
} as const;
