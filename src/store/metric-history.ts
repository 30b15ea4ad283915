/**
 * Metric histories: one run's history (paged or streamed), several runs' histories at once, and
 * MLflow's sampled history for charts (get-history-bulk-interval), which reads only the points at
 * the sampled steps.
 */

import type { Database, Reader, Row } from "./db/database.ts";
import type { DenseStepRanges } from "./dense-steps.ts";
import { list, noLimit, pgArrayLiteral, raw, sql, type Sql } from "./db/sql.ts";
import { METRICS_RUN_KEY_STEP_INDEX } from "./schema/fml-indexes.ts";
import { decodeMetric, integer, optionalInteger, text } from "./rows.ts";
import { runState } from "./runs.ts";
import { intervalUnion, sampleSteps, stepList, type StepSequence } from "./step-sampling.ts";
import type { BulkIntervalQuery, Metric, MetricHistoryQuery, MetricWithRunId, Page } from "./types.ts";

/** Rows per batch when a metric history is streamed. */
const HISTORY_BATCH = 5000;

/**
 * The metrics table, read through the (run_uuid, key, step) index. Without statistics (a database
 * that grew since its last ANALYZE) SQLite prefers the covering primary key ("key", timestamp, …)
 * and reads that key's rows of every run in the database: the UI's compare of 100 runs took
 * seconds instead of milliseconds. PostgreSQL needs no hint (see pointsAtSteps for its own trap).
 */
function metricsOfRun(db: Reader): Sql {
  return db.dialect === "sqlite" ? raw(`metrics INDEXED BY ${METRICS_RUN_KEY_STEP_INDEX}`) : raw("metrics");
}

export async function getMetricHistory(db: Database, query: MetricHistoryQuery): Promise<Page<Metric>> {
  await runState(db, query.runId);
  // SQLite and MySQL accept OFFSET only after a LIMIT.
  const limit =
    query.maxResults !== undefined
      ? sql`LIMIT ${query.maxResults + 1}`
      : query.offset > 0
        ? noLimit(db.dialect)
        : sql``;
  const offset = query.offset > 0 ? sql`OFFSET ${query.offset}` : sql``;
  const rows = await db.all(sql`
    SELECT "key", value, timestamp, step, is_nan FROM ${metricsOfRun(db)}
    WHERE run_uuid = ${query.runId} AND "key" = ${query.key}
    ORDER BY timestamp, step, value
    ${limit} ${offset}`);
  const metrics = rows.map(decodeMetric);
  if (query.maxResults !== undefined && metrics.length > query.maxResults) {
    return { items: metrics.slice(0, query.maxResults), nextOffset: query.offset + query.maxResults };
  }
  return { items: metrics };
}

/** A run's whole history of one metric in MLflow's order, in batches (404 if the run is unknown). */
export async function streamMetricHistory(db: Database, runId: string, key: string): Promise<AsyncIterable<Metric[]>> {
  await runState(db, runId);
  const batches = db.iterate(
    sql`
      SELECT "key", value, timestamp, step, is_nan FROM ${metricsOfRun(db)}
      WHERE run_uuid = ${runId} AND "key" = ${key}
      ORDER BY timestamp, step, value`,
    HISTORY_BATCH,
  );
  return (async function* () {
    for await (const rows of batches) yield rows.map(decodeMetric);
  })();
}

function decodeMetricWithRunId(row: Row): MetricWithRunId {
  const { key, value, timestamp, step } = decodeMetric(row);
  return { key, value, timestamp, step, runId: text(row, "metrics", "run_uuid") };
}

/** Each run's full history of one metric, runs in id order, capped at `maxResults` in total. */
export async function getMetricHistoryBulk(
  db: Database,
  runIds: readonly string[],
  key: string,
  maxResults: number,
): Promise<MetricWithRunId[]> {
  const sorted = [...new Set(runIds)].sort();
  const rows = await db.all(sql`
    SELECT run_uuid, "key", value, timestamp, step, is_nan FROM ${metricsOfRun(db)}
    WHERE run_uuid IN ${list(sorted)} AND "key" = ${key}
    ORDER BY run_uuid, timestamp, step, value
    LIMIT ${maxResults}`);
  return rows.map(decodeMetricWithRunId);
}

/** MLflow caps each run's sampled points at its MAX_RESULTS_GET_METRIC_HISTORY, not at `max_results`. */
const MAX_POINTS_PER_RUN = 25000;

/**
 * MLflow's sampled history for charts: evenly spread steps plus the last in range and each run's
 * first and last; runs in the order requested, as MLflow answers them.
 */
