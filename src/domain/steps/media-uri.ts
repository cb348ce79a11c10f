// Media URIs a flow may play (playback media, gather prompts): ARI's schemes, each value checked
// so a flow cannot smuggle a second URI or a path outside the sounds directory.
import type { FieldError } from '../errors.js';
import { FLOW_LIMITS, safeText } from './limits.js';

export const MEDIA_SCHEMES = ['sound', 'recording', 'digits', 'number', 'characters', 'tone'] as const;

/** A stored file name: segments of safe characters, no `..`, not absolute. */
const FILE_PATH = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;
const MEDIA_VALUE: Record<(typeof MEDIA_SCHEMES)[number], RegExp> = {
  sound: FILE_PATH,
  recording: FILE_PATH,
  digits: /^[0-9*#]+$/,
  number: /^-?[0-9]{1,18}$/,
  characters: /^[A-Za-z0-9 .!?@*#+=_-]+$/,
  // Indication names (`ring`, `busy`), optionally `;tonezone=fr`, or a single tone `!425/500`.
  tone: /^[A-Za-z0-9!/+*;=._-]+$/,
};

export function checkMediaUri(uri: unknown, field: string): FieldError | undefined {
  const bad = (message: string): FieldError => ({ fieldName: field, errorCode: 'InvalidMediaUri', message });
  if (typeof uri !== 'string') return bad(`${field} must be a string media URI such as sound:hello-world`);
  if (uri.length > FLOW_LIMITS.maxMediaUriLength) return bad(`${field} must be at most ${FLOW_LIMITS.maxMediaUriLength} characters`);
  if (!safeText(uri)) return bad(`${field} must not contain control characters`);
  if (uri.includes(',')) return bad(`${field} must hold one media URI (a comma would split it in two)`);
  const colon = uri.indexOf(':');
  const scheme = colon > 0 ? uri.slice(0, colon) : '';
  if (!(MEDIA_SCHEMES as readonly string[]).includes(scheme)) {
    return bad(`${field} must start with one of ${MEDIA_SCHEMES.map((s) => `${s}:`).join(', ')}`);
  }
  const value = uri.slice(colon + 1);
  if (value === '' || !MEDIA_VALUE[scheme as (typeof MEDIA_SCHEMES)[number]].test(value)) {
    return bad(`${field} has an invalid ${scheme}: value`);
  }
  return undefined;
}
