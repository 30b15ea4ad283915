/**
 * MLflow 3 logged models on MLflow's own tables (`logged_models`, `logged_model_tags`,
 * `logged_model_params`, `logged_model_metrics`) and the run <-> model links in `inputs`, written
 * once for every SQL database. Semantics follow MLflow's SqlAlchemyStore (spec
 * mlflow3-models-traces §2); nothing here knows about HTTP.
 */

import { MlflowError, notFound } from "../errors.ts";
import { generateRunName } from "../tracking/run-names.ts";
import { toNumber, type Database, type Row } from "./db/database.ts";
import { list, sql } from "./db/sql.ts";
import {
  LOGGED_MODEL_STATUSES,
  type CreateLoggedModel,
  type LoggedModel,
  type LoggedModelMetric,
  type LoggedModelStatus,
  type ModelMetricInput,
  type RunModelLinks,
  type SearchLoggedModels,
} from "./logged-model-types.ts";
import { searchLoggedModelIdsSql } from "./search-logged-models-sql.ts";
import type { Page, Tag } from "./types.ts";

/** SQL cannot hold infinities; MLflow clamps them to the largest double. */
const MAX_DOUBLE = 1.7976931348623157e308;
const INVALID_NAME_CHARS = ["/", ":", ".", "%", '"', "'"];
/** Ids per `IN (...)` list when loading models: far below SQLite's parameter bound. */
const ID_CHUNK = 500;

const text = (value: unknown): string => (value === null || value === undefined ? "" : String(value));

/** MLflow's append_to_uri_path for the roots fml serves: `<root>/<part>/...` without doubled slashes. */
export function appendToUri(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ""), ...parts].join("/");
}

