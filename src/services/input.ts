// Reading request fields the way ServiceStack binds them: camelCase or PascalCase names, unknown
// fields ignored, every problem reported as a field error under the camelCase name.
import { AppError, type FieldError } from '../domain/errors.js';
import type { PageRequest } from '../domain/model.js';

export type Input = Record<string, unknown>;

/** The value of `name` (camelCase) or its PascalCase twin. */
export function pick(input: Input, name: string): unknown {
  if (Object.hasOwn(input, name)) return input[name];
  const pascal = name.charAt(0).toUpperCase() + name.slice(1);
  return Object.hasOwn(input, pascal) ? input[pascal] : undefined;
}

/** Absent, null and empty strings all mean "not given". */
export function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

export function readString(
  input: Input, name: string, errors: FieldError[], opts: { required: boolean; maxLength: number },
): string | undefined {
  const v = pick(input, name);
  if (isAbsent(v)) {
    if (opts.required) errors.push({ fieldName: name, errorCode: 'NotEmpty', message: `${name} is required` });
    return undefined;
  }
  if (typeof v !== 'string') {
    errors.push({ fieldName: name, errorCode: 'InvalidType', message: `${name} must be a string` });
    return undefined;
  }
  if (v.length > opts.maxLength) {
    errors.push({ fieldName: name, errorCode: 'MaxLength', message: `${name} must be at most ${opts.maxLength} characters` });
    return undefined;
  }
  return v;
}

export function readBoolean(input: Input, name: string, errors: FieldError[]): boolean | undefined {
  const v = pick(input, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  // XML and query strings carry booleans as text.
  if (v === 'true' || v === 'false') return v === 'true';
  errors.push({ fieldName: name, errorCode: 'InvalidType', message: `${name} must be true or false` });
  return undefined;
}

export function throwIfAny(errors: FieldError[]): void {
  if (errors.length > 0) throw AppError.validation(errors);
}

export const DEFAULT_COUNT_PER_PAGE = 25;
export const MAX_COUNT_PER_PAGE = 100;

function positiveInt(raw: unknown, name: string, max: number, fallback: number, errors: FieldError[]): number {
  if (raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : typeof raw === 'number' ? raw : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    errors.push({ fieldName: name, errorCode: 'InvalidValue', message: `${name} must be an integer from 1 to ${max}` });
    return fallback;
  }
  return n;
}

/** `all` answers one page of at most this many. */
export const MAX_ALL_ITEMS = 1000;
const MAX_SPECIFIC_IDS = 100;

/**
 * ServiceStack's ListRequest: `page` (1-based, default 1), `countPerPage` (default 25, at most 100),
 * `all`, `specificIds`, `sortField` (one of `sortFields`) and `sortOrder` (Ascend/Descend).
 */
export function readPage(query: Input, errors: FieldError[], sortFields: readonly string[]): PageRequest {
  const request: PageRequest = {
    page: positiveInt(pick(query, 'page'), 'page', 1_000_000, 1, errors),
    countPerPage: positiveInt(pick(query, 'countPerPage'), 'countPerPage', MAX_COUNT_PER_PAGE, DEFAULT_COUNT_PER_PAGE, errors),
  };
  if (readBoolean(query, 'all', errors) === true) {
    request.page = 1;
    request.countPerPage = MAX_ALL_ITEMS;
  }
  const ids = pick(query, 'specificIds');
  if (!isAbsent(ids)) {
    const list = typeof ids === 'string' ? ids.split(',') : ids;
    if (!Array.isArray(list) || list.length > MAX_SPECIFIC_IDS || !list.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 128)) {
      errors.push({ fieldName: 'specificIds', errorCode: 'InvalidValue', message: `specificIds must be a list of at most ${MAX_SPECIFIC_IDS} ids` });
    } else request.ids = list as string[];
  }
  const field = readString(query, 'sortField', errors, { required: false, maxLength: 40 });
  const order = readString(query, 'sortOrder', errors, { required: false, maxLength: 10 });
  if (field !== undefined && !sortFields.includes(field)) {
    errors.push({ fieldName: 'sortField', errorCode: 'InvalidValue', message: `sortField must be one of ${sortFields.join(', ')}` });
  } else if (order !== undefined && order !== 'Ascend' && order !== 'Descend') {
    errors.push({ fieldName: 'sortOrder', errorCode: 'InvalidValue', message: 'sortOrder must be Ascend or Descend' });
  } else if (field !== undefined || order !== undefined) {
    request.sort = { field: field ?? 'dateCreated', descending: order === 'Descend' };
  }
  return request;
}
