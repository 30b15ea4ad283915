/**
 * MLflow's tracking semantics on MLflow's own schema, written once for every SQL database: NaN and
 * infinity encoding, latest_metrics maintenance, write-once params, run name and tag sync,
 * soft deletes. Each database module supplies a `Database`; nothing here knows about HTTP.
 */

import { invalidParameter, MlflowError, notFound } from "../errors.ts";
import {
  chunks,
  DATASET_CONTEXT_TAG,
  INSERT_CHUNK,
  inputTagColumns,
  joinUri,
  keyValueColumns,
  lastWins,
  metricColumns,
  newUuid,
  parseExperimentId,
  RUN_NAME_TAG,
  WORKSPACE,
} from "./common.ts";
import { generateRunName } from "./run-names.ts";
import { intervalUnion, sampleSteps, stepList, type StepSequence } from "./step-sampling.ts";
import { toBoolean, toNumber, type Database, type Row } from "./db/database.ts";
import { bulkRows, inValues, join, list, pgArrayLiteral, raw, sql, type BulkColumn, type Sql } from "./db/sql.ts";
import { parseExperimentFilter, parseExperimentOrderBy } from "../search/experiments.ts";
import { parseRunFilter, parseRunOrderBy } from "../search/runs.ts";
import { DenseStepRanges } from "./dense-steps.ts";
import { searchRunIds } from "./search-runs.ts";
import { searchExperimentsSql } from "./search-sql.ts";
import type {
  BulkIntervalQuery,
  CreateExperiment,
  DatasetSummary,
  CreateRun,
  DatasetInput,
  Experiment,
  LifecycleStage,
  LogBatch,
  Metric,
  MetricHistoryQuery,
  MetricWithRunId,
  Page,
  Run,
  RunInfo,
  RunStatus,
  SearchExperiments,
  SearchRuns,
  Tag,
  TrackingStore,
  UpdateRun,
} from "./types.ts";

/** SQL cannot hold infinities; MLflow clamps them to the largest double. */
const MAX_DOUBLE = 1.7976931348623157e308;
/** Rows per batch when a metric history is streamed. */
const HISTORY_BATCH = 5000;

export interface TrackingStoreOptions {
  /** Where new experiments' artifacts go: `<root>/<experiment_id>`. */
  defaultArtifactRoot: string;
}

function encodeValue(value: number): { value: number; isNan: boolean } {
  if (Number.isNaN(value)) return { value: 0, isNan: true };
  if (value === Infinity) return { value: MAX_DOUBLE, isNan: false };
  if (value === -Infinity) return { value: -MAX_DOUBLE, isNan: false };
  return { value, isNan: false };
}

function decodeMetric(row: Row): Metric {
  return {
    key: String(row.key),
    value: toBoolean(row.is_nan) ? NaN : (toNumber(row.value) ?? 0),
    timestamp: toNumber(row.timestamp) ?? 0,
    step: toNumber(row.step) ?? 0,
  };
}

/** MLflow's latest-metric order: larger step, then later timestamp, then larger stored value. */
function isNewer(a: { step: number; timestamp: number; value: number }, b: typeof a): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value;
}

export class SqlTrackingStore implements TrackingStore {
  readonly kind;
  private readonly denseSteps = new DenseStepRanges();

