/**
 * `fml gc`'s database side, as `mlflow gc` does it: find runs and experiments in the deleted
 * lifecycle stage (optionally deleted before a cut-off) and remove them for good, children first,
 * since MLflow's core tables declare no cascading foreign keys. Artifacts are the caller's job.
 */

import type { DatabaseTarget } from "../config.ts";
import type { Database, Row } from "./db/database.ts";
import { openDatabase } from "./db/open.ts";
import { list, sql, type Sql } from "./db/sql.ts";
import { decodeExperiment, decodeRunStage, integer, optionalInteger, optionalText, text } from "./rows.ts";
import type { LifecycleStage } from "./types.ts";

export class GcError extends Error {
  override name = "GcError";
}

export interface GcSelection {
  /** Only entities deleted at least this long ago (runs.deleted_time, experiments.last_update_time). */
  olderThanMs?: number;
  /** Limit to these runs: each must exist and be deleted. */
  runIds?: string[];
  /** Limit to these experiments (and all their runs): each must exist and be deleted. */
  experimentIds?: string[];
  now?: number;
}

export interface GcRun {
  runId: string;
  experimentId: string;
  artifactUri: string;
}

export interface GcExperiment {
  experimentId: string;
  name: string;
}

/** A logged model in the deleted lifecycle stage (MLflow 3). */
export interface GcLoggedModel {
  modelId: string;
  experimentId: string;
  artifactLocation: string;
}

export interface GcPlan {
  runs: GcRun[];
  experiments: GcExperiment[];
  /** Deleted logged models; only when gc is not limited to named runs or experiments, as mlflow gc. */
  loggedModels: GcLoggedModel[];
}

/**
 * Opens a database for gc without upgrading its schema: an older schema must be upgraded first
 * (`fml db upgrade`), and a missing SQLite file is an error rather than a new empty database.
 */
export function openGcDatabase(target: DatabaseTarget): Promise<Database> {
  return openDatabase(target, { schema: "prepare", migrate: false, mustExist: true });
}

/** The runs columns gc reads. */
interface RunRow extends GcRun {
  lifecycleStage: LifecycleStage;
  deletedTime: number | null;
}

interface ExperimentRow extends GcExperiment {
  lifecycleStage: LifecycleStage;
  lastUpdateTime: number | null;
}

function decodeRunRow(row: Row): RunRow {
  return {
    runId: text(row, "runs", "run_uuid"),
    experimentId: String(integer(row, "runs", "experiment_id")),
    artifactUri: optionalText(row, "runs", "artifact_uri") ?? "",
    lifecycleStage: decodeRunStage(row),
    deletedTime: optionalInteger(row, "runs", "deleted_time"),
  };
}

function decodeExperimentRow(row: Row): ExperimentRow {
  const { experimentId, name, lifecycleStage, lastUpdateTime } = decodeExperiment(row, []);
  return { experimentId, name, lifecycleStage, lastUpdateTime };
}

const toRun = ({ runId, experimentId, artifactUri }: RunRow): GcRun => ({ runId, experimentId, artifactUri });

function experimentIdNumber(id: string): number {
  if (!/^\d+$/.test(id)) throw new GcError(`invalid experiment id '${id}'`);
  return Number(id);
}

