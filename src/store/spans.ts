/**
 * Spans in MLflow's `spans` table: OTLP ingest (spans upserted on (trace_id, span_id), the trace
 * row created or widened as MLflow's `log_spans` does) and reading a trace's spans back, root
 * first then by start time. Times stay BigInt or SQL integers; they are never read into numbers.
 */

import { toNumber, type Database } from "./db/database.ts";
import { bulkRows, insertIgnoring, inValues, onConflictDoNothing, onConflictUpdate, raw, sql, type BulkColumn, type Dialect, type Sql, type SqlValue } from "./db/sql.ts";
import {
  lockTrace,
  METADATA_INFO_FINALIZED,
  METADATA_TOKEN_USAGE,
  TAG_ARTIFACT_LOCATION,
  TAG_SPANS_LOCATION,
  traceArtifactLocation,
  traceExperiment,
  upsertKeyValues,
  writeTokenMetrics,
} from "./traces.ts";
import type { SpanRow, StoredSpan } from "./trace-types.ts";

const PREVIEW_LENGTH = 1000;

const spanColumns: readonly BulkColumn[] = [
  { name: "trace_id", pgType: "text" },
  { name: "experiment_id", pgType: "int4" },
  { name: "span_id", pgType: "text" },
  { name: "parent_span_id", pgType: "text" },
  { name: "name", pgType: "text" },
  { name: "type", pgType: "text" },
  { name: "status", pgType: "text" },
  { name: "start_time_unix_nano", pgType: "int8" },
  { name: "end_time_unix_nano", pgType: "int8" },
  { name: "content", pgType: "text" },
  { name: "dimension_attributes", pgType: "text" },
];

const NS_PER_MS = 1_000_000n;
/** 11 parameters a span on SQLite: 1,000 spans stay well under its 32,766-variable limit. */
const SPANS_PER_STATEMENT = 1000;

const columnNames = raw(spanColumns.map((c) => c.name).join(", "));
const updatedColumns = spanColumns
  .filter((c) => !["trace_id", "span_id", "experiment_id"].includes(c.name))
  .map((c) => c.name);

function upsertSpans(dialect: Dialect, rows: readonly (readonly SqlValue[])[]): Sql {
  const onConflict = onConflictUpdate(dialect, "trace_id, span_id", updatedColumns);
  if (dialect !== "postgresql") return sql`INSERT INTO spans (${columnNames}) ${bulkRows(dialect, spanColumns, rows)} ${onConflict}`;
  // dimension_attributes is a json column; the unnest arrays carry it as text.
  const selected = raw(spanColumns.map((c) => (c.name === "dimension_attributes" ? "CAST(dimension_attributes AS json)" : c.name)).join(", "));
  return sql`INSERT INTO spans (${columnNames})
             SELECT ${selected} FROM (${bulkRows(dialect, spanColumns, rows)}) AS v (${columnNames}) ${onConflict}`;
}

function groupByTrace(spans: readonly SpanRow[]): Map<string, SpanRow[]> {
  const groups = new Map<string, SpanRow[]>();
  for (const span of spans) {
    const group = groups.get(span.traceId);
    if (group) group.push(span);
    else groups.set(span.traceId, [span]);
  }
  return groups;
}

function addTokenUsage(total: Record<string, number>, usage: Record<string, number>): void {
  for (const [k, v] of Object.entries(usage)) total[k] = (total[k] ?? 0) + v;
}

/** What one batch of spans says about its trace. */
interface TraceSummary {
  startMs: number;
  endMs: number | null;
  root: SpanRow | undefined;
  tokenUsage: Record<string, number> | null;
  session: string | null;
  user: string | null;
}

function summarize(spans: readonly SpanRow[]): TraceSummary {
  let start: bigint | undefined;
  let end: bigint | undefined;
  let tokenUsage: Record<string, number> | null = null;
  for (const span of spans) {
    if (start === undefined || span.startTimeUnixNano < start) start = span.startTimeUnixNano;
    if (span.endTimeUnixNano !== null && (end === undefined || span.endTimeUnixNano > end)) end = span.endTimeUnixNano;
    if (span.tokenUsage) addTokenUsage((tokenUsage ??= {}), span.tokenUsage);
  }
  return {
    startMs: Number((start ?? 0n) / NS_PER_MS),
    endMs: end === undefined ? null : Number(end / NS_PER_MS),
    root: spans.find((s) => s.parentSpanId === null),
    tokenUsage,
    session: spans.find((s) => s.session !== null)?.session ?? null,
    user: spans.find((s) => s.user !== null)?.user ?? null,
  };
}

const preview = (text: string | null | undefined): string | null => (text == null ? null : text.slice(0, PREVIEW_LENGTH));

export class SpanStore {
  constructor(private readonly db: Database) {}

