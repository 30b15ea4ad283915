/**
 * Building trace requests for tests: OTLP/JSON spans (the protobuf JSON mapping, hex ids) and
 * StartTraceV3 bodies, plus posting them to a running fml.
 */

import type { FmlServer } from "./server.ts";

export type OtlpValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { kvlistValue: { values: { key: string; value: OtlpValue }[] } }
  | { arrayValue: { values: OtlpValue[] } };

export interface SpanSpec {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Nanoseconds as a digit string (they exceed 2^53). */
  start: string;
  end: string;
  attributes?: Record<string, OtlpValue>;
  status?: "STATUS_CODE_OK" | "STATUS_CODE_ERROR" | "STATUS_CODE_UNSET";
  events?: { name: string; timeUnixNano: string; attributes?: Record<string, OtlpValue> }[];
}

export const hexId = (bytes: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");

const keyValues = (attributes: Record<string, OtlpValue> = {}) =>
  Object.entries(attributes).map(([key, value]) => ({ key, value }));

export function otlpJson(spans: readonly SpanSpec[], resource: Record<string, OtlpValue> = {}): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: keyValues(resource) },
        scopeSpans: [
          {
            scope: { name: "fml-test" },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: 1,
              startTimeUnixNano: s.start,
              endTimeUnixNano: s.end,
              attributes: keyValues(s.attributes),
              events: (s.events ?? []).map((e) => ({ ...e, attributes: keyValues(e.attributes) })),
              status: { code: s.status ?? "STATUS_CODE_OK" },
            })),
          },
        ],
      },
    ],
  });
}

export async function postOtlp(
  fml: FmlServer,
  experimentId: string | undefined,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${fml.url}/v1/traces`, {
    method: "POST",
    headers: {
      "content-type": typeof body === "string" ? "application/json" : "application/x-protobuf",
      ...(experimentId === undefined ? {} : { "x-mlflow-experiment-id": experimentId }),
      ...headers,
    },
    body,
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

export function startTraceBody(traceId: string, experimentId: string, extra: Record<string, unknown> = {}) {
  return {
    trace: {
      trace_info: {
        trace_id: traceId,
        trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } },
        request_time: "2026-11-30T17:26:34.170Z",
        execution_duration: "0.233s",
        state: "OK",
        trace_metadata: { "mlflow.trace_schema.version": "3", "mlflow.user": "tester" },
        tags: { "mlflow.traceName": "pipeline" },
        request_preview: '{"x": 3}',
        response_preview: "8",
        ...extra,
      },
    },
  };
}

/** Two spans (root `pipeline`, child `add`) of one trace, as the Python client sends them. */
export function pipelineSpans(traceHex: string, startNs = 1796059594170738332n): SpanSpec[] {
  const root = hexId(8);
  return [
    {
      traceId: traceHex,
      spanId: root,
      name: "pipeline",
      start: String(startNs),
      end: String(startNs + 233_401_938n),
      attributes: {
        "mlflow.spanType": { stringValue: "CHAIN" },
        "mlflow.spanInputs": { kvlistValue: { values: [{ key: "x", value: { intValue: "3" } }] } },
        "mlflow.spanOutputs": { intValue: "8" },
      },
    },
    {
      traceId: traceHex,
      spanId: hexId(8),
      parentSpanId: root,
      name: "add",
      start: String(startNs + 232_866_902n),
      end: String(startNs + 233_276_784n),
      attributes: {
        "mlflow.spanType": { stringValue: "UNKNOWN" },
        "mlflow.spanInputs": {
          kvlistValue: { values: [{ key: "a", value: { intValue: "3" } }, { key: "b", value: { intValue: "1" } }] },
        },
        "mlflow.spanOutputs": { intValue: "4" },
      },
    },
  ];
}

/** transcripts/trace_decorator.md, exchange 6: `pipeline` calling `add`, as protobuf. */
export const PYTHON_CLIENT_REQUEST = Uint8Array.from(
  atob(
    "CvgECmwKIgoWdGVsZW1ldHJ5LnNkay5sYW5ndWFnZRIICgZweXRob24KHgoSdGVsZW1ldHJ5LnNkay5uYW1lEggKBm1sZmxvdwomChV0ZWxlbWV0cnkuc2RrLnZlcnNpb24SDQoLMy4xMS4yLmRldjAShwQShgIKEGUvSdJW1rn84tMtpY3VQ4oSCAgv1gb6CJxYIgjFn2mXSxVfyCoDYWRkOfLq22ev4uwYQQws4mev4uwYSj4KFW1sZmxvdy50cmFjZVJlcXVlc3RJZBIlCiN0ci02NTJmNDlkMjU2ZDZiOWZjZTJkMzJkYTU4ZGQ1NDM4YUocCg9tbGZsb3cuc3BhblR5cGUSCQoHVU5LTk9XTkogChdtbGZsb3cuc3BhbkZ1bmN0aW9uTmFtZRIFCgNhZGRKKQoRbWxmbG93LnNwYW5JbnB1dHMSFDISCgcKAWESAhgDCgcKAWISAhgBShgKEm1sZmxvdy5zcGFuT3V0cHV0cxICGAR6AhgBEvsBChBlL0nSVta5/OLTLaWN1UOKEgjFn2mXSxVfyCoIcGlwZWxpbmU5nKb6Wa/i7BhB7hTkZ6/i7BhKPgoVbWxmbG93LnRyYWNlUmVxdWVzdElkEiUKI3RyLTY1MmY0OWQyNTZkNmI5ZmNlMmQzMmRhNThkZDU0MzhhShoKD21sZmxvdy5zcGFuVHlwZRIHCgVDSEFJTkolChdtbGZsb3cuc3BhbkZ1bmN0aW9uTmFtZRIKCghwaXBlbGluZUogChFtbGZsb3cuc3BhbklucHV0cxILMgkKBwoBeBICGANKGAoSbWxmbG93LnNwYW5PdXRwdXRzEgIYCHoCGAE=",
  ),
  (c) => c.charCodeAt(0),
);
