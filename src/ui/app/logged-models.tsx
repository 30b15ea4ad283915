/**
 * An experiment's Models tab: its MLflow 3 logged models, filtered with MLflow's logged-model
 * grammar and sorted (by name, creation time or a metric) by `logged-models/search`.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { post, type LoggedModel } from "./api.ts";
import { Empty, FilterForm } from "./common.tsx";
import { ExperimentHeader } from "./experiment-tabs.tsx";
import { formatTime, formatValue } from "./format.ts";
import { latestMetrics, loggedModelHref, statusLabel } from "./mlmodel.ts";
import { href, setQuery, type Route } from "./router.ts";

const pageSize = 100;
const maxMetricColumns = 10;
const maxParamColumns = 5;

interface SearchState {
  models: LoggedModel[];
  token?: string;
  loading: boolean;
  error?: string;
}

/** The search's order_by for the `sort` query parameter (`created:desc`, `name:asc`, `m:<key>:desc`). */
function orderBy(sort: string): { field_name: string; ascending: boolean }[] {
  const [id, dir] = sort.split(/:(?=[^:]*$)/) as [string, string?];
  const ascending = dir !== "desc";
  if (id === "name") return [{ field_name: "name", ascending }];
  if (id.startsWith("m:")) return [{ field_name: `metrics.${id.slice(2)}`, ascending }];
  return [{ field_name: "creation_timestamp", ascending }];
}

function useModelSearch(experimentId: string, filter: string, sort: string) {
  const [state, setState] = useState<SearchState>({ models: [], loading: true });
  // Answers to an earlier filter or sort are dropped.
  const generation = useRef(0);
  const load = (token?: string) => {
    const current = generation.current;
    setState((s) => ({ ...s, loading: true }));
    post<{ models?: LoggedModel[]; next_page_token?: string }>("logged-models/search", {
      experiment_ids: [experimentId],
      filter: filter || undefined,
      order_by: orderBy(sort),
      max_results: pageSize,
      page_token: token,
    }).then(
      (page) =>
        current === generation.current &&
        setState((s) => ({ models: token ? [...s.models, ...(page.models ?? [])] : (page.models ?? []), token: page.next_page_token, loading: false })),
      (e: Error) => current === generation.current && setState({ models: [], loading: false, error: e.message }),
    );
  };
  useEffect(() => {
    generation.current++;
    setState({ models: [], loading: true });
    load();
  }, [experimentId, filter, sort]);
  return { ...state, loadMore: () => state.token && load(state.token) };
}

export function LoggedModelsPage(props: { route: Route; experimentId: string }) {
  const { route, experimentId } = props;
  const filter = route.query.get("filter") ?? "";
  const sort = route.query.get("sort") ?? "created:desc";
  const [text, setText] = useState(filter);
  useEffect(() => setText(filter), [filter]);
  const search = useModelSearch(experimentId, filter, sort);
  const rows = useMemo(() => search.models.map((model) => ({ model, metrics: latestMetrics(model), params: new Map((model.data.params ?? []).map((p) => [p.key, p.value])) })), [search.models]);
  const metricKeys = useMemo(() => [...new Set(rows.flatMap((r) => [...r.metrics.keys()]))].sort().slice(0, maxMetricColumns), [rows]);
  const paramKeys = useMemo(() => [...new Set(rows.flatMap((r) => [...r.params.keys()]))].sort().slice(0, maxParamColumns), [rows]);

  const [sortId, sortDir] = sort.split(/:(?=[^:]*$)/) as [string, string?];
  const sortBy = (id: string) => setQuery({ sort: `${id}:${sortId === id && sortDir === "desc" ? "asc" : "desc"}` });
  const mark = (id: string) => (sortId === id ? (sortDir === "desc" ? " ▼" : " ▲") : "");
  const header = (id: string, label: string, cls = "") => (
    <th class={"sortable " + cls} onClick={() => sortBy(id)} data-sort={id}>
      {label}
      {mark(id)}
    </th>
  );

  return (
    <div class="page">
      <ExperimentHeader experimentId={experimentId} active="models">
        <span class="muted" data-testid="model-count">
          {search.models.length.toLocaleString()}
          {search.token ? "+" : ""} models{search.loading ? " (loading…)" : ""}
        </span>
      </ExperimentHeader>
      <FilterForm placeholder={"metrics.accuracy > 0.9 AND params.alpha = '0.5' AND name LIKE 'model%'"} text={text} setText={setText} filter={filter} apply={(f) => setQuery({ filter: f })} />
      {search.error && (
        <div class="error" role="alert" data-testid="filter-error">
          {search.error}
          <div class="muted">
            Syntax: <code>metrics.&lt;key&gt; &gt; 0.5</code>, <code>params.&lt;key&gt; = 'value'</code>, <code>tags.&lt;key&gt; = 'x'</code>,{" "}
            <code>name LIKE 'clf%'</code>, <code>status = '2'</code> (ready), joined with <code>AND</code>.
          </div>
        </div>
      )}
      {!search.loading && !search.error && rows.length === 0 && (
        <Empty>
          {filter ? (
            <p>No logged models match this filter.</p>
          ) : (
            <p>
              No logged models in this experiment yet. Log one with <code>mlflow.sklearn.log_model(model, name="model")</code>.
            </p>
          )}
        </Empty>
      )}
      {rows.length > 0 && (
        <div class="scroll-x">
          <table class="grid logged-models">
            <thead>
              <tr>
                {header("name", "Name")}
                <th>Status</th>
                <th>Type</th>
                <th>Source run</th>
                {header("created", "Created")}
                {metricKeys.map((k) => header(`m:${k}`, k, "num"))}
                {paramKeys.map((k) => (
                  <th key={k}>
                    <span class="kind">p </span>
                    {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map(({ model, metrics, params }) => (
                <tr key={model.info.model_id} class="model-row" data-model-id={model.info.model_id}>
                  <td>
                    <a href={loggedModelHref(model)}>{model.info.name}</a>
                  </td>
                  <td class={`status ${model.info.status ?? ""}`}>{statusLabel(model.info.status)}</td>
                  <td>{model.info.model_type ?? ""}</td>
                  <td class="mono">{model.info.source_run_id ? <a href={href(`/runs/${model.info.source_run_id}`)}>{model.info.source_run_id.slice(0, 12)}</a> : ""}</td>
                  <td>{formatTime(model.info.creation_timestamp_ms)}</td>
                  {metricKeys.map((k) => {
                    const m = metrics.get(k);
                    return (
                      <td key={k} class="mono num" title={m?.dataset_name ? `dataset ${m.dataset_name}` : undefined}>
                        {m ? formatValue(m.value) : ""}
                      </td>
                    );
                  })}
                  {paramKeys.map((k) => (
                    <td key={k} class="mono ellipsis">
                      {params.get(k) ?? ""}
                    </td>
                  ))}
                </tr>
              ))}
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
    </div>
  );
}
