/**
 * The run page: overview, description (markdown, editable), params, latest metrics, tags,
 * datasets, artifacts, one chart per metric and the system metrics in their own tab. A running run
 * refreshes itself every 5 seconds.
 */

import { useEffect, useState } from "preact/hooks";
import { get, post, tagOf, type Run } from "./api.ts";
import { ArtifactBrowser, runArtifacts } from "./artifacts.tsx";
import { ChartControls, loadChartSettings, MetricChart } from "./chart.tsx";
import { Copy, ErrorBox, useAsync } from "./common.tsx";
import { formatDuration, formatTime, formatValue, runDuration } from "./format.ts";
import { isSystemMetric, SystemMetrics } from "./system-metrics.tsx";
import { RenameRun, RunDescription, runFolderActions, RunTags } from "./run-edit.tsx";
import { RunLoggedModels } from "./run-models.tsx";
import { href, setQuery, type Route } from "./router.ts";

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

export function RunPage(props: { route: Route; runId: string }) {
  const { runId, route } = props;
  const tab = route.query.get("tab") ?? "overview";
  const [tick, setTick] = useState(0);
  const [settings, setSettings] = useState(loadChartSettings);
  const result = useAsync(() => get<{ run: Run }>("runs/get", { run_id: runId }), [runId, tick]);
  // While another run loads, show nothing of the previous one.
  const run = result.value?.run.info.run_id === runId ? result.value.run : undefined;
  const running = run?.info.status === "RUNNING";
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => !document.hidden && setTick((t) => t + 1), 5000);
    return () => clearInterval(timer);
  }, [running]);
  const experiment = useAsync(
    async () => (run ? (await get<{ experiment: { name: string } }>("experiments/get", { experiment_id: run.info.experiment_id })).experiment : undefined),
    [run?.info.experiment_id],
  );

  if (result.error && !run) {
    return (
      <div class="page">
        <ErrorBox error={result.error} />
        <p>
          <a href={href("/experiments")}>Back to experiments</a>
        </p>
      </div>
    );
  }
  if (!run) return <div class="page muted">Loading…</div>;
  const info = run.info;
  const parent = tagOf(run, "mlflow.parentRunId");
  const source = tagOf(run, "mlflow.source.name");
  const metrics = [...(run.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const params = [...(run.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const datasets = run.inputs?.dataset_inputs ?? [];
  const name = info.run_name ?? info.run_id;
  const chartRuns = [{ id: info.run_id, name, startTime: info.start_time }];
  const tabs = ["overview", "charts", "system", "artifacts"];
  const modelMetrics = metrics.filter((m) => !isSystemMetric(m.key));

  return (
    <div class="page run-page">
      <div class="toolbar">
        <h1>
          <a class="muted" href={href(`/experiments/${info.experiment_id}`)}>
            {experiment.value?.name ?? `Experiment ${info.experiment_id}`}
          </a>{" "}
          / <span data-testid="run-name">{name}</span>
        </h1>
        <RenameRun run={run} onRenamed={() => setTick((t) => t + 1)} />
        <span class={`status ${info.status}`}>{info.status}</span>
        {info.lifecycle_stage === "deleted" && <span class="badge">deleted</span>}
        <span class="spacer" />
        {info.lifecycle_stage === "deleted" ? (
          <button onClick={() => post("runs/restore", { run_id: info.run_id }).then(() => setTick((t) => t + 1))}>Restore</button>
        ) : (
          <button class="danger" onClick={() => confirm("Delete this run? It can be restored.") && post("runs/delete", { run_id: info.run_id }).then(() => setTick((t) => t + 1))}>
            Delete
          </button>
        )}
      </div>
      <nav class="tabs">
        {tabs.map((t) => (
          <a key={t} href="#" class={tab === t ? "active" : ""} onClick={(e) => (e.preventDefault(), setQuery({ tab: t === "overview" ? undefined : t }))}>
            {t === "system" ? "System metrics" : t[0]!.toUpperCase() + t.slice(1)}
            {t === "charts" ? ` (${modelMetrics.length})` : t === "system" ? ` (${metrics.length - modelMetrics.length})` : ""}
          </a>
        ))}
      </nav>
      {tab === "overview" && (
        <div class="columns">
          <div>
            <section class="card">
              <h2>Overview</h2>
              <dl class="overview">
                <dt>Run ID</dt>
                <dd class="mono">
                  {info.run_id} <Copy text={info.run_id} />
                </dd>
                <dt>Status</dt>
                <dd>{info.status}</dd>
                <dt>Started</dt>
                <dd>{formatTime(info.start_time)}</dd>
                <dt>Ended</dt>
                <dd>{formatTime(info.end_time) || "—"}</dd>
                <dt>Duration</dt>
                <dd>{formatDuration(runDuration(info))}</dd>
                <dt>User</dt>
                <dd>{info.user_id || tagOf(run, "mlflow.user") || "—"}</dd>
                <dt>Source</dt>
                <dd class="mono ellipsis" title={source}>
                  {source ?? "—"} {tagOf(run, "mlflow.source.git.commit") && <span class="muted">@ {tagOf(run, "mlflow.source.git.commit")!.slice(0, 8)}</span>}
                </dd>
                {parent && (
                  <>
                    <dt>Parent run</dt>
                    <dd class="mono">
                      <a href={href(`/runs/${parent}`)}>{parent}</a>
                    </dd>
                  </>
                )}
                <dt>Artifact URI</dt>
                <dd class="mono">
                  {info.artifact_uri} {info.artifact_uri && <Copy text={info.artifact_uri} />}
                </dd>
              </dl>
            </section>
            <RunDescription run={run} onSaved={() => setTick((t) => t + 1)} />
            <RunLoggedModels run={run} />
            <section class="card">
              <h2>Datasets</h2>
              {datasets.length ? (
                <table class="grid">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Digest</th>
                      <th>Context</th>
                      <th>Source type</th>
                    </tr>
                  </thead>
                  <tbody>
                    {datasets.map((d, i) => (
                      <tr key={i}>
                        <td>{d.dataset.name}</td>
                        <td class="mono">{d.dataset.digest}</td>
                        <td>{d.tags?.find((t) => t.key === "mlflow.data.context")?.value ?? ""}</td>
                        <td>{d.dataset.source_type ?? ""}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <p class="muted">No datasets logged. Use <code>mlflow.log_input(dataset)</code>.</p>
              )}
            </section>
          </div>
          <div>
            <section class="card">
              <h2>Parameters ({params.length})</h2>
              <KeyValues rows={params} empty="No parameters logged." testid="params" />
            </section>
            <section class="card">
              <h2>Metrics ({metrics.length})</h2>
              {metrics.length ? (
                <table class="grid kv" data-testid="metrics">
                  <tbody>
                    {metrics.map((m) => (
                      <tr key={m.key}>
                        <th class="mono">
                          <a href="#" onClick={(e) => (e.preventDefault(), setQuery({ tab: "charts" }))}>
                            {m.key}
                          </a>
                        </th>
                        <td class="mono num">{formatValue(m.value)}</td>
                        <td class="muted small">step {m.step}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <p class="muted">No metrics logged.</p>
              )}
            </section>
            <RunTags run={run} onChanged={() => setTick((t) => t + 1)} />
          </div>
        </div>
      )}
      {tab === "charts" && (
        <>
          <ChartControls settings={settings} onChange={setSettings} />
          {modelMetrics.length === 0 && <p class="muted">This run has no metrics. Log some with <code>mlflow.log_metric("loss", 0.5, step=1)</code>.</p>}
          <div class="charts">
            {modelMetrics.map((m) => (
              <MetricChart key={m.key} metricKey={m.key} runs={chartRuns} settings={settings} refresh={running ? tick : 0} />
            ))}
          </div>
        </>
      )}
      {tab === "system" && (
        <>
          <ChartControls settings={settings} onChange={setSettings} />
          <SystemMetrics metrics={metrics} run={chartRuns[0]!} settings={settings} refresh={running ? tick : 0} />
        </>
      )}
      {tab === "artifacts" && (
        <section class="card">
          <ArtifactBrowser source={runArtifacts(info.run_id)} initialPath={route.query.get("path") ?? undefined} folderActions={runFolderActions(run)} />
        </section>
      )}
    </div>
  );
}
