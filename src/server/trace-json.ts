/**
 * MLflow's JSON for traces and assessments (spec §3.2, §3.8): TraceInfoV3 and the v2 TraceInfo
 * out, and the request shapes (TraceInfoV3, Assessment) in, validated at the edge.
 */

import { invalidParameter, MlflowError } from "../errors.ts";
import type { Assessment, AssessmentType, NewAssessment, TraceInfo } from "../store/trace-types.ts";
import type { Json } from "./json.ts";
import { pyFloat } from "./otlp/python-json.ts";
import type { Params } from "./request.ts";
import { checkLength, checkNoNul, LIMITS } from "./trace-limits.ts";

const MAX_METADATA = 250;
const MAX_TAG_KEY = 250;
const MAX_TAG_VALUE = 4096;

/** Protobuf Timestamp JSON: RFC 3339 UTC with no or three fraction digits. */
export function timestampJson(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Protobuf Duration JSON: `"0.233s"`, `"2s"`. */
export function durationJson(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  const fraction = abs % 1000;
  return `${sign}${Math.floor(abs / 1000)}${fraction ? `.${String(fraction).padStart(3, "0")}` : ""}s`;
}

export function parseTimestamp(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d\d-\d\dT/.test(value) || Number.isNaN(ms)) {
    throw invalidParameter(`Invalid value '${value}' for parameter '${field}': expected an RFC 3339 timestamp.`);
  }
  return ms;
}

export function parseDuration(value: string, field: string): number {
  const match = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(value);
  if (!match) throw invalidParameter(`Invalid value '${value}' for parameter '${field}': expected a duration such as "1.5s".`);
  const ms = Number(match[2]) * 1000 + Math.floor(Number(`0.${match[3] ?? "0"}`) * 1000 + 1e-6);
  return match[1] ? -ms : ms;
}

function cut(map: Map<string, string>, keyMax: number, valueMax: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of map) out[k.slice(0, keyMax)] = v.slice(0, valueMax);
  return out;
}

function parseJsonText(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

function withoutNulls(value: Json): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined));
}

export function assessmentJson(a: Assessment): Json {
  const out: Record<string, Json> = {
    assessment_id: a.assessmentId,
    assessment_name: a.name,
    trace_id: a.traceId,
  };
  if (a.spanId) out.span_id = a.spanId;
  const source: Record<string, Json> = { source_type: a.sourceType };
  if (a.sourceId) source.source_id = a.sourceId;
  out.source = source;
  out.create_time = timestampJson(a.createdTimestamp);
  out.last_update_time = timestampJson(a.lastUpdatedTimestamp);
  const value = parseJsonText(a.value);
  if (a.type === "feedback") {
    // An error-only feedback still carries `value: null` (a google.protobuf.Value holding null).
    const feedback: Record<string, Json> = { value };
    if (a.error) feedback.error = withoutNulls(parseJsonText(a.error));
    out.feedback = feedback;
  } else if (a.type === "expectation") {
    const simple = value === null || ["string", "number", "boolean"].includes(typeof value);
    out.expectation = simple ? { value } : { serialized_value: { serialization_format: "JSON_FORMAT", value: a.value } };
  } else {
    out.issue = typeof value === "object" && value !== null ? value : { issue_name: String(value) };
  }
  if (a.rationale) out.rationale = a.rationale;
  if (a.metadata) out.metadata = parseJsonText(a.metadata);
  if (a.runId) out.run_id = a.runId;
  if (a.overrides) out.overrides = a.overrides;
  out.valid = a.valid;
  return out;
}

export function traceInfoV3Json(info: TraceInfo, options: { metadata?: boolean } = {}): Json {
  const out: Record<string, Json> = { trace_id: info.traceId };
  if (info.clientRequestId !== null) out.client_request_id = info.clientRequestId;
  out.trace_location = { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: info.experimentId } };
  out.request_time = timestampJson(info.requestTime);
  if (info.executionTimeMs !== null) out.execution_duration = durationJson(info.executionTimeMs);
  out.state = info.state;
  if (options.metadata !== false) out.trace_metadata = cut(info.metadata, MAX_METADATA, MAX_METADATA);
  if (info.assessments.length > 0) out.assessments = info.assessments.map(assessmentJson);
  out.tags = cut(info.tags, MAX_TAG_KEY, MAX_TAG_VALUE);
  if (info.requestPreview !== null) out.request_preview = info.requestPreview;
  if (info.responsePreview !== null) out.response_preview = info.responsePreview;
  return out;
}

const V2_STATUS: Record<string, string> = {
  OK: "OK",
  ERROR: "ERROR",
  IN_PROGRESS: "IN_PROGRESS",
  STATE_UNSPECIFIED: "TRACE_STATUS_UNSPECIFIED",
};

