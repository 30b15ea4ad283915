/**
 * MLflow 3 logged models on MLflow's own tables (`logged_models`, `logged_model_tags`,
 * `logged_model_params`, `logged_model_metrics`) and the run <-> model links in `inputs`, written
 * once for every SQL database. Semantics follow MLflow's SqlAlchemyStore (spec
 * mlflow3-models-traces §2); nothing here knows about HTTP.
 */

import { MlflowError, notFound } from "../errors.ts";
import { pyJsonDumps } from "../search/py-repr.ts";
import { generateRunName } from "./run-names.ts";
import { chunks, parseExperimentId } from "./common.ts";
import type { Database, Row } from "./db/database.ts";
import { forUpdate, insertIgnoring, list, onConflictDoNothing, onConflictUpdate, sql } from "./db/sql.ts";
import {
  LOGGED_MODEL_STATUSES,
  type CreateLoggedModel,
  type LoggedModel,
  type LoggedModelMetric,
  type LoggedModelStatus,
  type SearchLoggedModels,
} from "./logged-model-types.ts";
import { integer, optionalInteger, optionalText, real, text } from "./rows.ts";
import { logOutputs, recordLoggedModel } from "./run-models.ts";
import { searchLoggedModelIdsSql } from "./search-logged-models-sql.ts";
import type { Page, Tag } from "./types.ts";

const MODEL_VERSIONS_TAG = "mlflow.modelVersions";
const INVALID_NAME_CHARS = ["/", ":", ".", "%", '"', "'"];
/** Ids per `IN (...)` list when loading models: far below SQLite's parameter bound. */
const ID_CHUNK = 500;

/** MLflow's append_to_uri_path for the roots fml serves: `<root>/<part>/...` without doubled slashes. */
export function appendToUri(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ""), ...parts].join("/");
}

