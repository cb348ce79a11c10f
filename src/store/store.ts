// The store's contract. `sqlite-store.ts` implements it, composing one repository per entity; src/store/ is the only place with SQL.
// Every method is account-scoped where the entity belongs to an account: an entity of another
// account is reported exactly as one that does not exist (undefined / false).
import type { RecordingRegistration, TimelineEntry } from '../domain/timeline.js';
import type {
  Account, CallDirection, Flow, Page, PageRequest, PhoneNumber, Recording, Session, SessionEvent, SessionState, Webhook, WebhookDelivery,
} from '../domain/model.js';
import type { FlowDocument } from '../domain/flow.js';
import type { ExtensionStore } from './extensions-repo.js';
import type { AccountSettingsStore } from './account-settings-repo.js';
import { AppError } from '../domain/errors.js';

export interface SessionFilter {
  state?: SessionState;
  flowId?: string;
  /** Matches numberToDial or callerId exactly. */
  number?: string;
  /** ISO 8601, inclusive bounds on dateCreated. */
  from?: string;
  to?: string;
}

/** The Idempotency-Key of POST /sessions/outgoing and the hash of the request it came with. */
export interface IdempotencyKey { key: string; requestHash: string }

export interface NewSession {
  id: string;
  accountId: string;
  flowId: string;
  flowVersion: number;
  numberToDial: string;
  callerId: string;
  channelId: string;
  endpoint: string;
  /** Default `outbound`. */
  direction?: CallDirection;
  statusCallback?: string;
  statusCallbackEvents?: string[];
  /** Set by the caller when the first unit's rows must carry the same time (default: now). */
  dateCreated?: string;
  /** The process that will run it, and until when its lease holds. */
  owner?: { id: string; leaseExpires: string };
  /** The Asterisk server its call runs on (ARI_SERVERS name); absent: not known yet. */
  asteriskServer?: string;
  /**
   * The account's caps, checked by the store in the transaction that creates the session (on
   * PostgreSQL under the account's lock, so that they hold across engines): refused with
   * `admissionRefusal`'s error.
   */
  admission?: Admission;
}

export interface Admission {
  /** Live sessions of the account at most (this one included). */
  maxLive: number;
  /** New sessions of the account per second at most; unchecked when absent. */
  maxPerSecond?: number;
}

/** Seconds a client refused by a cap is told to wait (the live cap: calls take a while to end). */
export const LIVE_CAP_RETRY_AFTER_SEC = 5;

/** The error of a refused admission: 429 in the API's shape, as the in-process checks answer. */
export function admissionRefusal(cap: 'live' | 'rate', admission: Admission): AppError {
  return cap === 'live'
    ? new AppError('rate-limited', 'TooManyLiveCalls', `The account has ${admission.maxLive} live calls, its limit`, [], LIVE_CAP_RETRY_AFTER_SEC)
    : new AppError('rate-limited', 'TooManyCalls', `The account may place ${admission.maxPerSecond ?? 0} calls per second`, [], 1);
}

/**
 * A session's writes the store could not keep (PostgreSQL unreachable longer than it holds them in
 * memory): the unit is rejected with this, and the store itself ends the session `failed` with the
 * message once the database is back. The call's owner hangs the call up.
 */
export class SessionWritesLostError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SessionWritesLostError';
  }
}

/**
 * createSessionWith found the Idempotency-Key live and held by another session (created by another
 * engine meanwhile): nothing was created; the caller answers with that session.
 */
export class IdempotencyKeyTaken extends Error {
  constructor(readonly sessionId: string, readonly requestHash: string) {
    super('The Idempotency-Key is held by another session');
    this.name = 'IdempotencyKeyTaken';
  }
}

/** A timeline row whose seq the session's owner assigned (it alone writes the session). */
export type TimelineRow = { seq: number; at: string } & TimelineEntry;

/** An event with destinations: the outbox row and one delivery row per destination. */
export interface OutboxEvent {
  id: string;
  sessionId: string;
  accountId: string;
  seq: number;
  type: string;
  at: string;
  /** The exact JSON body every attempt sends. */
  body: string;
  /** `secret` signs the attempts (it is not stored with the row: the store reads it from the destination). */
  targets: Array<{ target: string; url: string; secret: string }>;
  /**
   * Rows claimed from the start by the worker of the process that wrote them (it delivers them
   * from memory once committed, without a claim round trip); unclaimed when absent.
   */
  claim?: { workerId: string; expires: string };
}

/**
 * What one session change writes: committed together or not at all, so that no event is ever
 * announced for a state that is not stored, and no state is stored without its events.
 */
