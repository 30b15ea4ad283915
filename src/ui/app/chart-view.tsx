/**
 * The chart view of an experiment's runs (MLflow's Table/Chart switch), over the runs the table
 * shows: metric charts (bars for single values), latest-value bars, scatter plots and parallel
 * coordinates, optionally grouped by a param or tag. The charts are the user's: added, removed
 * and moved, and kept with the grouping in the URL (`charts=`, `group=`), so a reload or a shared
 * link shows the same view.
 */

import { useMemo, useState } from "preact/hooks";
import { keyKind, keyLabel, valueOf } from "./chart-axis.ts";
import { BarChart } from "./chart-bars.tsx";
import { ChartLegend, runColor } from "./chart-legend.tsx";
import { decodeSpecs, encodeSpec, encodeSpecs, type ChartSpec } from "./chart-specs.ts";
import { ChartControls, loadChartSettings, MetricChart, type ChartRun, type RunGroup } from "./chart.tsx";
import { toNumber } from "./format.ts";
import { ParallelCoordinates } from "./parallel-coordinates.tsx";
import { setQuery, type Route } from "./router.ts";
import type { Row } from "./runs.tsx";
import { ScatterPlot } from "./scatter.tsx";

/** The most runs drawn: one get-history-bulk-interval request per metric chart. */
export const chartRunLimit = 100;

const isSystem = (key: string) => key.startsWith("system/");

function defaultSpecs(metrics: string[]): ChartSpec[] {
  return metrics
    .filter((m) => !isSystem(m))
    .slice(0, 12)
    .map((metric) => ({ kind: "line", metric }));
}

function specTitle(spec: ChartSpec): string {
  if (spec.kind === "line") return spec.metric;
  if (spec.kind === "bar") return `${spec.metric} (latest)`;
  if (spec.kind === "scatter") return `${keyLabel(spec.y)} vs ${keyLabel(spec.x)}`;
  return "Parallel coordinates";
}

/** The Table / Chart switch of the runs page. */
export function ViewSwitch(props: { mode: string | null }) {
  const chart = props.mode === "chart";
  return (
    <span class="view-switch" role="group" aria-label="View">
      <button class={chart ? "" : "active"} aria-pressed={!chart} onClick={() => setQuery({ mode: undefined })}>
        Table
      </button>
      <button class={chart ? "active" : ""} aria-pressed={chart} onClick={() => setQuery({ mode: "chart" })}>
        Chart
      </button>
    </span>
  );
}

