/**
 * How runs and logged models meet (spec mlflow3-models-traces §2.4-2.6): models as run outputs and
 * inputs (rows of `inputs`), metrics logged against a model (`logged_model_metrics`, beside the
 * run's own metric rows), and MLflow 2's `mlflow.log-model.history` run tag. Free functions, so a
 * caller's transaction can run them.
 */

import { invalidParameter, MlflowError, notFound } from "../errors.ts";
import { pyJsonDumps } from "../search/py-repr.ts";
import { chunks, newUuid } from "./common.ts";
import type { Database } from "./db/database.ts";
import { insertIgnoring, list, onConflictDoNothing, sql } from "./db/sql.ts";
import type { ModelMetricInput, RunModelLinks } from "./logged-model-types.ts";
import { decodeRunStage, integer, optionalText, text } from "./rows.ts";

/** SQL cannot hold infinities; MLflow clamps them to the largest double. */
const MAX_DOUBLE = 1.7976931348623157e308;
export const LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history";
/** MLflow's run tag value limit, which the history tag is checked against. */
const MAX_TAG_VALUE_LENGTH = 8000;
/** Run ids per `IN (...)` list: far below SQLite's parameter bound. */
const ID_CHUNK = 500;
/** Compare-and-set attempts when concurrent log-model calls race on the history tag. */
const HISTORY_ATTEMPTS = 20;

/** runs.ts's check, repeated here because runs.ts reads model links from this module. */
async function activeRun(tx: Database, runId: string): Promise<void> {
  const [row] = await tx.all(sql`SELECT lifecycle_stage FROM runs WHERE run_uuid = ${runId}`);
  if (!row) throw notFound(`Run with id=${runId} not found`);
  const stage = decodeRunStage(row);
  if (stage !== "active") {
    throw invalidParameter(`The run ${runId} must be in the 'active' state. Current state is ${stage}.`);
  }
}

/** NaN is stored as 0 in `logged_model_metrics` (no is_nan column there), infinities clamped. */
function storedValue(value: number): number {
  if (Number.isNaN(value)) return 0;
  if (value === Infinity) return MAX_DOUBLE;
  if (value === -Infinity) return -MAX_DOUBLE;
  return value;
}

/**
 * `runs/outputs`: one MODEL_OUTPUT row per model. MLflow checks neither the model nor the step;
 * the same (run, model) pair again fails on the primary key.
 */
export async function logOutputs(db: Database, runId: string, models: readonly { modelId: string; step: number }[]): Promise<void> {
  await db.transaction(async (tx) => {
    await activeRun(tx, runId);
    for (const m of models) {
      const inserted = await tx.run(sql`
        ${insertIgnoring(tx.dialect)} inputs (input_uuid, source_type, source_id, destination_type, destination_id, step)
        VALUES (${newUuid()}, 'RUN_OUTPUT', ${runId}, 'MODEL_OUTPUT', ${m.modelId}, ${m.step})
        ${onConflictDoNothing(tx.dialect, "source_type, source_id, destination_type, destination_id")}`);
      if (inserted === 0) {
        throw new MlflowError("BAD_REQUEST", `Model '${m.modelId}' is already an output of run '${runId}'.`);
      }
    }
  });
}

/** Model inputs (`runs/log-inputs` with `models`); a link that exists is kept as it is. */
export async function logModelInputs(tx: Database, runId: string, modelIds: readonly string[]): Promise<void> {
  for (const modelId of modelIds) {
    await tx.run(sql`
      ${insertIgnoring(tx.dialect)} inputs (input_uuid, source_type, source_id, destination_type, destination_id, step)
      VALUES (${newUuid()}, 'RUN_INPUT', ${runId}, 'MODEL_INPUT', ${modelId}, 0)
      ${onConflictDoNothing(tx.dialect, "source_type, source_id, destination_type, destination_id")}`);
  }
}

export async function runModelLinks(db: Database, runId: string): Promise<RunModelLinks> {
  const rows = await db.all(sql`
    SELECT destination_type, destination_id, step FROM inputs
    WHERE (source_type = 'RUN_OUTPUT' AND source_id = ${runId} AND destination_type = 'MODEL_OUTPUT')
       OR (source_type = 'RUN_INPUT' AND source_id = ${runId} AND destination_type = 'MODEL_INPUT')`);
  const links: RunModelLinks = { modelInputs: [], modelOutputs: [] };
  for (const r of rows) {
    const modelId = text(r, "inputs", "destination_id");
    if (text(r, "inputs", "destination_type") === "MODEL_OUTPUT") {
      links.modelOutputs.push({ modelId, step: integer(r, "inputs", "step") });
    } else {
      links.modelInputs.push({ modelId });
    }
  }
  return links;
}

/** The MODEL_OUTPUT links of several runs (a runs/search page), by run id. */
export async function modelOutputsOf(
  db: Database,
  runIds: readonly string[],
): Promise<Map<string, { modelId: string; step: number }[]>> {
  const byRun = new Map<string, { modelId: string; step: number }[]>();
  for (const ids of chunks(runIds, ID_CHUNK)) {
    const rows = await db.all(sql`
      SELECT source_id, destination_id, step FROM inputs
      WHERE source_type = 'RUN_OUTPUT' AND destination_type = 'MODEL_OUTPUT' AND source_id IN ${list(ids)}`);
    for (const r of rows) {
      const runId = text(r, "inputs", "source_id");
      const outputs = byRun.get(runId) ?? [];
      outputs.push({ modelId: text(r, "inputs", "destination_id"), step: integer(r, "inputs", "step") });
      byRun.set(runId, outputs);
    }
  }
  return byRun;
}