  /**
   * OTLP ingest: one transaction for the whole request. Traces are handled in id order, so two
   * requests touching the same traces lock them in the same order and cannot deadlock.
   */
  async logSpans(experimentId: string, spans: readonly SpanRow[]): Promise<void> {
    const artifactRoot = await traceExperiment(this.db, experimentId);
    const groups = [...groupByTrace(spans)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await this.db.transaction(async (tx) => {
      for (const [traceId, group] of groups) {
        await this.mergeTrace(tx, traceId, Number(experimentId), artifactRoot, group);
      }
    });
  }

  private async mergeTrace(
    tx: Database,
    traceId: string,
    experimentId: number,
    artifactRoot: string,
    spans: readonly SpanRow[],
  ): Promise<void> {
    const s = summarize(spans);
    const rootStatus = s.root ? (s.root.status === "ERROR" ? "ERROR" : "OK") : "IN_PROGRESS";
    const inserted = await tx.run(sql`
      ${insertIgnoring(tx.dialect)} trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status,
                              request_preview, response_preview)
      VALUES (${traceId}, ${experimentId}, ${s.startMs}, ${s.endMs === null ? null : s.endMs - s.startMs},
              ${rootStatus}, ${preview(s.root?.inputs)}, ${preview(s.root?.outputs)})
      ${onConflictDoNothing(tx.dialect, "request_id")}`);
    let traceExperimentId = experimentId;
    let finalized = false;
    if (inserted === 0) {
      const row = await lockTrace(tx, traceId);
      traceExperimentId = toNumber(row?.experiment_id) ?? experimentId;
      const [flag] = await tx.all(sql`SELECT 1 AS found FROM trace_request_metadata
                                      WHERE request_id = ${traceId} AND "key" = ${METADATA_INFO_FINALIZED}`);
      finalized = flag !== undefined;
      if (!finalized && row) {
        const storedStart = toNumber(row.timestamp_ms) ?? s.startMs;
        const storedExecution = toNumber(row.execution_time_ms);
        const start = Math.min(storedStart, s.startMs);
        const ends = [s.endMs, storedExecution === null ? null : storedStart + storedExecution].filter((e): e is number => e !== null);
        const execution = ends.length ? Math.max(...ends) - start : null;
        const status = s.root && (row.status === "IN_PROGRESS" || row.status === "STATE_UNSPECIFIED") ? rootStatus : String(row.status);
        await tx.run(sql`UPDATE trace_info SET timestamp_ms = ${start}, execution_time_ms = ${execution}, status = ${status}
                         WHERE request_id = ${traceId}`);
      }
      if (s.root) {
        await tx.run(sql`UPDATE trace_info SET request_preview = COALESCE(request_preview, ${preview(s.root.inputs)}),
                                               response_preview = COALESCE(response_preview, ${preview(s.root.outputs)})
                         WHERE request_id = ${traceId}`);
      }
    }
    const artifactTag: [string, string] = [TAG_ARTIFACT_LOCATION, traceArtifactLocation(artifactRoot, traceId)];
    const spansTag: [string, string] = [TAG_SPANS_LOCATION, "TRACKING_STORE"];
    if (inserted > 0) {
      // A row this transaction created has no tags yet: one statement for both.
      await upsertKeyValues(tx, "trace_tags", traceId, [artifactTag, spansTag]);
    } else {
      await upsertKeyValues(tx, "trace_tags", traceId, [artifactTag], "keep");
      await upsertKeyValues(tx, "trace_tags", traceId, [spansTag]);
    }
    await this.mergeMetadata(tx, traceId, s, finalized);
    const rows = spans.map((span) => [
      span.traceId,
      traceExperimentId,
      span.spanId,
      span.parentSpanId,
      span.name,
      span.type,
      span.status,
      span.startTimeUnixNano.toString(),
      span.endTimeUnixNano === null ? null : span.endTimeUnixNano.toString(),
      span.content,
      span.dimensionAttributes,
    ]);
    for (let i = 0; i < rows.length; i += SPANS_PER_STATEMENT) {
      await tx.run(upsertSpans(tx.dialect, rows.slice(i, i + SPANS_PER_STATEMENT)));
    }
  }

  private async mergeMetadata(tx: Database, traceId: string, s: TraceSummary, finalized: boolean): Promise<void> {
    if (s.tokenUsage) {
      const total = { ...s.tokenUsage };
      if (!finalized) {
        const [stored] = await tx.all(sql`SELECT value FROM trace_request_metadata
                                          WHERE request_id = ${traceId} AND "key" = ${METADATA_TOKEN_USAGE}`);
        if (stored?.value) {
          try {
            addTokenUsage(total, JSON.parse(String(stored.value)) as Record<string, number>);
          } catch {
            // an unreadable stored value is replaced
          }
        }
      }
      // json.dumps form, as MLflow writes it: `{"input_tokens": 10, ...}`.
      const text = `{${Object.entries(total).map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(", ")}}`;
      await upsertKeyValues(tx, "trace_request_metadata", traceId, [[METADATA_TOKEN_USAGE, text]]);
      await writeTokenMetrics(tx, traceId, text);
    }
    const firstOnly: [string, string][] = [];
    if (s.session) firstOnly.push(["mlflow.trace.session", s.session]);
    if (s.user) firstOnly.push(["mlflow.trace.user", s.user]);
    await upsertKeyValues(tx, "trace_request_metadata", traceId, firstOnly, "keep");
  }

  /** The stored spans of each trace, root first then by start time. */
  async getSpans(traceIds: readonly string[]): Promise<Map<string, StoredSpan[]>> {
    const out = new Map<string, StoredSpan[]>();
    if (traceIds.length === 0) return out;
    const rows = await this.db.all(sql`
      SELECT trace_id, span_id, parent_span_id, content FROM spans
      WHERE ${inValues(this.db.dialect, raw("trace_id"), traceIds, "text")}
      ORDER BY trace_id, CASE WHEN parent_span_id IS NULL OR parent_span_id = '' THEN 0 ELSE 1 END, start_time_unix_nano, span_id`);
    for (const row of rows) {
      const traceId = String(row.trace_id);
      const span: StoredSpan = {
        spanId: String(row.span_id),
        parentSpanId: row.parent_span_id ? String(row.parent_span_id) : null,
        content: String(row.content),
      };
      const list = out.get(traceId);
      if (list) list.push(span);
      else out.set(traceId, [span]);
    }
    return out;
  }
}