  constructor(
    private readonly db: Database,
    private readonly options: TrackingStoreOptions,
  ) {
    this.kind = db.dialect;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async ping(): Promise<void> {
    await this.db.all(sql`SELECT 1 AS ok`);
  }

  /** MLflow's server creates the Default experiment (id 0) when it is missing. */
  async ensureDefaultExperiment(): Promise<void> {
    const rows = await this.db.all(sql`SELECT experiment_id FROM experiments WHERE experiment_id = 0`);
    if (rows.length > 0) return;
    const now = Date.now();
    // Several fml processes may start at once on one database: the first insert wins.
    await this.db.run(sql`
      INSERT INTO experiments
        (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
      VALUES (0, 'Default', ${joinUri(this.options.defaultArtifactRoot, "0")}, 'active', ${now}, ${now})
      ON CONFLICT DO NOTHING`);
  }

  // -------------------------------------------------------------------------------------------
  // Experiments

  async createExperiment(input: CreateExperiment): Promise<string> {
    return this.db.transaction(async (tx) => {
      const taken = await tx.all(
        sql`SELECT experiment_id FROM experiments WHERE name = ${input.name} AND workspace = ${WORKSPACE}`,
      );
      if (taken.length > 0) {
        throw new MlflowError(
          "RESOURCE_ALREADY_EXISTS",
          `Experiment(name=${input.name}) already exists. Error: UNIQUE constraint failed`,
        );
      }
      const now = Date.now();
      const inserted = await tx.all<{ experiment_id: unknown }>(sql`
        INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
        VALUES (${input.name}, ${input.artifactLocation ?? null}, 'active', ${now}, ${now})
        RETURNING experiment_id`);
      const id = String(toNumber(inserted[0]?.experiment_id));
      if (!input.artifactLocation) {
        await tx.run(sql`
          UPDATE experiments SET artifact_location = ${joinUri(this.options.defaultArtifactRoot, id)}
          WHERE experiment_id = ${Number(id)}`);
      }
      for (const tag of lastWins(input.tags)) await this.upsertExperimentTag(tx, Number(id), tag);
      return id;
    });
  }

  private async upsertExperimentTag(tx: Database, id: number, tag: Tag): Promise<void> {
    await tx.run(sql`
      INSERT INTO experiment_tags ("key", value, experiment_id) VALUES (${tag.key}, ${tag.value}, ${id})
      ON CONFLICT ("key", experiment_id) DO UPDATE SET value = excluded.value`);
  }

  private async loadExperiments(where: Sql, db: Database = this.db): Promise<Experiment[]> {
    const rows = await db.all(sql`
      SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
      FROM experiments WHERE ${where}`);
    if (rows.length === 0) return [];
    const ids = rows.map((r) => toNumber(r.experiment_id) as number);
    const tagRows = await db.all(
      sql`SELECT "key", value, experiment_id FROM experiment_tags WHERE experiment_id IN ${list(ids)}`,
    );
    const tagsById = new Map<number, Tag[]>();
    for (const t of tagRows) {
      const id = toNumber(t.experiment_id) as number;
      const tags = tagsById.get(id) ?? [];
      tags.push({ key: String(t.key), value: String(t.value ?? "") });
      tagsById.set(id, tags);
    }
    return rows.map((r) => {
      const id = toNumber(r.experiment_id) as number;
      return {
        experimentId: String(id),
        name: String(r.name),
        artifactLocation: String(r.artifact_location ?? ""),
        lifecycleStage: (r.lifecycle_stage ?? "active") as LifecycleStage,
        creationTime: toNumber(r.creation_time),
        lastUpdateTime: toNumber(r.last_update_time),
        tags: tagsById.get(id) ?? [],
      };
    });
  }

  private async experimentById(id: string, db: Database = this.db): Promise<Experiment> {
    const numeric = parseExperimentId(id);
    const [experiment] = await this.loadExperiments(sql`experiment_id = ${numeric}`, db);
    if (!experiment) throw notFound(`No Experiment with id=${id} exists`);
    return experiment;
  }

  getExperiment(experimentId: string): Promise<Experiment> {
    return this.experimentById(experimentId);
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    const [experiment] = await this.loadExperiments(
      sql`name = ${name} AND workspace = ${WORKSPACE}`,
    );
    if (!experiment) throw notFound(`Could not find experiment with name '${name}'`);
    return experiment;
  }

  async searchExperiments(query: SearchExperiments): Promise<Page<Experiment>> {
    const rows = await this.db.all<{ experiment_id: unknown }>(
      searchExperimentsSql(
        {
          viewType: query.viewType,
          filter: parseExperimentFilter(query.filter),
          orderBy: parseExperimentOrderBy(query.orderBy),
          limit: query.maxResults + 1,
          offset: query.offset,
        },
        this.db.dialect,
      ),
    );
    const ids = rows.map((r) => toNumber(r.experiment_id) as number);
    const page = ids.slice(0, query.maxResults);
    const loaded = page.length
      ? await this.loadExperiments(sql`experiment_id IN ${list(page)}`)
      : [];
    const byId = new Map(loaded.map((e) => [e.experimentId, e]));
    const items = page.map((id) => byId.get(String(id))).filter((e) => e !== undefined);
    return ids.length > query.maxResults
      ? { items, nextOffset: query.offset + query.maxResults }
      : { items };
  }

  private async activeExperiment(tx: Database, id: string): Promise<Experiment> {
    const experiment = await this.experimentById(id, tx);
    if (experiment.lifecycleStage !== "active") {
      throw invalidParameter(
        `The experiment ${id} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`,
      );
    }
    return experiment;
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const experiment = await this.experimentById(experimentId, tx);
      if (experiment.lifecycleStage !== "active") {
        throw new MlflowError("INVALID_STATE", "Cannot rename a non-active experiment.");
      }
      if (experiment.name === newName) return;
      const taken = await tx.all(
        sql`SELECT experiment_id FROM experiments WHERE name = ${newName} AND workspace = ${WORKSPACE}`,
      );
      if (taken.length > 0) {
        throw new MlflowError(
          "RESOURCE_ALREADY_EXISTS",
          `Experiment(name=${newName}) already exists. Error: UNIQUE constraint failed`,
        );
      }
      await tx.run(sql`
        UPDATE experiments SET name = ${newName}, last_update_time = ${Date.now()}
        WHERE experiment_id = ${Number(experimentId)}`);
    });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.setExperimentLifecycle(experimentId, "deleted");
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.setExperimentLifecycle(experimentId, "active");
  }

  /** MLflow moves every run of the experiment along with it. */
  private async setExperimentLifecycle(experimentId: string, stage: LifecycleStage): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.experimentById(experimentId, tx);
      const now = Date.now();
      const id = Number(experimentId);
      await tx.run(sql`
        UPDATE experiments SET lifecycle_stage = ${stage}, last_update_time = ${now}
        WHERE experiment_id = ${id}`);
      await tx.run(sql`
        UPDATE runs SET lifecycle_stage = ${stage},
          deleted_time = ${stage === "deleted" ? now : null}
        WHERE experiment_id = ${id}`);
    });
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.activeExperiment(tx, experimentId);
      await this.upsertExperimentTag(tx, Number(experimentId), tag);
    });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.activeExperiment(tx, experimentId);
      const deleted = await tx.run(sql`
        DELETE FROM experiment_tags WHERE experiment_id = ${Number(experimentId)} AND "key" = ${key}`);
      if (deleted === 0) {
        throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Runs

  async createRun(input: CreateRun): Promise<Run> {
    const runId = crypto.randomUUID().replaceAll("-", "");
    const tagName = input.tags.find((t) => t.key === RUN_NAME_TAG)?.value;
    if (input.runName && tagName !== undefined && tagName !== input.runName) {
      throw invalidParameter(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different ` +
          `values (run_name='${input.runName}', mlflow.runName='${tagName}').`,
      );
    }
    const runName = input.runName || tagName || generateRunName();
    const tags = lastWins([...input.tags.filter((t) => t.key !== RUN_NAME_TAG), { key: RUN_NAME_TAG, value: runName }]);
    await this.db.transaction(async (tx) => {
      const experiment = await this.experimentById(input.experimentId, tx);
      if (experiment.lifecycleStage !== "active") {
        throw invalidParameter(
          `Could not create run under non-active experiment with ID ${input.experimentId}.`,
        );
      }
      const artifactUri = joinUri(experiment.artifactLocation, runId, "artifacts");
      await tx.run(sql`
        INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id,
          status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
        VALUES (${runId}, ${runName}, 'UNKNOWN', '', '', ${input.userId}, 'RUNNING',
          ${input.startTime}, NULL, '', 'active', ${artifactUri}, ${Number(input.experimentId)})`);
      await this.upsertTags(tx, runId, tags);
    });
    return this.getRun(runId, this.db);
  }

  async getRun(runId: string, db: Database = this.db): Promise<Run> {
    const [run] = await this.loadRuns([runId], db);
    if (!run) throw notFound(`Run with id=${runId} not found`);
    return run;
  }

  /** Loads complete runs (info, latest metrics, params, tags, dataset inputs) in the given order. */
  private async loadRuns(runIds: readonly string[], db: Database = this.db): Promise<Run[]> {
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
      this.loadDatasetInputs(runIds, db),
    ]);
    const runs = new Map<string, Run>();
    for (const r of runRows) {
      const runId = String(r.run_uuid);
      runs.set(runId, {
        info: {
          runId,
          experimentId: String(toNumber(r.experiment_id)),
          runName: String(r.name ?? ""),
          userId: String(r.user_id ?? ""),
          status: (r.status ?? "RUNNING") as RunStatus,
          startTime: toNumber(r.start_time),
          endTime: toNumber(r.end_time),
          artifactUri: String(r.artifact_uri ?? ""),
          lifecycleStage: (r.lifecycle_stage ?? "active") as LifecycleStage,
        },
        metrics: [],
        params: [],
        tags: [],
        datasetInputs: inputs.get(runId) ?? [],
      });
    }
    for (const m of metricRows) runs.get(String(m.run_uuid))?.metrics.push(decodeMetric(m));
    for (const p of paramRows) {
      runs.get(String(p.run_uuid))?.params.push({ key: String(p.key), value: String(p.value ?? "") });
    }
    for (const t of tagRows) {
      const run = runs.get(String(t.run_uuid));
      if (!run) continue;
      const tag = { key: String(t.key), value: String(t.value ?? "") };
      run.tags.push(tag);
      // Runs logged before MLflow had run names carry the name only in their tag.
      if (tag.key === RUN_NAME_TAG && !run.info.runName) run.info.runName = tag.value;
    }
    return runIds.map((id) => runs.get(id)).filter((r) => r !== undefined);
  }

  private async loadDatasetInputs(
    runIds: readonly string[],
    db: Database,
  ): Promise<Map<string, DatasetInput[]>> {
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
      WHERE input_uuid IN ${list(rows.map((r) => String(r.input_uuid)))}`);
    const tagsByInput = new Map<string, Tag[]>();
    for (const t of tagRows) {
      const tags = tagsByInput.get(String(t.input_uuid)) ?? [];
      tags.push({ key: String(t.name), value: String(t.value) });
      tagsByInput.set(String(t.input_uuid), tags);
    }
    for (const r of rows) {
      const runId = String(r.run_uuid);
      const inputs = byRun.get(runId) ?? [];
      inputs.push({
        tags: tagsByInput.get(String(r.input_uuid)) ?? [],
        dataset: {
          name: String(r.name),
          digest: String(r.digest),
          sourceType: String(r.dataset_source_type),
          source: String(r.dataset_source),
          schema: r.dataset_schema == null ? null : String(r.dataset_schema),
          profile: r.dataset_profile == null ? null : String(r.dataset_profile),
        },
      });
      byRun.set(runId, inputs);
    }
    return byRun;
  }

  private async runState(tx: Database, runId: string): Promise<LifecycleStage> {
    const rows = await tx.all(sql`SELECT lifecycle_stage FROM runs WHERE run_uuid = ${runId}`);
    const row = rows[0];
    if (!row) throw notFound(`Run with id=${runId} not found`);
    return (row.lifecycle_stage ?? "active") as LifecycleStage;
  }

  private async activeRun(tx: Database, runId: string): Promise<void> {
    const stage = await this.runState(tx, runId);
    if (stage !== "active") {
      throw invalidParameter(
        `The run ${runId} must be in the 'active' state. Current state is ${stage}.`,
      );
    }
  }

  async updateRun(runId: string, update: UpdateRun): Promise<RunInfo> {
    return this.db.transaction(async (tx) => {
      await this.activeRun(tx, runId);
      const sets: Sql[] = [];
      if (update.status !== undefined) sets.push(sql`status = ${update.status}`);
      if (update.endTime !== undefined) sets.push(sql`end_time = ${update.endTime}`);
      if (update.runName) sets.push(sql`name = ${update.runName}`);
      if (sets.length > 0) {
        await tx.run(sql`UPDATE runs SET ${join(sets, ", ")} WHERE run_uuid = ${runId}`);
      }
      if (update.runName) {
        await this.upsertTags(tx, runId, [{ key: RUN_NAME_TAG, value: update.runName }]);
      }
      return (await this.getRun(runId, tx)).info;
    });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.setRunLifecycle(runId, "deleted");
  }

  async restoreRun(runId: string): Promise<void> {
    await this.setRunLifecycle(runId, "active");
  }

  private async setRunLifecycle(runId: string, stage: LifecycleStage): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.runState(tx, runId);
      await tx.run(sql`
        UPDATE runs SET lifecycle_stage = ${stage},
          deleted_time = ${stage === "deleted" ? Date.now() : null}
        WHERE run_uuid = ${runId}`);
    });
  }

  async setTag(runId: string, tag: Tag): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.activeRun(tx, runId);
      await this.upsertTags(tx, runId, [tag]);
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.activeRun(tx, runId);
      const deleted = await tx.run(
        sql`DELETE FROM tags WHERE run_uuid = ${runId} AND "key" = ${key}`,
      );
      if (deleted === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  /** Upserts run tags (last one wins); `mlflow.runName` also renames the run. */
  private async upsertTags(tx: Database, runId: string, tags: readonly Tag[]): Promise<void> {
    const unique = lastWins(tags);
    if (unique.length === 0) return;
    for (const chunk of chunks(unique, INSERT_CHUNK)) {
      const rows = chunk.map((t) => [t.key, t.value, runId]);
      await tx.run(sql`
        INSERT INTO tags ("key", value, run_uuid) ${bulkRows(tx.dialect, keyValueColumns, rows)}
        ON CONFLICT ("key", run_uuid) DO UPDATE SET value = excluded.value`);
    }
    const name = unique.find((t) => t.key === RUN_NAME_TAG);
    if (name) await tx.run(sql`UPDATE runs SET name = ${name.value} WHERE run_uuid = ${runId}`);
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.activeRun(tx, runId);
      if (batch.params.length > 0) await this.insertParams(tx, runId, batch.params);
      if (batch.metrics.length > 0) await this.insertMetrics(tx, runId, batch.metrics);
      if (batch.tags.length > 0) await this.upsertTags(tx, runId, batch.tags);
    });
  }

  /** Params are write-once: the same value again is a no-op, a different one fails the batch. */
  private async insertParams(tx: Database, runId: string, params: readonly Tag[]): Promise<void> {
    const existing = await tx.all(sql`
      SELECT "key", value FROM params
      WHERE run_uuid = ${runId} AND "key" IN ${list(params.map((p) => p.key))}`);
    const logged = new Map(existing.map((r) => [String(r.key), String(r.value)]));
    const changed = params.filter((p) => logged.has(p.key) && logged.get(p.key) !== p.value);
    const [first] = changed;
    if (first) {
      throw invalidParameter(
        changed.length === 1
          ? `Changing param values is not allowed. Param with key='${first.key}' was already ` +
              `logged with value='${logged.get(first.key)}' for run ID='${runId}'. Attempted ` +
              `logging new value '${first.value}'.`
          : `Changing param values is not allowed. Params were already logged='${JSON.stringify(
              changed.map((p) => ({ key: p.key, old_value: logged.get(p.key), new_value: p.value })),
            )}' for run ID='${runId}'.`,
      );
    }
    const fresh = params.filter((p) => !logged.has(p.key));
    for (const chunk of chunks(fresh, INSERT_CHUNK)) {
      const rows = chunk.map((p) => [p.key, p.value, runId]);
      await tx.run(sql`
        INSERT INTO params ("key", value, run_uuid) ${bulkRows(tx.dialect, keyValueColumns, rows)}
        ON CONFLICT ("key", run_uuid) DO NOTHING`);
    }
  }

  private async insertMetrics(tx: Database, runId: string, metrics: readonly Metric[]): Promise<void> {
    const encoded = metrics.map((m) => ({ ...m, ...encodeValue(m.value) }));
    for (const chunk of chunks(encoded, INSERT_CHUNK)) {
      const rows = chunk.map((m) => [m.key, m.value, m.timestamp, m.step, m.isNan, runId]);
      await tx.run(sql`
        INSERT INTO metrics ("key", value, timestamp, step, is_nan, run_uuid)
        ${bulkRows(tx.dialect, metricColumns, rows)}
        ON CONFLICT DO NOTHING`);
    }
    // One candidate per key (a statement may touch each latest_metrics row only once on
    // PostgreSQL); the database keeps whichever of stored and candidate is newer.
    const newest = new Map<string, (typeof encoded)[number]>();
    for (const m of encoded) {
      const current = newest.get(m.key);
      if (!current || isNewer(m, current)) newest.set(m.key, m);
    }
    for (const chunk of chunks([...newest.values()], INSERT_CHUNK)) {
      const rows = chunk.map((m) => [m.key, m.value, m.timestamp, m.step, m.isNan, runId]);
      await tx.run(sql`
        INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid)
        ${bulkRows(tx.dialect, metricColumns, rows)}
        ON CONFLICT ("key", run_uuid) DO UPDATE SET
          value = excluded.value, timestamp = excluded.timestamp,
          step = excluded.step, is_nan = excluded.is_nan
        WHERE excluded.step > latest_metrics.step
          OR (excluded.step = latest_metrics.step
              AND (latest_metrics.timestamp IS NULL OR excluded.timestamp > latest_metrics.timestamp
                   OR (excluded.timestamp = latest_metrics.timestamp
                       AND excluded.value > latest_metrics.value)))`);
    }
  }

  async getMetricHistory(query: MetricHistoryQuery): Promise<Page<Metric>> {
    await this.runState(this.db, query.runId);
    // SQLite accepts OFFSET only after a LIMIT; -1 means "no limit" there.
    const limit =
      query.maxResults !== undefined
        ? sql`LIMIT ${query.maxResults + 1}`
        : query.offset > 0 && this.db.dialect === "sqlite"
          ? sql`LIMIT -1`
          : sql``;
    const offset = query.offset > 0 ? sql`OFFSET ${query.offset}` : sql``;
    const rows = await this.db.all(sql`
      SELECT "key", value, timestamp, step, is_nan FROM metrics
      WHERE run_uuid = ${query.runId} AND "key" = ${query.key}
      ORDER BY timestamp, step, value
      ${limit} ${offset}`);
    const metrics = rows.map(decodeMetric);
    if (query.maxResults !== undefined && metrics.length > query.maxResults) {
      return { items: metrics.slice(0, query.maxResults), nextOffset: query.offset + query.maxResults };
    }
    return { items: metrics };
  }

  async streamMetricHistory(runId: string, key: string): Promise<AsyncIterable<Metric[]>> {
    await this.runState(this.db, runId);
    const batches = this.db.iterate(
      sql`
        SELECT "key", value, timestamp, step, is_nan FROM metrics
        WHERE run_uuid = ${runId} AND "key" = ${key}
        ORDER BY timestamp, step, value`,
      HISTORY_BATCH,
    );
    return (async function* () {
      for await (const rows of batches) yield rows.map(decodeMetric);
    })();
  }

  async searchRuns(query: SearchRuns): Promise<Page<Run>> {
    const ids = query.experimentIds.map((id) => {
      parseExperimentId(id);
      return id;
    });
    if (ids.length === 0) return { items: [] };
    const runIds = await searchRunIds(this.db, {
      experimentIds: ids,
      viewType: query.viewType,
      filter: parseRunFilter(query.filter),
      orderBy: parseRunOrderBy(query.orderBy),
      limit: query.maxResults,
      offset: query.offset,
    });
    const runs = await this.loadRuns(runIds);
    // MLflow emits a token whenever the page is full, without looking ahead.
    return runs.length === query.maxResults && query.maxResults > 0
      ? { items: runs, nextOffset: query.offset + query.maxResults }
      : { items: runs };
  }

  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.activeRun(tx, runId);
      const [run] = await tx.all(sql`SELECT experiment_id FROM runs WHERE run_uuid = ${runId}`);
      const experimentId = toNumber(run?.experiment_id) as number;
      for (const input of inputs) {
        const d = input.dataset;
        const existing = await tx.all(sql`
          SELECT dataset_uuid FROM datasets
          WHERE experiment_id = ${experimentId} AND name = ${d.name} AND digest = ${d.digest}`);
        let datasetUuid = existing[0] ? String(existing[0].dataset_uuid) : undefined;
        if (!datasetUuid) {
          datasetUuid = newUuid();
          await tx.run(sql`
            INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type,
              dataset_source, dataset_schema, dataset_profile)
            VALUES (${datasetUuid}, ${experimentId}, ${d.name}, ${d.digest}, ${d.sourceType},
              ${d.source}, ${d.schema}, ${d.profile})`);
        }
        const inputUuid = newUuid();
        const linked = await tx.run(sql`
          INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step)
          VALUES (${inputUuid}, 'DATASET', ${datasetUuid}, 'RUN', ${runId}, 0)
          ON CONFLICT DO NOTHING`);
        // Re-logging the same dataset is a no-op: its link and tags stay as first logged.
        if (linked === 0 || input.tags.length === 0) continue;
        const rows = lastWins(input.tags).map((t) => [inputUuid, t.key, t.value]);
        await tx.run(sql`
          INSERT INTO input_tags (input_uuid, name, value) ${bulkRows(tx.dialect, inputTagColumns, rows)}`);
      }
    });
  }

  async searchDatasets(experimentIds: string[], limit: number): Promise<DatasetSummary[]> {
    const ids = experimentIds.map(parseExperimentId);
    if (ids.length === 0) return [];
    const rows = await this.db.all(sql`
      SELECT DISTINCT d.experiment_id, d.name, d.digest, t.value AS context
      FROM datasets d
      JOIN inputs i ON i.source_type = 'DATASET' AND i.source_id = d.dataset_uuid
        AND i.destination_type = 'RUN'
      LEFT JOIN input_tags t ON t.input_uuid = i.input_uuid AND t.name = ${DATASET_CONTEXT_TAG}
      WHERE d.experiment_id IN ${list(ids)}
      ORDER BY d.experiment_id, d.name, d.digest, context
      LIMIT ${limit}`);
    return rows.map((r) => ({
      experimentId: String(toNumber(r.experiment_id)),
      name: String(r.name),
      digest: String(r.digest),
      context: r.context == null ? null : String(r.context),
    }));
  }

  async getMetricHistoryBulk(runIds: string[], key: string, maxResults: number): Promise<MetricWithRunId[]> {
    const sorted = [...new Set(runIds)].sort();
    const rows = await this.db.all(sql`
      SELECT run_uuid, "key", value, timestamp, step, is_nan FROM metrics
      WHERE run_uuid IN ${list(sorted)} AND "key" = ${key}
      ORDER BY run_uuid, timestamp, step, value
      LIMIT ${maxResults}`);
    return rows.map((r) => ({ ...decodeMetric(r), runId: String(r.run_uuid) }));
  }

  /**
   * Each run's first and last step come from the (run_uuid, key, step) index; when every run
   * logged every step of its range (distinct steps = range length, the usual case) the union of
   * steps is known without reading it into memory, otherwise the distinct steps are read.
   */
  private async metricSteps(runIds: readonly string[], key: string): Promise<{
    bounds: [number, number][];
    steps: StepSequence;
  }> {
    const perRun = await Promise.all(
      runIds.map(async (runId) => {
        const where = sql`run_uuid = ${runId} AND "key" = ${key}`;
        const [lo, hi] = await Promise.all([
          this.db.all(sql`SELECT MIN(step) AS v FROM metrics WHERE ${where}`),
          this.db.all(sql`SELECT MAX(step) AS v FROM metrics WHERE ${where}`),
        ]);
        const first = toNumber(lo[0]?.v);
        const last = toNumber(hi[0]?.v);
        if (first === null || last === null) return undefined;
        const range: [number, number] = [first, last];
        return { range, dense: await this.isDense(runId, key, range) };
      }),
    );
    const present = perRun.filter((r) => r !== undefined);
    const bounds = present.map((r) => r.range);
    if (present.every((r) => r.dense)) return { bounds, steps: intervalUnion(bounds) };
    const rows = await this.db.all(sql`
      SELECT DISTINCT step FROM metrics
      WHERE run_uuid IN ${list(runIds)} AND "key" = ${key} ORDER BY step`);
    return { bounds, steps: stepList(rows.map((r) => toNumber(r.step) as number)) };
  }

  /** A run's points of `key` at the given steps, by step then timestamp. */
  private pointsAtSteps(runId: string, key: string, steps: readonly number[], limit: number): Sql {
    if (this.db.dialect === "postgresql") {
      // One index probe per step. Given `step IN (…)`, PostgreSQL without statistics for a
      // freshly loaded table filters the run's whole history by the list instead (seconds at
      // 100,000 steps); OFFSET 0 keeps the lateral subquery from being flattened into that plan.
      return sql`
        SELECT m.run_uuid, m."key", m.value, m.timestamp, m.step, m.is_nan
        FROM unnest(CAST(CAST(${pgArrayLiteral(steps)} AS text) AS bigint[])) AS s(step)
        CROSS JOIN LATERAL (
          SELECT run_uuid, "key", value, timestamp, step, is_nan FROM metrics
          WHERE run_uuid = ${runId} AND "key" = ${key} AND step = s.step OFFSET 0) m
        ORDER BY m.step, m.timestamp
        LIMIT ${limit}`;
    }
    return sql`
      SELECT run_uuid, "key", value, timestamp, step, is_nan FROM metrics
      WHERE run_uuid = ${runId} AND "key" = ${key} AND step IN ${list(steps)}
      ORDER BY step, timestamp
      LIMIT ${limit}`;
  }

  /**
   * Whether the run logged `key` at every step of `range`, counting only the steps not already
   * known to be there; the answer is remembered for the next request.
   */
  private async isDense(runId: string, key: string, range: [number, number]): Promise<boolean> {
    const dense = await this.countsDense(runId, key, range);
    if (dense) this.denseSteps.set(runId, key, range);
    else this.denseSteps.delete(runId, key);
    return dense;
  }

  private async countsDense(runId: string, key: string, [first, last]: [number, number]): Promise<boolean> {
    const distinctSteps = async (from: number, to: number): Promise<number> => {
      if (from > to) return 0;
      const [row] = await this.db.all(sql`
        SELECT COUNT(DISTINCT step) AS v FROM metrics
        WHERE run_uuid = ${runId} AND "key" = ${key} AND step >= ${from} AND step <= ${to}`);
      return toNumber(row?.v) ?? 0;
    };
    const known = this.denseSteps.get(runId, key);
    if (known && known[0] >= first && known[1] <= last) {
      const [below, above] = await Promise.all([distinctSteps(first, known[0] - 1), distinctSteps(known[1] + 1, last)]);
      return below === known[0] - first && above === last - known[1];
    }
    return (await distinctSteps(first, last)) === last - first + 1;
  }

  async getMetricHistoryBulkInterval(query: BulkIntervalQuery): Promise<MetricWithRunId[]> {
    const runIds = [...new Set(query.runIds)].sort();
    const { bounds, steps } = await this.metricSteps(runIds, query.key);
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
      runIds.map((runId) => this.db.all(this.pointsAtSteps(runId, query.key, picked, query.maxResults))),
    );
    return points.flat().map((r) => ({ ...decodeMetric(r), runId: String(r.run_uuid) }));
  }
}
