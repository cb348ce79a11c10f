// The store's contract. `sqlite-store.ts` implements it; it is the only place with SQL.
// Every method is account-scoped where the entity belongs to an account: an entity of another
// account is reported exactly as one that does not exist (undefined / false).
import type {
  Account, Flow, Page, PageRequest, PhoneNumber, Session, SessionEvent, SessionState,
} from '../domain/model.js';
import type { FlowDocument } from '../domain/flow.js';

export interface SessionFilter {
  state?: SessionState;
  flowId?: string;
  /** Matches numberToDial or callerId exactly. */
  number?: string;
  /** ISO 8601, inclusive bounds on dateCreated. */
  from?: string;
  to?: string;
}

export interface NewSession {
  id: string;
  accountId: string;
  flowId: string;
  flowVersion: number;
  numberToDial: string;
  callerId: string;
  channelId: string;
  endpoint: string;
}

export interface SessionUpdate {
  state?: SessionState;
  endReason?: string;
  dateAnswered?: string;
  dateEnded?: string;
}

export interface Store {
  close(): Promise<void>;
  /** A cheap write-and-read probe for /ready. */
  isWritable(): Promise<boolean>;

  ensureAccount(id: string, name: string): Promise<Account>;
  getAccount(id: string): Promise<Account | undefined>;

  addPhoneNumber(accountId: string, number: string, name: string, enabled: boolean): Promise<PhoneNumber | 'duplicate'>;
  listPhoneNumbers(accountId: string, page: PageRequest): Promise<Page<PhoneNumber>>;
  getPhoneNumber(accountId: string, id: string): Promise<PhoneNumber | undefined>;
  findPhoneNumberByNumber(accountId: string, number: string): Promise<PhoneNumber | undefined>;
  enabledNumbers(accountId: string): Promise<PhoneNumber[]>;
  updatePhoneNumber(accountId: string, id: string, change: { name?: string; enabled?: boolean }): Promise<PhoneNumber | undefined>;
  deletePhoneNumber(accountId: string, id: string): Promise<boolean>;

  /** `id` is generated unless given (the demo seed uses a fixed id). */
  createFlow(accountId: string, document: FlowDocument, id?: string): Promise<Flow>;
  /** Latest version, or the given one. */
  getFlow(accountId: string, id: string, version?: number): Promise<Flow | undefined>;
  listFlows(accountId: string, page: PageRequest): Promise<Page<Flow>>;
  /** Stores a new version; undefined when the flow does not exist (or was deleted). */
  updateFlow(accountId: string, id: string, document: FlowDocument): Promise<Flow | undefined>;
  /** Soft delete: sessions keep pointing at the versions they ran. */
  deleteFlow(accountId: string, id: string): Promise<boolean>;

  createSession(session: NewSession): Promise<Session>;
  /** accountId undefined: any account (engine-internal use only). */
  getSession(accountId: string | undefined, id: string): Promise<Session | undefined>;
  listSessions(accountId: string, filter: SessionFilter, page: PageRequest): Promise<Page<Session>>;
  updateSession(id: string, change: SessionUpdate): Promise<void>;
  setSessionVariable(id: string, name: string, value: string): Promise<void>;
  /** Appends to the timeline; seq is assigned by the store. */
  appendSessionEvent(sessionId: string, type: string, data: Record<string, unknown>, at?: string): Promise<void>;
  listSessionEvents(sessionId: string): Promise<SessionEvent[]>;
  /** Sessions in a live state (queued, dialing, ringing, in-progress), for reconciliation. */
  listLiveSessions(): Promise<Session[]>;
  countLiveSessions(accountId: string): Promise<number>;

  /** Idempotency keys for POST /sessions/outgoing (kept 24 h). */
  getIdempotentSession(accountId: string, key: string): Promise<{ sessionId: string; requestHash: string } | undefined>;
  saveIdempotentSession(accountId: string, key: string, requestHash: string, sessionId: string): Promise<void>;
}
