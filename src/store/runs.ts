/**
 * MLflow's runs: create (with a generated name when none is given), get with their latest metrics,
 * params, tags and dataset inputs, update, soft delete and restore, run tags (where
 * `mlflow.runName` and the run's name stay in sync), and search.
 */

import { invalidParameter, notFound } from "../errors.ts";
import { parseRunFilter, parseRunOrderBy } from "../search/runs.ts";
import { chunks, columnLimits, INSERT_CHUNK, joinUri, keyValueColumns, lastWins, newUuid, parseExperimentId, RUN_NAME_TAG } from "./common.ts";
import { inOrder, type Database } from "./db/database.ts";
import { bulkRows, forUpdate, inValues, join, list, onConflictUpdate, raw, sql, type Sql } from "./db/sql.ts";
import { experimentWithoutTags } from "./experiments.ts";
import {
  decodeDataset,
  decodeInputTag,
  decodeLatestMetric,
  decodeParam,
  decodeRunInfo,
  decodeRunStage,
  decodeTag,
  text,
} from "./rows.ts";
import { modelOutputsOf, runModelLinks } from "./run-models.ts";
import { generateRunName } from "./run-names.ts";
import { searchRunIds } from "./search-runs.ts";
import type { CreateRun, DatasetInput, LifecycleStage, Page, Run, RunInfo, SearchRuns, Tag, UpdateRun } from "./types.ts";

export async function createRun(db: Database, input: CreateRun): Promise<Run> {
  const runId = newUuid();
  const tagName = input.tags.find((t) => t.key === RUN_NAME_TAG)?.value;
  if (input.runName && tagName !== undefined && tagName !== input.runName) {
    throw invalidParameter(
      `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different ` +
        `values (run_name='${input.runName}', mlflow.runName='${tagName}').`,
    );
  }
  const runName = input.runName || tagName || generateRunName();
  const tags = lastWins([...input.tags.filter((t) => t.key !== RUN_NAME_TAG), { key: RUN_NAME_TAG, value: runName }]);
  const artifactUri = await db.transaction(async (tx) => {
    const experiment = await experimentWithoutTags(tx, input.experimentId);
    if (experiment.lifecycleStage !== "active") {
      throw invalidParameter(`Could not create run under non-active experiment with ID ${input.experimentId}.`);
    }
    const uri = joinUri(experiment.artifactLocation, runId, "artifacts");
    // runs.artifact_uri is VARCHAR(200): PostgreSQL cannot store a longer one.
    if (uri.length > columnLimits.runArtifactUri) {
      throw invalidParameter(
        `The run's artifact URI '${uri}' exceeds the maximum length of ` +
          `${columnLimits.runArtifactUri} characters; experiment ${input.experimentId} has too long an artifact location.`,
      );
    }
    await inOrder<unknown>(tx, [
      () => tx.run(sql`
        INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id,
          status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
        VALUES (${runId}, ${runName}, 'UNKNOWN', '', '', ${input.userId}, 'RUNNING',
          ${input.startTime}, NULL, '', 'active', ${uri}, ${Number(input.experimentId)})`),
      // The run is inserted with its name already.
      () => upsertRunTags(tx, runId, tags, { renameRun: false }),
    ]);
    return uri;
  });
  // Exactly what reading it back would give (tags in the order they were written), without the
  // five queries that would take.
  return {
    info: {
      runId,
      experimentId: String(Number(input.experimentId)),
      runName,
      userId: input.userId,
      status: "RUNNING",
      startTime: input.startTime,
      endTime: null,
      artifactUri,
      lifecycleStage: "active",
    },
    metrics: [],
    params: [],
    tags,
    datasetInputs: [],
  };
}

export async function getRun(db: Database, runId: string): Promise<Run> {
  const [[run], links] = await Promise.all([loadRuns(db, [runId]), runModelLinks(db, runId)]);
  if (!run) throw notFound(`Run with id=${runId} not found`);
  // Only runs/get shows models (MLflow's runs/search shows dataset inputs alone).
  return { ...run, modelInputs: links.modelInputs, modelOutputs: links.modelOutputs };
}

