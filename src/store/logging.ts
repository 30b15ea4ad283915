/**
 * log-batch (and the log-metric/log-param/set-tag calls the server routes through it): write-once
 * params, metric points with MLflow's NaN and infinity encoding, and latest_metrics kept current,
 * all in one transaction.
 */

import { invalidParameter } from "../errors.ts";
import { chunks, INSERT_CHUNK, keyValueColumns, metricColumns } from "./common.ts";
import { inOrder, type Database, type Row } from "./db/database.ts";
import { bulkRows, list, raw, sql, insertIgnoring, onConflictDoNothing, type Dialect, type Sql } from "./db/sql.ts";
import { decodeParam } from "./rows.ts";
import type { ModelMetricInput } from "./logged-model-types.ts";
import { logModelMetrics } from "./run-models.ts";
import { activeRun, upsertRunTags } from "./runs.ts";
import type { LogBatch, Metric, Tag } from "./types.ts";

/** SQL cannot hold infinities; MLflow clamps them to the largest double. */
const MAX_DOUBLE = 1.7976931348623157e308;

interface EncodedMetric extends Metric {
  isNan: boolean;
}

function encode(metric: Metric): EncodedMetric {
  const { value } = metric;
  if (Number.isNaN(value)) return { ...metric, value: 0, isNan: true };
  if (value === Infinity) return { ...metric, value: MAX_DOUBLE, isNan: false };
  if (value === -Infinity) return { ...metric, value: -MAX_DOUBLE, isNan: false };
  return { ...metric, isNan: false };
}

/** MLflow's latest-metric order: larger step, then later timestamp, then larger stored value. */
function isNewer(a: EncodedMetric, b: EncodedMetric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value;
}

type Step = () => Promise<unknown>;

/**
 * Atomic: every param, metric and tag is stored, or none is. The run's lock goes first and every
 * write after it in one go (see `inOrder`); the checks that need their results (the run is
 * active, no param changed) come after, and a failed one rolls all of it back.
 */
export async function logBatch(db: Database, runId: string, batch: LogBatch): Promise<void> {
  await db.transaction(async (tx) => {
    const params = batch.params.length > 0 ? paramSteps(tx, runId, batch.params) : undefined;
    const steps: Step[] = [() => activeRun(tx, runId), ...(params?.steps ?? [])];
    if (batch.metrics.length > 0) steps.push(...metricSteps(tx, runId, batch.metrics));
    if (batch.tags.length > 0) steps.push(() => upsertRunTags(tx, runId, batch.tags));
    await inOrder(tx, steps);
    await params?.check();
    await logModelMetrics(tx, runId, modelMetrics(batch.metrics));
  });
}

function modelMetrics(metrics: readonly Metric[]): ModelMetricInput[] {
  return metrics.flatMap((m) => (m.modelId ? [{ ...m, modelId: m.modelId }] : []));
}

/**
 * Params are write-once: the same value again is a no-op, a different one fails the batch. The
 * new ones are inserted (an existing key is left as it is), then the stored values read back: a
 * value other than the one sent is a change. The run's lock keeps others from writing between.
 */
