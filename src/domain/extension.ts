// Lab extensions: short dial strings (a desk phone's "1001", an engine extension "8000") beside
// E.164 numbers. 2 to 8 digits, nothing else: safe as an Asterisk extension, in a dialplan pattern,
// a Stasis argument (no comma, no space) and a channel variable, and never mistaken for an E.164
// number (those start with '+').
import type { FieldError } from './errors.js';

export const EXTENSION = /^[0-9]{2,8}$/;
export const EXTENSION_SYNTAX = '2 to 8 digits, e.g. 8000';

export function isExtension(value: unknown): value is string {
  return typeof value === 'string' && EXTENSION.test(value);
}

export function checkExtension(value: unknown, fieldName: string): { ok: true; extension: string } | { ok: false; error: FieldError } {
  if (isExtension(value)) return { ok: true, extension: value };
  const message = value === undefined || value === null || value === ''
    ? `${fieldName} is required (an extension: ${EXTENSION_SYNTAX})`
    : `${fieldName} must be an extension, a string of ${EXTENSION_SYNTAX}`;
  return { ok: false, error: { fieldName, errorCode: 'InvalidExtension', message } };
}
