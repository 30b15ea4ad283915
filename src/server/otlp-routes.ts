/**
 * `POST /v1/traces`: OTLP/HTTP span ingest (spec §3.4), protobuf or JSON, optionally gzip or
 * deflate. Errors use the FastAPI `{"detail": ...}` shape MLflow's OTLP route answers with; the
 * experiment checks use MLflow's error body. One transaction per request: all spans or none.
 */

import type { Context, Hono } from "hono";
import { gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { MlflowError } from "../errors.ts";
import type { SpanStore } from "../store/spans.ts";
import { errorResponse } from "./app.ts";
import { decodeExportTraceServiceJson } from "./otlp/json.ts";
import { OtlpFormatError } from "./otlp/model.ts";
import { decodeExportTraceServiceRequest, type DecodedRequest } from "./otlp/protobuf.ts";
import { toSpanRow } from "./otlp/span-content.ts";
import { LIMITS } from "./trace-limits.ts";

/** Compressed or not, a request body above this is refused (a 30,000-span trace is ~30 MB). */
export const MAX_OTLP_BODY_BYTES = 64 * 1024 * 1024;

const detail = (c: Context, status: 400 | 413 | 422, message: string): Response => c.json({ detail: message }, status);

function decompress(body: Uint8Array, encoding: string): Uint8Array {
  const options = { maxOutputLength: MAX_OTLP_BODY_BYTES };
  if (encoding === "gzip") return gunzipSync(body, options);
  try {
    return inflateSync(body, options);
  } catch {
    return inflateRawSync(body, options);
  }
}

export function mountOtlpRoutes(app: Hono, spans: SpanStore): void {
  app.post("/v1/traces", async (c) => {
    const experimentId = c.req.header("x-mlflow-experiment-id");
    if (experimentId === undefined) {
      return c.json(
        { detail: [{ type: "missing", loc: ["header", "x-mlflow-experiment-id"], msg: "Field required", input: null }] },
        422,
      );
    }
    if (!/^\d+$/.test(experimentId.trim())) {
      return errorResponse(
        c,
        new MlflowError("INVALID_PARAMETER_VALUE", `Invalid experiment ID '${experimentId}'. Experiment ID must be a valid integer.`),
      );
    }
    const contentType = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (contentType !== "application/x-protobuf" && contentType !== "application/json") {
      return detail(c, 400, `Invalid Content-Type: ${c.req.header("content-type") ?? ""}. Expected: application/x-protobuf or application/json`);
    }
    const encoding = (c.req.header("content-encoding") ?? "").trim().toLowerCase();
    if (encoding !== "" && encoding !== "identity" && encoding !== "gzip" && encoding !== "deflate") {
      return detail(c, 400, `Unsupported Content-Encoding: ${encoding}`);
    }
    const length = Number(c.req.header("content-length") ?? "0");
    if (length > MAX_OTLP_BODY_BYTES) return detail(c, 413, `Request body exceeds the limit of ${MAX_OTLP_BODY_BYTES} bytes.`);
    let body: Uint8Array = new Uint8Array(await c.req.arrayBuffer());
    if (body.length > MAX_OTLP_BODY_BYTES) return detail(c, 413, `Request body exceeds the limit of ${MAX_OTLP_BODY_BYTES} bytes.`);
    if (encoding === "gzip" || encoding === "deflate") {
      try {
        body = decompress(body, encoding);
      } catch {
        return detail(c, 400, `Failed to decompress ${encoding} payload`);
      }
    }
    let decoded: DecodedRequest;
    try {
      decoded =
        contentType === "application/json"
          ? decodeExportTraceServiceJson(new TextDecoder().decode(body))
          : decodeExportTraceServiceRequest(body);
    } catch (error) {
      if (error instanceof OtlpFormatError) return detail(c, 400, `Invalid OpenTelemetry format: ${error.message}`);
      throw error;
    }
    if (decoded.resourceSpansCount === 0) return detail(c, 400, "Invalid OpenTelemetry format - no spans found");
    if (decoded.spans.some((s) => s.traceId.length !== 32 || s.spanId.length !== 16)) {
      return detail(c, 422, "Cannot convert OpenTelemetry span to MLflow span");
    }
    const rows = decoded.spans.map(toSpanRow);
    for (const row of rows) {
      // PostgreSQL stores no NUL in text and at most 500 characters of span type.
      if (row.name.includes("\0") || row.type?.includes("\0")) return detail(c, 400, `Span ${row.spanId}: NUL characters are not allowed in span names and types`);
      if ((row.type?.length ?? 0) > LIMITS.spanType) return detail(c, 400, `Span ${row.spanId}: mlflow.spanType exceeds ${LIMITS.spanType} characters`);
    }
    try {
      if (rows.length > 0) await spans.logSpans(experimentId.trim(), rows);
    } catch (error) {
      return errorResponse(c, error);
    }
    return new Response(null, { status: 200, headers: { "content-type": "application/x-protobuf" } });
  });
}
