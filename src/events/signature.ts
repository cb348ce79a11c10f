// Webhook signatures. Every delivery carries two:
// - Standard Webhooks (https://www.standardwebhooks.com/): `webhook-id` (the event id),
//   `webhook-timestamp` (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`,
//   so receivers verify with a maintained library (npm `standardwebhooks`, and the same in Python,
//   Go, C#...); the library's key is `standardSecret(secret)`.
// - Legacy (Stripe style, kept for existing receivers): `X-Engine-Signature: v1=<hex HMAC-SHA256 of
//   timestamp.body>` keyed by the secret's text as stored.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Engine-Signature';
export const TIMESTAMP_HEADER = 'X-Engine-Timestamp';
export const EVENT_ID_HEADER = 'X-Engine-Event-Id';
export const STANDARD_ID_HEADER = 'webhook-id';
export const STANDARD_TIMESTAMP_HEADER = 'webhook-timestamp';
export const STANDARD_SIGNATURE_HEADER = 'webhook-signature';
/** Receivers should refuse signatures older (or further in the future) than this (the libraries' own tolerance). */
export const REPLAY_WINDOW_SEC = 300;

/** `whsec_` and canonical standard base64 of at least 16 bytes: the form the libraries decode. */
const STANDARD_FORM = /^whsec_((?:[A-Za-z0-9+/]{4}){5,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/;

/**
 * The HMAC key of the Standard Webhooks signature. A secret already in the libraries' form
 * (`whsec_` + base64, as the engine generates them) is that key, base64-decoded, exactly as the
 * libraries read it. Any other secret (one a user chose, or one generated before secrets were
 * standard base64) keys with its UTF-8 bytes, and `standardSecret` gives receivers the
 * `whsec_` form of those bytes.
 */
export function standardKey(secret: string): Buffer {
  const m = STANDARD_FORM.exec(secret);
  if (m) {
    const bytes = Buffer.from(m[1]!, 'base64');
    if (bytes.toString('base64') === m[1]) return bytes;
  }
  return Buffer.from(secret, 'utf8');
}

/** What a receiver passes to a Standard Webhooks library: the secret itself when already in that form. */
export function standardSecret(secret: string): string {
  return `whsec_${standardKey(secret).toString('base64')}`;
}

/** `v1,<base64>` over `${id}.${timestampSec}.${body}`. */
export function signStandard(secret: string, id: string, timestampSec: number, body: string): string {
  return `v1,${createHmac('sha256', standardKey(secret)).update(`${id}.${timestampSec}.${body}`).digest('base64')}`;
}

/** The headers of one delivery attempt: both signatures, made at `timestampSec`. */
export function signedHeaders(secret: string, eventId: string, timestampSec: number, body: string): Record<string, string> {
  return {
    [STANDARD_ID_HEADER]: eventId,
    [STANDARD_TIMESTAMP_HEADER]: String(timestampSec),
    [STANDARD_SIGNATURE_HEADER]: signStandard(secret, eventId, timestampSec, body),
    [SIGNATURE_HEADER]: sign(secret, timestampSec, body),
    [TIMESTAMP_HEADER]: String(timestampSec),
    [EVENT_ID_HEADER]: eventId,
  };
}

/** The legacy `X-Engine-Signature` value. */
export function sign(secret: string, timestampSec: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex')}`;
}

/** The receiver's check of the legacy signature: valid and made within the replay window. */
export function verify(secret: string, header: string | undefined, timestamp: string | undefined, body: string, nowSec = Math.floor(Date.now() / 1000)): boolean {
  if (!header || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  if (Math.abs(nowSec - ts) > REPLAY_WINDOW_SEC) return false;
  const expected = Buffer.from(sign(secret, ts, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

