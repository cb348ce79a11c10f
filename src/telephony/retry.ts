// Waiting between attempts of a request to ARI (an originate, a reconciliation pass): capped
// exponential backoff with jitter, cut short when the engine stops.
import { backoffDelay } from './ari/backoff.js';
import type { PortResult, TelephonyPort } from './port.js';

export interface RetryPolicy { attempts: number; initialMs: number; maxMs: number }

/** Originate retries when ARI is unreachable or times out: 4 attempts, 250 ms → 4 s. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, initialMs: 250, maxMs: 4_000 };

/** Resolves true after the backoff delay of `attempt`, false at once (or as soon as) `stopping` fires. */
export function waitRetry(attempt: number, policy: RetryPolicy, stopping: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (stopping.aborted) {
      resolve(false);
      return;
    }
    const onStop = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      stopping.removeEventListener('abort', onStop);
      resolve(true);
    }, backoffDelay(attempt, policy));
    stopping.addEventListener('abort', onStop, { once: true });
  });
}

/**
 * Hangs up a channel no call of this engine runs (a refused inbound call, an originate given up),
 * retrying while ARI is unreachable or times out: an overloaded Asterisk that answers late would
 * otherwise keep such a call up, with nobody left to end it.
 */
export async function hangUpUnowned(
  port: Pick<TelephonyPort, 'hangup'>, channelId: string, reason: Parameters<TelephonyPort['hangup']>[1], policy: RetryPolicy, stopping: AbortSignal,
): Promise<PortResult> {
  for (let attempt = 0; ; attempt += 1) {
    const res = await port.hangup(channelId, reason);
    if (res.ok || res.kind !== 'unavailable' || attempt + 1 >= policy.attempts) return res;
    if (!(await waitRetry(attempt, policy, stopping))) return res;
  }
}
