// The webhook delivery metrics, fed at the delivery worker's one seam (its observer); labels are
// the attempt's kind, never a URL or an account. (The backlog gauge is read at scrape time.)
import type { AttemptObservation, DeliveryObserver } from '../events/delivery-worker.js';
import type { PostOutcome } from '../events/http-post.js';
import type { EngineMetrics } from './engine-metrics.js';

/** The `outcome` label of an attempt, from what postJson reported. */
export function attemptOutcome(r: PostOutcome): string {
  if (r.error === null) return 'delivered';
  if (r.statusCode !== null) return 'http-error';
  if (r.error.startsWith('timed out')) return 'timeout';
  if (r.error.startsWith('destination refused')) return 'destination-refused';
  return 'connection-error';
}

export function webhookObserver(metrics: EngineMetrics): DeliveryObserver {
  return {
    attempted({ result, status, sinceCommitMs }: AttemptObservation) {
      metrics.webhookAttempts.inc({ outcome: attemptOutcome(result) });
      if (status === 'pending') return;
      metrics.webhookDeliveries.inc({ outcome: status });
      if (status === 'delivered') metrics.webhookDeliverySeconds.observe(Math.max(0, sinceCommitMs) / 1000);
    },
  };
}