export function loggedModelNotFound(modelId: string): MlflowError {
  return notFound(`Logged model with ID '${modelId}' not found.`);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function validateModelName(name: string): void {
  if (INVALID_NAME_CHARS.some((c) => name.includes(c))) {
    throw new MlflowError(
      "INVALID_PARAMETER_VALUE",
      `Invalid model name ('${name}') provided. Model name must be a non-empty string and cannot contain ` +
        `the following characters: ('/', ':', '.', '%', '"', "'")`,
    );
  }
}

function duplicateParam(key: string): MlflowError {
  return new MlflowError("BAD_REQUEST", `Logged model param with key '${key}' already exists.`);
}

function metricValue(value: number): number {
  if (Number.isNaN(value)) return 0;
  if (value === Infinity) return MAX_DOUBLE;
  if (value === -Infinity) return -MAX_DOUBLE;
  return value;
}

export interface LoggedModelStoreOptions {
  /** Where experiments without an artifact_location keep artifacts: `<root>/<experiment_id>`. */
  defaultArtifactRoot: string;
}

export class SqlLoggedModelStore {
  constructor(
    private readonly db: Database,
    private readonly options: LoggedModelStoreOptions,
  ) {}

  /** The experiment's artifact root, after checking it exists and is active. */
  private async activeExperimentRoot(tx: Database, experimentId: string): Promise<string> {
    const id = /^\d+$/.test(experimentId) ? Number(experimentId) : undefined;
    const [row] =
      id === undefined || !Number.isSafeInteger(id)
        ? []
        : await tx.all(sql`SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = ${id}`);
    if (!row) throw notFound(`No Experiment with id=${experimentId} exists`);
    const stage = text(row.lifecycle_stage) || "active";
    if (stage !== "active") {
      throw new MlflowError(
        "INVALID_PARAMETER_VALUE",
        `The experiment ${experimentId} must be in the 'active' state. Current state is ${stage}.`,
      );
    }
    return text(row.artifact_location) || appendToUri(this.options.defaultArtifactRoot, experimentId);
  }

  async createLoggedModel(input: CreateLoggedModel): Promise<LoggedModel> {
    const name = input.name || generateRunName();
    validateModelName(name);
    const seen = new Set<string>();
    for (const p of input.params) {
      if (seen.has(p.key)) throw duplicateParam(p.key);
      seen.add(p.key);
    }
    const modelId = `m-${crypto.randomUUID().replaceAll("-", "")}`;
    return this.db.transaction(async (tx) => {
      const root = await this.activeExperimentRoot(tx, input.experimentId);
      const experimentId = Number(input.experimentId);
      const artifactLocation = appendToUri(root, "models", modelId, "artifacts");
      const now = Date.now();
      await tx.run(sql`
        INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms,
          last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id)
        VALUES (${modelId}, ${experimentId}, ${name}, ${artifactLocation}, ${now}, ${now}, 1, 'active',
          ${input.modelType ?? ""}, ${input.sourceRunId ?? ""})`);
      for (const p of input.params) {
        await tx.run(sql`
          INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value)
          VALUES (${modelId}, ${experimentId}, ${p.key}, ${p.value})`);
      }
      await this.upsertTags(tx, modelId, experimentId, input.tags);
      return this.loadOne(tx, modelId, false);
    });
  }

  async getLoggedModel(modelId: string, allowDeleted = false): Promise<LoggedModel> {
    return this.loadOne(this.db, modelId, allowDeleted);
  }

  /** MLflow updates whatever model the body names, deleted ones too, to any status. */
  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.run(sql`
        UPDATE logged_models SET status = ${LOGGED_MODEL_STATUSES.indexOf(status)},
          last_updated_timestamp_ms = ${Date.now()}
        WHERE model_id = ${modelId}`);
      if (changed === 0) throw loggedModelNotFound(modelId);
      return this.loadOne(tx, modelId, true);
    });
  }

  /** A soft delete: hidden from get and search, artifacts kept until `fml gc`. */
  async deleteLoggedModel(modelId: string): Promise<void> {
    const changed = await this.db.run(sql`
      UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = ${Date.now()}
      WHERE model_id = ${modelId}`);
    if (changed === 0) throw loggedModelNotFound(modelId);
  }

  async setLoggedModelTags(modelId: string, tags: readonly Tag[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const experimentId = await this.experimentOf(tx, modelId);
      await this.upsertTags(tx, modelId, experimentId, tags);
    });
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.experimentOf(tx, modelId);
      const deleted = await tx.run(sql`DELETE FROM logged_model_tags WHERE model_id = ${modelId} AND tag_key = ${key}`);
      if (deleted === 0) throw notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
    });
  }

  /** Insert-only, as MLflow's primary key makes it: an existing key fails the whole request. */
  async logLoggedModelParams(modelId: string, params: readonly Tag[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const experimentId = await this.experimentOf(tx, modelId);
      const seen = new Set<string>();
      for (const p of params) {
        if (seen.has(p.key)) throw duplicateParam(p.key);
        seen.add(p.key);
        const inserted = await tx.run(sql`
          INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value)
          VALUES (${modelId}, ${experimentId}, ${p.key}, ${p.value})
          ON CONFLICT (model_id, param_key) DO NOTHING`);
        if (inserted === 0) throw duplicateParam(p.key);
      }
    });
  }

  async searchLoggedModels(query: SearchLoggedModels): Promise<Page<LoggedModel>> {
    const ids = (await this.db.all(searchLoggedModelIdsSql(query, this.db.dialect))).map((r) => String(r.model_id));
    const more = ids.length > query.limit;
    const pageIds = ids.slice(0, query.limit);
    const models = await this.loadMany(this.db, pageIds);
    const byId = new Map(models.map((m) => [m.modelId, m]));
    return {
      items: pageIds.flatMap((id) => byId.get(id) ?? []),
      nextOffset: more ? query.offset + query.limit : undefined,
    };
  }

  /**
   * `runs/outputs`: one MODEL_OUTPUT row per model. MLflow checks neither the model nor the step;
   * the same (run, model) pair again fails on the primary key.
   */
  async logOutputs(runId: string, models: readonly { modelId: string; step: number }[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.activeRun(tx, runId);
      for (const m of models) {
        const inserted = await tx.run(sql`
          INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step)
          VALUES (${crypto.randomUUID().replaceAll("-", "")}, 'RUN_OUTPUT', ${runId}, 'MODEL_OUTPUT', ${m.modelId}, ${m.step})
          ON CONFLICT (source_type, source_id, destination_type, destination_id) DO NOTHING`);
        if (inserted === 0) {
          throw new MlflowError("BAD_REQUEST", `Model '${m.modelId}' is already an output of run '${runId}'.`);
        }
      }
    });
  }

  /** Model inputs (`runs/log-inputs` with `models`), skipped when the link exists. */
  async logModelInputs(tx: Database, runId: string, modelIds: readonly string[]): Promise<void> {
    for (const modelId of modelIds) {
      await tx.run(sql`
        INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step)
        VALUES (${crypto.randomUUID().replaceAll("-", "")}, 'RUN_INPUT', ${runId}, 'MODEL_INPUT', ${modelId}, 0)
        ON CONFLICT (source_type, source_id, destination_type, destination_id) DO NOTHING`);
    }
  }

  async runModelLinks(runId: string): Promise<RunModelLinks> {
    const rows = await this.db.all(sql`
      SELECT source_type, source_id, destination_type, destination_id, step FROM inputs
      WHERE (source_type = 'RUN_OUTPUT' AND source_id = ${runId} AND destination_type = 'MODEL_OUTPUT')
         OR (source_type = 'RUN_INPUT' AND source_id = ${runId} AND destination_type = 'MODEL_INPUT')`);
    const links: RunModelLinks = { modelInputs: [], modelOutputs: [] };
    for (const r of rows) {
      if (r.destination_type === "MODEL_OUTPUT") {
        links.modelOutputs.push({ modelId: text(r.destination_id), step: toNumber(r.step) ?? 0 });
      } else {
        links.modelInputs.push({ modelId: text(r.destination_id) });
      }
    }
    return links;
  }

  /**
   * `logged_model_metrics` rows for metrics logged with a `model_id`, in the caller's transaction
   * (the run's metric rows are written beside them). Unknown models fail like MLflow's foreign key.
   */
  async logModelMetrics(tx: Database, runId: string, experimentId: number, metrics: readonly ModelMetricInput[]): Promise<void> {
    if (metrics.length === 0) return;
    const modelIds = [...new Set(metrics.map((m) => m.modelId))];
    const known = await tx.all(sql`SELECT model_id FROM logged_models WHERE model_id IN ${list(modelIds)}`);
    const knownIds = new Set(known.map((r) => text(r.model_id)));
    const unknown = modelIds.find((id) => !knownIds.has(id));
    if (unknown !== undefined) throw new MlflowError("BAD_REQUEST", `Logged model with ID '${unknown}' not found.`);
    for (const m of metrics) {
      await tx.run(sql`
        INSERT INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value,
          experiment_id, run_id, dataset_uuid, dataset_name, dataset_digest)
        VALUES (${m.modelId}, ${m.key}, ${m.timestamp}, ${m.step}, ${metricValue(m.value)}, ${experimentId},
          ${runId}, NULL, ${m.datasetName ?? null}, ${m.datasetDigest ?? null})
        ON CONFLICT (model_id, metric_name, metric_timestamp_ms, metric_step, run_id) DO NOTHING`);
    }
  }

  // -------------------------------------------------------------------------------------------

  private async activeRun(tx: Database, runId: string): Promise<void> {
    const [row] = await tx.all(sql`SELECT lifecycle_stage FROM runs WHERE run_uuid = ${runId}`);
    if (!row) throw notFound(`Run with id=${runId} not found`);
    if (text(row.lifecycle_stage) !== "active") {
      throw new MlflowError(
        "INVALID_PARAMETER_VALUE",
        `The run ${runId} must be in the 'active' state. Current state is ${text(row.lifecycle_stage)}.`,
      );
    }
  }

  private async experimentOf(tx: Database, modelId: string): Promise<number> {
    const [row] = await tx.all(sql`SELECT experiment_id FROM logged_models WHERE model_id = ${modelId}`);
    if (!row) throw loggedModelNotFound(modelId);
    return toNumber(row.experiment_id) as number;
  }

  private async upsertTags(tx: Database, modelId: string, experimentId: number, tags: readonly Tag[]): Promise<void> {
    for (const tag of tags) {
      await tx.run(sql`
        INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value)
        VALUES (${modelId}, ${experimentId}, ${tag.key}, ${tag.value})
        ON CONFLICT (model_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value`);
    }
  }

  private async loadOne(db: Database, modelId: string, allowDeleted: boolean): Promise<LoggedModel> {
    const [model] = await this.loadMany(db, [modelId]);
    if (!model || (!allowDeleted && model.lifecycleStage === "deleted")) throw loggedModelNotFound(modelId);
    return model;
  }

  private async loadMany(db: Database, modelIds: readonly string[]): Promise<LoggedModel[]> {
    const models: LoggedModel[] = [];
    for (const ids of chunks(modelIds, ID_CHUNK)) {
      const where = sql`model_id IN ${list(ids)}`;
      const [rows, tagRows, paramRows, metricRows] = await Promise.all([
        db.all(sql`SELECT * FROM logged_models WHERE ${where}`),
        db.all(sql`SELECT model_id, tag_key, tag_value FROM logged_model_tags WHERE ${where} ORDER BY tag_key`),
        db.all(sql`SELECT model_id, param_key, param_value FROM logged_model_params WHERE ${where} ORDER BY param_key`),
        db.all(sql`
          SELECT model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, run_id, dataset_name,
            dataset_digest
          FROM logged_model_metrics WHERE ${where} ORDER BY metric_timestamp_ms, metric_step`),
      ]);
      const tags = groupBy(tagRows, (r) => ({ key: text(r.tag_key), value: text(r.tag_value) }));
      const params = groupBy(paramRows, (r) => ({ key: text(r.param_key), value: text(r.param_value) }));
      const metrics = groupBy(metricRows, toMetric);
      for (const r of rows) models.push(toLoggedModel(r, tags, params, metrics));
    }
    return models;
  }
}