export function loggedModelNotFound(modelId: string): MlflowError {
  return notFound(`Logged model with ID '${modelId}' not found.`);
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
    const id = parseExperimentId(experimentId);
    const [row] = await tx.all(sql`SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = ${id}`);
    if (!row) throw notFound(`No Experiment with id=${experimentId} exists`);
    const stage = optionalText(row, "experiments", "lifecycle_stage") ?? "active";
    if (stage !== "active") {
      throw new MlflowError(
        "INVALID_PARAMETER_VALUE",
        `The experiment ${experimentId} must be in the 'active' state. Current state is ${stage}.`,
      );
    }
    return (
      optionalText(row, "experiments", "artifact_location") || appendToUri(this.options.defaultArtifactRoot, experimentId)
    );
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
          ${insertIgnoring(tx.dialect)} logged_model_params (model_id, experiment_id, param_key, param_value)
          VALUES (${modelId}, ${experimentId}, ${p.key}, ${p.value})
          ${onConflictDoNothing(tx.dialect, "model_id, param_key")}`);
        if (inserted === 0) throw duplicateParam(p.key);
      }
    });
  }

  async searchLoggedModels(query: SearchLoggedModels): Promise<Page<LoggedModel>> {
    // MLflow answers 500 to a non-integer id; here it is MLflow's invalid-parameter message.
    query.experimentIds.forEach(parseExperimentId);
    const rows = await this.db.all(searchLoggedModelIdsSql(query, this.db.dialect));
    const ids = rows.map((r) => text(r, "logged_models", "model_id"));
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
   * The `mlflow.modelVersions` tag MLflow keeps on a registered logged model: a JSON list of
   * `{"name", "version"}`, each registration once.
   */
  async addModelVersionToTag(modelId: string, name: string, version: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Read-modify-write of one tag: concurrent registrations queue on the model's row
      // (SQLite's single writer already serializes them).
      const [model] = await tx.all(sql`SELECT experiment_id FROM logged_models WHERE model_id = ${modelId} ${forUpdate(tx.dialect)}`);
      if (!model) throw loggedModelNotFound(modelId);
      const experimentId = integer(model, "logged_models", "experiment_id");
      const [row] = await tx.all(sql`
        SELECT tag_value FROM logged_model_tags WHERE model_id = ${modelId} AND tag_key = ${MODEL_VERSIONS_TAG}`);
      const entry = { name, version };
      let versions: unknown[] = [];
      try {
        const parsed: unknown = row ? JSON.parse(text(row, "logged_model_tags", "tag_value")) : [];
        if (Array.isArray(parsed)) versions = parsed;
      } catch {
        // A hand-edited tag that is not JSON is replaced, as MLflow would fail to read it.
      }
      const present = versions.some((v) => JSON.stringify(v) === JSON.stringify(entry));
      if (!present) versions.push(entry);
      await this.upsertTags(tx, modelId, experimentId, [{ key: MODEL_VERSIONS_TAG, value: pyJsonDumps(versions) }]);
    });
  }

  /** `runs/outputs`: see run-models.ts. */
  logOutputs(runId: string, models: readonly { modelId: string; step: number }[]): Promise<void> {
    return logOutputs(this.db, runId, models);
  }

  /** MLflow 2's `runs/log-model`: see run-models.ts. */
  recordLoggedModel(runId: string, modelJson: string): Promise<void> {
    return recordLoggedModel(this.db, runId, modelJson);
  }

  // -------------------------------------------------------------------------------------------

  private async experimentOf(tx: Database, modelId: string): Promise<number> {
    const [row] = await tx.all(sql`SELECT experiment_id FROM logged_models WHERE model_id = ${modelId}`);
    if (!row) throw loggedModelNotFound(modelId);
    return integer(row, "logged_models", "experiment_id");
  }

  private async upsertTags(tx: Database, modelId: string, experimentId: number, tags: readonly Tag[]): Promise<void> {
    for (const tag of tags) {
      await tx.run(sql`
        INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value)
        VALUES (${modelId}, ${experimentId}, ${tag.key}, ${tag.value})
        ${onConflictUpdate(tx.dialect, "model_id, tag_key", ["tag_value"])}`);
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
      const tags = groupBy(tagRows, "logged_model_tags", (r) => ({
        key: text(r, "logged_model_tags", "tag_key"),
        value: text(r, "logged_model_tags", "tag_value"),
      }));
      const params = groupBy(paramRows, "logged_model_params", (r) => ({
        key: text(r, "logged_model_params", "param_key"),
        value: text(r, "logged_model_params", "param_value"),
      }));
      const metrics = groupBy(metricRows, "logged_model_metrics", decodeModelMetric);
      for (const r of rows) models.push(decodeLoggedModel(r, tags, params, metrics));
    }
    return models;
  }
}

function groupBy<T>(rows: readonly Row[], table: string, decode: (row: Row) => T): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const id = text(row, table, "model_id");
    const items = out.get(id) ?? [];
    items.push(decode(row));
    out.set(id, items);
  }
  return out;
}

const METRICS = "logged_model_metrics";

function decodeModelMetric(r: Row): LoggedModelMetric {
  return {
    key: text(r, METRICS, "metric_name"),
    value: r.metric_value === null ? NaN : real(r, METRICS, "metric_value"),
    timestamp: integer(r, METRICS, "metric_timestamp_ms"),
    step: integer(r, METRICS, "metric_step"),
    datasetName: optionalText(r, METRICS, "dataset_name"),
    datasetDigest: optionalText(r, METRICS, "dataset_digest"),
    modelId: text(r, METRICS, "model_id"),
    runId: text(r, METRICS, "run_id"),
  };
}

const MODELS = "logged_models";

function decodeLoggedModel(
  r: Row,
  tags: Map<string, Tag[]>,
  params: Map<string, Tag[]>,
  metrics: Map<string, LoggedModelMetric[]>,
): LoggedModel {
  const id = text(r, MODELS, "model_id");
  const status = LOGGED_MODEL_STATUSES[optionalInteger(r, MODELS, "status") ?? 0] ?? "LOGGED_MODEL_STATUS_UNSPECIFIED";
  return {
    modelId: id,
    experimentId: String(integer(r, MODELS, "experiment_id")),
    name: text(r, MODELS, "name"),
    artifactUri: text(r, MODELS, "artifact_location"),
    creationTimestampMs: integer(r, MODELS, "creation_timestamp_ms"),
    lastUpdatedTimestampMs: integer(r, MODELS, "last_updated_timestamp_ms"),
    status,
    modelType: optionalText(r, MODELS, "model_type") ?? "",
    sourceRunId: optionalText(r, MODELS, "source_run_id") ?? "",
    lifecycleStage: optionalText(r, MODELS, "lifecycle_stage") ?? "active",
    tags: tags.get(id) ?? [],
    params: params.get(id) ?? [],
    metrics: metrics.get(id) ?? [],
  };
}
