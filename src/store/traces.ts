/**
 * Traces in MLflow's tables (`trace_info`, `trace_tags`, `trace_request_metadata`,
 * `trace_metrics`, `entity_associations`): start (v3 upsert and v2), read, search, delete, tags
 * and links. Spans live in spans.ts, assessments in assessments.ts.
 *
 * A trace row can be created by StartTraceV3 or by its first OTLP spans, in any order and from
 * several fml processes: both insert with ON CONFLICT DO NOTHING and then lock the row, so the
 * second writer always merges into what the first wrote.
 */

import { MlflowError, notFound } from "../errors.ts";
import { toNumber, type Database } from "./db/database.ts";
import { forUpdate, insertIgnoring, inValues, join, onConflictDoNothing, onConflictUpdate, raw, sql, type Sql } from "./db/sql.ts";
import { insertAssessments } from "./assessments.ts";
import { searchTracesSql } from "./search-traces-sql.ts";
import { loadTraceInfos } from "./trace-rows.ts";
import type { NewTraceInfo, TraceInfo, TraceSearch } from "./trace-types.ts";
import type { Page } from "./types.ts";

export const TAG_ARTIFACT_LOCATION = "mlflow.artifactLocation";
export const TAG_SPANS_LOCATION = "mlflow.trace.spansLocation";
export const METADATA_INFO_FINALIZED = "mlflow.trace.infoFinalized";
export const METADATA_TOKEN_USAGE = "mlflow.trace.tokenUsage";
const TOKEN_USAGE_KEYS = ["input_tokens", "output_tokens", "total_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"];

/** The experiment traces are written to: must exist and be active. Returns its artifact location. */
export async function traceExperiment(db: Database, experimentId: string): Promise<string> {
  if (!/^\d+$/.test(experimentId)) throw notFound(`No Experiment with id=${experimentId} exists`);
  const [row] = await db.all(
    sql`SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = ${Number(experimentId)}`,
  );
  if (!row) throw notFound(`No Experiment with id=${experimentId} exists`);
  if (row.lifecycle_stage !== "active") {
    throw new MlflowError(
      "INVALID_PARAMETER_VALUE",
      `The experiment ${experimentId} must be in the 'active' state. Current state is ${String(row.lifecycle_stage)}.`,
    );
  }
  return String(row.artifact_location ?? "");
}

export function traceArtifactLocation(experimentArtifactLocation: string, traceId: string): string {
  return `${experimentArtifactLocation.replace(/\/+$/, "")}/traces/${traceId}/artifacts`;
}

export async function upsertKeyValues(
  tx: Database,
  table: "trace_tags" | "trace_request_metadata",
  traceId: string,
  entries: Iterable<[string, string]>,
  onConflict: "update" | "keep" = "update",
): Promise<void> {
  const rows = [...entries].map(([key, value]) => sql`(${key}, ${value}, ${traceId})`);
  if (rows.length === 0) return;
  const insert = onConflict === "update" ? raw("INSERT INTO") : insertIgnoring(tx.dialect);
  const action =
    onConflict === "update" ? onConflictUpdate(tx.dialect, '"key", request_id', ["value"]) : onConflictDoNothing(tx.dialect, '"key", request_id');
  await tx.run(sql`${insert} ${raw(table)} ("key", value, request_id) VALUES ${join(rows, ", ")} ${action}`);
}

/** Locks an existing trace row for the rest of the transaction (PostgreSQL, MySQL; SQLite has one writer). */
export async function lockTrace(tx: Database, traceId: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await tx.all(sql`SELECT * FROM trace_info WHERE request_id = ${traceId} ${forUpdate(tx.dialect)}`);
  return row;
}

/** `trace_metrics` rows for the numeric token-usage keys of a JSON text. */
export async function writeTokenMetrics(tx: Database, traceId: string, tokenUsage: string | undefined): Promise<void> {
  if (tokenUsage === undefined) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(tokenUsage);
  } catch {
    return;
  }
  if (typeof parsed !== "object" || parsed === null) return;
  const values = parsed as Record<string, unknown>;
  const rows = TOKEN_USAGE_KEYS.filter((k) => typeof values[k] === "number").map(
    (k) => sql`(${traceId}, ${k}, ${values[k] as number})`,
  );
  if (rows.length === 0) return;
  await tx.run(sql`INSERT INTO trace_metrics (request_id, "key", value) VALUES ${join(rows, ", ")}
                   ${onConflictUpdate(tx.dialect, 'request_id, "key"', ["value"])}`);
}

