/**
 * Calls fml's JSON API under `/ajax-api/2.0/mlflow/` (and `/ajax-api/3.0/mlflow/` for traces),
 * turning MLflow's error shape into ApiError.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** The endpoint is not served here (yet): show "not available" rather than an error. */
  get missing(): boolean {
    return this.status === 404 && this.code === "ENDPOINT_NOT_FOUND";
  }
}

type Query = Record<string, string | number | boolean | undefined | (string | number)[]>;

function toQuery(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function request<T>(url: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(0, "NETWORK", `Cannot reach the fml server (${(error as Error).message}). Is it running?`);
  }
  const text = await response.text();
  let body: unknown = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text };
  }
  if (!response.ok) {
    // MLflow's error shape, when the body has it.
    const { error_code: code, message } = (body ?? {}) as { error_code?: unknown; message?: unknown };
    throw new ApiError(
      response.status,
      typeof code === "string" ? code : String(response.status),
      typeof message === "string" ? message : response.statusText,
    );
  }
  return body as T;
}

const base = "ajax-api/2.0/mlflow/";

export function get<T = unknown>(endpoint: string, query: Query = {}): Promise<T> {
  return request<T>(base + endpoint + toQuery(query));
}

export function post<T = unknown>(endpoint: string, body: unknown = {}, method = "POST"): Promise<T> {
  return request<T>(base + endpoint, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The MLflow 3 trace endpoints, served under `/ajax-api/3.0/mlflow/` only. */
export const v3 = {
  get<T = unknown>(endpoint: string, query: Query = {}): Promise<T> {
    return request<T>("ajax-api/3.0/mlflow/" + endpoint + toQuery(query));
  },
  post<T = unknown>(endpoint: string, body: unknown = {}): Promise<T> {
    return request<T>("ajax-api/3.0/mlflow/" + endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  },
};

/** The text of a trace's spans in MLflow's traces.json form (`{"spans": [...]}`). */
export async function fetchTraceSpansText(traceId: string): Promise<string> {
  const response = await fetch(`ajax-api/3.0/mlflow/get-trace-artifact${toQuery({ request_id: traceId })}`);
  if (!response.ok) {
    let message = `Cannot read the spans of ${traceId} (${response.status})`;
    try {
      message = (JSON.parse(await response.text()) as { message?: string }).message ?? message;
    } catch {}
    throw new ApiError(response.status, String(response.status), message);
  }
  return response.text();
}

/** URL of one artifact file, as served by `/get-artifact`. */
export function artifactUrl(runId: string, path: string): string {
  return `get-artifact${toQuery({ run_id: runId, path })}`;
}

// MLflow's JSON shapes (only the fields the UI reads).
export interface Tag {
  key: string;
  value: string;
}
export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: Tag[];
}
export interface Metric {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
  run_id?: string;
}
export interface RunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: string;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage: string;
}
export interface DatasetInput {
  tags?: Tag[];
  dataset: { name: string; digest: string; source_type?: string; source?: string; schema?: string; profile?: string };
}
export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: Tag[]; tags?: Tag[] };
  inputs?: { dataset_inputs?: DatasetInput[] };
  outputs?: { model_outputs?: { model_id: string; step?: number }[] };
}
export interface ModelMetric extends Metric {
  dataset_name?: string;
  dataset_digest?: string;
  model_id?: string;
}
/** An MLflow 3 logged model. */
export interface LoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    creation_timestamp_ms?: number;
    last_updated_timestamp_ms?: number;
    artifact_uri?: string;
    status?: string;
    model_type?: string;
    source_run_id?: string;
    tags?: Tag[];
  };
  data: { params?: Tag[]; metrics?: ModelMetric[] };
}

export function tagOf(run: Run, key: string): string | undefined {
  return run.data.tags?.find((t) => t.key === key)?.value;
}

/** MLflow 3 TraceInfoV3 and its assessments (only the fields the UI reads). */
export interface Assessment {
  assessment_id: string;
  assessment_name: string;
  trace_id?: string;
  span_id?: string;
  source?: { source_type?: string; source_id?: string };
  create_time?: string;
  feedback?: { value?: unknown; error?: { error_code?: string; error_message?: string } };
  expectation?: { value?: unknown; serialized_value?: { serialization_format?: string; value?: string } };
  rationale?: string;
  valid?: boolean;
}
export interface TraceInfo {
  trace_id: string;
  client_request_id?: string;
  trace_location?: { mlflow_experiment?: { experiment_id: string } };
  request_time?: string;
  execution_duration?: string;
  state?: string;
  trace_metadata?: Record<string, string>;
  assessments?: Assessment[];
  tags?: Record<string, string>;
  request_preview?: string;
  response_preview?: string;
}

/** A protobuf Duration (`"1.500s"`) in milliseconds. */
export function durationMs(duration: string | undefined): number | undefined {
  const match = duration ? /^(-?\d+(?:\.\d+)?)s$/.exec(duration) : null;
  return match ? Number(match[1]) * 1000 : undefined;
}
