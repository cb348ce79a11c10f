// Management use cases: flows (versioned) and reading sessions (phone numbers and extensions:
// inbound-lines.ts). Every call is scoped to one account; another account's entity is reported
// exactly as a missing one.
import { AppError, type FieldError } from '../domain/errors.js';
import type { Flow, Page, Session, SessionEvent, SessionState } from '../domain/model.js';
import { FINAL_STATES, LIVE_STATES, SORT_FIELDS } from '../domain/model.js';
import { mediaUrls, validateFlowDocument, websocketUrls } from '../domain/flow-validation.js';
import { urlProblem, WEBSOCKET_SCHEMES } from '../events/outbound-url.js';
import type { SessionFilter, Store } from '../store/store.js';
import { pick, readPage, readString, throwIfAny, type Input } from './input.js';

const ID_MAX = 128;
const NAME_MAX = 200;

export function checkId(id: string, what: string): void {
  // An id that cannot exist is simply not found; it never reaches SQL as anything but a parameter.
  if (id.length === 0 || id.length > ID_MAX) throw AppError.notFound(what);
}

/** A token's subject is verified but unbounded: a version keeps its first characters. */
const AUTHOR_MAX = 256;
const authorOf = (subject: string | undefined): string | undefined => subject?.slice(0, AUTHOR_MAX);

export class FlowService {
  /** allowPrivate: media URLs may point to loopback/private addresses (ALLOW_PRIVATE_DESTINATIONS). */
  constructor(private readonly store: Store, private readonly allowPrivate = false) {}

  private document(input: Input) {
    const checked = validateFlowDocument(input);
    if (!checked.ok) throw AppError.validation(checked.errors);
    // Asterisk fetches media URLs: the same destination policy as webhooks, one field error each.
    const refused: FieldError[] = [];
    for (const { field, url } of mediaUrls(checked.document)) {
      const problem = urlProblem(url, this.allowPrivate);
      if (problem) refused.push({ fieldName: field, errorCode: 'DestinationNotAllowed', message: `${field}: the media URL ${problem}` });
    }
    for (const { field, url } of websocketUrls(checked.document)) {
      const problem = urlProblem(url, this.allowPrivate, WEBSOCKET_SCHEMES);
      if (problem) refused.push({ fieldName: field, errorCode: 'DestinationNotAllowed', message: `${field}: the agent URL ${problem}` });
    }
    if (refused.length > 0) throw AppError.validation(refused);
    return checked.document;
  }

  /** `author`: who saves it (the token's subject), stored with the version. */
  create(accountId: string, input: Input, author?: string): Promise<Flow> {
    return this.store.createFlow(accountId, this.document(input), undefined, authorOf(author));
  }

  list(accountId: string, query: Input): Promise<Page<Flow>> {
    const errors: FieldError[] = [];
    const page = readPage(query, errors, SORT_FIELDS.flows);
    throwIfAny(errors);
    return this.store.listFlows(accountId, page);
  }

  async get(accountId: string, id: string, query: Input): Promise<Flow> {
    checkId(id, 'Flow');
    let version: number | undefined;
    const raw = pick(query, 'version');
    if (raw !== undefined) {
      version = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
      if (!(Number.isSafeInteger(version) && version >= 1)) throw AppError.validation([{ fieldName: 'version', errorCode: 'InvalidValue', message: 'version must be a positive integer' }]);
    }
    const flow = await this.store.getFlow(accountId, id, version);
    if (!flow) throw AppError.notFound(version === undefined ? 'Flow' : 'Flow version');
    return flow;
  }

  /** A new version; `name` and `steps` left out keep their current value. */
  async update(accountId: string, id: string, input: Input, author?: string): Promise<Flow> {
    checkId(id, 'Flow');
    const current = await this.store.getFlow(accountId, id);
    if (!current) throw AppError.notFound('Flow');
    const merged: Input = { name: current.document.name, steps: current.document.steps };
    for (const key of ['name', 'steps'] as const) if (input[key] !== undefined) merged[key] = input[key];
    const flow = await this.store.updateFlow(accountId, id, this.document(merged), authorOf(author));
    if (!flow) throw AppError.notFound('Flow');
    return flow;
  }

  /** A new flow (version 1) with the latest document of another; `name` optional. */
  async copy(accountId: string, id: string, input: Input, author?: string): Promise<Flow> {
    const source = await this.get(accountId, id, {});
    const errors: FieldError[] = [];
    const name = readString(input, 'name', errors, { required: false, maxLength: NAME_MAX });
    throwIfAny(errors);
    const document = this.document({ ...source.document, name: name ?? `Copy of ${source.name}`.slice(0, NAME_MAX) });
    return this.store.createFlow(accountId, document, undefined, authorOf(author));
  }

  async delete(accountId: string, id: string): Promise<void> {
    checkId(id, 'Flow');
    if (!(await this.store.deleteFlow(accountId, id))) throw AppError.notFound('Flow');
  }
}


const STATES: readonly string[] = [...LIVE_STATES, ...FINAL_STATES];

function readDate(query: Input, name: string, errors: FieldError[]): string | undefined {
  const raw = readString(query, name, errors, { required: false, maxLength: 40 });
  if (raw === undefined) return undefined;
  // ISO 8601 dates or date-times only: `Date.parse` alone would also take "1" or "March 7".
  const t = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(t)) {
    errors.push({ fieldName: name, errorCode: 'InvalidDate', message: `${name} must be an ISO 8601 date, e.g. 2026-01-31 or 2026-01-31T12:00:00Z` });
    return undefined;
  }
  // A bare date as the upper bound means the whole of that day.
  const wholeDay = name === 'dateTo' && raw.length === 10 ? 86_400_000 - 1 : 0;
  return new Date(t + wholeDay).toISOString();
}

export interface SessionDetail {
  session: Session;
  timeline: SessionEvent[];
  /** Webhook events of the session are in the outbox: it may have deliveries. */
  hasOutbox: boolean;
}

export class SessionQueries {
  constructor(private readonly store: Store) {}

  async get(accountId: string, id: string): Promise<SessionDetail> {
    checkId(id, 'Session');
    const detail = await this.store.getSessionDetail(accountId, id);
    if (!detail) throw AppError.notFound('Session');
    return detail;
  }

  list(accountId: string, query: Input): Promise<Page<Session>> {
    const errors: FieldError[] = [];
    const page = readPage(query, errors, SORT_FIELDS.sessions);
    const filter: SessionFilter = {};
    const state = readString(query, 'state', errors, { required: false, maxLength: 20 });
    if (state !== undefined) {
      if (STATES.includes(state)) filter.state = state as SessionState;
      else errors.push({ fieldName: 'state', errorCode: 'InvalidValue', message: `state must be one of ${STATES.join(', ')}` });
    }
    const flowId = readString(query, 'flowId', errors, { required: false, maxLength: ID_MAX });
    if (flowId !== undefined) filter.flowId = flowId;
    const number = readString(query, 'number', errors, { required: false, maxLength: 32 });
    // An unencoded `+` in a query string arrives as a space.
    if (number !== undefined) filter.number = /^ \d+$/.test(number) ? `+${number.slice(1)}` : number;
    const from = readDate(query, 'dateFrom', errors);
    if (from !== undefined) filter.from = from;
    const to = readDate(query, 'dateTo', errors);
    if (to !== undefined) filter.to = to;
    if (from !== undefined && to !== undefined && from > to) {
      errors.push({ fieldName: 'dateTo', errorCode: 'InvalidRange', message: 'dateTo must not be before dateFrom' });
    }
    throwIfAny(errors);
    return this.store.listSessions(accountId, filter, page);
  }
}