export function RunsChartView(props: { rows: Row[]; route: Route }) {
  const { route } = props;
  const rows = props.rows.slice(0, chartRunLimit);
  const [settings, setSettings] = useState(loadChartSettings);
  const keys = useMemo(() => {
    const metrics = new Set<string>();
    const params = new Set<string>();
    const tags = new Set<string>();
    for (const row of rows) {
      for (const k of row.metrics.keys()) metrics.add(k);
      for (const k of row.params.keys()) params.add(k);
      for (const k of row.tags.keys()) if (!k.startsWith("mlflow.")) tags.add(k);
    }
    return { metrics: [...metrics].sort(), params: [...params].sort(), tags: [...tags].sort() };
  }, [rows.map((r) => r.id).join(",")]);

  const chartsParam = route.query.get("charts");
  const specs: ChartSpec[] = chartsParam !== null ? decodeSpecs(chartsParam) : defaultSpecs(keys.metrics);
  const setSpecs = (next: ChartSpec[]) => setQuery({ charts: encodeSpecs(next) }, true);
  const move = (i: number, by: number) => {
    const next = [...specs];
    const [spec] = next.splice(i, 1);
    next.splice(Math.max(0, Math.min(next.length, i + by)), 0, spec!);
    setSpecs(next);
  };

  const groupKey = route.query.get("group") ?? "";
  const groups = useMemo((): RunGroup[] | undefined => {
    if (!groupKey) return undefined;
    const byValue = new Map<string, string[]>();
    for (const row of rows) {
      const value = valueOf(row, groupKey);
      const name = `${keyLabel(groupKey)}: ${value === undefined ? "(none)" : String(value)}`;
      byValue.set(name, [...(byValue.get(name) ?? []), row.id]);
    }
    const names = [...byValue.keys()].sort();
    return names.map((name, i) => ({ name, color: runColor(i, names.length), runIds: byValue.get(name)! }));
  }, [groupKey, rows.map((r) => r.id).join(",")]);

  // Each run's colour: its own, or its group's.
  const colorOf = new Map<string, string>();
  if (groups) for (const g of groups) for (const id of g.runIds) colorOf.set(id, g.color);
  else rows.forEach((r, i) => colorOf.set(r.id, runColor(i, rows.length)));
  const colors = rows.map((r) => colorOf.get(r.id)!);
  const chartRuns: ChartRun[] = rows.map((r) => ({ id: r.id, name: r.name, startTime: r.run.info.start_time, color: colorOf.get(r.id) }));

  const latestBars = (metric: string) => {
    if (groups) {
      return groups
        .map((g) => {
          const values = g.runIds.map((id) => rows.find((r) => r.id === id)?.metrics.get(metric)).filter((v): v is number | string => v !== undefined);
          const nums = values.map((v) => (typeof v === "number" ? v : toNumber(v)));
          return { name: g.name, color: g.color, value: nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : Number.NaN };
        })
        .filter((b) => Number.isFinite(b.value));
    }
    return rows.flatMap((r, i) => {
      const v = r.metrics.get(metric);
      return v === undefined ? [] : [{ name: r.name, color: colors[i]!, value: typeof v === "number" ? v : toNumber(v) }];
    });
  };

  return (
    <div class="chart-view" data-testid="chart-view">
      <div class="toolbar chart-view-bar">
        <label>
          Group by{" "}
          <select value={groupKey} aria-label="Group by" onChange={(e) => setQuery({ group: (e.target as HTMLSelectElement).value || undefined }, true)}>
            <option value="">none</option>
            {keys.params.map((k) => (
              <option key={"p:" + k} value={"p:" + k}>
                param {k}
              </option>
            ))}
            {keys.tags.map((k) => (
              <option key={"t:" + k} value={"t:" + k}>
                tag {k}
              </option>
            ))}
          </select>
        </label>
        <AddChart keys={keys} onAdd={(spec) => setSpecs([...specs, spec])} />
        {props.rows.length > rows.length && (
          <span class="muted small">
            Charts show the first {rows.length} of {props.rows.length} runs.
          </span>
        )}
      </div>
      <ChartControls settings={settings} onChange={setSettings} />
      {groups && <ChartLegend items={groups.map((g) => ({ name: `${g.name} (${g.runIds.length})`, color: g.color }))} />}
      {specs.length === 0 && <p class="muted">No charts. Add one above.</p>}
      <div class="charts">
        {specs.map((spec, i) => {
          const id = encodeSpec(spec);
          // Keyed by the chart, not its place, so moving a chart does not fetch its data again.
          const copy = specs.slice(0, i).filter((s) => encodeSpec(s) === id).length;
          return (
            <div key={`${id}#${copy}`} class="chart-cell" data-chart={id}>
              <div class="chart-actions">
                <button class="link" aria-label="Move left" title="Move left" disabled={i === 0} onClick={() => move(i, -1)}>
                  ←
                </button>
                <button class="link" aria-label="Move right" title="Move right" disabled={i === specs.length - 1} onClick={() => move(i, 1)}>
                  →
                </button>
                <button class="link danger" aria-label="Remove chart" title="Remove" onClick={() => setSpecs(specs.filter((_, j) => j !== i))}>
                  ×
                </button>
              </div>
              {spec.kind === "line" ? (
                <MetricChart metricKey={spec.metric} runs={chartRuns} settings={settings} groups={groups} />
              ) : (
                <div class="chart">
                  <div class="chart-title">{specTitle(spec)}</div>
                  {spec.kind === "bar" && <BarChart bars={latestBars(spec.metric)} />}
                  {spec.kind === "scatter" && <ScatterPlot rows={rows} colors={colors} x={spec.x} y={spec.y} />}
                  {spec.kind === "parallel" && (
                    <div class="scroll-x">
                      <ParallelCoordinates rows={rows} colors={colors} keys={spec.keys} />
                    </div>
                  )}
                </div>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** The form that adds a chart: its kind and the keys it draws. */
function AddChart(props: { keys: { metrics: string[]; params: string[]; tags: string[] }; onAdd: (spec: ChartSpec) => void }) {
  const { keys } = props;
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<ChartSpec["kind"]>("line");
  const axisKeys = [...keys.params.map((k) => "p:" + k), ...keys.metrics.map((k) => "m:" + k), ...keys.tags.map((k) => "t:" + k)];
  const [metric, setMetric] = useState("");
  const [x, setX] = useState("");
  const [y, setY] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  if (!open) return <button onClick={() => setOpen(true)}>Add chart</button>;
  const option = (k: string) => (
    <option key={k} value={k}>
      {keyKind(k)} {keyLabel(k)}
    </option>
  );
  const add = () => {
    const m = metric || keys.metrics[0];
    if ((kind === "line" || kind === "bar") && m) props.onAdd({ kind, metric: m });
    else if (kind === "scatter") props.onAdd({ kind, x: x || axisKeys[0] || "", y: y || "m:" + (keys.metrics[0] ?? "") });
    else if (kind === "parallel") props.onAdd({ kind, keys: picked.length ? picked : [...keys.params.slice(0, 5).map((k) => "p:" + k), ...keys.metrics.slice(0, 2).map((k) => "m:" + k)] });
    setOpen(false);
  };
  return (
    <span class="add-chart" role="group" aria-label="Add chart">
      <select aria-label="Chart type" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as ChartSpec["kind"])}>
        <option value="line">Metric history</option>
        <option value="bar">Latest value (bars)</option>
        <option value="scatter">Scatter</option>
        <option value="parallel">Parallel coordinates</option>
      </select>
      {(kind === "line" || kind === "bar") && (
        <select aria-label="Metric" value={metric} onChange={(e) => setMetric((e.target as HTMLSelectElement).value)}>
          {keys.metrics.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      )}
      {kind === "scatter" && (
        <>
          <select aria-label="Scatter X" value={x} onChange={(e) => setX((e.target as HTMLSelectElement).value)}>
            {axisKeys.map(option)}
          </select>
          <select aria-label="Scatter Y" value={y || "m:" + (keys.metrics[0] ?? "")} onChange={(e) => setY((e.target as HTMLSelectElement).value)}>
            {axisKeys.map(option)}
          </select>
        </>
      )}
      {kind === "parallel" && (
        <select multiple aria-label="Axes" size={4} onChange={(e) => setPicked([...(e.target as HTMLSelectElement).selectedOptions].map((o) => o.value))}>
          {axisKeys.map(option)}
        </select>
      )}
      <button onClick={add}>Add</button>
      <button class="link" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </span>
  );
}
