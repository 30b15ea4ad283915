/**
 * Compare runs: overlaid metric charts, a params and metrics table that highlights differences,
 * and a scatter plot of a param (or metric) against a metric.
 */

import { useMemo, useState } from "preact/hooks";
import { get, type Run } from "./api.ts";
import { ChartControls, loadChartSettings, MetricChart, palette, ScatterChart } from "./chart.tsx";
import { ErrorBox, useAsync } from "./common.tsx";
import { formatValue } from "./format.ts";
import { href, setQuery, type Route } from "./router.ts";
import { toRow, type Row } from "./runs.tsx";

async function loadRuns(ids: string[]): Promise<Row[]> {
  const runs = await Promise.all(ids.slice(0, 100).map((id) => get<{ run: Run }>("runs/get", { run_id: id })));
  return runs.map((r) => toRow(r.run));
}

function numeric(value: string | number | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function ComparePage(props: { route: Route }) {
  const ids = (props.route.query.get("runs") ?? "").split(",").filter(Boolean);
  const experimentId = props.route.query.get("exp");
  const [settings, setSettings] = useState(loadChartSettings);
  const [onlyDiff, setOnlyDiff] = useState(false);
  const result = useAsync(() => loadRuns(ids), [ids.join(",")]);
  const rows = result.value ?? [];

  const table = useMemo(() => {
    const paramKeys = [...new Set(rows.flatMap((r) => [...r.params.keys()]))].sort();
    const metricKeys = [...new Set(rows.flatMap((r) => [...r.metrics.keys()]))].sort();
    return {
      paramKeys,
      metricKeys,
      lines: [
        ...paramKeys.map((k) => ({ kind: "param", key: k, values: rows.map((r) => r.params.get(k)) })),
        ...metricKeys.map((k) => ({ kind: "metric", key: k, values: rows.map((r) => r.metrics.get(k)) })),
      ].map((line) => ({ ...line, differs: new Set(line.values.map((v) => String(v))).size > 1 })),
    };
  }, [rows]);

  const axisKeys = [...table.paramKeys.map((k) => "p:" + k), ...table.metricKeys.map((k) => "m:" + k)];
  const xKey = props.route.query.get("x") ?? axisKeys[0] ?? "";
  const yKey = props.route.query.get("y") ?? (table.metricKeys[0] ? "m:" + table.metricKeys[0] : "");
  const valueOf = (row: Row, key: string) => (key.startsWith("p:") ? row.params.get(key.slice(2)) : row.metrics.get(key.slice(2)));
  const scatter = rows
    .map((r) => ({ x: numeric(valueOf(r, xKey)), y: numeric(valueOf(r, yKey)), label: r.name }))
    .filter((p): p is { x: number; y: number; label: string } => p.x !== undefined && p.y !== undefined);
  const chartRuns = rows.map((r) => ({ id: r.id, name: r.name, startTime: r.run.info.start_time }));

  return (
    <div class="page compare-page">
      <div class="toolbar">
        <h1>
          {experimentId && (
            <>
              <a class="muted" href={href(`/experiments/${experimentId}`)}>
                Runs
              </a>{" "}
              /{" "}
            </>
          )}
          Compare {rows.length} runs
        </h1>
      </div>
      <ErrorBox error={result.error} />
      {!ids.length && <p class="muted">Select runs in an experiment's runs table and press Compare.</p>}
      {result.loading && !rows.length && <p class="muted">Loading…</p>}
      {rows.length > 0 && (
        <>
          <section class="card">
            <div class="toolbar">
              <h2>Parameters and metrics</h2>
              <label class="small">
                <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff((e.target as HTMLInputElement).checked)} /> only differences
              </label>
            </div>
            <div class="scroll-x">
              <table class="grid diff" data-testid="diff">
                <thead>
                  <tr>
                    <th />
                    {rows.map((r, i) => (
                      <th key={r.id}>
                        <span class="swatch" style={{ background: palette[i % palette.length] }} />
                        <a href={href(`/runs/${r.id}`)}>{r.name}</a>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {table.lines
                    .filter((l) => !onlyDiff || l.differs)
                    .map((l) => (
                      <tr key={l.kind + l.key} class={l.differs ? "differs" : ""}>
                        <th class="mono">
                          <span class="kind">{l.kind === "param" ? "p " : "m "}</span>
                          {l.key}
                        </th>
                        {l.values.map((v, i) => (
                          <td key={i} class={"mono" + (l.kind === "metric" ? " num" : "")}>
                            {v === undefined ? <span class="muted">—</span> : formatValue(v)}
                          </td>
                        ))}
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          </section>
          {axisKeys.length > 0 && (
            <section class="card">
              <div class="toolbar">
                <h2>Scatter</h2>
                <label>
                  X{" "}
                  <select value={xKey} onChange={(e) => setQuery({ x: (e.target as HTMLSelectElement).value }, true)}>
                    {axisKeys.map((k) => (
                      <option key={k} value={k}>
                        {k.startsWith("p:") ? "param " : "metric "}
                        {k.slice(2)}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  Y{" "}
                  <select value={yKey} onChange={(e) => setQuery({ y: (e.target as HTMLSelectElement).value }, true)}>
                    {table.metricKeys.map((k) => (
                      <option key={k} value={"m:" + k}>
                        metric {k}
                      </option>
                    ))}
                  </select>
                </label>
              </div>
              {scatter.length ? (
                <ScatterChart points={scatter} xLabel={xKey.slice(2)} yLabel={yKey.slice(2)} />
              ) : (
                <p class="muted">No run has numeric values for both axes.</p>
              )}
            </section>
          )}
          <section>
            <ChartControls settings={settings} onChange={setSettings} />
            <div class="charts">
              {table.metricKeys.map((k) => (
                <MetricChart key={k} metricKey={k} runs={chartRuns} settings={settings} />
              ))}
            </div>
          </section>
        </>
      )}
    </div>
  );
}