export interface SessionUnit {
  change?: SessionUpdate;
  timeline?: TimelineRow[];
  variables?: Array<{ name: string; value: string }>;
  outbox?: OutboxEvent[];
  /** Recordings the unit's timeline rows report done (registered with the session, in the same commit). */
  recordings?: RecordingRegistration[];
  /** The session is no longer live: its owner lets go of it. */
  release?: boolean;
}

/** A delivery claimed by a worker: all it needs to send one attempt. */
export interface ClaimedDelivery {
  eventId: string;
  target: string;
  sessionId: string;
  seq: number;
  url: string;
  body: string;
  secret: string;
  attempts: number;
  eventAt: string;
}

export interface AttemptRecord {
  eventId: string;
  target: string;
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseExcerpt: string | null;
  /** The delivery after this attempt: still pending (retry at `nextAttemptAt`), delivered or abandoned. */
  status: 'pending' | 'delivered' | 'abandoned';
  nextAttemptAt: string;
}

export interface WebhookInput {
  url: string;
  events: string[];
  enabled: boolean;
  secret: string;
}

export interface SessionUpdate {
  state?: SessionState;
  endReason?: string;
  dateAnswered?: string;
  dateEnded?: string;
}

/** Lab extensions and account settings are declared with their repositories. */
export interface Store extends ExtensionStore, AccountSettingsStore {
  close(): Promise<void>;
  /** A cheap write-and-read probe for /ready. */
  isWritable(): Promise<boolean>;
  /** Why the database is not usable, as last seen (for /ready; never the URL or credentials); undefined: no known problem. */
  databaseProblem(): string | undefined;

  ensureAccount(id: string, name: string): Promise<Account>;
  getAccount(id: string): Promise<Account | undefined>;

  addPhoneNumber(accountId: string, number: string, name: string, enabled: boolean, inboundFlowId?: string | null): Promise<PhoneNumber | 'duplicate'>;
  listPhoneNumbers(accountId: string, page: PageRequest): Promise<Page<PhoneNumber>>;
  getPhoneNumber(accountId: string, id: string): Promise<PhoneNumber | undefined>;
  findPhoneNumberByNumber(accountId: string, number: string): Promise<PhoneNumber | undefined>;
  enabledNumbers(accountId: string): Promise<PhoneNumber[]>;
  /** The number an inbound call dialed, whichever account owns it (engine-internal use only). */
  phoneNumberCalled(number: string): Promise<PhoneNumber | undefined>;
  updatePhoneNumber(accountId: string, id: string, change: { name?: string; enabled?: boolean; inboundFlowId?: string | null }): Promise<PhoneNumber | undefined>;
  deletePhoneNumber(accountId: string, id: string): Promise<boolean>;

  /**
   * `id` is generated unless given (the demo seed uses a fixed id). `createdBy`: who saved this
   * version (the token's subject; flow_versions.created_by), absent when the engine itself did.
   */
  createFlow(accountId: string, document: FlowDocument, id?: string, createdBy?: string): Promise<Flow>;
  /** Latest version, or the given one. */
  getFlow(accountId: string, id: string, version?: number): Promise<Flow | undefined>;
  listFlows(accountId: string, page: PageRequest): Promise<Page<Flow>>;
  /** Stores a new version; undefined when the flow does not exist (or was deleted). */
  updateFlow(accountId: string, id: string, document: FlowDocument, createdBy?: string): Promise<Flow | undefined>;
  /** Soft delete: sessions keep pointing at the versions they ran. */
  deleteFlow(accountId: string, id: string): Promise<boolean>;

  /** accountId undefined: any account (engine-internal use only). */
  getSession(accountId: string | undefined, id: string): Promise<Session | undefined>;

  /** The session's recordings (not deleted), oldest first. */
  listRecordings(accountId: string, sessionId: string): Promise<Recording[]>;
  getRecording(accountId: string, id: string): Promise<Recording | undefined>;
  /** Marks it deleted; false when there is none (or it was already). */
  markRecordingDeleted(accountId: string, id: string, at: string): Promise<boolean>;
  /** Recordings of any account created before `before`, not deleted yet (retention), oldest first. */
  recordingsCreatedBefore(before: string, limit: number): Promise<Recording[]>;
  listSessions(accountId: string, filter: SessionFilter, page: PageRequest): Promise<Page<Session>>;
  listSessionEvents(sessionId: string): Promise<SessionEvent[]>;
  /**
   * The session and its timeline read as of one commit (one consistent snapshot), and whether the
   * outbox holds webhook events of the session as of that commit: its webhook deliveries (which
   * exist only for such events) are worth reading only then.
   */
  getSessionDetail(accountId: string, id: string): Promise<{ session: Session; timeline: SessionEvent[]; hasOutbox: boolean } | undefined>;
  /** Sessions of the account with timeline rows at or after `at` (oldest first), for a stream's resume. */
  sessionsWithEventsSince(accountId: string, at: string, limit: number): Promise<string[]>;
  /** Live sessions whose owner is not `ownerId` (or that have none), for the orphan sweep. */
  listLiveSessionsNotOwnedBy(ownerId: string): Promise<Session[]>;
  /** Sessions in a live state (queued, dialing, ringing, in-progress), for reconciliation. */
  listLiveSessions(): Promise<Session[]>;
  countLiveSessions(accountId: string): Promise<number>;

