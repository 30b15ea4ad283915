/**
 * Fetches metric histories for charts. Long histories come sampled from the server
 * (`get-history-bulk-interval`, at most 2500 steps); a server without that endpoint falls back to
 * paged `get-history`, capped, and sampled here. A zoomed step range is fetched again in pieces of
 * at most 2500 steps, each answered in full: MLflow's sampling of a sub-range that holds more
 * steps than `max_results` returns only the steps whose position is below the range's count (for a
 * range far into a long history: one or two), so it is never asked to sample a sub-range.
 */

import { ApiError, get, type Metric } from "./api.ts";
import { toNumber } from "./format.ts";

export interface Point {
  step: number;
  timestamp: number;
  value: number;
}

export interface History {
  points: Point[];
  /** The fallback stopped before the end of the history. */
  truncated: boolean;
}

export const maxChartPoints = 2500;
const fallbackCap = 100_000;
let bulkIntervalMissing = false;

function toPoint(m: Metric): Point {
  return { step: m.step ?? 0, timestamp: m.timestamp, value: toNumber(m.value) };
}

/** Keeps at most `max` points, evenly spread, always the first and the last. */
export function samplePoints<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const out: T[] = [];
  const stride = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * stride)]!);
  return out;
}

async function fullHistory(runId: string, key: string): Promise<History> {
  const points: Point[] = [];
  let token: string | undefined;
  do {
    const page = await get<{ metrics?: Metric[]; next_page_token?: string }>("metrics/get-history", {
      run_id: runId,
      metric_key: key,
      max_results: 25000,
      page_token: token,
    });
    for (const m of page.metrics ?? []) points.push(toPoint(m));
    token = page.next_page_token;
  } while (token && points.length < fallbackCap);
  points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  return { points: samplePoints(points, maxChartPoints), truncated: Boolean(token) };
}

/** Whether zooming can fetch finer samples of a step range from the server. */
export function canFetchStepRange(): boolean {
  return !bulkIntervalMissing;
}

/** Runs per get-history-bulk-interval request (the endpoint's limit). */
const runsPerRequest = 100;

/**
 * Sampled points per run for a chart of `runs` runs: the server's most for a few runs, fewer for
 * many (a chart is a few hundred pixels wide; 100 runs x 2500 points would be 25 MB of JSON, and the server serves one request at a time; zooming fetches the detail).
 */
export function pointsPerRun(runs: number): number {
  return runs <= 10 ? maxChartPoints : Math.max(100, Math.floor(15_000 / runs));
}

async function bulkInterval(runIds: string[], key: string, steps?: { start: number; end: number }, maxResults = maxChartPoints): Promise<Metric[]> {
  const body = await get<{ metrics?: Metric[] }>("metrics/get-history-bulk-interval", {
    run_ids: runIds,
    metric_key: key,
    max_results: maxResults,
    start_step: steps?.start,
    end_step: steps?.end,
  });
  return body.metrics ?? [];
}

export async function fetchHistories(runIds: string[], key: string): Promise<Map<string, History>> {
  const result = new Map<string, History>();
  if (!bulkIntervalMissing) {
    try {
      const batches: string[][] = [];
      for (let i = 0; i < runIds.length; i += runsPerRequest) batches.push(runIds.slice(i, i + runsPerRequest));
      const answers = await Promise.all(batches.map((batch) => bulkInterval(batch, key, undefined, pointsPerRun(runIds.length))));
      for (const id of runIds) result.set(id, { points: [], truncated: false });
      for (const metrics of answers) for (const m of metrics) result.get(m.run_id!)?.points.push(toPoint(m));
      return result;
    } catch (error) {
      if (!(error instanceof ApiError && error.missing)) throw error;
      bulkIntervalMissing = true;
    }
  }
  const histories = await Promise.all(runIds.map((id) => fullHistory(id, key)));
  runIds.forEach((id, i) => result.set(id, histories[i]!));
  return result;
}

/** At most this many points (runs x steps) are fetched for one zoomed range. */
const zoomPointBudget = 250_000;

/** Runs `tasks` at most `limit` at a time. */
async function inParallel<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/**
 * The points of steps [min, max] at full detail, merged into `overview` (so the chart keeps its
 * context outside the range): the range is asked in pieces of at most `maxChartPoints` steps,
 * which the server answers unsampled. A range wider than the point budget allows keeps the
 * overview's points there and adds the pieces evenly spread over it.
 */
export async function fetchStepRange(runIds: string[], key: string, min: number, max: number, overview: Map<string, History>): Promise<Map<string, History>> {
  const lo = Math.max(0, Math.ceil(min));
  const hi = Math.floor(max);
  const pieces: { start: number; end: number }[] = [];
  if (hi >= lo) {
    const span = hi - lo + 1;
    const needed = Math.ceil(span / maxChartPoints);
    const allowed = Math.max(1, Math.floor(zoomPointBudget / (maxChartPoints * Math.max(1, runIds.length))));
    const count = Math.min(needed, allowed);
    // Evenly spread pieces: all of them (contiguous) when the budget allows.
    for (let i = 0; i < count; i++) {
      const start = count === needed ? lo + i * maxChartPoints : lo + Math.floor((i * (span - maxChartPoints)) / Math.max(1, count - 1));
      pieces.push({ start, end: Math.min(hi, start + maxChartPoints - 1) });
    }
  }
  const tasks: (() => Promise<Metric[]>)[] = [];
  for (const piece of pieces) {
    for (let i = 0; i < runIds.length; i += runsPerRequest) tasks.push(() => bulkInterval(runIds.slice(i, i + runsPerRequest), key, piece));
  }
  const answers = await inParallel(tasks, 4);
  const detail = new Map<string, Point[]>(runIds.map((id) => [id, []]));
  for (const metrics of answers) for (const m of metrics) detail.get(m.run_id!)?.push(toPoint(m));
  const result = new Map<string, History>();
  for (const id of runIds) {
    const fine = detail.get(id)!;
    const fetched = new Set(fine.map((p) => p.step));
    // Overview points outside the fetched pieces stay (their steps were not asked again).
    const covered = (step: number) => pieces.some((p) => step >= p.start && step <= p.end);
    const kept = (overview.get(id)?.points ?? []).filter((p) => !covered(p.step) && !fetched.has(p.step));
    const points = kept.concat(fine).sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    result.set(id, { points, truncated: overview.get(id)?.truncated ?? false });
  }
  return result;
}
