/**
 * Traces, spans and assessments as the store reads and writes them (MLflow's `trace_info`,
 * `trace_tags`, `trace_request_metadata`, `spans`, `assessments`). Span times are BigInt
 * nanoseconds end to end: they exceed what a JS number holds exactly.
 */

export type TraceState = "STATE_UNSPECIFIED" | "OK" | "ERROR" | "IN_PROGRESS";
export const traceStates: readonly TraceState[] = ["STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"];

export interface TraceInfo {
  traceId: string;
  experimentId: string;
  clientRequestId: string | null;
  /** ms since the epoch */
  requestTime: number;
  executionTimeMs: number | null;
  state: string;
  requestPreview: string | null;
  responsePreview: string | null;
  /** In MLflow's order: insertion order of the rows. */
  metadata: Map<string, string>;
  tags: Map<string, string>;
  assessments: Assessment[];
}

/** What StartTraceV3 and the v2 StartTrace write: a trace whose assessments have no ids yet. */
export type NewTraceInfo = Omit<TraceInfo, "assessments"> & { assessments: NewAssessment[] };

/** One OTLP span, converted to MLflow's storage form by the OTLP layer. */
export interface SpanRow {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  type: string | null;
  status: "OK" | "ERROR" | "UNSET";
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint | null;
  /** One span of MLflow's traces.json format, as JSON text. */
  content: string;
  dimensionAttributes: string;
  /** JSON text of the span's `mlflow.spanInputs` / `mlflow.spanOutputs`, for trace previews. */
  inputs: string | null;
  outputs: string | null;
  /** Decoded `mlflow.chat.tokenUsage`, summed into the trace's metadata. */
  tokenUsage: Record<string, number> | null;
  /** JSON text of the `session.id` / `user.id` attributes. */
  session: string | null;
  user: string | null;
}

/** A stored span as readers need it: the content is what the client gets back. */
export interface StoredSpan {
  spanId: string;
  parentSpanId: string | null;
  content: string;
}

export type AssessmentType = "feedback" | "expectation" | "issue";

export interface Assessment {
  assessmentId: string;
  traceId: string;
  name: string;
  type: AssessmentType;
  /** JSON text (`null` for an error-only feedback). */
  value: string;
  /** JSON text of `{error_code, error_message, stack_trace}` or null. */
  error: string | null;
  createdTimestamp: number;
  lastUpdatedTimestamp: number;
  sourceType: string;
  sourceId: string | null;
  runId: string | null;
  spanId: string | null;
  rationale: string | null;
  overrides: string | null;
  valid: boolean;
  /** JSON text of a string map or null. */
  metadata: string | null;
}

export type NewAssessment = Omit<Assessment, "assessmentId" | "traceId">;

export interface TraceSearch {
  experimentIds: string[];
  filter: import("../search/ast.ts").TraceFilter;
  orderBy: import("../search/ast.ts").TraceOrderKey[];
  maxResults: number;
  offset: number;
}
