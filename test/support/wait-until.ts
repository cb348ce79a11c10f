// Waiting for a condition instead of sleeping a fixed time and hoping it holds: the probe runs
// until it is true (or the deadline, generous for a loaded machine, passes with a message).
export async function waitUntil(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
