// Webhook signatures (Stripe style): HMAC-SHA256 over `${timestamp}.${body}` with the
// destination's secret. docs/webhooks.md shows the receiver's side with this same procedure.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Engine-Signature';
export const TIMESTAMP_HEADER = 'X-Engine-Timestamp';
export const EVENT_ID_HEADER = 'X-Engine-Event-Id';
/** Receivers should refuse signatures older (or further in the future) than this. */
export const REPLAY_WINDOW_SEC = 300;

export function sign(secret: string, timestampSec: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex')}`;
}

/** The receiver's check: a valid signature made within the replay window. */
export function verify(secret: string, header: string | undefined, timestamp: string | undefined, body: string, nowSec = Math.floor(Date.now() / 1000)): boolean {
  if (!header || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  if (Math.abs(nowSec - ts) > REPLAY_WINDOW_SEC) return false;
  const expected = Buffer.from(sign(secret, ts, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