export function traceInfoV2Json(info: TraceInfo): Json {
  const pairs = (map: Map<string, string>, keyMax: number, valueMax: number) =>
    Object.entries(cut(map, keyMax, valueMax)).map(([key, value]) => ({ key, value }));
  return {
    request_id: info.traceId,
    experiment_id: info.experimentId,
    timestamp_ms: info.requestTime,
    execution_time_ms: info.executionTimeMs ?? 0,
    status: V2_STATUS[info.state] ?? "TRACE_STATUS_UNSPECIFIED",
    request_metadata: pairs(info.metadata, MAX_METADATA, MAX_METADATA),
    tags: pairs(info.tags, MAX_TAG_KEY, MAX_TAG_VALUE),
  };
}

/** json.dumps of a google.protobuf.Value (numbers are doubles there: 1 -> 1.0). */
export function pyValueJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") return pyFloat(value);
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pyValueJson).join(", ")}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${pyValueJson(v)}`).join(", ")}}`;
}

/** A `map<string, string>` field; keys and values are NUL-checked (length limits are the caller's). */
function stringMap(p: Params, name: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!p.has(name)) return out;
  const raw = p.rawValue(name);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalidParameter(`Invalid value for parameter '${name}': expected an object of strings.`);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string") throw invalidParameter(`Invalid value for '${name}.${k}': expected a string.`);
    out.set(checkNoNul(`${name} key`, k), checkNoNul(`${name}.${k}`, v));
  }
  return out;
}

export { stringMap };

const SOURCE_TYPES = ["SOURCE_TYPE_UNSPECIFIED", "HUMAN", "LLM_JUDGE", "CODE"] as const;

function sourceType(value: unknown): string {
  if (value === undefined || value === null || value === "") return "SOURCE_TYPE_UNSPECIFIED";
  if (typeof value === "number" && SOURCE_TYPES[value]) return SOURCE_TYPES[value];
  if (typeof value === "string" && (SOURCE_TYPES as readonly string[]).includes(value)) return value;
  throw invalidParameter(
    `Invalid value ${JSON.stringify(value)} for parameter 'source_type' supplied. Hint: Value must be one of [${SOURCE_TYPES.join(", ")}].`,
  );
}

/** The value part of an Assessment: feedback, expectation or issue. */
export function assessmentValue(p: Params): { type: AssessmentType; value: string; error: string | null } {
  if (p.has("feedback")) {
    const feedback = p.object("feedback");
    const error = feedback.has("error") ? JSON.stringify(feedback.object("error") && feedback.rawValue("error")) : null;
    return { type: "feedback", value: pyValueJson(feedback.rawValue("value")), error };
  }
  if (p.has("expectation")) {
    const expectation = p.object("expectation");
    if (expectation.has("serialized_value")) {
      return { type: "expectation", value: expectation.object("serialized_value").string("value"), error: null };
    }
    return { type: "expectation", value: pyValueJson(expectation.rawValue("value")), error: null };
  }
  if (p.has("issue")) {
    const issue = p.object("issue");
    return { type: "issue", value: JSON.stringify({ issue_name: issue.optionalString("issue_name") ?? "" }), error: null };
  }
  throw new MlflowError("INVALID_PARAMETER_VALUE", "Unknown assessment type: None");
}

export function parseNewAssessment(p: Params, now: number): NewAssessment {
  const { type, value, error } = assessmentValue(p);
  const source = p.has("source") ? p.object("source") : undefined;
  const metadata = stringMap(p, "metadata");
  const created = p.optionalString("create_time");
  const updated = p.optionalString("last_update_time");
  const createdMs = created ? parseTimestamp(created, "create_time") : now;
  const optional = (field: string, max: number) => {
    const value = (field === "source_id" ? source?.optionalString(field) : p.optionalString(field)) || null;
    return value === null ? null : checkLength(field, value, max);
  };
  const runId = metadata.get("mlflow.assessment.sourceRunId") ?? null;
  return {
    name: checkLength("assessment_name", p.optionalString("assessment_name") ?? "", LIMITS.assessmentName),
    type,
    value,
    error,
    createdTimestamp: createdMs,
    lastUpdatedTimestamp: updated ? parseTimestamp(updated, "last_update_time") : createdMs,
    sourceType: sourceType(source?.rawValue("source_type")),
    sourceId: optional("source_id", LIMITS.sourceId),
    runId: runId === null ? null : checkLength("metadata.mlflow.assessment.sourceRunId", runId, LIMITS.runId),
    spanId: optional("span_id", LIMITS.spanId),
    rationale: p.optionalString("rationale") ?? null,
    overrides: optional("overrides", LIMITS.assessmentId),
    valid: p.optionalBool("valid") ?? true,
    metadata: metadata.size > 0 ? JSON.stringify(Object.fromEntries(metadata)) : null,
  };
}