  /**
   * Session writes as units (see SessionUnit): queued in the group commit, atomic. `urgent`
   * commits on the next tick instead of the row commit delay (a final state, an event with
   * destinations).
   */
  recordSession(sessionId: string, unit: SessionUnit, urgent?: boolean): Promise<void>;
  /**
   * Creates the session with its first unit (its `queued` row and events) in one transaction, with
   * the Idempotency-Key of the request that created it when there is one.
   */
  createSessionWith(session: NewSession, unit: SessionUnit, idempotency?: IdempotencyKey): Promise<Session>;
  /** The highest timeline seq of each session (absent: none), for an owner taking sessions over. */
  lastSeqs(sessionIds: readonly string[]): Promise<Map<string, number>>;
  /** Extends the lease of every live session of the owner. */
  renewLeases(ownerId: string, leaseExpires: string): Promise<void>;
  /**
   * Takes live sessions over from their previous owners (compare-and-set on each previous owner,
   * one statement): the ids taken; a session somebody else took first is not among them.
   */
  takeOver(sessions: ReadonlyArray<{ id: string; previousOwner: string | null }>, ownerId: string, leaseExpires: string): Promise<string[]>;

  createWebhook(accountId: string, input: WebhookInput): Promise<Webhook>;
  listWebhooks(accountId: string, page: PageRequest): Promise<Page<Webhook>>;
  getWebhook(accountId: string, id: string): Promise<Webhook | undefined>;
  updateWebhook(accountId: string, id: string, change: Partial<WebhookInput>): Promise<Webhook | undefined>;
  deleteWebhook(accountId: string, id: string): Promise<boolean>;
  /** Enabled subscriptions of an account (kept in memory, cleared on every webhook write). */
  activeWebhooks(accountId: string): Promise<Webhook[]>;
  /** The secret signing an account's statusCallback deliveries (created on first use). */
  signingSecret(accountId: string): Promise<string>;

  /**
   * Claims up to `limit` due deliveries for `workerId` until `claimExpires`: pending, due, not
   * held by a live claim, and in no chain (session, destination) another worker holds, so a
   * session's events go out in order.
   */
  claimDeliveries(workerId: string, now: string, claimExpires: string, limit: number): Promise<ClaimedDelivery[]>;
  /** Extends the claims of a worker; releases the claims of the given dead workers. */
  renewClaims(workerId: string, claimExpires: string): Promise<void>;
  releaseClaims(workerIds: string[]): Promise<void>;
  recordAttempt(attempt: AttemptRecord): Promise<void>;
  /** Deliveries not delivered nor abandoned yet, of every account and worker (the outbox backlog). */
  pendingDeliveries(): Promise<number>;
  listDeliveries(accountId: string, filter: { webhookId?: string; sessionId?: string }, page: PageRequest): Promise<Page<WebhookDelivery>>;
  /** Distinct owners named by live sessions or delivery claims (to find dead ones at start). */
  owners(): Promise<string[]>;

  /** Idempotency keys for POST /sessions/outgoing (kept 24 h). */
  getIdempotentSession(accountId: string, key: string): Promise<{ sessionId: string; requestHash: string } | undefined>;
}

// Ports per consumer: each part of the call core gets the narrow view of the store it uses.
/** A session's recorder (telephony/session-recorder.ts): its units, nothing else. */
export type SessionUnitWriter = Pick<Store, 'recordSession'>;
/** Calls that come in (telephony/inbound.ts): what was called, its flow, the account's live count. */
export type InboundStore = Pick<Store, 'getFlow' | 'countLiveSessions' | 'extensionCalled' | 'phoneNumberCalled'>;
/** Sessions of engines that are gone (telephony/orphans.ts, reconciler.ts): leases and takeovers. */
export type OwnershipStore = SessionUnitWriter & Pick<Store, 'renewLeases' | 'listLiveSessionsNotOwnedBy' | 'takeOver' | 'lastSeqs' | 'releaseClaims'>;
/** Everything the telephony engine uses (telephony/engine.ts and the modules it composes). */
export type CallCoreStore = InboundStore & OwnershipStore & Pick<Store,
  'createSessionWith' | 'activeWebhooks' | 'signingSecret' | 'findPhoneNumberByNumber' | 'getAccountSettings'>;
