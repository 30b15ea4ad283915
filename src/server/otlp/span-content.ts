/**
 * OTLP spans to MLflow's span rows, as MLflow's `Span.from_otel_proto` + `to_dict` make them:
 * every attribute value becomes Python JSON text, `mlflow.traceRequestId` comes first, resource
 * attributes are dropped (except the few agent CLIs MLflow recognises by `service.name`).
 */

import type { SpanRow } from "../../store/trace-types.ts";
import type { AnyValue, KeyValue, OtlpSpan } from "./model.ts";
import { dedupe, pyDumps, pyString } from "./python-json.ts";

const AGENT_SERVICES = new Set(["claude-code", "codex_cli_rs", "codex_vscode", "gemini-cli", "qwen-code"]);

function base64OfHex(hex: string): string {
  let binary = "";
  for (let i = 0; i < hex.length; i += 2) binary += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(binary);
}

/** The spans of one request mostly share a trace id: encode it once. */
let lastTraceHex = "";
let lastTraceBase64 = "";
function traceBase64(hex: string): string {
  if (hex !== lastTraceHex) {
    lastTraceHex = hex;
    lastTraceBase64 = base64OfHex(hex);
  }
  return lastTraceBase64;
}

/** The Python value of an AnyValue, dumped without the outer attribute encoding (event attributes). */
function eventAttributes(attributes: readonly KeyValue[]): string {
  return `{${dedupe(attributes).map(([k, v]) => `${pyString(k)}: ${pyDumps(v)}`).join(", ")}}`;
}

function stringOf(value: AnyValue | undefined): string | null {
  return value?.kind === "string" ? value.value : null;
}

function numbersOf(text: string): Record<string, number> | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === "number") out[k] = v;
    return out;
  } catch {
    return null;
  }
}

export function mlflowTraceId(otelTraceId: string): string {
  return `tr-${otelTraceId}`;
}

export function toSpanRow(span: OtlpSpan): SpanRow {
  const traceId = mlflowTraceId(span.traceId);
  const attributes = new Map<string, string>([["mlflow.traceRequestId", pyString(traceId)]]);
  const raw = new Map<string, AnyValue>();
  for (const [key, value] of dedupe(span.attributes)) {
    attributes.set(key, pyDumps(value));
    raw.set(key, value);
  }
  const service = stringOf(span.resource.find((a) => a.key === "service.name")?.value);
  if (!span.parentSpanId && service && AGENT_SERVICES.has(service) && !attributes.has("service.name")) {
    attributes.set("service.name", pyString(service));
  }
  const statusCode = span.status.code;
  const status = statusCode === "STATUS_CODE_OK" ? "OK" : statusCode === "STATUS_CODE_ERROR" ? "ERROR" : "UNSET";
  const end = span.endTimeUnixNano === 0n ? null : span.endTimeUnixNano;
  const events = span.events.map(
    (e) => `{"name": ${pyString(e.name)}, "time_unix_nano": ${e.timeUnixNano}, "attributes": ${eventAttributes(e.attributes)}}`,
  );
  const content =
    `{"trace_id": ${pyString(traceBase64(span.traceId))}, "span_id": ${pyString(base64OfHex(span.spanId))}, ` +
    `"parent_span_id": ${span.parentSpanId ? pyString(base64OfHex(span.parentSpanId)) : "null"}, ` +
    `"name": ${pyString(span.name)}, "start_time_unix_nano": ${span.startTimeUnixNano}, ` +
    `"end_time_unix_nano": ${end ?? "null"}, "events": [${events.join(", ")}], ` +
    `"status": {"code": ${pyString(statusCode)}, "message": ${pyString(span.status.message)}}, ` +
    `"attributes": {${[...attributes].map(([k, v]) => `${pyString(k)}: ${pyString(v)}`).join(", ")}}}`;
  const spanType = raw.get("mlflow.spanType");
  const tokenUsage = attributes.get("mlflow.chat.tokenUsage");
  const tokenUsageValue = raw.get("mlflow.chat.tokenUsage");
  return {
    traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId || null,
    name: span.name,
    type: spanType ? typeName(spanType) : null,
    status,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: end,
    content,
    dimensionAttributes: "null",
    inputs: attributes.get("mlflow.spanInputs") ?? null,
    outputs: attributes.get("mlflow.spanOutputs") ?? null,
    tokenUsage: tokenUsage === undefined ? null : numbersOf(tokenUsageValue?.kind === "string" ? tokenUsageValue.value : tokenUsage),
    session: attributes.get("session.id") ?? null,
    user: attributes.get("user.id") ?? null,
  };
}

/** `mlflow.spanType` as the spans.type column holds it: the decoded string. */
function typeName(value: AnyValue): string {
  if (value.kind === "string") {
    // The Python client sends the bare name; other writers may send it JSON-encoded.
    try {
      const decoded: unknown = JSON.parse(value.value);
      if (typeof decoded === "string") return decoded;
    } catch {
      // a bare name
    }
    return value.value;
  }
  return pyDumps(value);
}
