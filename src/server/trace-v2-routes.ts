/**
 * Traces v2 endpoints (spec §3.9), used by 2.14-2.22 clients and by 3.x for run and prompt links:
 * StartTrace, EndTrace, GetTraceInfo, SearchTraces (GET) on the same tables as v3.
 */

import { invalidParameter } from "../errors.ts";
import { decodePageToken, encodePageToken } from "../search/page-token.ts";
import { parseTraceFilter, parseTraceOrderBy } from "../search/traces.ts";
import type { TraceStore } from "../store/traces.ts";
import type { Json } from "./json.ts";
import type { Params } from "./request.ts";
import { checkEntries, checkLength, LIMITS } from "./trace-limits.ts";
import { requireList, searchMaxResults, type TraceRoute } from "./trace-route-kit.ts";
import { traceInfoV2Json } from "./trace-json.ts";

const V2_STATUSES = ["TRACE_STATUS_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"] as const;
const V3_STATE: Record<string, string> = { TRACE_STATUS_UNSPECIFIED: "STATE_UNSPECIFIED", OK: "OK", ERROR: "ERROR", IN_PROGRESS: "IN_PROGRESS" };

function pairs(p: Params, name: string): Map<string, string> {
  const [keyMax, valueMax] = name === "tags" ? [LIMITS.tagKey, LIMITS.tagValue] : [LIMITS.metadataKey, LIMITS.metadataValue];
  return checkEntries(name, new Map(p.tags(name).map((t) => [t.key, t.value])), keyMax, valueMax);
}

function v2Status(p: Params): string {
  const value = p.rawValue("status");
  const name = typeof value === "number" ? V2_STATUSES[value] : typeof value === "string" ? value : undefined;
  const state = name === undefined ? undefined : V3_STATE[name];
  if (!state) throw invalidParameter(`Invalid value ${JSON.stringify(value)} for parameter 'status' supplied. Hint: Value must be one of [${V2_STATUSES.join(", ")}].`);
  return state;
}

export function traceV2Routes(traces: TraceStore): TraceRoute[] {
  return [
    {
      method: "POST",
      path: "/mlflow/traces",
      versions: ["2.0"],
      async handle(p) {
        const { info } = await traces.startTrace({
          traceId: crypto.randomUUID().replaceAll("-", ""),
          experimentId: p.string("experiment_id"),
          clientRequestId: null,
          requestTime: p.optionalInt("timestamp_ms") ?? Date.now(),
          executionTimeMs: 0,
          state: "IN_PROGRESS",
          requestPreview: null,
          responsePreview: null,
          metadata: pairs(p, "request_metadata"),
          tags: pairs(p, "tags"),
          assessments: [],
        });
        return { trace_info: traceInfoV2Json(info) };
      },
    },
    {
      method: "GET",
      path: "/mlflow/traces",
      versions: ["2.0"],
      async handle(p) {
        const experimentIds = p.stringList("experiment_ids");
        requireList(p, "experiment_ids");
        const page = await traces.searchTraces({
          experimentIds: experimentIds.filter((id) => /^\d+$/.test(id)),
          filter: parseTraceFilter(p.optionalString("filter")),
          orderBy: parseTraceOrderBy(p.stringList("order_by")),
          maxResults: searchMaxResults(p, 100),
          offset: decodePageToken(p.optionalString("page_token")),
        });
        const body: Record<string, Json> = {};
        if (page.items.length > 0) body.traces = page.items.map(traceInfoV2Json);
        if (page.nextOffset !== undefined) body.next_page_token = encodePageToken(page.nextOffset);
        return body;
      },
    },
    {
      method: "POST",
      path: "/mlflow/traces/link-to-run",
      versions: ["2.0"],
      async handle(p) {
        const ids = p.stringList("trace_ids").map((id) => checkLength("trace_ids", id, LIMITS.associationId));
        const runId = checkLength("run_id", p.string("run_id"), LIMITS.associationId);
        if (ids.length > 100) {
          throw invalidParameter(`Cannot link more than 100 traces to a run in a single request. Provided ${ids.length} traces.`);
        }
        await traces.linkTracesToRun(ids, runId);
        return {};
      },
    },
    {
      method: "POST",
      path: "/mlflow/traces/link-prompts",
      versions: ["2.0"],
      async handle(p) {
        const traceId = checkLength("trace_id", p.string("trace_id"), LIMITS.associationId);
        const versions = p.objectList("prompt_versions").map((v) => {
          const name = v.string("name");
          const version = v.string("version");
          if (!/^\d+$/.test(version)) throw invalidParameter(`Invalid prompt version '${version}' for '${name}': expected an integer.`);
          return checkLength("prompt_versions", `${name}/${version}`, LIMITS.associationId);
        });
        await traces.linkPromptsToTrace(traceId, versions);
        return {};
      },
    },
    {
      method: "GET",
      path: "/mlflow/traces/:request_id/info",
      versions: ["2.0"],
      async handle(_p, path) {
        return { trace_info: traceInfoV2Json(await traces.getTraceInfo(path.request_id ?? "")) };
      },
    },
    {
      method: "PATCH",
      path: "/mlflow/traces/:request_id",
      versions: ["2.0"],
      async handle(p, path) {
        const info = await traces.endTraceV2(path.request_id ?? "", {
          timestampMs: p.int("timestamp_ms"),
          status: v2Status(p),
          metadata: pairs(p, "request_metadata"),
          tags: pairs(p, "tags"),
        });
        return { trace_info: traceInfoV2Json(info) };
      },
    },
  ];
}
