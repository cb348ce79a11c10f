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

/**
 * `sound:http(s)://…`, or the plain `http(s)://…` URL people paste (stored as written, sent to
 * Asterisk as `sound:…`, see `asteriskMedia`): Asterisk 22 fetches it (res_http_media_cache) and
 * plays it by the extension of its path. Only the syntax is checked here; where it may point (no
 * private or metadata addresses) is the destination policy's, applied when the flow is saved.
 */
const MEDIA_URL = /^https?:\/\/[A-Za-z0-9.\-[\]:]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~!$&'()*+;=:@%\/-]*)?(?:\?[A-Za-z0-9._~!$&'()*+;=:@%\/?-]*)?$/;
const PLAIN_URL = /^https?:\/\//;

/** The http(s) URL of a media URI (`sound:https://…` or plain `https://…`), else undefined. */
export function mediaUrl(uri: string): string | undefined {
  if (PLAIN_URL.test(uri)) return uri;
  return /^sound:https?:\/\//.test(uri) ? uri.slice('sound:'.length) : undefined;
}

/** The media URI as Asterisk takes it: a plain http(s) URL becomes `sound:<url>`, the rest as is. */
export function asteriskMedia(uri: string): string {
  return PLAIN_URL.test(uri) ? `sound:${uri}` : uri;
}

export function checkMediaUri(uri: unknown, field: string): FieldError | undefined {
  const bad = (message: string): FieldError => ({ fieldName: field, errorCode: 'InvalidMediaUri', message });
  if (typeof uri !== 'string') return bad(`${field} must be a string media URI such as sound:hello-world`);
  const url = mediaUrl(uri);
  const max = url !== undefined ? FLOW_LIMITS.maxMediaUrlLength : FLOW_LIMITS.maxMediaUriLength;
  if (uri.length > max) return bad(`${field} must be at most ${max} characters`);
  if (!safeText(uri)) return bad(`${field} must not contain control characters`);
  if (uri.includes(',')) return bad(`${field} must hold one media URI (a comma would split it in two)`);
  if (url !== undefined) {
    return MEDIA_URL.test(url) ? undefined : bad(`${field} has an invalid media URL (http or https, no spaces or commas)`);
  }
  const colon = uri.indexOf(':');
  const scheme = colon > 0 ? uri.slice(0, colon) : '';
  if (!(MEDIA_SCHEMES as readonly string[]).includes(scheme)) {
    return bad(`${field} must be an http(s) URL or start with one of ${MEDIA_SCHEMES.map((s) => `${s}:`).join(', ')}`);
  }
  const value = uri.slice(colon + 1);
  if (value === '' || !MEDIA_VALUE[scheme as (typeof MEDIA_SCHEMES)[number]].test(value)) {
    return bad(`${field} has an invalid ${scheme}: value`);
  }
  return undefined;
}
