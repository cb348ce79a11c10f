// Waiting for a condition instead of sleeping a fixed time and hoping it holds: `probe` runs until
// it gives a value (anything but false, undefined or null), which is returned; past the deadline
// (generous for a loaded machine) the wait fails with its message. Every poll in the tests goes
// through here, so none can spin without a deadline.
export interface WaitOptions {
  /** What is awaited: the failure reads "timed out after N ms waiting for <message>" (a function: read then). */
  message: string | (() => string);
  /** Default 15 s. */
  timeoutMs?: number;
  /** Pause between two probes; 0: the next turn of the event loop (a fake port's own pace). Default 10 ms. */
  intervalMs?: number;
}

export type Found<T> = Exclude<Awaited<T>, false | undefined | null>;

export async function waitUntil<T>(probe: () => T, opts: WaitOptions): Promise<Found<T>> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const intervalMs = opts.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (value === false || value === undefined || value === null) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof opts.message === 'string' ? opts.message : opts.message()}`);
    }
    await new Promise((resolve) => (intervalMs === 0 ? setImmediate(resolve) : setTimeout(resolve, intervalMs)));
    value = await probe();
  }
  return value as Found<T>;
}
