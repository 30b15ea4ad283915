/**
 * Length limits of MLflow's trace columns, checked at the HTTP edge: PostgreSQL refuses an
 * over-long varchar (SQLite would keep it), and fml refuses over-long values with a 400 naming
 * the field rather than truncating them, as it does for run tags and params.
 */

import { invalidParameter } from "../errors.ts";

export const LIMITS = {
  traceId: 50,
  clientRequestId: 50,
  tagKey: 250,
  tagValue: 8000,
  metadataKey: 250,
  metadataValue: 8000,
  preview: 1000,
  assessmentName: 250,
  sourceId: 250,
  spanId: 50,
  assessmentId: 50,
  runId: 32,
  /** entity_associations ids (trace ids, run ids, `name/version` of prompts). */
  associationId: 36,
  spanType: 500,
} as const;

export function checkLength(field: string, value: string, max: number): string {
  if (value.length > max) throw invalidParameter(`'${field}' exceeds the maximum length of ${max} characters`);
  return value;
}

export function checkNoNul(field: string, value: string): string {
  if (value.includes("\0")) {
    throw invalidParameter(`Invalid value for parameter '${field}' supplied: NUL characters are not allowed.`);
  }
  return value;
}

/** Keys and values of a tag or metadata map: no NUL, within the column limits. */
export function checkEntries(field: string, entries: Map<string, string>, keyMax: number, valueMax: number): Map<string, string> {
  for (const [key, value] of entries) {
    checkNoNul(`${field}.${key}`, key);
    checkNoNul(`${field}.${key}`, value);
    checkLength(`${field} key`, key, keyMax);
    checkLength(`${field}.${key}`, value, valueMax);
  }
  return entries;
}
