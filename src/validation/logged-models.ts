/**
 * Limits of MLflow 3's logged-model columns, checked at the HTTP edge: MLflow itself passes these
 * values to the database, which on PostgreSQL fails with a database error (and SQLite stores
 * them), so every backend here refuses the same input with the same 400 instead.
 */

import { invalidParameter } from "../errors.ts";
import type { Tag } from "../store/types.ts";
import { longerThan } from "./names.ts";

export const loggedModelLimits = {
  name: 500,
  modelType: 500,
  sourceRunId: 32,
  key: 255,
  /** model_id columns (logged_models, inputs) are VARCHAR(36): `m-` and 32 hex digits. */
  modelId: 36,
} as const;

function check(field: string, value: string | undefined, limit: number): void {
  if (value !== undefined && longerThan(value, limit)) {
    throw invalidParameter(`'${field}' exceeds the maximum length of ${limit} characters (got ${[...value].length}).`);
  }
}

export function validateLoggedModelTags(tags: readonly Tag[]): void {
  for (const tag of tags) check("tags.key", tag.key, loggedModelLimits.key);
}

export function validateLoggedModelParams(params: readonly Tag[]): void {
  for (const param of params) check("params.key", param.key, loggedModelLimits.key);
}

export function validateCreateLoggedModel(input: {
  name?: string;
  modelType?: string;
  sourceRunId?: string;
  params: readonly Tag[];
  tags: readonly Tag[];
}): void {
  check("name", input.name, loggedModelLimits.name);
  check("model_type", input.modelType, loggedModelLimits.modelType);
  check("source_run_id", input.sourceRunId, loggedModelLimits.sourceRunId);
  validateLoggedModelParams(input.params);
  validateLoggedModelTags(input.tags);
}

/** A model id that will be stored (runs/outputs, log-inputs): it must fit the column. */
export function validateModelIdReference(modelId: string): void {
  check("model_id", modelId, loggedModelLimits.modelId);
}

/** A `:model_id` or `:tag_key` path segment: no NUL (PostgreSQL cannot compare one). */
export function validatePathSegment(name: string, value: string): string {
  if (value.includes("\u0000")) {
    throw invalidParameter(`Invalid value for parameter '${name}' supplied: NUL characters are not allowed.`);
  }
  return value;
}