export async function getMetricHistoryBulkInterval(
  db: Database,
  denseSteps: DenseStepRanges,
  query: BulkIntervalQuery,
): Promise<MetricWithRunId[]> {
  const runIds = [...new Set(query.runIds)].sort();
  const { bounds, steps } = await metricSteps(db, denseSteps, runIds, query.key);
  if (steps.length === 0) return [];
  const start = query.startStep ?? 0;
  const end = query.endStep ?? steps.at(steps.length - 1);
  const chosen = new Set(sampleSteps(steps, start, end, query.maxResults));
  for (const bound of bounds.flat()) {
    if (bound >= start && bound <= end) chosen.add(bound);
  }
  if (chosen.size === 0) return [];
  const picked = [...chosen].sort((a, b) => a - b);
  const points = await Promise.all(
    query.runIds.map((runId) => db.all(pointsAtSteps(db, runId, query.key, picked, MAX_POINTS_PER_RUN))),
  );
  return points.flat().map(decodeMetricWithRunId);
}

/**
 * Each run's first and last step come from the (run_uuid, key, step) index; when every run
 * logged every step of its range (distinct steps = range length, the usual case) the union of
 * steps is known without reading it into memory, otherwise the distinct steps are read.
 */
async function metricSteps(
  db: Database,
  denseSteps: DenseStepRanges,
  runIds: readonly string[],
  key: string,
): Promise<{ bounds: [number, number][]; steps: StepSequence }> {
  const perRun = await Promise.all(
    runIds.map(async (runId) => {
      const where = sql`run_uuid = ${runId} AND "key" = ${key}`;
      const [lo, hi] = await Promise.all([
        db.all(sql`SELECT MIN(step) AS v FROM ${metricsOfRun(db)} WHERE ${where}`),
        db.all(sql`SELECT MAX(step) AS v FROM ${metricsOfRun(db)} WHERE ${where}`),
      ]);
      const first = optionalInteger(lo[0] ?? {}, "metrics", "v");
      const last = optionalInteger(hi[0] ?? {}, "metrics", "v");
      if (first === null || last === null) return undefined;
      const range: [number, number] = [first, last];
      return { range, dense: await isDense(db, denseSteps, runId, key, range) };
    }),
  );
  const present = perRun.filter((r) => r !== undefined);
  const bounds = present.map((r) => r.range);
  if (present.every((r) => r.dense)) return { bounds, steps: intervalUnion(bounds) };
  const rows = await db.all(sql`
    SELECT DISTINCT step FROM ${metricsOfRun(db)}
    WHERE run_uuid IN ${list(runIds)} AND "key" = ${key} ORDER BY step`);
  return { bounds, steps: stepList(rows.map((r) => integer(r, "metrics", "step"))) };
}

/** A run's points of `key` at the given steps, by step, timestamp and value as MLflow orders them. */
function pointsAtSteps(db: Database, runId: string, key: string, steps: readonly number[], limit: number): Sql {
  if (db.dialect === "postgresql") {
    // One index probe per step. Given `step IN (…)`, PostgreSQL without statistics for a
    // freshly loaded table filters the run's whole history by the list instead (seconds at
    // 100,000 steps); OFFSET 0 keeps the lateral subquery from being flattened into that plan.
    return sql`
      SELECT m.run_uuid, m."key", m.value, m.timestamp, m.step, m.is_nan
      FROM unnest(CAST(CAST(${pgArrayLiteral(steps)} AS text) AS bigint[])) AS s(step)
      CROSS JOIN LATERAL (
        SELECT run_uuid, "key", value, timestamp, step, is_nan FROM ${metricsOfRun(db)}
        WHERE run_uuid = ${runId} AND "key" = ${key} AND step = s.step OFFSET 0) m
      ORDER BY m.step, m.timestamp, m.value
      LIMIT ${limit}`;
  }
  return sql`
    SELECT run_uuid, "key", value, timestamp, step, is_nan FROM ${metricsOfRun(db)}
    WHERE run_uuid = ${runId} AND "key" = ${key} AND step IN ${list(steps)}
    ORDER BY step, timestamp, value
    LIMIT ${limit}`;
}

/**
 * Whether the run logged `key` at every step of `range`, counting only the steps not already
 * known to be there; the answer is remembered for the next request.
 */
async function isDense(
  db: Database,
  denseSteps: DenseStepRanges,
  runId: string,
  key: string,
  range: [number, number],
): Promise<boolean> {
  const dense = await countsDense(db, denseSteps, runId, key, range);
  if (dense) denseSteps.set(runId, key, range);
  else denseSteps.delete(runId, key);
  return dense;
}

async function countsDense(
  db: Database,
  denseSteps: DenseStepRanges,
  runId: string,
  key: string,
  [first, last]: [number, number],
): Promise<boolean> {
  const distinctSteps = async (from: number, to: number): Promise<number> => {
    if (from > to) return 0;
    const [row] = await db.all(sql`
      SELECT COUNT(DISTINCT step) AS v FROM ${metricsOfRun(db)}
      WHERE run_uuid = ${runId} AND "key" = ${key} AND step >= ${from} AND step <= ${to}`);
    return integer(row ?? {}, "metrics", "v");
  };
  const known = denseSteps.get(runId, key);
  if (known && known[0] >= first && known[1] <= last) {
    const [below, above] = await Promise.all([distinctSteps(first, known[0] - 1), distinctSteps(known[1] + 1, last)]);
    return below === known[0] - first && above === last - known[1];
  }
  return (await distinctSteps(first, last)) === last - first + 1;
}
