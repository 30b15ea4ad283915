/**
 * `POST /v1/traces` against a real fml server, on every backend (spec §3.4): protobuf and JSON,
 * gzip and deflate, the trace rows it creates, and the 4xx answers for everything malformed
 * (never a 500, and nothing stored).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { deflateSync, gzipSync } from "node:zlib";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";
import { hexId, otlpJson, pipelineSpans, postOtlp, PYTHON_CLIENT_REQUEST } from "../helpers/traces.ts";

type Info = {
  trace_id: string;
  state: string;
  request_time: string;
  execution_duration?: string;
  trace_metadata: Record<string, string>;
  tags: Record<string, string>;
  request_preview?: string;
  response_preview?: string;
};
type Span = { name: string; status: { code: string; message?: string }; events?: unknown[]; attributes: { key: string; value: unknown }[] };

const v3 = (path: string) => `/api/3.0/mlflow/${path}`;

for (const backend of await backends()) {
  describe(`otlp [${backend}]`, () => {
    let fml: FmlServer;
    let exp: string;
    beforeAll(async () => {
      fml = await startFml({ backend });
      exp = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "otlp" })).body.experiment_id;
    });
    afterAll(async () => {
      await fml.stop();
    });

    const getTrace = (id: string) => fml.api<{ trace: { trace_info: Info; spans: Span[] } }>("GET", v3("traces/get"), { trace_id: id });
    const traceCount = async () => {
      const r = await fml.api<{ traces?: unknown[] }>("POST", v3("traces/search"), {
        locations: [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: exp } }],
        max_results: 500,
      });
      return r.body.traces?.length ?? 0;
    };

    test("the Python client's protobuf request: 200, empty x-protobuf body, a trace row and its spans", async () => {
      const r = await postOtlp(fml, exp, PYTHON_CLIENT_REQUEST);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("application/x-protobuf");
      expect(r.text).toBe("");
      const got = await getTrace("tr-652f49d256d6b9fce2d32da58dd5438a");
      expect(got.status).toBe(200);
      const info = got.body.trace.trace_info;
      expect(info).toMatchObject({
        trace_id: "tr-652f49d256d6b9fce2d32da58dd5438a",
        state: "OK",
        request_time: "2026-11-30T17:26:34.170Z",
        // Whole milliseconds of the earliest start and the latest end: 404 - 170.
        execution_duration: "0.234s",
        request_preview: '{"x": 3}',
        response_preview: "8",
      });
      expect(info.tags).toEqual({
        "mlflow.artifactLocation": `mlflow-artifacts:/${exp}/traces/tr-652f49d256d6b9fce2d32da58dd5438a/artifacts`,
        "mlflow.trace.spansLocation": "TRACKING_STORE",
      });
      expect(got.body.trace.spans.map((s) => s.name)).toEqual(["pipeline", "add"]);
    });

    test("OTLP/JSON, gzip and deflate bodies are accepted; re-sent spans are upserted, not duplicated", async () => {
      const hex = hexId(16);
      const spans = pipelineSpans(hex);
      const json = otlpJson(spans);
      expect((await postOtlp(fml, exp, json)).status).toBe(200);
      expect((await postOtlp(fml, exp, new Uint8Array(gzipSync(json)), { "content-type": "application/json", "content-encoding": "gzip" })).status).toBe(200);
      expect((await postOtlp(fml, exp, new Uint8Array(deflateSync(json)), { "content-type": "application/json; charset=utf-8", "content-encoding": "deflate" })).status).toBe(200);
      const got = await getTrace(`tr-${hex}`);
      expect(got.body.trace.spans).toHaveLength(2);
    });

    test("a trace whose root has not arrived is IN_PROGRESS, then takes the root's status and widens its times", async () => {
      const hex = hexId(16);
      const [root, child] = pipelineSpans(hex);
      await postOtlp(fml, exp, otlpJson([child!]));
      let info = (await fml.api<{ trace: { trace_info: Info } }>("GET", v3(`traces/tr-${hex}`))).body.trace.trace_info;
      expect(info.state).toBe("IN_PROGRESS");
      expect(info.execution_duration).toBe("0.001s");
      await postOtlp(fml, exp, otlpJson([{ ...root!, status: "STATUS_CODE_ERROR" }]));
      info = (await fml.api<{ trace: { trace_info: Info } }>("GET", v3(`traces/tr-${hex}`))).body.trace.trace_info;
      expect(info.state).toBe("ERROR");
      expect(info.request_time).toBe("2026-11-30T17:26:34.170Z");
      expect(info.execution_duration).toBe("0.234s");
      expect(info.request_preview).toBe('{"x": 3}');
    });

    test("token usage, session and user become trace metadata; events and error status survive", async () => {
      const hex = hexId(16);
      const root = hexId(8);
      const body = otlpJson([
        {
          traceId: hex,
          spanId: root,
          name: "chat",
          start: "1796059594000000000",
          end: "1796059595000000000",
          status: "STATUS_CODE_ERROR",
          attributes: {
            "mlflow.chat.tokenUsage": { stringValue: '{"input_tokens": 10, "output_tokens": 4, "total_tokens": 14}' },
            "session.id": { stringValue: "sess-1" },
            "user.id": { stringValue: "u-1" },
            ratio: { doubleValue: 0.5 },
            flag: { boolValue: true },
          },
          events: [{ name: "exception", timeUnixNano: "1796059594500000000", attributes: { "exception.message": { stringValue: "boom" } } }],
        },
      ]);
      expect((await postOtlp(fml, exp, body)).status).toBe(200);
      const got = await getTrace(`tr-${hex}`);
      expect(got.body.trace.trace_info.trace_metadata).toMatchObject({
        "mlflow.trace.tokenUsage": '{"input_tokens": 10, "output_tokens": 4, "total_tokens": 14}',
        "mlflow.trace.session": '"sess-1"',
        "mlflow.trace.user": '"u-1"',
      });
      const [span] = got.body.trace.spans;
      expect(span?.status).toEqual({ code: "STATUS_CODE_ERROR" });
      expect(span?.events).toEqual([
        { time_unix_nano: 1796059594500000000, name: "exception", attributes: [{ key: "exception.message", value: { string_value: "boom" } }] },
      ]);
      expect(span?.attributes).toContainEqual({ key: "ratio", value: { double_value: 0.5 } });
      expect(span?.attributes).toContainEqual({ key: "flag", value: { bool_value: true } });
      const search = await fml.api<{ traces?: { trace_id: string }[] }>("POST", v3("traces/search"), {
        locations: [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: exp } }],
        filter: "metadata.`mlflow.trace.session` = '\"sess-1\"' AND trace.status = 'ERROR'",
      });
      expect(search.body.traces?.map((t) => t.trace_id)).toEqual([`tr-${hex}`]);
    });

    test("spans for a trace of another experiment keep that trace's experiment", async () => {
      const other = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "otlp-other" })).body.experiment_id;
      const hex = hexId(16);
      const [root, child] = pipelineSpans(hex);
      await postOtlp(fml, other, otlpJson([root!]));
      await postOtlp(fml, exp, otlpJson([child!]));
      const info = (await fml.api<{ trace: { trace_info: { trace_location: unknown } } }>("GET", v3(`traces/tr-${hex}`))).body.trace.trace_info;
      expect(info.trace_location).toEqual({ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: other } });
      expect((await getTrace(`tr-${hex}`)).body.trace.spans).toHaveLength(2);
    });

    test("malformed requests answer 4xx with a clear message and store nothing", async () => {
      const before = await traceCount();
      const hex = hexId(16);
      const good = otlpJson(pipelineSpans(hex));

      const noHeader = await postOtlp(fml, undefined, good);
      expect(noHeader.status).toBe(422);
      expect(JSON.parse(noHeader.text)).toEqual({
        detail: [{ type: "missing", loc: ["header", "x-mlflow-experiment-id"], msg: "Field required", input: null }],
      });
      const badHeader = await postOtlp(fml, "abc", good);
      expect(badHeader.status).toBe(400);
      expect(JSON.parse(badHeader.text)).toMatchObject({
        error_code: "INVALID_PARAMETER_VALUE",
        message: "Invalid experiment ID 'abc'. Experiment ID must be a valid integer.",
      });
      const unknown = await postOtlp(fml, "99999", good);
      expect(unknown.status).toBe(404);
      expect(JSON.parse(unknown.text)).toMatchObject({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "No Experiment with id=99999 exists" });

      const expectDetail = async (r: Promise<{ status: number; text: string }>, status: number, detail: string) => {
        const x = await r;
        expect(x.status).toBe(status);
        expect(String((JSON.parse(x.text) as { detail: string }).detail)).toContain(detail);
      };
      await expectDetail(postOtlp(fml, exp, good, { "content-type": "text/plain" }), 400, "Invalid Content-Type: text/plain. Expected: application/x-protobuf or application/json");
      await expectDetail(postOtlp(fml, exp, good, { "content-encoding": "br" }), 400, "Unsupported Content-Encoding: br");
      await expectDetail(postOtlp(fml, exp, good, { "content-encoding": "gzip" }), 400, "Failed to decompress gzip payload");
      await expectDetail(postOtlp(fml, exp, "{not json"), 400, "Invalid OpenTelemetry format");
      await expectDetail(postOtlp(fml, exp, new Uint8Array([0x0a, 0x05, 0x01])), 400, "Invalid OpenTelemetry format");
      await expectDetail(postOtlp(fml, exp, "{}"), 400, "Invalid OpenTelemetry format - no spans found");
      await expectDetail(postOtlp(fml, exp, new Uint8Array([])), 400, "Invalid OpenTelemetry format - no spans found");
      const noIds = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: "x", startTimeUnixNano: "1" }] }] }] });
      await expectDetail(postOtlp(fml, exp, noIds), 422, "Cannot convert OpenTelemetry span to MLflow span");
      const base64Ids = good.replace(hex, Buffer.from(hex, "hex").toString("base64"));
      await expectDetail(postOtlp(fml, exp, base64Ids), 400, "traceId must be 32 hex digits");
      const nul = otlpJson([{ ...pipelineSpans(hexId(16))[0]!, name: "a\u0000b" }]);
      await expectDetail(postOtlp(fml, exp, nul), 400, "NUL characters are not allowed in span names and types");
      const longType = otlpJson([{ ...pipelineSpans(hexId(16))[0]!, attributes: { "mlflow.spanType": { stringValue: "T".repeat(501) } } }]);
      await expectDetail(postOtlp(fml, exp, longType), 400, "mlflow.spanType exceeds 500 characters");
      // One bad span in a batch: the request stores nothing.
      const mixed = JSON.parse(good) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
      mixed.resourceSpans[0]?.scopeSpans[0]?.spans.push({ traceId: hexId(16), name: "no span id" });
      await expectDetail(postOtlp(fml, exp, JSON.stringify(mixed)), 422, "Cannot convert");
      expect(await traceCount()).toBe(before);
    });
  });
}
