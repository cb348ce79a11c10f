// Phone numbers and lab extensions of an account (docs/api.md): the two kinds of line a call can
// come in on, each with a name, an enabled flag and an optional inbound flow. They differ only in
// the number's syntax and their store calls, so one service serves both (phoneNumberService,
// extensionService). Scoped to one account: another account's line reads exactly as a missing one.
import { AppError, type FieldError } from '../domain/errors.js';
import type { Extension, Page, PageRequest, PhoneNumber } from '../domain/model.js';
import { SORT_FIELDS } from '../domain/model.js';
import { checkE164 } from '../domain/e164.js';
import { checkExtension } from '../domain/extension.js';
import type { Store } from '../store/store.js';
import { pick, readBoolean, readPage, readString, throwIfAny, type Input } from './input.js';
import { checkId } from './management.js';

const NAME_MAX = 200;

interface LineFields { number: string; name: string; enabled: boolean; inboundFlowId: string | null }
type LineChange = { name?: string; enabled?: boolean; inboundFlowId?: string | null };

/** What differs between phone numbers and extensions. */
interface LineKind<T> {
  /** As in "Phone number not found". */
  what: string;
  sortFields: readonly string[];
  /** The normalized number, or the field error. */
  check(value: unknown): { ok: true; number: string } | { ok: false; error: FieldError };
  duplicate(number: string): string;
  readOnly: string;
  add(store: Store, accountId: string, line: LineFields): Promise<T | 'duplicate'>;
  list(store: Store, accountId: string, page: PageRequest): Promise<Page<T>>;
  get(store: Store, accountId: string, id: string): Promise<T | undefined>;
  update(store: Store, accountId: string, id: string, change: LineChange): Promise<T | undefined>;
  delete(store: Store, accountId: string, id: string): Promise<boolean>;
}

/** `inboundFlowId` of a line: a flow of the account; "" or null clears it (undefined: not given). */
async function readInboundFlow(store: Store, accountId: string, input: Input, errors: FieldError[]): Promise<string | null | undefined> {
  const raw = pick(input, 'inboundFlowId');
  if (raw === null || raw === '') return null;
  const flowId = readString(input, 'inboundFlowId', errors, { required: false, maxLength: 128 });
  if (flowId === undefined) return undefined;
  if (!(await store.getFlow(accountId, flowId))) {
    errors.push({ fieldName: 'inboundFlowId', errorCode: 'NotFound', message: 'inboundFlowId must be a flow of this account' });
  }
  return flowId;
}

export class InboundLineService<T> {
  constructor(private readonly store: Store, private readonly kind: LineKind<T>) {}

  async add(accountId: string, input: Input): Promise<T> {
    const errors: FieldError[] = [];
    const checked = this.kind.check(pick(input, 'number'));
    if (!checked.ok) errors.push(checked.error);
    const name = readString(input, 'name', errors, { required: false, maxLength: NAME_MAX }) ?? '';
    const enabled = readBoolean(input, 'enabled', errors) ?? true;
    const inboundFlowId = await readInboundFlow(this.store, accountId, input, errors);
    throwIfAny(errors);
    if (!checked.ok) throw AppError.validation([checked.error]);
    const added = await this.kind.add(this.store, accountId, { number: checked.number, name, enabled, inboundFlowId: inboundFlowId ?? null });
    if (added === 'duplicate') {
      throw new AppError('conflict', 'Conflict', this.kind.duplicate(checked.number), [
        { fieldName: 'number', errorCode: 'Duplicate', message: `This ${this.kind.what.toLowerCase()} is already registered` },
      ]);
    }
    return added;
  }

  list(accountId: string, query: Input): Promise<Page<T>> {
    const errors: FieldError[] = [];
    const page = readPage(query, errors, this.kind.sortFields);
    throwIfAny(errors);
    return this.kind.list(this.store, accountId, page);
  }

  async get(accountId: string, id: string): Promise<T> {
    checkId(id, this.kind.what);
    const found = await this.kind.get(this.store, accountId, id);
    if (!found) throw AppError.notFound(this.kind.what);
    return found;
  }

  async update(accountId: string, id: string, input: Input): Promise<T> {
    checkId(id, this.kind.what);
    const errors: FieldError[] = [];
    const name = readString(input, 'name', errors, { required: false, maxLength: NAME_MAX });
    const enabled = readBoolean(input, 'enabled', errors);
    if (pick(input, 'number') !== undefined) {
      errors.push({ fieldName: 'number', errorCode: 'ReadOnly', message: this.kind.readOnly });
    }
    const inboundFlowId = await readInboundFlow(this.store, accountId, input, errors);
    throwIfAny(errors);
    const change: LineChange = {};
    if (name !== undefined) change.name = name;
    if (enabled !== undefined) change.enabled = enabled;
    if (inboundFlowId !== undefined) change.inboundFlowId = inboundFlowId;
    const updated = await this.kind.update(this.store, accountId, id, change);
    if (!updated) throw AppError.notFound(this.kind.what);
    return updated;
  }

  async delete(accountId: string, id: string): Promise<void> {
    checkId(id, this.kind.what);
    if (!(await this.kind.delete(this.store, accountId, id))) throw AppError.notFound(this.kind.what);
  }
}

export type PhoneNumberService = InboundLineService<PhoneNumber>;
export type ExtensionService = InboundLineService<Extension>;

export function phoneNumberService(store: Store): PhoneNumberService {
  return new InboundLineService<PhoneNumber>(store, {
    what: 'Phone number',
    sortFields: SORT_FIELDS.phoneNumbers,
    check: (value) => {
      const checked = checkE164(value, 'number');
      return checked.ok ? { ok: true, number: checked.e164 } : checked;
    },
    duplicate: (number) => `${number} is already registered`,
    readOnly: 'number cannot be changed: delete and add the new number',
    add: (s, accountId, l) => s.addPhoneNumber(accountId, l.number, l.name, l.enabled, l.inboundFlowId),
    list: (s, accountId, page) => s.listPhoneNumbers(accountId, page),
    get: (s, accountId, id) => s.getPhoneNumber(accountId, id),
    update: (s, accountId, id, change) => s.updatePhoneNumber(accountId, id, change),
    delete: (s, accountId, id) => s.deletePhoneNumber(accountId, id),
  });
}

export function extensionService(store: Store): ExtensionService {
  return new InboundLineService<Extension>(store, {
    what: 'Extension',
    sortFields: SORT_FIELDS.extensions,
    check: (value) => {
      const checked = checkExtension(value, 'number');
      return checked.ok ? { ok: true, number: checked.extension } : checked;
    },
    duplicate: (number) => `the extension ${number} is already registered`,
    readOnly: 'number cannot be changed: delete the extension and add the new one',
    add: (s, accountId, l) => s.addExtension(accountId, l),
    list: (s, accountId, page) => s.listExtensions(accountId, page),
    get: (s, accountId, id) => s.getExtension(accountId, id),
    update: (s, accountId, id, change) => s.updateExtension(accountId, id, change),
    delete: (s, accountId, id) => s.deleteExtension(accountId, id),
  });
}
