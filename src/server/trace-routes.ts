/**
 * Traces v3 endpoints (spec §3.3-§3.7): StartTraceV3, trace info, GetTrace / BatchGetTraces with
 * spans, SearchTracesV3, DeleteTraces, trace tags and the UI's get-trace-artifact.
 *
 * Spans come from the `spans` table when the trace carries `mlflow.trace.spansLocation`, else from
 * its `traces.json` artifact (where MLflow answers 500 for such traces, fml serves the artifact).
 */

import { invalidParameter, MlflowError, notFound } from "../errors.ts";
import { decodePageToken } from "../search/page-token.ts";
import { parseTraceFilter, parseTraceOrderBy } from "../search/traces.ts";
import { AssessmentStore } from "../store/assessments.ts";
import type { Database } from "../store/db/database.ts";
import { SpanStore } from "../store/spans.ts";
import type { NewTraceInfo, TraceInfo } from "../store/trace-types.ts";
import { TAG_ARTIFACT_LOCATION, TAG_SPANS_LOCATION, TraceStore } from "../store/traces.ts";
import { encodePageToken } from "../search/page-token.ts";
import { assessmentRoutes } from "./assessment-routes.ts";
import type { Json } from "./json.ts";
import type { Params } from "./request.ts";
import { artifactSpansJson, spanJson } from "./span-json.ts";
import { checkEntries, checkLength, LIMITS } from "./trace-limits.ts";
import { jsonTextResponse, requireList, searchMaxResults, type TraceRoute } from "./trace-route-kit.ts";
import { parseDuration, parseNewAssessment, parseTimestamp, stringMap, traceInfoV3Json } from "./trace-json.ts";
import { traceV2Routes } from "./trace-v2-routes.ts";

export interface TraceRouteDeps {
  db: Database;
  /** The text of `<artifactLocation>/traces.json`, or undefined when there is none. */
  readTraceArtifact: (artifactLocation: string) => Promise<string | undefined>;
}

export interface TraceStores {
  traces: TraceStore;
  spans: SpanStore;
  assessments: AssessmentStore;
}

const STATES = ["STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"] as const;
/** How long GetTrace waits for spans still being exported (MLflow: about 3 s). */
const PARTIAL_WAIT_MS = 3000;

function traceState(p: Params): string {
  const value = p.rawValue("state");
  if (value === undefined || value === null || value === "") return "STATE_UNSPECIFIED";
  if (typeof value === "number" && STATES[value]) return STATES[value];
  if (typeof value === "string" && (STATES as readonly string[]).includes(value)) return value;
  throw invalidParameter(`Invalid value ${JSON.stringify(value)} for parameter 'state' supplied. Hint: Value must be one of [${STATES.join(", ")}].`);
}

function parseTraceInfoV3(info: Params, now: number): NewTraceInfo {
  const traceId = info.optionalString("trace_id") ?? "";
  const location = info.has("trace_location") ? info.object("trace_location") : undefined;
  const experiment = location?.has("mlflow_experiment") ? location.object("mlflow_experiment") : undefined;
  const experimentId = experiment?.optionalString("experiment_id");
  if (!experimentId) {
    throw new MlflowError("BAD_REQUEST", "trace_location.mlflow_experiment.experiment_id is required: a trace belongs to an experiment.");
  }
  const requestTime = info.optionalString("request_time");
  const duration = info.optionalString("execution_duration");
  const clientRequestId = info.optionalString("client_request_id") ?? null;
  const cut = (name: string) => info.optionalString(name)?.slice(0, LIMITS.preview) ?? null;
  return {
    traceId: checkLength("trace_id", traceId, LIMITS.traceId),
    experimentId,
    clientRequestId: clientRequestId === null ? null : checkLength("client_request_id", clientRequestId, LIMITS.clientRequestId),
    requestTime: requestTime ? parseTimestamp(requestTime, "request_time") : now,
    executionTimeMs: duration ? parseDuration(duration, "execution_duration") : null,
    state: traceState(info),
    // Previews are cut, as MLflow's client cuts them before sending.
    requestPreview: cut("request_preview"),
    responsePreview: cut("response_preview"),
    metadata: new Map([
      ...checkEntries("trace_metadata", stringMap(info, "trace_metadata"), LIMITS.metadataKey, LIMITS.metadataValue),
      ["mlflow.trace.infoFinalized", "true"],
    ]),
    tags: checkEntries("tags", stringMap(info, "tags"), LIMITS.tagKey, LIMITS.tagValue),
    assessments: info.objectList("assessments").map((a) => parseNewAssessment(a, now)),
  };
}

