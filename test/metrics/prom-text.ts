// Reading the Prometheus text format in the metrics tests.
import { waitUntil } from '../support/wait-until.js';

/** The value of one sample (0 when the series does not exist yet); `labels` must match exactly. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(m[3]);
  }
  return 0;
}

/** Scrapes until the text satisfies `ok`: the metrics are the event waited for. */
export async function scrapeUntil(scrape: () => Promise<string>, ok: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  let text = '';
  return waitUntil(async () => {
    text = await scrape();
    return ok(text) ? text : undefined;
  }, { message: () => `the expected metrics; last scrape:\n${text.split('\n').filter((l) => l.startsWith('engine_webhook')).join('\n')}`, timeoutMs, intervalMs: 20 });
}
