/**
 * Reading trace rows: `trace_info` with its tags, metadata and assessments, loaded for many
 * traces at once (three queries whatever the page size) and decoded by typed functions.
 */

import { toBoolean, toNumber, type Database, type Row } from "./db/database.ts";
import { inValues, raw, sql } from "./db/sql.ts";
import type { Assessment, AssessmentType, TraceInfo } from "./trace-types.ts";

export function decodeAssessment(row: Row): Assessment {
  return {
    assessmentId: String(row.assessment_id),
    traceId: String(row.trace_id),
    name: String(row.name),
    type: String(row.assessment_type) as AssessmentType,
    value: String(row.value),
    error: row.error === null || row.error === undefined ? null : String(row.error),
    createdTimestamp: toNumber(row.created_timestamp) ?? 0,
    lastUpdatedTimestamp: toNumber(row.last_updated_timestamp) ?? 0,
    sourceType: String(row.source_type),
    sourceId: textOrNull(row.source_id),
    runId: textOrNull(row.run_id),
    spanId: textOrNull(row.span_id),
    rationale: textOrNull(row.rationale),
    overrides: textOrNull(row.overrides),
    valid: toBoolean(row.valid),
    metadata: textOrNull(row.assessment_metadata),
  };
}

export function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function decodeTraceInfo(row: Row): TraceInfo {
  return {
    traceId: String(row.request_id),
    experimentId: String(row.experiment_id),
    clientRequestId: textOrNull(row.client_request_id),
    requestTime: toNumber(row.timestamp_ms) ?? 0,
    executionTimeMs: toNumber(row.execution_time_ms),
    state: String(row.status),
    requestPreview: textOrNull(row.request_preview),
    responsePreview: textOrNull(row.response_preview),
    metadata: new Map(),
    tags: new Map(),
    assessments: [],
  };
}

/** Trace infos with tags, metadata and assessments, in the order of `ids`; unknown ids skipped. */
export async function loadTraceInfos(db: Database, ids: readonly string[]): Promise<TraceInfo[]> {
  if (ids.length === 0) return [];
  const idList = (column: string) => inValues(db.dialect, raw(column), ids, "text");
  const [rows, tags, metadata, assessments] = await Promise.all([
    db.all(sql`SELECT * FROM trace_info WHERE ${idList("request_id")}`),
    db.all(sql`SELECT request_id, "key", value FROM trace_tags WHERE ${idList("request_id")}`),
    db.all(sql`SELECT request_id, "key", value FROM trace_request_metadata WHERE ${idList("request_id")}`),
    db.all(sql`SELECT * FROM assessments WHERE ${idList("trace_id")} ORDER BY created_timestamp, assessment_id`),
  ]);
  const byId = new Map<string, TraceInfo>();
  for (const row of rows) {
    const info = decodeTraceInfo(row);
    byId.set(info.traceId, info);
  }
  for (const row of tags) byId.get(String(row.request_id))?.tags.set(String(row.key), String(row.value ?? ""));
  for (const row of metadata) byId.get(String(row.request_id))?.metadata.set(String(row.key), String(row.value ?? ""));
  for (const row of assessments) {
    const assessment = decodeAssessment(row);
    byId.get(assessment.traceId)?.assessments.push(assessment);
  }
  const out: TraceInfo[] = [];
  for (const id of ids) {
    const info = byId.get(id);
    if (info) out.push(info);
  }
  return out;
}