function paramSteps(tx: Database, runId: string, params: readonly Tag[]): { steps: Step[]; check: () => Promise<void> } {
  const steps: Step[] = chunks(params, INSERT_CHUNK).map((chunk) => () =>
    tx.run(sql`
      ${insertIgnoring(tx.dialect)} params ("key", value, run_uuid) ${bulkRows(tx.dialect, keyValueColumns, chunk.map((p) => [p.key, p.value, runId]))}
      ${onConflictDoNothing(tx.dialect, '"key", run_uuid')}`),
  );
  let stored: Promise<Row[]> = Promise.resolve([]);
  steps.push(() => {
    stored = tx.all(sql`
      SELECT "key", value FROM params
      WHERE run_uuid = ${runId} AND "key" IN ${list(params.map((p) => p.key))}`);
    return stored;
  });
  const check = async (): Promise<void> => {
    const logged = new Map<string, string>();
    for (const row of await stored) {
      const param = decodeParam(row);
      logged.set(param.key, param.value);
    }
    const changed = params.filter((p) => logged.has(p.key) && logged.get(p.key) !== p.value);
    const [first] = changed;
    if (!first) return;
    throw invalidParameter(
      changed.length === 1
        ? `Changing param values is not allowed. Param with key='${first.key}' was already ` +
            `logged with value='${logged.get(first.key)}' for run ID='${runId}'. Attempted ` +
            `logging new value '${first.value}'.`
        : `Changing param values is not allowed. Params were already logged='${JSON.stringify(
            changed.map((p) => ({ key: p.key, old_value: logged.get(p.key), new_value: p.value })),
          )}' for run ID='${runId}'.`,
    );
  };
  return { steps, check };
}

function metricSteps(tx: Database, runId: string, metrics: readonly Metric[]): Step[] {
  const encoded = metrics.map(encode);
  const steps: Step[] = chunks(encoded, INSERT_CHUNK).map((chunk) => () =>
    tx.run(sql`
      ${insertIgnoring(tx.dialect)} metrics ("key", value, timestamp, step, is_nan, run_uuid)
      ${bulkRows(tx.dialect, metricColumns, chunk.map((m) => [m.key, m.value, m.timestamp, m.step, m.isNan, runId]))}
      ${onConflictDoNothing(tx.dialect)}`),
  );
  // One candidate per key (a statement may touch each latest_metrics row only once on
  // PostgreSQL); the database keeps whichever of stored and candidate is newer.
  const newest = new Map<string, EncodedMetric>();
  for (const m of encoded) {
    const current = newest.get(m.key);
    if (!current || isNewer(m, current)) newest.set(m.key, m);
  }
  for (const chunk of chunks([...newest.values()], INSERT_CHUNK)) {
    const rows = chunk.map((m) => [m.key, m.value, m.timestamp, m.step, m.isNan, runId]);
    steps.push(() =>
      tx.run(sql`
        INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid)
        ${bulkRows(tx.dialect, metricColumns, rows)}
        ${keepNewerLatest(tx.dialect)}`),
    );
  }
  return steps;
}

/** Whether the candidate row (`incoming`) is newer than the stored `latest_metrics` row. */
const newerThanStored = (incoming: (column: string) => string): string =>
  `${incoming("step")} > latest_metrics.step
   OR (${incoming("step")} = latest_metrics.step
       AND (latest_metrics.timestamp IS NULL OR ${incoming("timestamp")} > latest_metrics.timestamp
            OR (${incoming("timestamp")} = latest_metrics.timestamp AND ${incoming("value")} > latest_metrics.value)))`;

/**
 * The upsert's tail that keeps whichever of the stored and the candidate latest metric is newer.
 * MySQL's ON DUPLICATE KEY UPDATE has no WHERE and assigns left to right (a later assignment sees
 * the earlier ones' new values), so the comparison of the stored row is made once, first, into a
 * session variable that every assignment then reads.
 */
function keepNewerLatest(dialect: Dialect): Sql {
  if (dialect === "mysql") {
    return raw(`ON DUPLICATE KEY UPDATE
      is_nan = IF(@fml_newer := (${newerThanStored((c) => `VALUES(${c})`)}), VALUES(is_nan), is_nan),
      value = IF(@fml_newer, VALUES(value), value),
      timestamp = IF(@fml_newer, VALUES(timestamp), timestamp),
      step = IF(@fml_newer, VALUES(step), step)`);
  }
  return raw(`ON CONFLICT ("key", run_uuid) DO UPDATE SET
      value = excluded.value, timestamp = excluded.timestamp,
      step = excluded.step, is_nan = excluded.is_nan
    WHERE ${newerThanStored((c) => `excluded.${c}`)}`);
}
