/**
 * Which (run, metric key) histories are known to be dense: every step from the first to the last
 * one logged. Sampling a dense history for charts needs only its first and last step, while
 * proving density means counting every distinct step.
 *
 * Metric points are never deleted one by one (only whole runs are), so a range found dense stays
 * dense whoever writes to the database afterwards: new points can only add steps, and if the
 * first or last step moves, only the steps outside the known range need counting. That makes this
 * per-process memory safe for several fml processes on one database.
 */
export class DenseStepRanges {
  private readonly ranges = new Map<string, readonly [number, number]>();

  constructor(private readonly capacity = 10_000) {}

  get(runId: string, key: string): readonly [number, number] | undefined {
    return this.ranges.get(`${runId}\u0000${key}`);
  }

  set(runId: string, key: string, range: readonly [number, number]): void {
    const id = `${runId}\u0000${key}`;
    this.ranges.delete(id);
    this.ranges.set(id, range);
    // Maps iterate in insertion order: the first entry is the one used longest ago.
    if (this.ranges.size > this.capacity) this.ranges.delete(this.ranges.keys().next().value as string);
  }

  delete(runId: string, key: string): void {
    this.ranges.delete(`${runId}\u0000${key}`);
  }
}