/** Loads complete runs (info, latest metrics, params, tags, dataset inputs) in the given order. */
async function loadRuns(db: Database, runIds: readonly string[]): Promise<Run[]> {
  if (runIds.length === 0) return [];
  const ofRuns = (column: string): Sql => inValues(db.dialect, raw(column), runIds, "text");
  const [runRows, metricRows, paramRows, tagRows, inputs] = await Promise.all([
    db.all(sql`
      SELECT run_uuid, name, user_id, status, start_time, end_time, artifact_uri,
             lifecycle_stage, experiment_id
      FROM runs WHERE ${ofRuns("run_uuid")}`),
    db.all(sql`
      SELECT run_uuid, "key", value, timestamp, step, is_nan
      FROM latest_metrics WHERE ${ofRuns("run_uuid")}`),
    db.all(sql`SELECT run_uuid, "key", value FROM params WHERE ${ofRuns("run_uuid")}`),
    db.all(sql`SELECT run_uuid, "key", value FROM tags WHERE ${ofRuns("run_uuid")}`),
    loadDatasetInputs(db, runIds),
  ]);
  const runs = new Map<string, Run>();
  for (const r of runRows) {
    const info = decodeRunInfo(r);
    runs.set(info.runId, { info, metrics: [], params: [], tags: [], datasetInputs: inputs.get(info.runId) ?? [] });
  }
  for (const m of metricRows) runs.get(text(m, "latest_metrics", "run_uuid"))?.metrics.push(decodeLatestMetric(m));
  for (const p of paramRows) runs.get(text(p, "params", "run_uuid"))?.params.push(decodeParam(p));
  for (const t of tagRows) {
    const run = runs.get(text(t, "tags", "run_uuid"));
    if (!run) continue;
    const tag = decodeTag(t, "tags");
    run.tags.push(tag);
    // Runs logged before MLflow had run names carry the name only in their tag.
    if (tag.key === RUN_NAME_TAG && !run.info.runName) run.info.runName = tag.value;
  }
  return runIds.map((id) => runs.get(id)).filter((r) => r !== undefined);
}

async function loadDatasetInputs(db: Database, runIds: readonly string[]): Promise<Map<string, DatasetInput[]>> {
  const rows = await db.all(sql`
    SELECT i.destination_id AS run_uuid, i.input_uuid, d.name, d.digest, d.dataset_source_type,
           d.dataset_source, d.dataset_schema, d.dataset_profile
    FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
    WHERE i.destination_type = 'RUN' AND i.source_type = 'DATASET'
      AND ${inValues(db.dialect, raw("i.destination_id"), runIds, "text")}`);
  const byRun = new Map<string, DatasetInput[]>();
  if (rows.length === 0) return byRun;
  const tagRows = await db.all(sql`
    SELECT input_uuid, name, value FROM input_tags
    WHERE input_uuid IN ${list(rows.map((r) => text(r, "inputs", "input_uuid")))}`);
  const tagsByInput = new Map<string, Tag[]>();
  for (const t of tagRows) {
    const inputUuid = text(t, "input_tags", "input_uuid");
    const tags = tagsByInput.get(inputUuid) ?? [];
    tags.push(decodeInputTag(t));
    tagsByInput.set(inputUuid, tags);
  }
  for (const r of rows) {
    const runId = text(r, "inputs", "run_uuid");
    const inputs = byRun.get(runId) ?? [];
    inputs.push({ tags: tagsByInput.get(text(r, "inputs", "input_uuid")) ?? [], dataset: decodeDataset(r) });
    byRun.set(runId, inputs);
  }
  return byRun;
}

/** The run's lifecycle stage, or MLflow's 404 when there is no such run. */
export async function runState(db: Database, runId: string): Promise<LifecycleStage> {
  const [row] = await db.all(sql`SELECT lifecycle_stage FROM runs WHERE run_uuid = ${runId}`);
  if (!row) throw notFound(`Run with id=${runId} not found`);
  return decodeRunStage(row);
}

/**
 * Locks the run's row for the rest of the transaction, or MLflow's 404. Every write to a run takes
 * this lock first, so writers of one run (in any fml process) take their row locks in one order:
 * params, tags, latest metrics and the run's name can neither deadlock nor interleave.
 */
async function lockRun(tx: Database, runId: string): Promise<LifecycleStage> {
  const [row] = await tx.all(sql`SELECT lifecycle_stage FROM runs WHERE run_uuid = ${runId} ${forUpdate(tx.dialect)}`);
  if (!row) throw notFound(`Run with id=${runId} not found`);
  return decodeRunStage(row);
}

