/**
 * MLflow's validation rules for names, values and batch sizes (spec §8), applied before anything
 * reaches a store so that every backend rejects the same input with the same message.
 */

import { invalidParameter } from "../errors.ts";
import { columnLimits, RUN_NAME_TAG } from "../store/common.ts";

export { columnLimits };
import type { DatasetInput, LogBatch, Metric, Tag } from "../store/types.ts";
import { exceedsMaximumLength, invalidValue, jsonPath, longerThan, pythonRepr, validateName } from "./names.ts";
import { pythonFloat } from "./python-json.ts";

export const limits = {
  entityKey: 250,
  paramValue: 6000,
  runTagValue: 8000,
  experimentTagValue: 5000,
  // MLflow allows 500, but experiments.name is VARCHAR(256): PostgreSQL cannot store more.
  experimentName: 256,
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
  searchRunsMaxResults: 50000,
  searchExperimentsMaxResults: 50000,
  // MLflow has no limit; PostgreSQL takes at most 65,535 bound values in one statement.
  searchRunsExperimentIds: 10000,
} as const;

function checkLength(path: string, value: string, limit: number): void {
  if (longerThan(value, limit)) throw exceedsMaximumLength(path, limit);
}

/** `_validate_param`; an over-long value is refused where MLflow may truncate it (see README). */
export function validateParam(param: Tag, path = ""): void {
  validateName(param.key, jsonPath(path, "key"));
  checkLength("Param key", param.key, limits.entityKey);
  checkLength("Param value", param.value, limits.paramValue);
}

/** `_validate_tag`, whose lengths name the field by path. */
export function validateRunTag(tag: Tag, path = ""): void {
  validateName(tag.key, jsonPath(path, "key"));
  checkLength(jsonPath(path, "key"), tag.key, limits.entityKey);
  checkLength(jsonPath(path, "value"), tag.value, limits.runTagValue);
  // The run's name is stored in runs.name as well.
  if (tag.key === RUN_NAME_TAG) checkLength(jsonPath(path, "value"), tag.value, columnLimits.runName);
}

/** `_validate_experiment_tag`; the value limit is MLflow 3.17's 20,000 on a database whose column holds it. */
export function validateExperimentTag(tag: Tag, valueLimit: number = limits.experimentTagValue): void {
  validateName(tag.key, "key");
  checkLength("key", tag.key, limits.entityKey);
  checkLength("value", tag.value, valueLimit);
}

/** Python's `str(float)`, as MLflow's messages print a metric value. */
function pythonStr(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  return pythonFloat(value);
}

/** `_validate_metric`: the name, a nonnegative timestamp, then the name's length. */
export function validateMetric(metric: Metric, path = ""): void {
  validateName(metric.key, jsonPath(path, "name"));
  if (metric.timestamp < 0) {
    throw invalidValue(
      jsonPath(path, "timestamp"),
      metric.timestamp,
      `metric '${metric.key}' (value=${pythonStr(metric.value)}). ` +
        "Timestamp must be a nonnegative long (64-bit integer) ",
    );
  }
  checkLength("Metric name", metric.key, limits.entityKey);
  // MLflow 3 model metrics land in logged_model_metrics, whose dataset columns are this wide.
  if (metric.datasetName !== undefined) checkLength(jsonPath(path, "dataset_name"), metric.datasetName, datasetLimits.name);
  if (metric.datasetDigest !== undefined) {
    checkLength(jsonPath(path, "dataset_digest"), metric.datasetDigest, datasetLimits.digest);
  }
}

/** `log_batch`'s order: every entity, then the batch limits, then duplicate param keys. */
export function validateBatch(batch: LogBatch): void {
  const { metrics, params, tags } = batch;
  metrics.forEach((metric, i) => validateMetric(metric, `metrics[${i}]`));
  params.forEach((param, i) => validateParam(param, `params[${i}]`));
  tags.forEach((tag, i) => validateRunTag(tag, `tags[${i}]`));
  const over = (what: string, n: number, limit: number): void => {
    if (n > limit) {
      throw invalidParameter(
        `A batch logging request can contain at most ${limit} ${what}. ` +
          `Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`,
      );
    }
  };
  over("metrics", metrics.length, limits.batchMetrics);
  over("params", params.length, limits.batchParams);
  over("tags", tags.length, limits.batchTags);
  over("metrics, params, and tags", metrics.length + params.length + tags.length, limits.batchTotal);
  const seen = new Set<string>();
  const dupes = params.filter((p) => seen.has(p.key) || !seen.add(p.key)).map((p) => pythonRepr(p.key));
  if (dupes.length > 0) {
    throw invalidParameter(
      `Duplicate parameter keys have been submitted: [${dupes.join(", ")}]. Please ensure the ` +
        "request contains only one param value per param key.",
    );
  }
}


/** MLflow's `exceeds_maximum_length` message, naming the field. */
export function validateMaxLength(field: string, value: string | undefined, limit: number): void {
  if (value !== undefined && longerThan(value, limit)) {
    throw invalidParameter(`'${field}' exceeds the maximum length of ${limit} characters`);
  }
}

export function validateExperimentName(name: string): void {
  if (longerThan(name, limits.experimentName)) {
    throw invalidParameter(`'name' exceeds the maximum length of ${limits.experimentName} characters`);
  }
}

export { validateArtifactLocation } from "../artifacts/locations.ts";

const idPattern = /^[a-zA-Z0-9][\w-]{0,255}$/;

/** `_validate_run_id`, which MLflow's log-batch and log-inputs run before their other checks. */
export function validateRunId(runId: string): void {
  if (!idPattern.test(runId)) throw invalidValue("run_id", runId);
}

const datasetLimits = {
  name: 500,
  digest: 36,
  source: 65535,
  schema: 1048575,
  profile: 16777215,
  inputTagKey: 255,
  inputTagValue: 500,
  datasetsPerRequest: 1000,
} as const;

export function validateDatasetInputs(inputs: readonly DatasetInput[]): void {
  if (inputs.length > datasetLimits.datasetsPerRequest) {
    throw invalidParameter(
      `A request can contain at most ${datasetLimits.datasetsPerRequest} datasets. Got ${inputs.length} datasets.`,
    );
  }
  // MLflow's exceeds_maximum_length, which names the field alone.
  const check = (field: string, value: string | null, limit: number): void => {
    if (value !== null && longerThan(value, limit)) {
      throw invalidParameter(`'${field}' exceeds the maximum length of ${limit} characters`);
    }
  };
  for (const { dataset, tags } of inputs) {
    check("name", dataset.name, datasetLimits.name);
    check("digest", dataset.digest, datasetLimits.digest);
    check("source", dataset.source, datasetLimits.source);
    check("schema", dataset.schema, datasetLimits.schema);
    check("profile", dataset.profile, datasetLimits.profile);
    for (const tag of tags) {
      check("key", tag.key, datasetLimits.inputTagKey);
      check("value", tag.value, datasetLimits.inputTagValue);
    }
  }
}
