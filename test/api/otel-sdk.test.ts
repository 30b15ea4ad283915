/**
 * The official OpenTelemetry JavaScript SDK exporting to fml's `/v1/traces`, with its protobuf
 * exporter and its JSON exporter: the spans come back through MLflow's trace endpoints with the
 * same ids, names, parents, times, attributes, events and status.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { context, SpanStatusCode, trace, type HrTime, type Span } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from "@opentelemetry/sdk-trace";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

type StoredSpan = {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  name: string;
  start_time_unix_nano: number;
  end_time_unix_nano: number;
  attributes: { key: string; value: unknown }[];
  events?: { name: string; attributes?: unknown[] }[];
  status: { code: string; message?: string };
};

const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
const ns = (t: HrTime) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

/** A small agent run: root, a tool call that fails with an event, and a nested LLM call. */
async function emitTrace(provider: TracerProvider): Promise<{ spans: Span[]; traceHex: string }> {
  const tracer = provider.getTracer("fml-test");
  const root = tracer.startSpan("agent", {
    attributes: { "mlflow.spanType": "AGENT", question: "hi", retries: 3, temperature: 0.5, streaming: false, tags: ["a", "b"] },
  });
  const inRoot = trace.setSpan(context.active(), root);
  await Bun.sleep(2);
  const tool = tracer.startSpan("search_tool", { attributes: { "mlflow.spanType": "TOOL" } }, inRoot);
  tool.addEvent("exception", { "exception.message": "timeout" });
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "tool timed out" });
  tool.end();
  // The SDK's clock has microsecond resolution: keep start times apart so the span order is fixed.
  await Bun.sleep(2);
  const llm = tracer.startSpan("llm", { attributes: { "mlflow.spanType": "LLM", model: "gpt-x" } }, trace.setSpan(context.active(), tool));
  llm.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  return { spans: [root, tool, llm], traceHex: root.spanContext().traceId };
}

for (const backend of await backends()) {
  describe(`OpenTelemetry JS SDK -> fml [${backend}]`, () => {
    let fml: FmlServer;
    let exp: string;
    beforeAll(async () => {
      fml = await startFml({ backend });
      exp = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "otel-sdk" })).body.experiment_id;
    });
    afterAll(async () => {
      await fml.stop();
    });

    const exporters: [string, () => SpanExporter, "batch" | "simple"][] = [
      ["protobuf exporter, batched", () => new ProtobufExporter({ url: `${fml.url}/v1/traces`, headers: { "x-mlflow-experiment-id": exp } }), "batch"],
      ["JSON exporter, span by span", () => new JsonExporter({ url: `${fml.url}/v1/traces`, headers: { "x-mlflow-experiment-id": exp } }), "simple"],
    ];

    for (const [name, makeExporter, mode] of exporters) {
      test(`${name}: spans come back with the same ids, parents, times, attributes and status`, async () => {
        const exporter = makeExporter();
        const processor = mode === "batch" ? new BatchSpanProcessor({ exporter }) : new SimpleSpanProcessor({ exporter });
        const provider = new TracerProvider({
          resource: resourceFromAttributes({ "service.name": "fml-otel-test" }),
          spanProcessors: [processor],
        });
        const { spans, traceHex } = await emitTrace(provider);
        await provider.forceFlush();
        await provider.shutdown();

        const traceId = `tr-${traceHex}`;
        const r = await fml.api<{ trace: { trace_info: { state: string; tags: Record<string, string> }; spans: StoredSpan[] } }>(
          "GET",
          "/api/3.0/mlflow/traces/get",
          { trace_id: traceId },
        );
        expect(r.status).toBe(200);
        expect(r.body.trace.trace_info.state).toBe("OK");
        expect(r.body.trace.trace_info.tags["mlflow.trace.spansLocation"]).toBe("TRACKING_STORE");
        const stored = r.body.trace.spans;
        expect(stored.map((s) => s.name)).toEqual(["agent", "search_tool", "llm"]);
        const raw = await (await fetch(`${fml.url}/api/3.0/mlflow/traces/get?trace_id=${traceId}`)).text();
        spans.forEach((span, i) => {
          const s = stored[i] as StoredSpan;
          const readable = span as unknown as { startTime: HrTime; endTime: HrTime; parentSpanContext?: { spanId: string } };
          expect(s.trace_id).toBe(b64(traceHex));
          expect(s.span_id).toBe(b64(span.spanContext().spanId));
          const parent = readable.parentSpanContext?.spanId;
          expect(s.parent_span_id).toBe(parent ? b64(parent) : undefined);
          // Exact nanoseconds, compared as text: they do not fit a JS number.
          expect(raw).toContain(`"start_time_unix_nano":${ns(readable.startTime)}`);
          expect(raw).toContain(`"end_time_unix_nano":${ns(readable.endTime)}`);
        });
        const [agent, tool, llm] = stored as [StoredSpan, StoredSpan, StoredSpan];
        expect(agent.attributes).toEqual([
          { key: "mlflow.traceRequestId", value: { string_value: traceId } },
          { key: "mlflow.spanType", value: { string_value: "AGENT" } },
          { key: "question", value: { string_value: "hi" } },
          { key: "retries", value: { int_value: 3 } },
          { key: "temperature", value: { double_value: 0.5 } },
          { key: "streaming", value: { bool_value: false } },
          { key: "tags", value: { array_value: { values: [{ string_value: "a" }, { string_value: "b" }] } } },
        ]);
        expect(agent.status).toEqual({ code: "STATUS_CODE_OK" });
        expect(tool.status).toEqual({ message: "tool timed out", code: "STATUS_CODE_ERROR" });
        expect(tool.events?.map((e) => e.name)).toEqual(["exception"]);
        expect(tool.events?.[0]?.attributes).toEqual([{ key: "exception.message", value: { string_value: "timeout" } }]);
        expect(llm.attributes).toContainEqual({ key: "model", value: { string_value: "gpt-x" } });

        const found = await fml.api<{ traces?: { trace_id: string }[] }>("POST", "/api/3.0/mlflow/traces/search", {
          locations: [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: exp } }],
          filter: "span.name = 'search_tool' AND span.status = 'ERROR'",
        });
        expect(found.body.traces?.map((t) => t.trace_id)).toContain(traceId);
      });
    }
  });
}
