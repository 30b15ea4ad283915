/**
 * Database rows to MLflow entities, one typed decoder per table, on top of column readers that
 * fail loudly (naming table and column) on a NULL or a type the schema does not allow. This is the
 * one place that absorbs driver differences: integers as number, bigint or numeric string,
 * booleans as true, 1 or 't'. Columns the schema lets be NULL get MLflow's defaults here.
 *
 * Readers are plain functions over (row, table, column), so decoding a million metric points
 * allocates nothing per row beyond the decoded object.
 */

import type { Row } from "./db/database.ts";
import type { ModelVersion, RegisteredModel } from "./registry-types.ts";
import type { Dataset, DatasetSummary, Experiment, LifecycleStage, Metric, RunInfo, RunStatus, Tag } from "./types.ts";

export class RowDecodeError extends Error {
  override name = "RowDecodeError";
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "string") return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  return `${typeof value} ${String(value)}`;
}

function unexpected(table: string, column: string, expected: string, value: unknown): never {
  throw new RowDecodeError(`${table}.${column}: expected ${expected}, got ${describe(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Column readers

export function text(row: Row, table: string, column: string): string {
  const value = row[column];
  return typeof value === "string" ? value : unexpected(table, column, "text", value);
}

export function optionalText(row: Row, table: string, column: string): string | null {
  const value = row[column];
  if (typeof value === "string") return value;
  return value === null || value === undefined ? null : unexpected(table, column, "text or NULL", value);
}

/** An integer column (BIGINT included) as a JS number: drivers give number, bigint or a numeric string. */
export function integer(row: Row, table: string, column: string): number {
  const value = row[column];
  if (typeof value === "number" && Number.isInteger(value)) return value;
  return integerFrom(value, table, column, "an integer");
}

export function optionalInteger(row: Row, table: string, column: string): number | null {
  const value = row[column];
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (value === null || value === undefined) return null;
  return integerFrom(value, table, column, "an integer or NULL");
}

function integerFrom(value: unknown, table: string, column: string, expected: string): number {
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
  return unexpected(table, column, expected, value);
}

/** A double column; NaN and ±Infinity are doubles too (PostgreSQL can hold them). */
export function real(row: Row, table: string, column: string): number {
  const value = row[column];
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value);
    if (!Number.isNaN(parsed) || value === "NaN") return parsed;
  }
  return unexpected(table, column, "a number", value);
}

/** A boolean column: true/false (PostgreSQL), 1/0 (SQLite, MySQL), 't'/'f' (text protocols). */
export function flag(row: Row, table: string, column: string): boolean {
  const value = row[column];
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  switch (value) {
    case "t":
    case "true":
    case "1":
    case 1n:
      return true;
    case "f":
    case "false":
    case "0":
    case 0n:
      return false;
  }
  return unexpected(table, column, "a boolean", value);
}

function lifecycleStage(row: Row, table: string): LifecycleStage {
  const value = row.lifecycle_stage;
  if (value === "active" || value === "deleted") return value;
  // The schema lets the column be NULL; MLflow reads that as active.
  return value === null || value === undefined ? "active" : unexpected(table, "lifecycle_stage", "'active' or 'deleted'", value);
}

const RUN_STATUSES: ReadonlySet<unknown> = new Set<RunStatus>(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]);

// ---------------------------------------------------------------------------------------------
// Tracking tables

/** An experiments row; its tags come from experiment_tags. */
export function decodeExperiment(row: Row, tags: Tag[]): Experiment {
  return {
    experimentId: String(integer(row, "experiments", "experiment_id")),
    name: text(row, "experiments", "name"),
    artifactLocation: optionalText(row, "experiments", "artifact_location") ?? "",
    lifecycleStage: lifecycleStage(row, "experiments"),
    creationTime: optionalInteger(row, "experiments", "creation_time"),
    lastUpdateTime: optionalInteger(row, "experiments", "last_update_time"),
    tags,
  };
}

/** A row of a key/value tag table (tags, experiment_tags, registered_model_tags, model_version_tags). */
export function decodeTag(row: Row, table: string): Tag {
  return { key: text(row, table, "key"), value: optionalText(row, table, "value") ?? "" };
}

/** A params row: unlike tags, a param always has a value. */
export function decodeParam(row: Row): Tag {
  return { key: text(row, "params", "key"), value: text(row, "params", "value") };
}

/** An input_tags row (its key column is `name`). */
export function decodeInputTag(row: Row): Tag {
  return { key: text(row, "input_tags", "name"), value: text(row, "input_tags", "value") };
}

export function decodeRunInfo(row: Row): RunInfo {
  const status = row.status ?? "RUNNING";
  return {
    runId: text(row, "runs", "run_uuid"),
    experimentId: String(integer(row, "runs", "experiment_id")),
    // Runs logged before MLflow had run names carry the name only in their mlflow.runName tag.
    runName: optionalText(row, "runs", "name") ?? "",
    userId: optionalText(row, "runs", "user_id") ?? "",
    status: RUN_STATUSES.has(status) ? (status as RunStatus) : unexpected("runs", "status", "a run status", status),
    startTime: optionalInteger(row, "runs", "start_time"),
    endTime: optionalInteger(row, "runs", "end_time"),
    artifactUri: optionalText(row, "runs", "artifact_uri") ?? "",
    lifecycleStage: lifecycleStage(row, "runs"),
  };
}

/** Just a run's lifecycle stage (NULL reads as active). */
export function decodeRunStage(row: Row): LifecycleStage {
  return lifecycleStage(row, "runs");
}

/** A metrics row; NaN is stored as value 0 with is_nan set. */
export function decodeMetric(row: Row): Metric {
  return {
    key: text(row, "metrics", "key"),
    value: flag(row, "metrics", "is_nan") ? NaN : real(row, "metrics", "value"),
    timestamp: integer(row, "metrics", "timestamp"),
    step: integer(row, "metrics", "step"),
  };
}

/** A latest_metrics row, whose timestamp the schema lets be NULL (read as 0). */
export function decodeLatestMetric(row: Row): Metric {
  return {
    key: text(row, "latest_metrics", "key"),
    value: flag(row, "latest_metrics", "is_nan") ? NaN : real(row, "latest_metrics", "value"),
    timestamp: optionalInteger(row, "latest_metrics", "timestamp") ?? 0,
    step: integer(row, "latest_metrics", "step"),
  };
}

export function decodeDataset(row: Row): Dataset {
  return {
    name: text(row, "datasets", "name"),
    digest: text(row, "datasets", "digest"),
    sourceType: text(row, "datasets", "dataset_source_type"),
    source: text(row, "datasets", "dataset_source"),
    schema: optionalText(row, "datasets", "dataset_schema"),
    profile: optionalText(row, "datasets", "dataset_profile"),
  };
}

/** A datasets row joined with its run input's context tag (NULL when it has none). */
export function decodeDatasetSummary(row: Row): DatasetSummary {
  return {
    experimentId: String(integer(row, "datasets", "experiment_id")),
    name: text(row, "datasets", "name"),
    digest: text(row, "datasets", "digest"),
    context: optionalText(row, "input_tags", "context"),
  };
}

// ---------------------------------------------------------------------------------------------
// Model registry tables

/** A model_versions row; tags and aliases are filled in from their own tables. */
export function decodeModelVersion(row: Row): ModelVersion {
  return {
    name: text(row, "model_versions", "name"),
    version: integer(row, "model_versions", "version"),
    creationTimestamp: optionalInteger(row, "model_versions", "creation_time"),
    lastUpdatedTimestamp: optionalInteger(row, "model_versions", "last_updated_time"),
    userId: optionalText(row, "model_versions", "user_id"),
    currentStage: optionalText(row, "model_versions", "current_stage") ?? "None",
    description: optionalText(row, "model_versions", "description"),
    source: optionalText(row, "model_versions", "source"),
    runId: optionalText(row, "model_versions", "run_id"),
    status: optionalText(row, "model_versions", "status"),
    statusMessage: optionalText(row, "model_versions", "status_message"),
    runLink: optionalText(row, "model_versions", "run_link"),
    storageLocation: optionalText(row, "model_versions", "storage_location"),
    tags: [],
    aliases: [],
  };
}

/** A registered_models row; tags, aliases and latest versions are filled in separately. */
export function decodeRegisteredModel(row: Row): RegisteredModel {
  return {
    name: text(row, "registered_models", "name"),
    creationTimestamp: optionalInteger(row, "registered_models", "creation_time"),
    lastUpdatedTimestamp: optionalInteger(row, "registered_models", "last_updated_time"),
    description: optionalText(row, "registered_models", "description"),
    latestVersions: [],
    tags: [],
    aliases: [],
  };
}

export interface AliasRow {
  name: string;
  alias: string;
  version: number;
}

export function decodeAlias(row: Row): AliasRow {
  return {
    name: text(row, "registered_model_aliases", "name"),
    alias: text(row, "registered_model_aliases", "alias"),
    version: integer(row, "registered_model_aliases", "version"),
  };
}
