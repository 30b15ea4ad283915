/**
 * Compare runs: overlaid metric charts (each run its own colour, a compact legend), a params and
 * metrics table that highlights differences, and a scatter plot of a param (or metric) against a
 * metric.
 */

import { useMemo, useState } from "preact/hooks";
import { get, post, type Run } from "./api.ts";
import { ChartControls, loadChartSettings, MetricChart, runColor } from "./chart.tsx";
import { ErrorBox, useAsync } from "./common.tsx";
import { formatValue } from "./format.ts";
import { href, setQuery, type Route } from "./router.ts";
import { toRow, type Row } from "./runs.tsx";
import { ScatterPlot } from "./scatter.tsx";

/** The runs, in the order given: one search in their experiment, runs/get for any it misses. */
async function loadRuns(ids: string[], experimentId: string | null): Promise<Row[]> {
  const wanted = ids.slice(0, 100);
  const found = new Map<string, Run>();
  if (experimentId && wanted.every((id) => /^[\w-]+$/.test(id))) {
    const page = await post<{ runs?: Run[] }>("runs/search", {
      experiment_ids: [experimentId],
      filter: `attributes.run_id IN (${wanted.map((id) => `'${id}'`).join(",")})`,
      run_view_type: "ALL",
      max_results: 100,
    });
    for (const run of page.runs ?? []) found.set(run.info.run_id, run);
  }
  const missing = wanted.filter((id) => !found.has(id));
  const fetched = await Promise.all(missing.map((id) => get<{ run: Run }>("runs/get", { run_id: id })));
  for (const r of fetched) found.set(r.run.info.run_id, r.run);
  return wanted.map((id) => toRow(found.get(id)!));
}

export function ComparePage(props: { route: Route }) {
  const ids = (props.route.query.get("runs") ?? "").split(",").filter(Boolean);
  const experimentId = props.route.query.get("exp");
  const [settings, setSettings] = useState(loadChartSettings);
  const [onlyDiff, setOnlyDiff] = useState(false);
  const result = useAsync(() => loadRuns(ids, experimentId), [ids.join(","), experimentId]);
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
  const colors = rows.map((_, i) => runColor(i, rows.length));
  const chartRuns = rows.map((r, i) => ({ id: r.id, name: r.name, startTime: r.run.info.start_time, color: colors[i] }));

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
                        <span class="swatch" style={{ background: colors[i] }} />
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
              <ScatterPlot rows={rows} colors={colors} x={xKey} y={yKey} />
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
