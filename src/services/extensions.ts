// Lab extensions of an account (docs/api.md, "Extensions"): the short dial strings a lab phone
// calls to reach one of the account's flows. Scoped like phone numbers: another account's
// extension is reported exactly as a missing one.
import { AppError, type FieldError } from '../domain/errors.js';
import type { Extension, Page } from '../domain/model.js';
import { SORT_FIELDS } from '../domain/model.js';
import { checkExtension } from '../domain/extension.js';
import type { Store } from '../store/store.js';
import { pick, readBoolean, readPage, readString, throwIfAny, type Input } from './input.js';
import { checkId, readInboundFlow } from './management.js';

const NAME_MAX = 200;

export class ExtensionService {
  constructor(private readonly store: Store) {}

  async add(accountId: string, input: Input): Promise<Extension> {
    const errors: FieldError[] = [];
    const checked = checkExtension(pick(input, 'number'), 'number');
    if (!checked.ok) errors.push(checked.error);
    const name = readString(input, 'name', errors, { required: false, maxLength: NAME_MAX }) ?? '';
    const enabled = readBoolean(input, 'enabled', errors) ?? true;
    const inboundFlowId = await readInboundFlow(this.store, accountId, input, errors);
    throwIfAny(errors);
    if (!checked.ok) throw AppError.validation([checked.error]);
    const added = await this.store.addExtension(accountId, { number: checked.extension, name, enabled, inboundFlowId: inboundFlowId ?? null });
    if (added === 'duplicate') {
      throw new AppError('conflict', 'Conflict', `the extension ${checked.extension} is already registered`, [
        { fieldName: 'number', errorCode: 'Duplicate', message: 'This extension is already registered' },
      ]);
    }
    return added;
  }

  list(accountId: string, query: Input): Promise<Page<Extension>> {
    const errors: FieldError[] = [];
    const page = readPage(query, errors, SORT_FIELDS.extensions);
    throwIfAny(errors);
    return this.store.listExtensions(accountId, page);
  }

  async get(accountId: string, id: string): Promise<Extension> {
    checkId(id, 'Extension');
    const found = await this.store.getExtension(accountId, id);
    if (!found) throw AppError.notFound('Extension');
    return found;
  }

  async update(accountId: string, id: string, input: Input): Promise<Extension> {
    checkId(id, 'Extension');
    const errors: FieldError[] = [];
    const name = readString(input, 'name', errors, { required: false, maxLength: NAME_MAX });
    const enabled = readBoolean(input, 'enabled', errors);
    if (pick(input, 'number') !== undefined) {
      errors.push({ fieldName: 'number', errorCode: 'ReadOnly', message: 'number cannot be changed: delete the extension and add the new one' });
    }
    const inboundFlowId = await readInboundFlow(this.store, accountId, input, errors);
    throwIfAny(errors);
    const change: { name?: string; enabled?: boolean; inboundFlowId?: string | null } = {};
    if (name !== undefined) change.name = name;
    if (enabled !== undefined) change.enabled = enabled;
    if (inboundFlowId !== undefined) change.inboundFlowId = inboundFlowId;
    const updated = await this.store.updateExtension(accountId, id, change);
    if (!updated) throw AppError.notFound('Extension');
    return updated;
  }

  async delete(accountId: string, id: string): Promise<void> {
    checkId(id, 'Extension');
    if (!(await this.store.deleteExtension(accountId, id))) throw AppError.notFound('Extension');
  }
}