/**
 * Fails unless the run exists and is active (MLflow's condition for every write to a run), and
 * locks it for the transaction.
 */
export async function activeRun(tx: Database, runId: string): Promise<void> {
  const stage = await lockRun(tx, runId);
  if (stage !== "active") {
    throw invalidParameter(`The run ${runId} must be in the 'active' state. Current state is ${stage}.`);
  }
}

export async function updateRun(db: Database, runId: string, update: UpdateRun): Promise<RunInfo> {
  return db.transaction(async (tx) => {
    await activeRun(tx, runId);
    const sets: Sql[] = [];
    if (update.status !== undefined) sets.push(sql`status = ${update.status}`);
    if (update.endTime !== undefined) sets.push(sql`end_time = ${update.endTime}`);
    if (update.runName) sets.push(sql`name = ${update.runName}`);
    if (sets.length > 0) {
      await tx.run(sql`UPDATE runs SET ${join(sets, ", ")} WHERE run_uuid = ${runId}`);
    }
    if (update.runName) {
      await upsertRunTags(tx, runId, [{ key: RUN_NAME_TAG, value: update.runName }]);
    }
    return (await getRun(tx, runId)).info;
  });
}

/** Soft delete or restore. */
export async function setRunLifecycle(db: Database, runId: string, stage: LifecycleStage): Promise<void> {
  await db.transaction(async (tx) => {
    await lockRun(tx, runId);
    await tx.run(sql`
      UPDATE runs SET lifecycle_stage = ${stage},
        deleted_time = ${stage === "deleted" ? Date.now() : null}
      WHERE run_uuid = ${runId}`);
  });
}

export async function setTag(db: Database, runId: string, tag: Tag): Promise<void> {
  await db.transaction(async (tx) => {
    await activeRun(tx, runId);
    await upsertRunTags(tx, runId, [tag]);
  });
}

export async function deleteTag(db: Database, runId: string, key: string): Promise<void> {
  await db.transaction(async (tx) => {
    await activeRun(tx, runId);
    const deleted = await tx.run(sql`DELETE FROM tags WHERE run_uuid = ${runId} AND "key" = ${key}`);
    if (deleted === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
  });
}

/** Upserts run tags (last one wins); `mlflow.runName` also renames the run (unless told not to). */
export async function upsertRunTags(
  tx: Database,
  runId: string,
  tags: readonly Tag[],
  options: { renameRun: boolean } = { renameRun: true },
): Promise<void> {
  const unique = lastWins(tags);
  if (unique.length === 0) return;
  for (const chunk of chunks(unique, INSERT_CHUNK)) {
    const rows = chunk.map((t) => [t.key, t.value, runId]);
    await tx.run(sql`
      INSERT INTO tags ("key", value, run_uuid) ${bulkRows(tx.dialect, keyValueColumns, rows)}
      ${onConflictUpdate(tx.dialect, '"key", run_uuid', ["value"])}`);
  }
  const name = unique.find((t) => t.key === RUN_NAME_TAG);
  if (name && options.renameRun) await tx.run(sql`UPDATE runs SET name = ${name.value} WHERE run_uuid = ${runId}`);
}

export async function searchRuns(db: Database, query: SearchRuns): Promise<Page<Run>> {
  for (const id of query.experimentIds) parseExperimentId(id);
  if (query.experimentIds.length === 0) return { items: [] };
  const runIds = await searchRunIds(db, {
    experimentIds: query.experimentIds,
    viewType: query.viewType,
    filter: parseRunFilter(query.filter),
    orderBy: parseRunOrderBy(query.orderBy),
    limit: query.maxResults,
    offset: query.offset,
  });
  const [loaded, outputs] = await Promise.all([loadRuns(db, runIds), modelOutputsOf(db, runIds)]);
  // MLflow's runs/search shows the models a run produced, but not the ones it used.
  const runs = loaded.map((run) => ({ ...run, modelOutputs: outputs.get(run.info.runId) ?? [] }));
  // MLflow emits a token whenever the page is full, without looking ahead.
  return runs.length === query.maxResults && query.maxResults > 0
    ? { items: runs, nextOffset: query.offset + query.maxResults }
    : { items: runs };
}
