/**
 * Fetches metric histories for charts. Long histories come sampled from the server
 * (`get-history-bulk-interval`, at most 2500 steps); a server without that endpoint falls back to
 * paged `get-history`, capped, and sampled here.
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

export async function fetchHistories(runIds: string[], key: string, steps?: { start: number; end: number }): Promise<Map<string, History>> {
  const result = new Map<string, History>();
  if (!bulkIntervalMissing) {
    try {
      for (let i = 0; i < runIds.length; i += 100) {
        const body = await get<{ metrics?: Metric[] }>("metrics/get-history-bulk-interval", {
          run_ids: runIds.slice(i, i + 100),
          metric_key: key,
          max_results: maxChartPoints,
          start_step: steps?.start,
          end_step: steps?.end,
        });
        for (const id of runIds.slice(i, i + 100)) result.set(id, { points: [], truncated: false });
        for (const m of body.metrics ?? []) result.get(m.run_id!)?.points.push(toPoint(m));
      }
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
