/**
 * An experiment's Traces tab (`#/experiments/<id>/traces`, MLflow's route): the traces table
 * (request and response previews, state, latency, tags, time) filtered with MLflow's trace
 * grammar by `traces/search`, and one trace opened from `?selectedTraceId=<id>` (MLflow's
 * parameter; `selectedEvaluationId` and `#/experiments/<id>/traces/<trace_id>` open it too).
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { durationMs, v3, type TraceInfo } from "./api.ts";
import { Empty, FilterForm } from "./common.tsx";
import { ExperimentHeader } from "./experiment-tabs.tsx";
import { formatTime } from "./format.ts";
import { href, navigate, setQuery, type Route } from "./router.ts";
import { formatSpanDuration } from "./span-tree.ts";
import { TraceView } from "./trace-view.tsx";

const pageSize = 100;

interface SearchState {
  traces: TraceInfo[];
  token?: string;
  loading: boolean;
  error?: string;
}

function useTraceSearch(experimentId: string, filter: string, orderBy: string, tick: number) {
  const [state, setState] = useState<SearchState>({ traces: [], loading: true });
  // Answers to an earlier filter or order are dropped.
  const generation = useRef(0);
  const load = (token?: string) => {
    const current = generation.current;
    setState((s) => ({ ...s, loading: true }));
    v3.post<{ traces?: TraceInfo[]; next_page_token?: string }>("traces/search", {
      locations: [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } }],
      filter: filter || undefined,
      order_by: [orderBy],
      max_results: pageSize,
      page_token: token,
    }).then(
      (page) => {
        if (current !== generation.current) return;
        const traces = page.traces ?? [];
        // MLflow hands out a token whenever a page is full, even the last one.
        setState((s) => ({ traces: token ? [...s.traces, ...traces] : traces, token: traces.length === pageSize ? page.next_page_token : undefined, loading: false }));
      },
      (e: Error) => current === generation.current && setState({ traces: [], loading: false, error: e.message }),
    );
  };
  useEffect(() => {
    generation.current++;
    setState({ traces: [], loading: true });
    load();
  }, [experimentId, filter, orderBy, tick]);
  return { ...state, loadMore: () => state.token && load(state.token) };
}

const sortKeys: Record<string, string> = { time: "timestamp_ms", latency: "execution_time_ms" };

export function TracesPage(props: { route: Route; experimentId: string; traceId?: string }) {
  const { route, experimentId } = props;
  const selected = props.traceId ?? route.query.get("selectedTraceId") ?? route.query.get("selectedEvaluationId") ?? undefined;
  const filter = route.query.get("filter") ?? "";
  const sort = route.query.get("sort") ?? "time:desc";
  const [sortId, sortDir] = sort.split(":") as [string, string?];
  const orderBy = `${sortKeys[sortId] ?? "timestamp_ms"} ${sortDir === "asc" ? "ASC" : "DESC"}`;
  const [text, setText] = useState(filter);
  const [tick, setTick] = useState(0);
  useEffect(() => setText(filter), [filter]);
  const search = useTraceSearch(experimentId, filter, orderBy, tick);

  const open = (traceId: string) => setQuery({ selectedTraceId: traceId });
  const close = () =>
    props.traceId
      ? navigate(href(`/experiments/${experimentId}/traces`, Object.fromEntries(route.query)))
      : setQuery({ selectedTraceId: undefined, selectedEvaluationId: undefined });
  const sortBy = (id: string) => setQuery({ sort: `${id}:${sortId === id && sortDir !== "asc" ? "asc" : "desc"}` });
  const mark = (id: string) => (sortId === id ? (sortDir === "asc" ? " ▲" : " ▼") : "");

  return (
    <div class="page">
      <ExperimentHeader experimentId={experimentId} active="traces">
        {!selected && (
          <span class="muted" data-testid="trace-count">
            {search.traces.length.toLocaleString()}
            {search.token ? "+" : ""} traces{search.loading ? " (loading…)" : ""}
          </span>
        )}
      </ExperimentHeader>
      {selected ? (
        <TraceView key={selected} traceId={selected} onClose={close} />
      ) : (
        <>
          <FilterForm placeholder={"tags.env = 'prod' AND status = 'OK' AND execution_time_ms > 1000"} text={text} setText={setText} filter={filter} apply={(f) => setQuery({ filter: f })}>
            <button type="button" onClick={() => setTick((t) => t + 1)}>
              Refresh
            </button>
          </FilterForm>
          {search.error && (
            <div class="error" role="alert" data-testid="filter-error">
              {search.error}
              <div class="muted">
                Syntax: <code>status = 'ERROR'</code>, <code>tags.&lt;key&gt; = 'x'</code>, <code>metadata.&lt;key&gt; LIKE 'a%'</code>,{" "}
                <code>execution_time_ms &gt; 500</code>, <code>span.name = 'retrieve'</code>, <code>feedback.&lt;name&gt; = 'yes'</code>, joined with{" "}
                <code>AND</code>.
              </div>
            </div>
          )}
          {!search.loading && !search.error && search.traces.length === 0 && (
            <Empty>
              {filter ? (
                <p>No traces match this filter.</p>
              ) : (
                <p>
                  No traces in this experiment yet. Decorate a function with <code>@mlflow.trace</code>, or send OpenTelemetry spans to{" "}
                  <code>/v1/traces</code> with the header <code>x-mlflow-experiment-id: {experimentId}</code>.
                </p>
              )}
            </Empty>
          )}
          {search.traces.length > 0 && (
            <div class="scroll-x">
              <table class="grid traces">
                <thead>
                  <tr>
                    <th>Trace</th>
                    <th>Request</th>
                    <th>Response</th>
                    <th>State</th>
                    <th class="sortable num" onClick={() => sortBy("latency")} data-sort="latency">
                      Latency{mark("latency")}
                    </th>
                    <th>Tags</th>
                    <th class="sortable" onClick={() => sortBy("time")} data-sort="time">
                      Time{mark("time")}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {search.traces.map((t) => {
                    const tags = Object.entries(t.tags ?? {}).filter(([k]) => !k.startsWith("mlflow."));
                    return (
                      <tr key={t.trace_id} class="trace-row" data-trace-id={t.trace_id} onClick={() => open(t.trace_id)}>
                        <td class="mono">
                          <a href={href(`/experiments/${experimentId}/traces`, { ...Object.fromEntries(route.query), selectedTraceId: t.trace_id })} title={t.trace_id} onClick={(e) => e.stopPropagation()}>
                            {t.tags?.["mlflow.traceName"] ?? t.trace_id.slice(0, 14)}
                          </a>
                        </td>
                        <td class="mono ellipsis preview" title={t.request_preview}>
                          {t.request_preview ?? ""}
                        </td>
                        <td class="mono ellipsis preview" title={t.response_preview}>
                          {t.response_preview ?? ""}
                        </td>
                        <td class={`status ${t.state ?? ""}`}>{t.state ?? ""}</td>
                        <td class="num">{formatSpanDuration(durationMs(t.execution_duration))}</td>
                        <td>
                          {tags.map(([k, v]) => (
                            <span key={k} class="badge">
                              {k}={v}
                            </span>
                          ))}
                        </td>
                        <td>{formatTime(t.request_time ? Date.parse(t.request_time) : undefined)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {search.token && (
            <p>
              <button onClick={search.loadMore} disabled={search.loading}>
                Load more
              </button>
            </p>
          )}
        </>
      )}
    </div>
  );
}
