/**
 * OTLP/JSON (the protobuf JSON mapping of `ExportTraceServiceRequest`): lowerCamelCase or
 * snake_case field names, ids as hex, int64/fixed64 as strings or numbers, enums by name or number.
 * Large integers are quoted before parsing, so nanosecond times keep every digit.
 */

import type { DecodedRequest } from "./protobuf.ts";
import { OtlpFormatError, statusCodes, type AnyValue, type KeyValue, type OtlpEvent, type OtlpSpan, type StatusCode } from "./model.ts";

type JsonObject = Record<string, unknown>;

const BIG_FIELDS =
  /("(?:startTimeUnixNano|endTimeUnixNano|timeUnixNano|start_time_unix_nano|end_time_unix_nano|time_unix_nano|intValue|int_value)"\s*:\s*)(-?\d+)/g;

function field(o: JsonObject, camel: string, snake: string): unknown {
  return o[camel] ?? o[snake];
}

function object(value: unknown, what: string): JsonObject {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new OtlpFormatError(`${what} must be an object`);
  return value as JsonObject;
}

function array(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpFormatError(`${what} must be a list`);
  return value;
}

function string(value: unknown, what: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new OtlpFormatError(`${what} must be a string`);
  return value;
}

function bigint(value: unknown, what: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw new OtlpFormatError(`${what} must be an integer`);
}

function hexId(value: unknown, bytes: number, what: string): string {
  const text = string(value, what);
  if (text === "") return "";
  if (text.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(text)) {
    throw new OtlpFormatError(`${what} must be ${bytes * 2} hex digits`);
  }
  return text.toLowerCase();
}

function base64Bytes(value: unknown, what: string): Uint8Array {
  const text = string(value, what);
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw new OtlpFormatError(`${what} must be base64`);
  }
}

function anyValue(value: unknown): AnyValue {
  const o = object(value, "AnyValue");
  const s = field(o, "stringValue", "string_value");
  if (s !== undefined) return { kind: "string", value: string(s, "stringValue") };
  const b = field(o, "boolValue", "bool_value");
  if (b !== undefined) {
    if (typeof b !== "boolean") throw new OtlpFormatError("boolValue must be a boolean");
    return { kind: "bool", value: b };
  }
  const i = field(o, "intValue", "int_value");
  if (i !== undefined) return { kind: "int", value: bigint(i, "intValue") };
  const d = field(o, "doubleValue", "double_value");
  if (d !== undefined) {
    const n = typeof d === "string" ? Number(d) : d;
    if (typeof n !== "number" || (Number.isNaN(n) && d !== "NaN")) throw new OtlpFormatError("doubleValue must be a number");
    return { kind: "double", value: n };
  }
  const a = field(o, "arrayValue", "array_value");
  if (a !== undefined) return { kind: "array", values: array(object(a, "arrayValue")["values"], "arrayValue.values").map(anyValue) };
  const kv = field(o, "kvlistValue", "kvlist_value");
  if (kv !== undefined) return { kind: "kvlist", values: attributes(object(kv, "kvlistValue")["values"]) };
  const bytes = field(o, "bytesValue", "bytes_value");
  if (bytes !== undefined) return { kind: "bytes", value: base64Bytes(bytes, "bytesValue") };
  return { kind: "empty" };
}

function attributes(value: unknown): KeyValue[] {
  return array(value, "attributes").map((item) => {
    const o = object(item, "KeyValue");
    return { key: string(o["key"], "KeyValue.key"), value: anyValue(o["value"]) };
  });
}

function statusCode(value: unknown): StatusCode {
  if (value === undefined || value === null) return "STATUS_CODE_UNSET";
  if (typeof value === "number") return statusCodes[value] ?? "STATUS_CODE_UNSET";
  if (typeof value === "string" && (statusCodes as readonly string[]).includes(value)) return value as StatusCode;
  throw new OtlpFormatError(`unknown status code ${JSON.stringify(value)}`);
}

function event(value: unknown): OtlpEvent {
  const o = object(value, "Event");
  return {
    name: string(o["name"], "Event.name"),
    timeUnixNano: bigint(field(o, "timeUnixNano", "time_unix_nano"), "Event.timeUnixNano"),
    attributes: attributes(o["attributes"]),
  };
}

function span(value: unknown, resource: KeyValue[]): OtlpSpan {
  const o = object(value, "Span");
  const status = object(o["status"], "Span.status");
  return {
    traceId: hexId(field(o, "traceId", "trace_id"), 16, "traceId"),
    spanId: hexId(field(o, "spanId", "span_id"), 8, "spanId"),
    parentSpanId: hexId(field(o, "parentSpanId", "parent_span_id"), 8, "parentSpanId"),
    name: string(o["name"], "Span.name"),
    startTimeUnixNano: bigint(field(o, "startTimeUnixNano", "start_time_unix_nano"), "startTimeUnixNano"),
    endTimeUnixNano: bigint(field(o, "endTimeUnixNano", "end_time_unix_nano"), "endTimeUnixNano"),
    attributes: attributes(o["attributes"]),
    events: array(o["events"], "Span.events").map(event),
    status: { code: statusCode(status["code"]), message: string(status["message"], "Status.message") },
    resource,
  };
}

export function decodeExportTraceServiceJson(text: string): DecodedRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(BIG_FIELDS, '$1"$2"'));
  } catch {
    throw new OtlpFormatError("body is not valid JSON");
  }
  const root = object(parsed, "ExportTraceServiceRequest");
  const resourceSpans = array(field(root, "resourceSpans", "resource_spans"), "resourceSpans");
  const spans: OtlpSpan[] = [];
  for (const rs of resourceSpans) {
    const o = object(rs, "ResourceSpans");
    const resource = attributes(object(o["resource"], "resource")["attributes"]);
    for (const scope of array(field(o, "scopeSpans", "scope_spans"), "scopeSpans")) {
      for (const s of array(object(scope, "ScopeSpans")["spans"], "spans")) spans.push(span(s, resource));
    }
  }
  return { spans, resourceSpansCount: resourceSpans.length };
}