/** What gc would remove; refuses (changing nothing) when a named run or experiment may not go. */
export async function planGc(db: Database, selection: GcSelection): Promise<GcPlan> {
  const threshold =
    selection.olderThanMs === undefined ? undefined : (selection.now ?? Date.now()) - selection.olderThanMs;
  const oldEnough = (time: number | null): boolean => threshold === undefined || (time !== null && time <= threshold);
  const limited = selection.runIds !== undefined || selection.experimentIds !== undefined;

  let experiments: ExperimentRow[];
  if (selection.experimentIds !== undefined) {
    const ids = selection.experimentIds.map(experimentIdNumber);
    experiments = ids.length
      ? (
          await db.all(sql`
            SELECT experiment_id, name, lifecycle_stage, creation_time, last_update_time FROM experiments
            WHERE experiment_id IN ${list(ids)} ORDER BY experiment_id`)
        ).map(decodeExperimentRow)
      : [];
    for (const id of ids) {
      const row = experiments.find((e) => e.experimentId === String(id));
      if (!row) throw new GcError(`experiment ${id} does not exist`);
      if (row.lifecycleStage !== "deleted") {
        throw new GcError(
          `experiment ${id} is not in the deleted lifecycle stage; only deleted experiments can be removed`,
        );
      }
      if (!oldEnough(row.lastUpdateTime)) throw new GcError(`experiment ${id} was deleted too recently`);
    }
  } else if (!limited) {
    experiments = (
      await db.all(sql`
        SELECT experiment_id, name, lifecycle_stage, creation_time, last_update_time FROM experiments
        WHERE lifecycle_stage = 'deleted' ORDER BY experiment_id`)
    )
      .map(decodeExperimentRow)
      .filter((e) => oldEnough(e.lastUpdateTime));
  } else {
    experiments = [];
  }

  let runs: RunRow[] = [];
  const columns = sql`run_uuid, experiment_id, artifact_uri, lifecycle_stage, deleted_time`;
  if (selection.runIds !== undefined) {
    const ids = [...new Set(selection.runIds)];
    const rows = ids.length
      ? (await db.all(sql`SELECT ${columns} FROM runs WHERE run_uuid IN ${list(ids)}`)).map(decodeRunRow)
      : [];
    for (const id of ids) {
      const row = rows.find((r) => r.runId === id);
      if (!row) throw new GcError(`run ${id} does not exist`);
      if (row.lifecycleStage !== "deleted") {
        throw new GcError(`run ${id} is not in the deleted lifecycle stage; only deleted runs can be removed`);
      }
      if (!oldEnough(row.deletedTime)) throw new GcError(`run ${id} was deleted too recently`);
    }
    runs = rows;
  } else if (!limited) {
    runs = (
      await db.all(sql`SELECT ${columns} FROM runs WHERE lifecycle_stage = 'deleted'`)
    )
      .map(decodeRunRow)
      .filter((r) => oldEnough(r.deletedTime));
  }
  // An experiment goes with all of its runs, whatever their stage: they reference it.
  if (experiments.length > 0) {
    const ids = experiments.map((e) => Number(e.experimentId));
    runs.push(...(await db.all(sql`SELECT ${columns} FROM runs WHERE experiment_id IN ${list(ids)}`)).map(decodeRunRow));
  }
  const unique = new Map(runs.map((r) => [r.runId, r]));
  const loggedModels = limited
    ? []
    : (
        await db.all(sql`
          SELECT model_id, experiment_id, artifact_location, last_updated_timestamp_ms FROM logged_models
          WHERE lifecycle_stage = 'deleted' ORDER BY model_id`)
      )
        .filter((r) => oldEnough(integer(r, "logged_models", "last_updated_timestamp_ms")))
        .map((r) => ({
          modelId: text(r, "logged_models", "model_id"),
          experimentId: String(integer(r, "logged_models", "experiment_id")),
          artifactLocation: text(r, "logged_models", "artifact_location"),
        }));
  return {
    loggedModels,
    runs: [...unique.values()].map(toRun).sort((a, b) => a.experimentId.localeCompare(b.experimentId) || a.runId.localeCompare(b.runId)),
    experiments: experiments.map(({ experimentId, name }) => ({ experimentId, name })),
  };
}

async function runAll(tx: Database, statements: Sql[]): Promise<void> {
  for (const statement of statements) await tx.run(statement);
}

/**
 * Metric rows removed per transaction. A run can hold tens of millions of points; in one
 * transaction they would all go through SQLite's WAL at once (gigabytes of disk until the next
 * checkpoint) and hold PostgreSQL's row locks and WAL for minutes.
 */
export const METRIC_DELETE_CHUNK = 50_000;

/** Up to `limit` of the run's metric rows, by row address (rowid, ctid) found through its index. */
function deleteMetricChunk(db: Database, runId: string, limit: number): Sql {
  // MySQL has DELETE … LIMIT itself, and walks the run_uuid index for it.
  if (db.dialect === "mysql") return sql`DELETE FROM metrics WHERE run_uuid = ${runId} LIMIT ${limit}`;
  if (db.dialect === "sqlite") {
    return sql`DELETE FROM metrics WHERE rowid IN (SELECT rowid FROM metrics WHERE run_uuid = ${runId} LIMIT ${limit})`;
  }
  // = ANY(ARRAY(…)) is a TID scan; ctid IN (subquery) may be planned as a scan of the table.
  return sql`DELETE FROM metrics WHERE ctid = ANY(ARRAY(SELECT ctid FROM metrics WHERE run_uuid = ${runId} LIMIT ${limit}))`;
}

