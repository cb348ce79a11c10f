// A failed ARI request is an Error whose message is Asterisk's JSON body (with the HTTP status), a
// bare string for a missing path parameter, or a Node socket error from the transport. This turns
// each into a typed PortResult failure. Asterisk's bodies are `{"message": "..."}` or,
// for an allocation failure, `{"error": "Allocation failed"}` (see res/ari/resource_channels.c).
import type { PortResult } from '../port.js';

export type PortFailure = Extract<PortResult, { ok: false }>;

/** Node error codes meaning "Asterisk could not be reached / did not answer in time". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND',
  'EAI_AGAIN', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET', 'ERR_ARI_TIMEOUT', 'ERR_ARI_NOT_CONNECTED',
]);

/** Asterisk messages of 409 / 412 answers: the resource exists or is in the wrong state. */
const CONFLICT_MESSAGES = [
  /already exists/i,
  /not in (a )?Stasis application/i,
  /in invalid state/i,
  /cannot be performed in the playback's current state/i,
  /currently bridged/i,
];
/** Asterisk messages of 400 / 422 answers: our request was malformed. */
const INVALID_MESSAGES = [/^Invalid /i, /must be specified/i, /is required/i, /not provided/i, /unknown on this system/i, /does not contain/i];

function codeOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

function bodyOf(err: unknown): { message?: string; error?: string } | undefined {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : undefined;
  if (text === undefined || !text.trimStart().startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const rec = parsed as Record<string, unknown>;
    return {
      message: typeof rec.message === 'string' ? rec.message : undefined,
      error: typeof rec.error === 'string' ? rec.error : undefined,
    };
  } catch {
    return undefined;
  }
}

/** `status`: the HTTP status of Asterisk's answer, when there was one. */
export function mapAriError(err: unknown, status?: number): PortFailure {
  const code = codeOf(err);
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) {
    return { ok: false, kind: 'unavailable', message: `ARI unreachable (${code})` };
  }
  const body = bodyOf(err);
  if (body?.error !== undefined) {
    // `{"error": "Allocation failed"}`: Asterisk could not create the channel (unknown endpoint,
    // unregistered phone, shutting down): a 500 that retrying will not fix.
    return { ok: false, kind: 'failed', message: body.error };
  }
  const message = body?.message;
  if (message !== undefined) {
    if (/not found$/i.test(message) || /can not be found/i.test(message)) return { ok: false, kind: 'not-found', message };
    if (CONFLICT_MESSAGES.some((re) => re.test(message))) return { ok: false, kind: 'conflict', message };
    if (INVALID_MESSAGES.some((re) => re.test(message))) return { ok: false, kind: 'invalid', message };
    if (/not booted/i.test(message)) return { ok: false, kind: 'unavailable', message };
    return { ok: false, kind: 'failed', message };
  }
  if (typeof err === 'string' && /required path param/.test(err)) return { ok: false, kind: 'invalid', message: err };
  return { ok: false, kind: 'failed', message: status === undefined ? 'unexpected ARI error' : `unexpected ARI answer (HTTP ${status})` };
}
