/**
 * MLflow's step sampling for metric charts (get-history-bulk-interval) as pure arithmetic over a
 * sorted step sequence, which may be a dense interval union never materialized (see dense-steps.ts).
 */

/** Sorted distinct steps, read by position: a plain list, or a union of dense intervals. */
export interface StepSequence {
  readonly length: number;
  at(position: number): number;
}

export function stepList(steps: readonly number[]): StepSequence {
  return { length: steps.length, at: (i) => steps[i] as number };
}

/**
 * The union of integer intervals [lo, hi] as a sorted step sequence, without materializing it:
 * a run that logged each step from lo to hi once needs no scan of its history to be sampled.
 */
export function intervalUnion(intervals: readonly (readonly [number, number])[]): StepSequence {
  const merged: [number, number][] = [];
  for (const [lo, hi] of [...intervals].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  const offsets: number[] = [];
  let length = 0;
  for (const [lo, hi] of merged) {
    offsets.push(length);
    length += hi - lo + 1;
  }
  return {
    length,
    at(position) {
      let a = 0;
      let b = merged.length - 1;
      while (a < b) {
        const mid = (a + b + 1) >> 1;
        if ((offsets[mid] as number) <= position) a = mid;
        else b = mid - 1;
      }
      return (merged[a] as [number, number])[0] + position - (offsets[a] as number);
    },
  };
}

/** First position whose step is at least `step` (binary search). */
function lowerBound(steps: StepSequence, step: number): number {
  let a = 0;
  let b = steps.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (steps.at(mid) < step) a = mid + 1;
    else b = mid;
  }
  return a;
}

/**
 * MLflow's step sampling for charts: `maxResults` steps spread evenly (by position) over the
 * sorted distinct steps in [start, end], plus the last one in range.
 */
export function sampleSteps(
  all: StepSequence | readonly number[],
  start: number,
  end: number,
  maxResults: number,
): number[] {
  const steps = Array.isArray(all) ? stepList(all) : (all as StepSequence);
  const from = lowerBound(steps, start);
  const to = lowerBound(steps, end + 1);
  const count = to - from;
  if (count <= 0) return [];
  if (count <= maxResults) return Array.from({ length: count }, (_, i) => steps.at(from + i));
  const interval = count / maxResults;
  const sampled: number[] = [];
  for (let i = 0; i < maxResults; i++) {
    // MLflow compares the index with the count, not the end (a quirk kept for identical output).
    const index = from + Math.floor(i * interval);
    if (index < count) sampled.push(steps.at(index));
  }
  sampled.push(steps.at(to - 1));
  return sampled;
}
