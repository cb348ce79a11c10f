// Summaries of latency samples: the figures every table of the benchmark prints.

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles; an empty sample gives zeros with count 0 (reported as "n/a"). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: round(rank(50)),
    p95: round(rank(95)),
    p99: round(rank(99)),
    max: round(sorted[sorted.length - 1] ?? 0),
    mean: round(sum / sorted.length),
  };
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** engine / floor, or null when the floor figure is zero or absent (no meaningful ratio). */
export function ratio(engine: number, floor: number): number | null {
  if (!(floor > 0) || !Number.isFinite(engine)) return null;
  return round(engine / floor, 2);
}
