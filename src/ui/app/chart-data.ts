/**
 * Turns fetched metric histories into what a chart draws: one series per run (or per group of
 * runs, their mean at each step), x as step, wall time or relative time, EMA smoothing, and the
 * series aligned on one x array for uPlot without uPlot.join's cost for 100 series.
 */

import type uPlot from "uplot";
import type { History, Point } from "./history.ts";

export type XAxis = "step" | "wall" | "relative";

export interface ChartSettings {
  x: XAxis;
  smoothing: number;
  log: boolean;
}

export interface ChartRun {
  id: string;
  name: string;
  startTime?: number;
  color?: string;
}

/** Runs drawn as one series: the mean of their values at each step. */
export interface RunGroup {
  name: string;
  color: string;
  runIds: string[];
}

export interface Series {
  name: string;
  color: string;
  points: Point[];
  startTime?: number;
}

/** The series of a chart: its runs, or its groups' means. */
export function chartSeries(runs: ChartRun[], histories: Map<string, History>, colors: string[], groups?: RunGroup[]): Series[] {
  if (!groups) return runs.map((run, i) => ({ name: run.name, color: colors[i]!, points: histories.get(run.id)?.points ?? [], startTime: run.startTime }));
  const starts = new Map(runs.map((r) => [r.id, r.startTime]));
  return groups.map((group) => {
    const sums = new Map<number, { value: number; timestamp: number; count: number }>();
    for (const id of group.runIds) {
      for (const p of histories.get(id)?.points ?? []) {
        const sum = sums.get(p.step);
        if (sum) {
          sum.value += p.value;
          sum.count++;
          sum.timestamp = Math.min(sum.timestamp, p.timestamp);
        } else sums.set(p.step, { value: p.value, timestamp: p.timestamp, count: 1 });
      }
    }
    const points = [...sums].map(([step, s]) => ({ step, timestamp: s.timestamp, value: s.value / s.count })).sort((a, b) => a.step - b.step);
    const startTime = Math.min(...group.runIds.map((id) => starts.get(id) ?? Infinity));
    return { name: group.name, color: group.color, points, startTime: Number.isFinite(startTime) ? startTime : undefined };
  });
}

/** TensorBoard-style debiased exponential moving average. */
function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    count++;
    return last / (1 - Math.pow(weight, count));
  });
}

function xOf(settings: ChartSettings, start: number, p: Point): number {
  if (settings.x === "step") return p.step;
  if (settings.x === "wall") return p.timestamp / 1000;
  return (p.timestamp - start) / 1000;
}

/** One x array (sorted, distinct) and one y array per series, null where a series has no point. */
export function alignedData(series: Series[], settings: ChartSettings): uPlot.AlignedData {
  const tables = series.map((s) => {
    let first = Infinity;
    for (let i = 0; i < Math.min(1000, s.points.length); i++) first = Math.min(first, s.points[i]!.timestamp);
    const start = s.startTime ?? (Number.isFinite(first) ? first : 0);
    const pairs = s.points.map((p) => [xOf(settings, start, p), p.value] as const).sort((a, b) => a[0] - b[0]);
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    for (const [x, y] of pairs) {
      const value = settings.log && !(y > 0) ? null : Number.isFinite(y) ? y : null;
      if (xs.length && xs[xs.length - 1] === x) {
        ys[ys.length - 1] = value; // one value per x: the later point wins
        continue;
      }
      xs.push(x);
      ys.push(value);
    }
    return { xs, ys: smooth(ys, settings.smoothing) };
  });
  // Most charts' series share their steps: reuse the first x array when every series has it.
  const first = tables[0]?.xs ?? [];
  const shared = tables.every((t) => t.xs.length === first.length && t.xs.every((x, i) => x === first[i]));
  if (shared) return [first, ...tables.map((t) => t.ys)] as uPlot.AlignedData;
  const all = new Set<number>();
  for (const t of tables) for (const x of t.xs) all.add(x);
  const xs = Float64Array.from(all).sort();
  const index = new Map<number, number>();
  xs.forEach((x, i) => index.set(x, i));
  const columns = tables.map((t) => {
    const ys: (number | null)[] = new Array(xs.length).fill(null);
    t.xs.forEach((x, i) => (ys[index.get(x)!] = t.ys[i]!));
    return ys;
  });
  return [Array.from(xs), ...columns] as uPlot.AlignedData;
}
