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

/** `?page=` (1-based, default 1) and `?countPerPage=` (default 25, at most 100). */
export function readPage(query: Input, errors: FieldError[]): PageRequest {
  return {
    page: positiveInt(pick(query, 'page'), 'page', 1_000_000, 1, errors),
    countPerPage: positiveInt(pick(query, 'countPerPage'), 'countPerPage', MAX_COUNT_PER_PAGE, DEFAULT_COUNT_PER_PAGE, errors),
  };
}