function experimentIdsOf(p: Params): string[] {
  const ids: string[] = [];
  for (const location of p.objectList("locations")) {
    if (!location.has("mlflow_experiment")) continue;
    const id = location.object("mlflow_experiment").string("experiment_id");
    if (!/^\d+$/.test(id)) throw invalidParameter(`Invalid experiment ID '${id}'. Experiment ID must be a valid integer.`);
    ids.push(id);
  }
  return ids;
}

function numSpansExpected(info: TraceInfo): number | undefined {
  const stats = info.metadata.get("mlflow.trace.sizeStats");
  if (!stats) return undefined;
  try {
    const n = (JSON.parse(stats) as { num_spans?: unknown }).num_spans;
    return typeof n === "number" ? n : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function traceRoutes(deps: TraceRouteDeps): TraceRoute[] {
  const stores: TraceStores = {
    traces: new TraceStore(deps.db),
    spans: new SpanStore(deps.db),
    assessments: new AssessmentStore(deps.db),
  };
  const { traces, spans } = stores;

  /** Span JSON texts of each trace: from the database when tagged, else from traces.json. */
  async function spansOf(infos: readonly TraceInfo[]): Promise<Map<string, string[]>> {
    const stored = await spans.getSpans(infos.filter((i) => i.tags.has(TAG_SPANS_LOCATION)).map((i) => i.traceId));
    const out = new Map<string, string[]>();
    for (const info of infos) {
      if (info.tags.has(TAG_SPANS_LOCATION)) {
        out.set(info.traceId, (stored.get(info.traceId) ?? []).map((s) => spanJson(s.content)));
        continue;
      }
      const location = info.tags.get(TAG_ARTIFACT_LOCATION);
      const text = location ? await deps.readTraceArtifact(location) : undefined;
      if (text !== undefined) out.set(info.traceId, artifactSpansJson(text));
    }
    return out;
  }

  const traceText = (info: TraceInfo, spanTexts: readonly string[]): string =>
    `{"trace_info":${JSON.stringify(traceInfoV3Json(info))},"spans":[${spanTexts.join(",")}]}`;

  async function getTrace(traceId: string, allowPartial: boolean): Promise<string> {
    const deadline = Date.now() + PARTIAL_WAIT_MS;
    for (;;) {
      const [info] = await traces.getTraceInfos([traceId]);
      if (!info) throw notFound(`Trace with ID ${traceId} is not found.`);
      const spanTexts = (await spansOf([info])).get(traceId);
      if (spanTexts === undefined) throw notFound(`Trace data not found for trace ${traceId}: no spans in the tracking store and no traces.json artifact.`);
      const expected = numSpansExpected(info);
      if (allowPartial || expected === undefined || spanTexts.length >= expected) return traceText(info, spanTexts);
      if (Date.now() >= deadline) throw notFound(`Trace ${traceId} is not fully exported yet, please try again later.`);
      await sleep(100);
    }
  }

  const v3: TraceRoute[] = [
    {
      method: "POST",
      path: "/mlflow/traces",
      versions: ["3.0"],
      async handle(p) {
        const input = parseTraceInfoV3(p.object("trace").object("trace_info"), Date.now());
        const { info, merged } = await traces.startTrace(input);
        return { trace: { trace_info: traceInfoV3Json(info, { metadata: !merged }) } };
      },
    },
    {
      method: "POST",
      path: "/mlflow/traces/search",
      versions: ["3.0"],
      async handle(p) {
        requireList(p, "locations");
        const experimentIds = experimentIdsOf(p);
        const maxResults = searchMaxResults(p, 100);
        const page = await traces.searchTraces({
          experimentIds,
          filter: parseTraceFilter(p.optionalString("filter")),
          orderBy: parseTraceOrderBy(p.stringList("order_by")),
          maxResults,
          offset: decodePageToken(p.optionalString("page_token")),
        });
        const body: Record<string, Json> = {};
        if (page.items.length > 0) body.traces = page.items.map((i) => traceInfoV3Json(i));
        if (page.nextOffset !== undefined) body.next_page_token = encodePageToken(page.nextOffset);
        return body;
      },
    },
    {
      method: "GET",
      path: "/mlflow/traces/get",
      versions: ["3.0"],
      async handle(p) {
        const traceId = p.string("trace_id");
        const allowPartial = parseBool(p.optionalString("allow_partial"));
        return jsonTextResponse(`{"trace":${await getTrace(traceId, allowPartial)}}`);
      },
    },
    {
      method: "GET",
      path: "/mlflow/traces/batchGet",
      versions: ["3.0"],
      async handle(p) {
        const ids = p.stringList("trace_ids");
        requireList(p, "trace_ids");
        const infos = await traces.getTraceInfos(ids);
        const spanTexts = await spansOf(infos);
        const complete = infos.filter((info) => {
          const texts = spanTexts.get(info.traceId);
          const expected = numSpansExpected(info);
          return texts !== undefined && (expected === undefined || texts.length >= expected);
        });
        if (complete.length === 0) return {};
        return jsonTextResponse(`{"traces":[${complete.map((i) => traceText(i, spanTexts.get(i.traceId) ?? [])).join(",")}]}`);
      },
    },
    {
      method: "POST",
      path: "/mlflow/traces/batchGetInfos",
      versions: ["3.0"],
      async handle(p) {
        requireList(p, "trace_ids");
        const infos = await traces.getTraceInfos(p.stringList("trace_ids"));
        return infos.length > 0 ? { trace_infos: infos.map((i) => traceInfoV3Json(i)) } : {};
      },
    },
    {
      method: "POST",
      path: "/mlflow/traces/delete-traces",
      versions: ["2.0", "3.0"],
      async handle(p) {
        const experimentId = p.string("experiment_id");
        const ids = p.stringList("request_ids");
        const maxTimestamp = p.optionalInt("max_timestamp_millis");
        const maxTraces = p.optionalInt("max_traces");
        if (maxTimestamp === undefined && ids.length === 0) {
          throw invalidParameter("Either `max_timestamp_millis` or `trace_ids` must be specified.");
        }
        if (maxTimestamp !== undefined && ids.length > 0) {
          throw invalidParameter("Only one of `max_timestamp_millis` and `trace_ids` can be specified.");
        }
        if (ids.length > 0 && maxTraces !== undefined) throw invalidParameter("`max_traces` can't be specified if `trace_ids` is specified.");
        if (maxTraces !== undefined && maxTraces <= 0) throw invalidParameter(`\`max_traces\` must be a positive integer, received ${maxTraces}.`);
        const deleted = await traces.deleteTraces(
          experimentId,
          maxTimestamp === undefined ? { ids } : { maxTimestampMillis: maxTimestamp, maxTraces },
        );
        return { traces_deleted: deleted };
      },
    },
    {
      method: "PATCH",
      path: "/mlflow/traces/:trace_id/tags",
      versions: ["2.0", "3.0"],
      async handle(p, path) {
        const key = checkLength("key", p.string("key"), LIMITS.tagKey);
        const value = checkLength("value", p.optionalString("value") ?? "", LIMITS.tagValue);
        await traces.setTraceTag(path.trace_id ?? "", key, value);
        return {};
      },
    },
    {
      method: "DELETE",
      path: "/mlflow/traces/:trace_id/tags",
      versions: ["2.0", "3.0"],
      async handle(p, path) {
        await traces.deleteTraceTag(path.trace_id ?? "", p.string("key"));
        return {};
      },
    },
    ...assessmentRoutes(stores.assessments),
    {
      method: "GET",
      path: "/mlflow/get-trace-artifact",
      versions: ["2.0", "3.0"],
      ajaxOnly: true,
      async handle(p) {
        const traceId = p.optionalString("request_id");
        if (!traceId) throw new MlflowError("BAD_REQUEST", 'Request must include the "request_id" query parameter.');
        const info = await traces.getTraceInfo(traceId);
        let text: string | undefined;
        if (info.tags.has(TAG_SPANS_LOCATION)) {
          const stored = (await spans.getSpans([traceId])).get(traceId) ?? [];
          text = `{"spans": [${stored.map((s) => s.content).join(", ")}]}`;
        } else {
          const location = info.tags.get(TAG_ARTIFACT_LOCATION);
          text = location ? await deps.readTraceArtifact(location) : undefined;
          if (text === undefined) throw notFound(`Trace data not found for path=${location ?? ""}/traces.json`);
        }
        return new Response(text, {
          headers: { "content-type": "text/plain", "content-disposition": "attachment; filename=traces.json" },
        });
      },
    },
  ];
  // `traces/{id}` last: it would otherwise catch `traces/get`, `traces/search`, ...
  return [
    ...v3,
    ...traceV2Routes(traces),
    {
      method: "GET",
      path: "/mlflow/traces/:trace_id",
      versions: ["3.0"],
      async handle(_p, path) {
        const info = await traces.getTraceInfo(path.trace_id ?? "");
        return { trace: { trace_info: traceInfoV3Json(info) } };
      },
    },
  ];
}

/** Proto bool query parameters: true/false in any case. */
export function parseBool(value: string | undefined): boolean {
  if (value === undefined || value === "") return false;
  const lower = value.toLowerCase();
  if (lower === "true" || lower === "false") return lower === "true";
  throw invalidParameter(`Invalid boolean value: ${value}, must be 'true' or 'false'.`);
}
