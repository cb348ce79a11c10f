// The NewOutgoingSession use case: validate everything, then record the session and hand it to the
// engine. Nothing reaches the engine unless every check passed.
//
// The API does not wait for the call: it answers with the session as recorded (`queued`) once it
// is committed; the engine then originates (its outcome, including an originate failure, is
// recorded on the session) and the client follows the call on GET /sessions/{id}.
import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { AppError, type FieldError } from '../domain/errors.js';
import type { Session } from '../domain/model.js';
import { checkE164 } from '../domain/e164.js';
import { checkDestination } from '../domain/destination-policy.js';
import { IdempotencyKeyTaken, LIVE_CAP_RETRY_AFTER_SEC, type Store } from '../store/store.js';
import type { CallEngine } from './call-engine.js';
import { CallRateLimiter, KeyedMutex } from './limits.js';
import { isAbsent, pick, readString, throwIfAny, type Input } from './input.js';
import { urlProblem } from '../events/outbound-url.js';
import { readEventTypes } from './event-types-input.js';

export const NOT_READY_RETRY_AFTER_SEC = 5;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const E164_SYNTAX = /^\+[1-9]\d{1,14}$/;

export interface OutgoingSessionDeps {
  config: Config;
  store: Store;
  engine: CallEngine;
  logger: Logger;
  now?: () => number;
}

export interface NewOutgoingSession {
  flowId: string;
  numberToDial: string;
  /** Undefined: a random enabled number of the account. */
  callerId: string | undefined;
  /** Per-call webhook, and the event types it wants (undefined: the state changes). */
  statusCallback: string | undefined;
  statusCallbackEvents: string[] | undefined;
}

export interface CreatedSession {
  session: Session;
  /** True when an earlier request with the same Idempotency-Key created it. */
  replayed: boolean;
}

export class OutgoingSessions {
  private readonly mutex = new KeyedMutex();
  /** Calls admitted but not yet in the store, per account. */
  private readonly admitting = new Map<string, number>();
  private readonly rate: CallRateLimiter;

  constructor(private readonly deps: OutgoingSessionDeps) {
    this.rate = new CallRateLimiter(deps.config.limits.maxCallsPerSecondPerAccount, deps.now);
  }

  /** Field checks that need no storage: the request as typed, normalized to E.164. */
  validate(input: Input): NewOutgoingSession {
    const errors: FieldError[] = [];
    const flowId = readString(input, 'flowId', errors, { required: true, maxLength: 128 });

    let numberToDial: string | undefined;
    const dial = checkE164(pick(input, 'numberToDial'), 'numberToDial');
    if (!dial.ok) errors.push(dial.error);
    else {
      const refused = checkDestination(dial.e164, {
        allowedDestinations: this.deps.config.allowedDestinations,
        blockedNumberTypes: this.deps.config.blockedNumberTypes,
      }, 'numberToDial', dial.info());
      if (refused) errors.push(refused);
      else numberToDial = dial.e164;
    }

    let callerId: string | undefined;
    const rawCaller = pick(input, 'callerId');
    if (!isAbsent(rawCaller)) {
      // Syntax only here: ownership is the real check (an owned number is valid by definition,
      // including test ranges such as +1555 that numbering plans call invalid).
      if (typeof rawCaller === 'string' && E164_SYNTAX.test(rawCaller)) callerId = rawCaller;
      else errors.push({ fieldName: 'callerId', errorCode: 'InvalidPhoneNumber', message: 'callerId must be an E.164 number, e.g. +12125550100' });
    }

    const statusCallback = readString(input, 'statusCallback', errors, { required: false, maxLength: 2048 });
    if (statusCallback !== undefined) {
      const problem = urlProblem(statusCallback, this.deps.config.allowPrivateDestinations);
      if (problem) errors.push({ fieldName: 'statusCallback', errorCode: 'InvalidUrl', message: `statusCallback ${problem}` });
    }
    const statusCallbackEvents = readEventTypes(input, 'statusCallbackEvents', errors);

    throwIfAny(errors);
    // throwIfAny returned: both are set.
    return { flowId: flowId as string, numberToDial: numberToDial as string, callerId, statusCallback, statusCallbackEvents };
  }