function groupBy<T>(rows: readonly Row[], decode: (row: Row) => T): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const id = text(row.model_id);
    const items = out.get(id) ?? [];
    items.push(decode(row));
    out.set(id, items);
  }
  return out;
}

function toMetric(r: Row): LoggedModelMetric {
  return {
    key: text(r.metric_name),
    value: toNumber(r.metric_value) ?? NaN,
    timestamp: toNumber(r.metric_timestamp_ms) ?? 0,
    step: toNumber(r.metric_step) ?? 0,
    datasetName: r.dataset_name === null || r.dataset_name === undefined ? null : text(r.dataset_name),
    datasetDigest: r.dataset_digest === null || r.dataset_digest === undefined ? null : text(r.dataset_digest),
    modelId: text(r.model_id),
    runId: text(r.run_id),
  };
}

function toLoggedModel(
  r: Row,
  tags: Map<string, Tag[]>,
  params: Map<string, Tag[]>,
  metrics: Map<string, LoggedModelMetric[]>,
): LoggedModel {
  const id = text(r.model_id);
  const status = LOGGED_MODEL_STATUSES[toNumber(r.status) ?? 0] ?? "LOGGED_MODEL_STATUS_UNSPECIFIED";
  return {
    modelId: id,
    experimentId: String(toNumber(r.experiment_id)),
    name: text(r.name),
    artifactUri: text(r.artifact_location),
    creationTimestampMs: toNumber(r.creation_timestamp_ms) ?? 0,
    lastUpdatedTimestampMs: toNumber(r.last_updated_timestamp_ms) ?? 0,
    status,
    modelType: text(r.model_type),
    sourceRunId: text(r.source_run_id),
    lifecycleStage: text(r.lifecycle_stage) || "active",
    tags: tags.get(id) ?? [],
    params: params.get(id) ?? [],
    metrics: metrics.get(id) ?? [],
  };
}