export interface StartedTrace {
  info: TraceInfo;
  /** The trace existed already (its spans came first): MLflow's response then omits metadata. */
  merged: boolean;
}

export class TraceStore {
  constructor(private readonly db: Database) {}

  /** StartTraceV3 (and v2 StartTrace): insert, or merge into the row OTLP spans created. */
  async startTrace(input: NewTraceInfo): Promise<StartedTrace> {
    const artifactRoot = await traceExperiment(this.db, input.experimentId);
    const merged = await this.db.transaction(async (tx) => {
      const inserted = await tx.run(sql`
        ${insertIgnoring(tx.dialect)} trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status,
                                client_request_id, request_preview, response_preview)
        VALUES (${input.traceId}, ${Number(input.experimentId)}, ${input.requestTime}, ${input.executionTimeMs},
                ${input.state}, ${input.clientRequestId}, ${input.requestPreview}, ${input.responsePreview})
        ${onConflictDoNothing(tx.dialect, "request_id")}`);
      if (inserted === 0) {
        await lockTrace(tx, input.traceId);
        await tx.run(sql`
          UPDATE trace_info SET experiment_id = ${Number(input.experimentId)}, timestamp_ms = ${input.requestTime},
                 execution_time_ms = ${input.executionTimeMs}, status = ${input.state},
                 client_request_id = ${input.clientRequestId},
                 request_preview = COALESCE(${input.requestPreview}, request_preview),
                 response_preview = COALESCE(${input.responsePreview}, response_preview)
          WHERE request_id = ${input.traceId}`);
      }
      await upsertKeyValues(tx, "trace_tags", input.traceId, input.tags);
      await upsertKeyValues(
        tx,
        "trace_tags",
        input.traceId,
        [[TAG_ARTIFACT_LOCATION, traceArtifactLocation(artifactRoot, input.traceId)]],
        "keep",
      );
      await upsertKeyValues(tx, "trace_request_metadata", input.traceId, input.metadata);
      await writeTokenMetrics(tx, input.traceId, input.metadata.get(METADATA_TOKEN_USAGE));
      await insertAssessments(tx, input.traceId, input.assessments);
      return inserted === 0;
    });
    const info = await this.getTraceInfo(input.traceId);
    return { info, merged };
  }

  async getTraceInfo(traceId: string): Promise<TraceInfo> {
    const [info] = await loadTraceInfos(this.db, [traceId]);
    if (!info) throw notFound(`Trace with ID '${traceId}' not found.`);
    return info;
  }

  /** Known traces among `ids`, in request order. */
  getTraceInfos(ids: readonly string[]): Promise<TraceInfo[]> {
    return loadTraceInfos(this.db, ids);
  }

  async searchTraces(query: TraceSearch): Promise<Page<TraceInfo>> {
    if (query.experimentIds.length === 0) return { items: [] };
    const rows = await this.db.all(searchTracesSql(query, this.db.dialect));
    const ids = rows.map((r) => String(r.request_id));
    const items = await loadTraceInfos(this.db, ids);
    // The token appears whenever a page is full, even at the end, as MLflow's does.
    const full = ids.length === query.maxResults;
    return full ? { items, nextOffset: query.offset + query.maxResults } : { items };
  }

  /** DeleteTraces: by ids, or the oldest with timestamp_ms <= maxTimestampMillis (at most maxTraces). */
  async deleteTraces(experimentId: string, target: { ids: string[] } | { maxTimestampMillis: number; maxTraces?: number }): Promise<number> {
    const experiment = /^\d+$/.test(experimentId) ? Number(experimentId) : -1;
    return this.db.transaction(async (tx) => {
      let ids: string[];
      if ("ids" in target) {
        if (target.ids.length === 0) return 0;
        const rows = await tx.all(sql`SELECT request_id FROM trace_info WHERE experiment_id = ${experiment}
                                       AND ${inValues(tx.dialect, raw("request_id"), target.ids, "text")}`);
        ids = rows.map((r) => String(r.request_id));
      } else {
        const limit = target.maxTraces === undefined ? raw("") : sql` LIMIT ${target.maxTraces}`;
        const rows = await tx.all(sql`SELECT request_id FROM trace_info WHERE experiment_id = ${experiment}
                                       AND timestamp_ms <= ${target.maxTimestampMillis}
                                       ORDER BY timestamp_ms, request_id${limit}`);
        ids = rows.map((r) => String(r.request_id));
      }
      if (ids.length === 0) return 0;
      return deleteTraceRows(tx, ids);
    });
  }