/**
 * `logged_model_metrics` rows for the metrics of a batch that name a model, in the batch's
 * transaction. An unknown model fails the batch, as MLflow's foreign key does.
 */
export async function logModelMetrics(tx: Database, runId: string, metrics: readonly ModelMetricInput[]): Promise<void> {
  if (metrics.length === 0) return;
  const [run] = await tx.all(sql`SELECT experiment_id FROM runs WHERE run_uuid = ${runId}`);
  const experimentId = integer(run ?? {}, "runs", "experiment_id");
  const modelIds = [...new Set(metrics.map((m) => m.modelId))];
  const known = await tx.all(sql`SELECT model_id FROM logged_models WHERE model_id IN ${list(modelIds)}`);
  const knownIds = new Set(known.map((r) => text(r, "logged_models", "model_id")));
  const unknown = modelIds.find((id) => !knownIds.has(id));
  if (unknown !== undefined) throw new MlflowError("BAD_REQUEST", `Logged model with ID '${unknown}' not found.`);
  for (const m of metrics) {
    await tx.run(sql`
      ${insertIgnoring(tx.dialect)} logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value,
        experiment_id, run_id, dataset_uuid, dataset_name, dataset_digest)
      VALUES (${m.modelId}, ${m.key}, ${m.timestamp}, ${m.step}, ${storedValue(m.value)}, ${experimentId},
        ${runId}, NULL, ${m.datasetName ?? null}, ${m.datasetDigest ?? null})
      ${onConflictDoNothing(tx.dialect, "model_id, metric_name, metric_timestamp_ms, metric_step, run_id")}`);
  }
}

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * MLflow 2's LogModel: the MLmodel's summary (`run_id`, `artifact_path`, `utc_time_created`,
 * `model_uuid`, flavors without their `config`) appended to the JSON list in the run's
 * `mlflow.log-model.history` tag. A compare-and-set loop keeps concurrent calls from losing entries.
 */
export async function recordLoggedModel(db: Database, runId: string, modelJson: string): Promise<void> {
  let model: unknown;
  try {
    model = JSON.parse(modelJson);
  } catch {
    throw invalidParameter(`Malformed model info. \n ${modelJson} \n is not a valid JSON.`);
  }
  if (typeof model !== "object" || model === null || Array.isArray(model)) {
    throw invalidParameter(`Malformed model info. \n ${modelJson} \n is not a valid JSON.`);
  }
  const fields = model as Record<string, JsonValue>;
  const missing = ["artifact_path", "flavors", "utc_time_created", "run_id"].filter((f) => !(f in fields));
  if (missing.length > 0) {
    throw invalidParameter(`Model json is missing mandatory fields: {${missing.map((f) => `'${f}'`).join(", ")}}`);
  }
  const entry: Record<string, JsonValue> = {
    run_id: fields.run_id ?? null,
    artifact_path: fields.artifact_path ?? null,
    utc_time_created: fields.utc_time_created === null ? null : String(fields.utc_time_created),
    model_uuid: fields.model_uuid ?? null,
    flavors: flavorsWithoutConfig(fields.flavors ?? {}),
  };

  for (let attempt = 0; attempt < HISTORY_ATTEMPTS; attempt++) {
    const done = await db.transaction(async (tx) => {
      await activeRun(tx, runId);
      const [row] = await tx.all(sql`SELECT value FROM tags WHERE run_uuid = ${runId} AND "key" = ${LOG_MODEL_HISTORY_TAG}`);
      const previous = row ? optionalText(row, "tags", "value") : undefined;
      const history = previous ? parseHistory(previous) : [];
      const value = pyJsonDumps([...history, entry]);
      if (value.length > MAX_TAG_VALUE_LENGTH) {
        throw invalidParameter(
          `'${value.slice(0, 100)}...' exceeds the maximum length of ${MAX_TAG_VALUE_LENGTH} characters for the ` +
            `value of tag '${LOG_MODEL_HISTORY_TAG}'`,
        );
      }
      const written =
        previous === undefined
          ? await tx.run(sql`
              ${insertIgnoring(tx.dialect)} tags ("key", value, run_uuid) VALUES (${LOG_MODEL_HISTORY_TAG}, ${value}, ${runId})
              ${onConflictDoNothing(tx.dialect, '"key", run_uuid')}`)
          : await tx.run(sql`
              UPDATE tags SET value = ${value}
              WHERE run_uuid = ${runId} AND "key" = ${LOG_MODEL_HISTORY_TAG} AND value = ${previous}`);
      return written > 0;
    });
    if (done) return;
  }
  throw new MlflowError("TEMPORARILY_UNAVAILABLE", `Too many concurrent updates of tag '${LOG_MODEL_HISTORY_TAG}'; retry.`);
}

function flavorsWithoutConfig(flavors: JsonValue): JsonValue {
  if (typeof flavors !== "object" || flavors === null || Array.isArray(flavors)) return flavors;
  const out: Record<string, JsonValue> = {};
  for (const [name, config] of Object.entries(flavors)) {
    if (typeof config === "object" && config !== null && !Array.isArray(config)) {
      out[name] = Object.fromEntries(Object.entries(config).filter(([k]) => k !== "config"));
    } else {
      out[name] = config;
    }
  }
  return out;
}

function parseHistory(value: string): JsonValue[] {
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed as JsonValue[]) : [];
  } catch {
    return [];
  }
}
