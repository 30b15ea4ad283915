/**
 * MLflow's validation rules for names, values and batch sizes (spec §8), applied before anything
 * reaches a store so that every backend rejects the same input with the same message.
 */

import { invalidParameter } from "../errors.ts";
import { columnLimits, RUN_NAME_TAG } from "../store/common.ts";

export { columnLimits };
import type { DatasetInput, LogBatch, Metric, Tag } from "../store/types.ts";

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

// Python's \w is Unicode-aware; \p{L}\p{N}_ plus combining marks is its closest JS spelling.
const keyPattern = /^[\p{L}\p{N}\p{M}_/.\- :]*$/u;

function isPathUnsafe(key: string): boolean {
  if (key === "." || key.startsWith("/") || key.startsWith("..")) return true;
  if (key.endsWith("/") || key.includes("//")) return true;
  return key.split("/").some((part) => part === "." || part === "..");
}

export type EntityKind = "metric" | "param" | "tag";

export function validateKey(kind: EntityKind, key: string): void {
  if (!keyPattern.test(key) || isPathUnsafe(key)) {
    throw invalidParameter(
      `Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), ` +
        "dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).",
    );
  }
  if (key.length > limits.entityKey) {
    throw invalidParameter(
      `${capitalize(kind)} '${key.slice(0, 50)}...' had length ${key.length}, which exceeded ` +
        `length limit of ${limits.entityKey}`,
    );
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function validateLength(what: string, key: string, value: string, limit: number): void {
  if (value.length > limit) {
    throw invalidParameter(
      `${what} value '${value.slice(0, 50)}...' for key '${key}' had length ${value.length}, ` +
        `which exceeded length limit of ${limit}`,
    );
  }
}

export function validateParam(param: Tag): void {
  validateKey("param", param.key);
  validateLength("Param", param.key, param.value, limits.paramValue);
}

export function validateRunTag(tag: Tag): void {
  validateKey("tag", tag.key);
  validateLength("Tag", tag.key, tag.value, limits.runTagValue);
  // The run's name is stored in runs.name as well.
  if (tag.key === RUN_NAME_TAG) validateLength("Tag", tag.key, tag.value, columnLimits.runName);
}

export function validateExperimentTag(tag: Tag): void {
  validateKey("tag", tag.key);
  validateLength("Tag", tag.key, tag.value, limits.experimentTagValue);
}

export function validateMetric(metric: Metric): void {
  validateKey("metric", metric.key);
  if (!Number.isInteger(metric.timestamp)) {
    throw invalidParameter(
      `Got invalid timestamp ${metric.timestamp} for metric '${metric.key}' (value=${metric.value}). ` +
        "Timestamp must be a nonnegative long (64-bit integer)",
    );
  }
  if (!Number.isInteger(metric.step)) {
    throw invalidParameter(
      `Got invalid step ${metric.step} for metric '${metric.key}' (value=${metric.value}). ` +
        "Step must be a valid long (64-bit integer).",
    );
  }
  // MLflow 3 model metrics land in logged_model_metrics, whose dataset columns are this wide.
  if (metric.datasetName !== undefined && metric.datasetName.length > datasetLimits.name) {
    throw invalidParameter(`Dataset name exceeds the maximum length of ${datasetLimits.name}`);
  }
  if (metric.datasetDigest !== undefined && metric.datasetDigest.length > datasetLimits.digest) {
    throw invalidParameter(`Dataset digest exceeds the maximum length of ${datasetLimits.digest}`);
  }
}

export function validateBatch(batch: LogBatch): void {
  const { metrics, params, tags } = batch;
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
  const total = metrics.length + params.length + tags.length;
  if (total > limits.batchTotal) {
    throw invalidParameter(
      `A batch logging request can contain at most ${limits.batchTotal} metrics, params, and tags ` +
        `in total. Got ${total} entities.`,
    );
  }
  metrics.forEach(validateMetric);
  params.forEach(validateParam);
  tags.forEach(validateRunTag);
  const seen = new Set<string>();
  const dupes = params.filter((p) => seen.has(p.key) || !seen.add(p.key)).map((p) => `'${p.key}'`);
  if (dupes.length > 0) {
    throw invalidParameter(
      `Duplicate parameter keys have been submitted: [${dupes.join(", ")}]. Please ensure the ` +
        "request contains only one param value per param key.",
    );
  }
}


/** MLflow's `exceeds_maximum_length` message, naming the field. */
export function validateMaxLength(field: string, value: string | undefined, limit: number): void {
  if (value !== undefined && value.length > limit) {
    throw invalidParameter(`'${field}' exceeds the maximum length of ${limit} characters`);
  }
}

export function validateExperimentName(name: string): void {
  if (name.length > limits.experimentName) {
    throw invalidParameter(
      `Experiment name exceeds the maximum length of ${limits.experimentName} characters`,
    );
  }
}

export { validateArtifactLocation } from "../artifacts/locations.ts";

const idPattern = /^[a-zA-Z0-9][\w-]{0,255}$/;

export function validateRunId(runId: string): void {
  if (!idPattern.test(runId)) {
    throw invalidParameter(`Invalid run ID: '${runId}'`);
  }
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
  const check = (what: string, value: string | null, limit: number): void => {
    if (value !== null && value.length > limit) {
      throw invalidParameter(`${what} exceeds the maximum length of ${limit}`);
    }
  };
  for (const { dataset, tags } of inputs) {
    check("Dataset name", dataset.name, datasetLimits.name);
    check("Dataset digest", dataset.digest, datasetLimits.digest);
    check("Dataset source", dataset.source, datasetLimits.source);
    check("Dataset schema", dataset.schema, datasetLimits.schema);
    check("Dataset profile", dataset.profile, datasetLimits.profile);
    for (const tag of tags) {
      check("Input tag key", tag.key, datasetLimits.inputTagKey);
      check("Input tag value", tag.value, datasetLimits.inputTagValue);
    }
  }
}
