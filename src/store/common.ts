/**
 * Names, limits and small helpers that every store module shares, so each exists once: MLflow's
 * reserved tag keys and workspace, the column lists of the bulk INSERTs, chunking, tag dedup.
 */

import { invalidParameter } from "../errors.ts";
import type { BulkColumn } from "./db/sql.ts";
import type { Tag } from "./types.ts";

/** The one workspace MLflow 3's schema has until workspaces are served. */
export const WORKSPACE = "default";
export const RUN_NAME_TAG = "mlflow.runName";
export const DATASET_CONTEXT_TAG = "mlflow.data.context";
/** The stage of a soft-deleted model version: the row stays so its number is never reused. */
export const DELETED_INTERNAL = "Deleted_Internal";

/** Rows per multi-row INSERT: well under SQLite's 32766 bound parameters at 6 columns a row. */
export const INSERT_CHUNK = 1000;

/**
 * Widths of the schema's columns that requests write as given. Longer values are refused on every
 * database: PostgreSQL cannot store them (a 500 with its own message), and SQLite would keep what a
 * PostgreSQL copy of the same database could not.
 */
export const columnLimits = {
  runName: 250,
  userId: 256,
  registeredModelName: 256,
  description: 5000,
  modelVersionSource: 500,
  runLink: 500,
  runId: 32,
  artifactLocation: 256,
  /** runs.artifact_uri: `<experiment location>/<run id>/artifacts`. */
  runArtifactUri: 200,
} as const;

export const metricColumns: readonly BulkColumn[] = [
  { name: "key", pgType: "text" },
  { name: "value", pgType: "float8" },
  { name: "timestamp", pgType: "int8" },
  { name: "step", pgType: "int8" },
  { name: "is_nan", pgType: "bool" },
  { name: "run_uuid", pgType: "text" },
];

export const inputTagColumns: readonly BulkColumn[] = [
  { name: "input_uuid", pgType: "text" },
  { name: "name", pgType: "text" },
  { name: "value", pgType: "text" },
];

/** params and tags rows. */
export const keyValueColumns: readonly BulkColumn[] = [
  { name: "key", pgType: "text" },
  { name: "value", pgType: "text" },
  { name: "run_uuid", pgType: "text" },
];

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** One tag per key, the last one given winning (MLflow's behaviour for repeated keys). */
export function lastWins(tags: readonly Tag[]): Tag[] {
  return [...new Map(tags.map((t) => [t.key, t])).values()];
}

/** MLflow's 32-hex-digit ids (runs, datasets, inputs). */
export const newUuid = (): string => crypto.randomUUID().replaceAll("-", "");

export function joinUri(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ""), ...parts].join("/");
}

/** experiments.experiment_id is a 32-bit INTEGER in MLflow's schema on every database. */
const MAX_EXPERIMENT_ID = 2 ** 31 - 1;

/** Experiment ids are integers in the schema; anything else is MLflow's invalid-parameter error. */
export function parseExperimentId(experimentId: string): number {
  if (!/^\d{1,10}$/.test(experimentId) || Number(experimentId) > MAX_EXPERIMENT_ID) {
    throw invalidParameter(`Invalid experiment ID: '${experimentId}'`);
  }
  return Number(experimentId);
}
