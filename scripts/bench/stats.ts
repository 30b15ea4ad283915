/** Latency summaries for the benchmark: nearest-rank percentiles over milliseconds. */

export interface Latency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summarize(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length ? percentile([...finite].sort((a, b) => a - b), 50) : NaN;
}

/** The median of each numeric field across repeated results of the same shape (recursively). */
export function medianOf<T>(results: readonly T[]): T {
  const [first] = results;
  if (results.length <= 1 || first === null || typeof first !== "object") {
    if (typeof first === "number") return median(results as readonly number[]) as T;
    return first as T;
  }
  if (Array.isArray(first)) return first as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(first)) {
    out[key] = medianOf(results.map((r) => (r as Record<string, unknown>)[key]));
  }
  return out as T;
}
