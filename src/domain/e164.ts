// E.164 checks with libphonenumber-js and its full ("max") metadata: validity is decided by the
// numbering plans, not by a regex, so `+1814404309` (one digit short) and `+999123` (no such
// country code) fail while `+18144043093` passes.
import { parsePhoneNumberFromString, type PhoneNumber } from 'libphonenumber-js/max';
import type { FieldError } from './errors.js';

/** E.164 allows at most 15 digits after the '+'. */
const MAX_E164_DIGITS = 15;

function invalid(fieldName: string, message: string): { ok: false; error: FieldError } {
  return { ok: false, error: { fieldName, errorCode: 'InvalidPhoneNumber', message } };
}

export interface NumberInfo {
  country?: string;
  type?: string;
}

/** Valid numbers already parsed, kept (the oldest leaves first) up to this many. */
const KNOWN_NUMBERS = 1000;

/**
 * Numbers that passed, with their classification once asked for: parsing with the full metadata
 * costs about 0.1 ms, and the same caller IDs and destinations come back call after call. Only
 * valid numbers are kept (what a number is does not change while the metadata is loaded).
 */
const known = new Map<string, { parsed: PhoneNumber; info?: NumberInfo }>();

function remember(value: string, parsed: PhoneNumber): { parsed: PhoneNumber; info?: NumberInfo } {
  if (known.size >= KNOWN_NUMBERS) known.delete(known.keys().next().value!);
  const entry = { parsed };
  known.set(value, entry);
  return entry;
}

function infoOnce(entry: { parsed: PhoneNumber; info?: NumberInfo }): NumberInfo {
  entry.info ??= infoOf(entry.parsed);
  return { ...entry.info };
}

/** `info()` classifies the number from the parse already done (parsing is the costly part). */
export function checkE164(value: unknown, fieldName: string): { ok: true; e164: string; info: () => NumberInfo } | { ok: false; error: FieldError } {
  if (typeof value !== 'string') return invalid(fieldName, `${fieldName} must be a string in E.164 format, e.g. +18144043093`);
  if (value === '') return invalid(fieldName, `${fieldName} is required (E.164, e.g. +18144043093)`);
  if (!value.startsWith('+')) return invalid(fieldName, `${fieldName} must start with '+' and the country code (E.164, e.g. +18144043093)`);
  const seen = known.get(value);
  if (seen) return { ok: true, e164: value, info: () => infoOnce(seen) };
  const digits = value.slice(1);
  if (!/^[0-9]+$/.test(digits)) return invalid(fieldName, `${fieldName} may contain only digits after the '+' (E.164, e.g. +18144043093)`);
  if (digits.length > MAX_E164_DIGITS) return invalid(fieldName, `${fieldName} has more than ${MAX_E164_DIGITS} digits`);
  const parsed = parsePhoneNumberFromString(value);
  if (!parsed || !parsed.isValid() || parsed.number !== value) {
    return invalid(fieldName, `${fieldName} is not a valid phone number in any numbering plan`);
  }
  const entry = remember(value, parsed);
  return { ok: true, e164: value, info: () => infoOnce(entry) };
}

/** Country (ISO 3166-1 alpha-2) and libphonenumber-js type of a number that passed `checkE164`. */
export function numberInfo(e164: string): NumberInfo {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed ? infoOf(parsed) : {};
}

function infoOf(parsed: PhoneNumber): NumberInfo {
  const info: NumberInfo = {};
  if (parsed.country !== undefined) info.country = parsed.country;
  const type = parsed.getType();
  if (type !== undefined) info.type = type;
  return info;
}