  async create(accountId: string, input: Input, idempotencyKey: string | undefined): Promise<CreatedSession> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw AppError.validation([{ fieldName: 'Idempotency-Key', errorCode: 'InvalidIdempotencyKey', message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' }]);
    }
    const request = this.validate(input);
    if (idempotencyKey === undefined) return this.createAndPlace(accountId, request, undefined);

    const requestHash = hashRequest(request);
    // Requests carrying a key are serialized per account, so one key never creates two sessions.
    return this.mutex.run(`${accountId}\u0000idempotent`, async () => {
      const { store } = this.deps;
      const previous = await store.getIdempotentSession(accountId, idempotencyKey);
      if (previous) {
        if (previous.requestHash !== requestHash) {
          throw new AppError('unprocessable', 'IdempotencyKeyReused', 'This Idempotency-Key was used with a different request');
        }
        const session = await store.getSession(accountId, previous.sessionId);
        if (session) return { session, replayed: true };
      }
      try {
        return await this.createAndPlace(accountId, request, { key: idempotencyKey, requestHash });
      } catch (err) {
        // Another engine sharing the database created a session with this key meanwhile.
        if (!(err instanceof IdempotencyKeyTaken)) throw err;
        if (err.requestHash !== requestHash) {
          throw new AppError('unprocessable', 'IdempotencyKeyReused', 'This Idempotency-Key was used with a different request');
        }
        const session = await store.getSession(accountId, err.sessionId);
        if (!session) throw err;
        return { session, replayed: true };
      }
    });
  }

  private async createAndPlace(
    accountId: string,
    request: NewOutgoingSession,
    idempotency: { key: string; requestHash: string } | undefined,
  ): Promise<CreatedSession> {
    const { store, engine, config } = this.deps;
    const flow = await store.getFlow(accountId, request.flowId);
    if (!flow) throw AppError.notFound('Flow');
    const callerId = await this.chooseCallerId(accountId, request.callerId);
    let endpoint: string;
    try {
      endpoint = engine.endpointFor(request.numberToDial);
    } catch {
      throw AppError.validation([{ fieldName: 'numberToDial', errorCode: 'NoRoute', message: 'No route dials this number' }]);
    }

    await this.admit(accountId);
    try {
      // The per-call callback is signed with the account's secret: it exists before any event.
      if (request.statusCallback) await store.signingSecret(accountId);
      // One call: the engine makes the first unit, the store commits the session with it (and the
      // idempotency key) in one transaction, then the engine places the call.
      const placed = await engine.placeCall({
        id: randomUUID(),
        accountId,
        flowId: flow.id,
        flowVersion: flow.version,
        numberToDial: request.numberToDial,
        callerId,
        channelId: randomUUID(),
        endpoint,
        dateCreated: new Date().toISOString(),
        ...(request.statusCallback ? { statusCallback: request.statusCallback } : {}),
        ...(request.statusCallbackEvents ? { statusCallbackEvents: request.statusCallbackEvents } : {}),
        // The caps again where the session is created: atomic across engines sharing PostgreSQL.
        admission: { maxLive: config.limits.maxLiveCallsPerAccount, maxPerSecond: config.limits.maxCallsPerSecondPerAccount },
      }, flow, (session, unit) => store.createSessionWith(session, unit, idempotency));
      return { session: placed.session, replayed: false };
    } finally {
      this.release(accountId);
    }
  }

  /**
   * Readiness and the per-account caps, checked and reserved under the account's lock so that
   * concurrent requests cannot overrun them. The lock is held for these checks only, not across
   * database writes: a reserved call counts against the live cap until the store has it.
   */
  private admit(accountId: string): Promise<void> {
    return this.mutex.run(accountId, async () => {
      const { store, engine, config } = this.deps;
      if (!engine.isReady()) {
        throw new AppError('unavailable', 'ServiceUnavailable', 'The telephony engine is not connected to Asterisk; no call was placed', [], NOT_READY_RETRY_AFTER_SEC);
      }
      const live = (await store.countLiveSessions(accountId)) + (this.admitting.get(accountId) ?? 0);
      if (live >= config.limits.maxLiveCallsPerAccount) {
        throw new AppError('rate-limited', 'TooManyLiveCalls', `The account has ${config.limits.maxLiveCallsPerAccount} live calls, its limit`, [], LIVE_CAP_RETRY_AFTER_SEC);
      }
      const wait = this.rate.retryAfter(accountId);
      if (wait !== undefined) {
        throw new AppError('rate-limited', 'TooManyCalls', `The account may place ${config.limits.maxCallsPerSecondPerAccount} calls per second`, [], wait);
      }
      this.rate.record(accountId);
      this.admitting.set(accountId, (this.admitting.get(accountId) ?? 0) + 1);
    });
  }

  private release(accountId: string): void {
    const left = (this.admitting.get(accountId) ?? 1) - 1;
    if (left > 0) this.admitting.set(accountId, left);
    else this.admitting.delete(accountId);
  }

  private async chooseCallerId(accountId: string, requested: string | undefined): Promise<string> {
    const { store } = this.deps;
    if (requested !== undefined) {
      const owned = await store.findPhoneNumberByNumber(accountId, requested);
      if (!owned || !owned.enabled) {
        throw AppError.validation([{ fieldName: 'callerId', errorCode: 'CallerIdNotOwned', message: 'callerId must be an enabled phone number of this account' }]);
      }
      return owned.number;
    }
    const enabled = await store.enabledNumbers(accountId);
    if (enabled.length === 0) {
      throw AppError.validation([{ fieldName: 'callerId', errorCode: 'NoCallerId', message: 'callerId was omitted and the account has no enabled phone number to call from' }]);
    }
    const chosen = enabled[randomInt(enabled.length)];
    if (!chosen) throw new Error('randomInt out of range');
    return chosen.number;
  }
}

function hashRequest(r: NewOutgoingSession): string {
  return createHash('sha256').update(JSON.stringify([r.flowId, r.numberToDial, r.callerId ?? null, r.statusCallback ?? null, r.statusCallbackEvents ?? null])).digest('hex');
}
