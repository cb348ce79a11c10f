// Stopping with live calls: they may finish by themselves for up to drainMs; then the engine hangs
// them up, waits for Asterisk to confirm, and settles whatever is left (ARI may be gone), so that
// no session stays live in the store.
import type { Logger } from '../log.js';
import type { CallSession } from './call-session.js';
import type { LiveCalls } from './live-calls.js';

export async function drainCalls(calls: LiveCalls<CallSession>, opts: { drainMs: number; hangupConfirmMs: number; logger: Logger }): Promise<void> {
  const { logger } = opts;
  const all = (): Promise<void> => Promise.all(calls.calls().map((c) => c.ended$())).then(() => undefined);
  const within = (ms: number): Promise<void> => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void all().then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  if (calls.size() > 0) {
    logger.info({ liveCalls: calls.size(), drainMs: opts.drainMs }, 'draining live calls');
    await within(opts.drainMs);
  }
  if (calls.size() === 0) return;
  logger.info({ liveCalls: calls.size() }, 'drain time elapsed: hanging up the remaining calls');
  for (const call of calls.calls()) call.stop('engine stopping: drain time elapsed, the engine hung up');
  await within(opts.hangupConfirmMs + 1_000);
  for (const call of calls.calls()) {
    call.conclude(call.isAnswered() ? 'failed' : 'canceled', 'engine stopped before the call ended (ARI did not confirm the hangup)');
  }
  await within(1_000);
}
