/**
 * A logged model's page (`#/experiments/<id>/models/<model_id>`, MLflow's route): overview with
 * the source run, params, every metric row, tags, the MLmodel file, the registered model
 * versions made from it, and its artifacts.
 */

import { get, type LoggedModel, type Run } from "./api.ts";
import { ArtifactBrowser, modelArtifacts } from "./artifacts.tsx";
import { Copy, ErrorBox, useAsync } from "./common.tsx";
import { formatTime, formatValue } from "./format.ts";
import { fetchMlmodel, mlmodelFlavors, statusLabel } from "./mlmodel.ts";
import { RegisterModelButton } from "./register-model.tsx";
import { href, setQuery, type Route } from "./router.ts";

interface ModelVersion {
  name: string;
  version: string;
  current_stage?: string;
  creation_timestamp?: number;
  source?: string;
  aliases?: string[];
}

const quoted = (s: string) => `'${s.replaceAll("'", "\\'")}'`;

/** Versions registered from this model: by `models:/<id>` or artifact-URI source, or listed in its `mlflow.modelVersions` tag. */
async function registeredVersions(model: LoggedModel): Promise<ModelVersion[]> {
  const found = new Map<string, ModelVersion>();
  const add = (v: ModelVersion) => found.set(`${v.name}\u0000${v.version}`, v);
  const sources = [`models:/${model.info.model_id}`, model.info.artifact_uri].filter((s): s is string => Boolean(s));
  for (const source of sources) {
    const page = await get<{ model_versions?: ModelVersion[] }>("model-versions/search", { filter: `source_path = ${quoted(source)}`, max_results: 1000 });
    (page.model_versions ?? []).forEach(add);
  }
  let listed: unknown = [];
  try {
    listed = JSON.parse(model.info.tags?.find((t) => t.key === "mlflow.modelVersions")?.value ?? "[]");
  } catch {}
  for (const entry of Array.isArray(listed) ? listed : []) {
    const { name, version } = (entry ?? {}) as { name?: unknown; version?: unknown };
    if (typeof name !== "string" || (typeof version !== "string" && typeof version !== "number")) continue;
    if (found.has(`${name}\u0000${version}`)) continue;
    try {
      add((await get<{ model_version: ModelVersion }>("model-versions/get", { name, version: String(version) })).model_version);
    } catch {
      // deleted since
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || Number(b.version) - Number(a.version));
}

function KeyValues(props: { rows: { key: string; value: string }[]; empty: string; testid: string }) {
  if (!props.rows.length) return <p class="muted">{props.empty}</p>;
  return (
    <table class="grid kv" data-testid={props.testid}>
      <tbody>
        {props.rows.map((r) => (
          <tr key={r.key}>
            <th class="mono">{r.key}</th>
            <td class="mono">{r.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function LoggedModelPage(props: { route: Route; experimentId: string; modelId: string }) {
  const { route, experimentId, modelId } = props;
  // MLflow's `#/experiments/<id>/models/<model_id>/artifacts` form names the tab in the path.
  const tab = route.query.get("tab") ?? (route.path[4] === "artifacts" ? "artifacts" : "overview");
  const result = useAsync(() => get<{ model: LoggedModel }>(`logged-models/${encodeURIComponent(modelId)}`), [modelId]);
  const model = result.value?.model.info.model_id === modelId ? result.value.model : undefined;
  const mlmodel = useAsync(() => fetchMlmodel(modelId), [modelId]);
  const sourceRunId = model?.info.source_run_id;
  const run = useAsync(async () => (sourceRunId ? (await get<{ run: Run }>("runs/get", { run_id: sourceRunId })).run : undefined), [sourceRunId]);
  const experiment = useAsync(async () => (await get<{ experiment: { name: string } }>("experiments/get", { experiment_id: experimentId })).experiment, [experimentId]);
  const versions = useAsync(async () => (model ? registeredVersions(model) : []), [model]);

  const title = (
    <h1>
      <a class="muted" href={href(`/experiments/${experimentId}`)}>
        {experiment.value?.name ?? `Experiment ${experimentId}`}
      </a>{" "}
      /{" "}
      <a class="muted" href={href(`/experiments/${experimentId}/models`)}>
        Models
      </a>{" "}
      / <span data-testid="model-name">{model?.info.name ?? modelId}</span>
    </h1>
  );
  if (result.error && !model) {
    return (
      <div class="page">
        <div class="toolbar">{title}</div>
        <ErrorBox error={result.error} />
      </div>
    );
  }
  if (!model) return <div class="page muted">Loading…</div>;
  const info = model.info;
  const params = [...(model.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const tags = [...(info.tags ?? [])].filter((t) => !t.key.startsWith("mlflow.")).sort((a, b) => a.key.localeCompare(b.key));
  const metrics = [...(model.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key) || a.step - b.step);
  const flavors = mlmodel.value ? mlmodelFlavors(mlmodel.value) : [];
  const runName = run.value?.info.run_name;

  return (
    <div class="page logged-model-page">
      <div class="toolbar">
        {title}
        <span class={`status ${info.status ?? ""}`}>{statusLabel(info.status)}</span>
        <span class="spacer" />
        <RegisterModelButton from={{ source: `models:/${info.model_id}`, modelId: info.model_id, runId: info.source_run_id }} />
      </div>
      <nav class="tabs">
        {["overview", "artifacts"].map((t) => (
          <a key={t} href="#" class={tab === t ? "active" : ""} onClick={(e) => (e.preventDefault(), setQuery({ tab: t === "overview" ? undefined : t }))}>
            {t[0]!.toUpperCase() + t.slice(1)}
          </a>
        ))}
      </nav>
      {tab === "overview" && (
        <div class="columns">
          <div>
            <section class="card">
              <h2>Overview</h2>
              <dl class="overview">
                <dt>Model ID</dt>
                <dd class="mono">
                  {info.model_id} <Copy text={info.model_id} />
                </dd>
                <dt>Status</dt>
                <dd>{statusLabel(info.status)}</dd>
                <dt>Model type</dt>
                <dd>{info.model_type || "—"}</dd>
                <dt>Flavors</dt>
                <dd data-testid="flavors">{flavors.length ? flavors.map((f) => <span key={f} class="badge mono">{f}</span>) : "—"}</dd>
                <dt>Created</dt>
                <dd>{formatTime(info.creation_timestamp_ms)}</dd>
                <dt>Updated</dt>
                <dd>{formatTime(info.last_updated_timestamp_ms)}</dd>
                <dt>Source run</dt>
                <dd class="mono" data-testid="source-run">
                  {sourceRunId ? <a href={href(`/runs/${sourceRunId}`)}>{runName ?? sourceRunId}</a> : "—"}
                </dd>
                <dt>Artifact URI</dt>
                <dd class="mono">
                  {info.artifact_uri} {info.artifact_uri && <Copy text={info.artifact_uri} />}
                </dd>
                <dt>Load it</dt>
                <dd class="mono">mlflow.pyfunc.load_model("models:/{info.model_id}")</dd>
              </dl>
            </section>
            <section class="card">
              <h2>Registered versions</h2>
              {versions.error && !/ENDPOINT_NOT_FOUND|No API endpoint/.test(versions.error) && <ErrorBox error={versions.error} />}
              {versions.value?.length === 0 && <p class="muted">Not registered. Register it with <code>mlflow.register_model("models:/{info.model_id}", "name")</code>.</p>}
              {!!versions.value?.length && (
                <table class="grid" data-testid="model-versions">
                  <tbody>
                    {versions.value.map((v) => (
                      <tr key={`${v.name}/${v.version}`}>
                        <td>
                          <a href={href(`/models/${encodeURIComponent(v.name)}`)}>{v.name}</a>
                        </td>
                        <td>v{v.version}</td>
                        <td>{v.current_stage && v.current_stage !== "None" ? v.current_stage : ""}</td>
                        <td>{(v.aliases ?? []).map((a) => <span key={a} class="badge">@{a}</span>)}</td>
                        <td>{formatTime(v.creation_timestamp)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section class="card">
              <h2>MLmodel</h2>
              <ErrorBox error={mlmodel.error} />
              {mlmodel.value === undefined && !mlmodel.loading && !mlmodel.error && <p class="muted">No MLmodel file in this model's artifacts.</p>}
              {mlmodel.value !== undefined && <pre class="artifact-text mlmodel" data-testid="mlmodel">{mlmodel.value}</pre>}
            </section>
          </div>
          <div>
            <section class="card">
              <h2>Parameters ({params.length})</h2>
              <KeyValues rows={params} empty="No parameters." testid="model-params" />
            </section>
            <section class="card">
              <h2>Metrics ({metrics.length})</h2>
              {metrics.length ? (
                <table class="grid" data-testid="model-metrics">
                  <thead>
                    <tr>
                      <th>Key</th>
                      <th class="num">Value</th>
                      <th>Step</th>
                      <th>Dataset</th>
                      <th>Run</th>
                    </tr>
                  </thead>
                  <tbody>
                    {metrics.map((m, i) => (
                      <tr key={i}>
                        <td class="mono">{m.key}</td>
                        <td class="mono num">{formatValue(m.value)}</td>
                        <td class="muted">{m.step}</td>
                        <td>{m.dataset_name ?? ""}</td>
                        <td class="mono">{m.run_id ? <a href={href(`/runs/${m.run_id}`)}>{m.run_id.slice(0, 8)}</a> : ""}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <p class="muted">No metrics. Log some with <code>mlflow.log_metric("accuracy", 0.9, model_id=...)</code>.</p>
              )}
            </section>
            <section class="card">
              <h2>Tags</h2>
              <KeyValues rows={tags} empty="No tags." testid="model-tags" />
            </section>
          </div>
        </div>
      )}
      {tab === "artifacts" && (
        <section class="card">
          <ArtifactBrowser source={modelArtifacts(info.model_id)} initialFile={mlmodel.value !== undefined ? "MLmodel" : undefined} />
        </section>
      )}
    </div>
  );
}
