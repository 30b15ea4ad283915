/**
 * Traces of a fixture manifest (`expected.traces`, `expected.trace_search_order`) compared with
 * what fml serves: trace info, tags, metadata, assessments and every span as the Python client
 * decodes it (ids in hex, attributes JSON-decoded), including spans stored only as traces.json.
 */

import type { FmlServer } from "./server.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ExpectedTrace {
  trace_id: string;
  experiment_id: string;
  client_request_id: string | null;
  request_time: number;
  execution_duration: number | null;
  state: string;
  request_preview: string | null;
  response_preview: string | null;
  tags: Record<string, string>;
  trace_metadata: Record<string, string>;
  assessments: Record<string, Record<string, Json>>;
  spans: Record<string, Json>[];
}

export interface ExpectedTraces {
  traces?: Record<string, ExpectedTrace>;
  trace_search_order?: { experiment?: Record<string, string[]>; run?: Record<string, string[]>; model?: Record<string, string[]> };
}

type AnyValue = Record<string, Json>;
type ServedSpan = {
  span_id: string;
  parent_span_id?: string;
  name: string;
  start_time_unix_nano: number;
  end_time_unix_nano: number;
  attributes?: { key: string; value: AnyValue }[];
  events?: { name: string; time_unix_nano: number; attributes?: { key: string; value: AnyValue }[] }[];
  status: { code: string; message?: string };
};
type ServedInfo = Record<string, Json> & { tags?: Record<string, string>; trace_metadata?: Record<string, string>; assessments?: Record<string, Json>[] };

const hex = (b64: string): string => Buffer.from(b64, "base64").toString("hex");
const same = (a: unknown, b: unknown): boolean => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

function decode(value: AnyValue | undefined): Json {
  if (!value) return null;
  if ("string_value" in value) return value.string_value as string;
  if ("int_value" in value) return Number(value.int_value);
  if ("double_value" in value) return Number(value.double_value);
  if ("bool_value" in value) return value.bool_value as boolean;
  if ("array_value" in value) return ((value.array_value as { values?: AnyValue[] }).values ?? []).map(decode);
  if ("kvlist_value" in value) {
    const values = (value.kvlist_value as { values?: { key: string; value: AnyValue }[] }).values ?? [];
    return Object.fromEntries(values.map((kv) => [kv.key, decode(kv.value)]));
  }
  return null;
}

const attributes = (list: ServedSpan["attributes"]): Record<string, Json> => Object.fromEntries((list ?? []).map((a) => [a.key, decode(a.value)]));

/** A served span in the shape the manifest records (the Python client's Span.to_dict-like view). */
function clientView(span: ServedSpan): Record<string, Json> {
  const attrs = attributes(span.attributes);
  const code = span.status.code.replace("STATUS_CODE_", "");
  return {
    attributes: attrs,
    end_time_ns: span.end_time_unix_nano,
    events: (span.events ?? []).map((e) => ({ attributes: attributes(e.attributes), name: e.name, timestamp: e.time_unix_nano })),
    inputs: attrs["mlflow.spanInputs"] ?? null,
    name: span.name,
    outputs: attrs["mlflow.spanOutputs"] ?? null,
    parent_id: span.parent_span_id ? hex(span.parent_span_id) : null,
    span_id: hex(span.span_id),
    span_type: attrs["mlflow.spanType"] ?? null,
    start_time_ns: span.start_time_unix_nano,
    status: { description: span.status.message ?? "", status_code: code },
  };
}

function durationMs(text: Json | undefined): number | null {
  if (typeof text !== "string") return null;
  return Math.round(Number(text.replace(/s$/, "")) * 1000);
}

export async function traceMismatches(fml: FmlServer, expected: ExpectedTraces): Promise<string[]> {
  const out: string[] = [];
  const check = (where: string, got: unknown, want: unknown) => {
    if (!same(got, want)) out.push(`${where}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  };
  for (const [id, want] of Object.entries(expected.traces ?? {})) {
    const r = await fml.api<{ trace: { trace_info: ServedInfo; spans: ServedSpan[] } }>("GET", "/api/3.0/mlflow/traces/get", { trace_id: id });
    if (r.status !== 200) {
      out.push(`traces/get ${id} → HTTP ${r.status} ${JSON.stringify(r.body)}`);
      continue;
    }
    const info = r.body.trace.trace_info;
    const location = info.trace_location as { mlflow_experiment: { experiment_id: string } };
    check(`${id} experiment`, location.mlflow_experiment.experiment_id, want.experiment_id);
    check(`${id} request_time`, Date.parse(String(info.request_time)), want.request_time);
    check(`${id} execution_duration`, durationMs(info.execution_duration), want.execution_duration);
    check(`${id} state`, info.state, want.state);
    check(`${id} client_request_id`, info.client_request_id ?? null, want.client_request_id);
    check(`${id} request_preview`, info.request_preview ?? null, want.request_preview);
    check(`${id} response_preview`, info.response_preview ?? null, want.response_preview);
    check(`${id} tags`, info.tags ?? {}, want.tags);
    check(`${id} trace_metadata`, info.trace_metadata ?? {}, want.trace_metadata);
    const served = Object.fromEntries((info.assessments ?? []).map((a) => [String(a.assessment_id), a]));
    check(`${id} assessment ids`, Object.keys(served).sort(), Object.keys(want.assessments).sort());
    for (const [aid, a] of Object.entries(want.assessments)) {
      for (const [key, value] of Object.entries(a)) check(`${id} assessment ${aid} ${key}`, served[aid]?.[key], value);
    }
    check(`${id} spans`, r.body.trace.spans.map(clientView), want.spans);
  }
  const search = expected.trace_search_order;
  const ids = async (experimentIds: string[], filter?: string): Promise<string[]> => {
    const r = await fml.api<{ traces?: { trace_id: string }[] }>("POST", "/api/3.0/mlflow/traces/search", {
      locations: experimentIds.map((e) => ({ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: e } })),
      filter,
      max_results: 500,
    });
    return r.body.traces?.map((t) => t.trace_id) ?? [];
  };
  for (const [experimentId, order] of Object.entries(search?.experiment ?? {})) {
    check(`search experiment ${experimentId}`, await ids([experimentId]), order);
  }
  const allExperiments = Object.keys(search?.experiment ?? {});
  for (const [runId, order] of Object.entries(search?.run ?? {})) {
    check(`search run ${runId}`, await ids(allExperiments, `run_id = '${runId}'`), order);
  }
  for (const [modelId, order] of Object.entries(search?.model ?? {})) {
    check(`search model ${modelId}`, await ids(allExperiments, `metadata.\`mlflow.modelId\` = '${modelId}'`), order);
  }
  return out;
}