/**
 * Removes one run and everything that hangs off it. Its metric history goes first, in chunks of
 * their own transactions (on SQLite the WAL is checkpointed after each, so it is reused instead
 * of growing with the run); the rest, the run last, in one transaction. gc removes only deleted
 * runs, so an interrupted gc leaves a deleted run with part of its history, and the next one
 * finishes it.
 */
export async function hardDeleteRun(db: Database, runId: string, chunk = METRIC_DELETE_CHUNK): Promise<void> {
  while ((await db.run(deleteMetricChunk(db, runId, chunk))) > 0) {
    if (db.dialect === "sqlite") await db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  }
  await db.transaction((tx) =>
    runAll(tx, [
      sql`DELETE FROM metrics WHERE run_uuid = ${runId}`,
      sql`DELETE FROM latest_metrics WHERE run_uuid = ${runId}`,
      sql`DELETE FROM params WHERE run_uuid = ${runId}`,
      sql`DELETE FROM tags WHERE run_uuid = ${runId}`,
      sql`DELETE FROM logged_model_metrics WHERE run_id = ${runId}`,
      sql`DELETE FROM input_tags WHERE input_uuid IN (
            SELECT input_uuid FROM inputs
            WHERE (destination_type = 'RUN' AND destination_id = ${runId})
               OR (source_type = 'RUN_OUTPUT' AND source_id = ${runId}))`,
      sql`DELETE FROM inputs
          WHERE (destination_type = 'RUN' AND destination_id = ${runId})
             OR (source_type = 'RUN_OUTPUT' AND source_id = ${runId})`,
      sql`DELETE FROM runs WHERE run_uuid = ${runId}`,
    ]),
  );
}

/** Removes one logged model with its params, tags and metrics (MLflow's cascade, written out). */
export async function hardDeleteLoggedModel(db: Database, modelId: string): Promise<void> {
  await db.transaction((tx) =>
    runAll(tx, [
      sql`DELETE FROM logged_model_metrics WHERE model_id = ${modelId}`,
      sql`DELETE FROM logged_model_params WHERE model_id = ${modelId}`,
      sql`DELETE FROM logged_model_tags WHERE model_id = ${modelId}`,
      sql`DELETE FROM logged_models WHERE model_id = ${modelId}`,
    ]),
  );
}

/**
 * Removes one experiment whose runs are already gone: its tags, datasets (and their inputs), and
 * the MLflow 3 rows that reference it (traces, logged models, scorers); their own children follow
 * through the cascades MLflow declares on those tables.
 */
export async function hardDeleteExperiment(db: Database, experimentId: string): Promise<void> {
  const id = experimentIdNumber(experimentId);
  await db.transaction(async (tx) => {
    const left = await tx.all(sql`SELECT run_uuid FROM runs WHERE experiment_id = ${id} LIMIT 1`);
    if (left.length > 0) throw new GcError(`experiment ${id} still has runs; it is kept`);
    const datasetInputs = sql`
      SELECT input_uuid FROM inputs WHERE source_type = 'DATASET'
        AND source_id IN (SELECT dataset_uuid FROM datasets WHERE experiment_id = ${id})`;
    await runAll(tx, [
      sql`DELETE FROM input_tags WHERE input_uuid IN (${datasetInputs})`,
      sql`DELETE FROM inputs WHERE input_uuid IN (${datasetInputs})`,
      sql`DELETE FROM datasets WHERE experiment_id = ${id}`,
      sql`DELETE FROM experiment_tags WHERE experiment_id = ${id}`,
      sql`DELETE FROM spans WHERE experiment_id = ${id}`,
      sql`DELETE FROM trace_info WHERE experiment_id = ${id}`,
      sql`DELETE FROM logged_model_metrics WHERE experiment_id = ${id}`,
      sql`DELETE FROM logged_model_params WHERE experiment_id = ${id}`,
      sql`DELETE FROM logged_model_tags WHERE experiment_id = ${id}`,
      sql`DELETE FROM logged_models WHERE experiment_id = ${id}`,
      sql`DELETE FROM online_scoring_configs WHERE experiment_id = ${id}`,
      sql`DELETE FROM scorers WHERE experiment_id = ${id}`,
      sql`DELETE FROM experiments WHERE experiment_id = ${id}`,
    ]);
  });
}
