/**
 * The OTLP decoders on their own: real protobuf bytes the MLflow 3.11 Python client sent
 * (transcripts/trace_decorator.md #6), OTLP/JSON, and the malformed inputs they must refuse.
 */

import { describe, expect, test } from "bun:test";
import { decodeExportTraceServiceJson } from "../../src/server/otlp/json.ts";
import { OtlpFormatError } from "../../src/server/otlp/model.ts";
import { decodeExportTraceServiceRequest } from "../../src/server/otlp/protobuf.ts";
import { pyDumps, pyFloat } from "../../src/server/otlp/python-json.ts";
import { toSpanRow } from "../../src/server/otlp/span-content.ts";
import { parseTypedJson } from "../../src/server/otlp/typed-json.ts";
import { artifactSpansJson, spanJson } from "../../src/server/span-json.ts";
import { PYTHON_CLIENT_REQUEST } from "../helpers/traces.ts";

describe("OTLP protobuf", () => {
  test("decodes the Python client's request: ids, names, parents, exact times, typed attributes, status", () => {
    const { spans, resourceSpansCount } = decodeExportTraceServiceRequest(PYTHON_CLIENT_REQUEST);
    expect(resourceSpansCount).toBe(1);
    expect(spans).toHaveLength(2);
    const [add, pipeline] = spans;
    expect(add).toMatchObject({
      traceId: "652f49d256d6b9fce2d32da58dd5438a",
      spanId: "082fd606fa089c58",
      parentSpanId: "c59f69974b155fc8",
      name: "add",
      startTimeUnixNano: 1796059594403605234n,
      endTimeUnixNano: 1796059594404015116n,
      status: { code: "STATUS_CODE_OK", message: "" },
    });
    expect(pipeline?.parentSpanId).toBe("");
    expect(pipeline?.startTimeUnixNano).toBe(1796059594170738332n);
    expect(add?.attributes.find((a) => a.key === "mlflow.spanInputs")?.value).toEqual({
      kind: "kvlist",
      values: [
        { key: "a", value: { kind: "int", value: 3n } },
        { key: "b", value: { kind: "int", value: 1n } },
      ],
    });
    expect(add?.resource.map((a) => a.key)).toEqual(["telemetry.sdk.language", "telemetry.sdk.name", "telemetry.sdk.version"]);
  });

  test("converts to the span content MLflow itself stored for that request", () => {
    const rows = decodeExportTraceServiceRequest(PYTHON_CLIENT_REQUEST).spans.map(toSpanRow);
    // transcripts/trace_decorator.md #7 is the same span as the client serialised it (traces.json).
    expect(JSON.parse(rows[1]?.content ?? "")).toEqual({
      trace_id: "ZS9J0lbWufzi0y2ljdVDig==",
      span_id: "xZ9pl0sVX8g=",
      parent_span_id: null,
      name: "pipeline",
      start_time_unix_nano: 1796059594170738332,
      end_time_unix_nano: 1796059594404140270,
      events: [],
      status: { code: "STATUS_CODE_OK", message: "" },
      attributes: {
        "mlflow.traceRequestId": '"tr-652f49d256d6b9fce2d32da58dd5438a"',
        "mlflow.spanType": '"CHAIN"',
        "mlflow.spanFunctionName": '"pipeline"',
        "mlflow.spanInputs": '{"x": 3}',
        "mlflow.spanOutputs": "8",
      },
    });
    expect(rows[1]?.content).toContain('"start_time_unix_nano": 1796059594170738332,');
    expect(rows[0]).toMatchObject({ traceId: "tr-652f49d256d6b9fce2d32da58dd5438a", type: "UNKNOWN", status: "OK", parentSpanId: "c59f69974b155fc8" });
    expect(rows[0]?.inputs).toBe('{"a": 3, "b": 1}');
  });

  test("stored content renders back as OTLP proto-JSON with the original types", () => {
    const row = toSpanRow(decodeExportTraceServiceRequest(PYTHON_CLIENT_REQUEST).spans[0]!);
    const json = spanJson(row.content);
    expect(json).toContain('"start_time_unix_nano":1796059594403605234');
    expect(JSON.parse(json).attributes).toContainEqual({
      key: "mlflow.spanInputs",
      value: { kvlist_value: { values: [{ key: "a", value: { int_value: 3 } }, { key: "b", value: { int_value: 1 } }] } },
    });
  });

  test("the fast rendering path gives exactly what the typed reader gives", () => {
    const rows = decodeExportTraceServiceRequest(PYTHON_CLIENT_REQUEST).spans.map(toSpanRow);
    for (const row of rows) {
      // artifactSpansJson always goes through the typed reader.
      expect(spanJson(row.content)).toBe(artifactSpansJson(`{"spans": [${row.content}]}`)[0] as string);
    }
  });

  test("skips unknown fields and refuses truncated or mistyped messages", () => {
    // Field 99 (varint) ahead of the real content is skipped.
    const withUnknown = new Uint8Array([0x98, 0x06, 0x01, ...PYTHON_CLIENT_REQUEST]);
    expect(decodeExportTraceServiceRequest(withUnknown).spans).toHaveLength(2);
    expect(() => decodeExportTraceServiceRequest(PYTHON_CLIENT_REQUEST.subarray(0, 100))).toThrow(OtlpFormatError);
    expect(() => decodeExportTraceServiceRequest(new Uint8Array([0x0b]))).toThrow(OtlpFormatError); // group wire type
    expect(() => decodeExportTraceServiceRequest(new Uint8Array([0x08, 0x01]))).toThrow("wire type 0, expected 2");
    expect(() => decodeExportTraceServiceRequest(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(
      OtlpFormatError,
    );
    expect(decodeExportTraceServiceRequest(new Uint8Array([])).resourceSpansCount).toBe(0);
  });
});

describe("OTLP JSON", () => {
  test("reads camelCase and snake_case, hex ids, string or number int64, enum names and numbers", () => {
    const text = `{"resource_spans":[{"scopeSpans":[{"spans":[{"traceId":"652F49D256D6B9FCE2D32DA58DD5438A","span_id":"082fd606fa089c58",
      "name":"n","startTimeUnixNano":1796059594403605234,"end_time_unix_nano":"1796059594404015116","status":{"code":2,"message":"boom"},
      "attributes":[{"key":"i","value":{"intValue":9007199254740993}},{"key":"d","value":{"doubleValue":1.5}},{"key":"b","value":{"boolValue":true}},
      {"key":"a","value":{"arrayValue":{"values":[{"stringValue":"x"}]}}}],"events":[{"name":"e","timeUnixNano":"5","attributes":[]}]}]}]}]}`;
    const [span] = decodeExportTraceServiceJson(text).spans;
    expect(span).toMatchObject({
      traceId: "652f49d256d6b9fce2d32da58dd5438a",
      spanId: "082fd606fa089c58",
      startTimeUnixNano: 1796059594403605234n,
      endTimeUnixNano: 1796059594404015116n,
      status: { code: "STATUS_CODE_ERROR", message: "boom" },
    });
    expect(span?.attributes[0]?.value).toEqual({ kind: "int", value: 9007199254740993n });
    expect(span?.events[0]?.timeUnixNano).toBe(5n);
  });

  test("refuses bodies that are not OTLP: bad JSON, base64 ids, wrong types", () => {
    expect(() => decodeExportTraceServiceJson("{")).toThrow(OtlpFormatError);
    const span = (fields: string) => `{"resourceSpans":[{"scopeSpans":[{"spans":[{${fields}}]}]}]}`;
    expect(() => decodeExportTraceServiceJson(span(`"traceId":"ZS9J0lbWufzi0y2ljdVDig=="`))).toThrow("traceId must be 32 hex digits");
    expect(() => decodeExportTraceServiceJson(span(`"name":5`))).toThrow("Span.name must be a string");
    expect(() => decodeExportTraceServiceJson(span(`"startTimeUnixNano":"soon"`))).toThrow("must be an integer");
    expect(() => decodeExportTraceServiceJson(`{"resourceSpans":{}}`)).toThrow("must be a list");
    expect(decodeExportTraceServiceJson("{}").resourceSpansCount).toBe(0);
  });
});

describe("Python JSON text", () => {
  test("floats print as Python's repr", () => {
    expect([1, 0.5, 1e16, 1e-5, 0.0001, 123456789012345.6, -2.5, 1e-7, NaN, -0].map(pyFloat)).toEqual([
      "1.0", "0.5", "1e+16", "1e-05", "0.0001", "123456789012345.6", "-2.5", "1e-07", "NaN", "-0.0",
    ]);
  });

  test("dicts and lists use Python's separators; strings keep non-ASCII text", () => {
    expect(
      pyDumps({
        kind: "kvlist",
        values: [
          { key: "q", value: { kind: "string", value: "héllo \"x\"" } },
          { key: "l", value: { kind: "array", values: [{ kind: "int", value: 1n }, { kind: "double", value: 2 }, { kind: "empty" }] } },
        ],
      }),
    ).toBe('{"q": "héllo \\"x\\"", "l": [1, 2.0, null]}');
  });

  test("the typed reader keeps integers exact and tells 1 from 1.0", () => {
    expect(parseTypedJson('{"a": 1796059594170738332, "b": 1.0, "c": [true, null, "s"], "d": NaN}')).toEqual({
      kind: "kvlist",
      values: [
        { key: "a", value: { kind: "int", value: 1796059594170738332n } },
        { key: "b", value: { kind: "double", value: 1 } },
        { key: "c", value: { kind: "array", values: [{ kind: "bool", value: true }, { kind: "empty" }, { kind: "string", value: "s" }] } },
        { key: "d", value: { kind: "double", value: NaN } },
      ],
    });
    expect(() => parseTypedJson('{"a": }')).toThrow();
  });
});