  async setTraceTag(traceId: string, key: string, value: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await requireTrace(tx, traceId);
      await upsertKeyValues(tx, "trace_tags", traceId, [[key, value]]);
    });
  }

  async deleteTraceTag(traceId: string, key: string): Promise<void> {
    const deleted = await this.db.run(sql`DELETE FROM trace_tags WHERE request_id = ${traceId} AND "key" = ${key}`);
    if (deleted === 0) throw notFound(`No trace tag with key '${key}' for trace with ID '${traceId}'`);
  }

  /** v2 EndTrace: end time, status, metadata and tags merged. */
  async endTraceV2(traceId: string, end: { timestampMs: number; status: string; metadata: Map<string, string>; tags: Map<string, string> }): Promise<TraceInfo> {
    await this.db.transaction(async (tx) => {
      const row = await lockTrace(tx, traceId);
      if (!row) throw notFound(`Trace with ID '${traceId}' not found.`);
      const start = toNumber(row.timestamp_ms) ?? 0;
      await tx.run(sql`UPDATE trace_info SET execution_time_ms = ${end.timestampMs - start}, status = ${end.status}
                       WHERE request_id = ${traceId}`);
      await upsertKeyValues(tx, "trace_request_metadata", traceId, end.metadata);
      await upsertKeyValues(tx, "trace_tags", traceId, end.tags);
    });
    return this.getTraceInfo(traceId);
  }

  async linkTracesToRun(traceIds: readonly string[], runId: string): Promise<void> {
    await this.linkTrace(traceIds.map((id) => [id, "run", runId]));
  }

  async linkPromptsToTrace(traceId: string, promptVersions: readonly string[]): Promise<void> {
    await this.linkTrace(promptVersions.map((v) => [traceId, "prompt_version", v]));
  }

  private async linkTrace(links: readonly [string, string, string][]): Promise<void> {
    if (links.length === 0) return;
    const now = Date.now();
    await this.db.transaction(async (tx) => {
      for (const [traceId, destinationType, destinationId] of links) {
        const [existing] = await tx.all(sql`SELECT 1 AS found FROM entity_associations
          WHERE source_type = 'trace' AND source_id = ${traceId}
            AND destination_type = ${destinationType} AND destination_id = ${destinationId}`);
        if (existing) continue;
        await tx.run(sql`INSERT INTO entity_associations
            (association_id, source_type, source_id, destination_type, destination_id, created_time)
          VALUES (${crypto.randomUUID().replaceAll("-", "")}, 'trace', ${traceId}, ${destinationType}, ${destinationId}, ${now})`);
      }
    });
  }
}

export async function requireTrace(tx: Database, traceId: string): Promise<void> {
  const [row] = await tx.all(sql`SELECT 1 AS found FROM trace_info WHERE request_id = ${traceId}`);
  if (!row) throw new MlflowError("BAD_REQUEST", `Trace with ID '${traceId}' not found.`);
}

/** Hard delete of traces with everything that hangs off them (explicitly: old SQLite files may lack the cascades). */
export async function deleteTraceRows(tx: Database, ids: readonly string[]): Promise<number> {
  const where = (column: string): Sql => inValues(tx.dialect, raw(column), ids, "text");
  await tx.run(sql`DELETE FROM span_metrics WHERE ${where("trace_id")}`);
  await tx.run(sql`DELETE FROM spans WHERE ${where("trace_id")}`);
  await tx.run(sql`DELETE FROM assessments WHERE ${where("trace_id")}`);
  for (const table of ["trace_tags", "trace_request_metadata", "trace_metrics"]) {
    await tx.run(sql`DELETE FROM ${raw(table)} WHERE ${where("request_id")}`);
  }
  return tx.run(sql`DELETE FROM trace_info WHERE ${where("request_id")}`);
}
