/**
 * One uPlot chart per metric key: step, wall time or relative time on x, EMA smoothing, log
 * scale, drag to zoom (double-click resets), hover values in the legend; several runs overlaid.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { canFetchStepRange, fetchHistories, maxChartPoints, type History } from "./history.ts";

export type XAxis = "step" | "wall" | "relative";

export interface ChartSettings {
  x: XAxis;
  smoothing: number;
  log: boolean;
}

export interface ChartRun {
  id: string;
  name: string;
  startTime?: number;
}

export const palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#4f46e5", "#ea580c"];

const settingsKey = "fml.chartSettings";

export function loadChartSettings(): ChartSettings {
  try {
    return { x: "step", smoothing: 0, log: false, ...JSON.parse(localStorage.getItem(settingsKey) ?? "{}") };
  } catch {
    return { x: "step", smoothing: 0, log: false };
  }
}

export function ChartControls(props: { settings: ChartSettings; onChange: (s: ChartSettings) => void }) {
  const { settings, onChange } = props;
  const set = (change: Partial<ChartSettings>) => {
    const next = { ...settings, ...change };
    localStorage.setItem(settingsKey, JSON.stringify(next));
    onChange(next);
  };
  return (
    <div class="chart-controls">
      <label>
        X axis{" "}
        <select value={settings.x} onChange={(e) => set({ x: (e.target as HTMLSelectElement).value as XAxis })}>
          <option value="step">Step</option>
          <option value="wall">Wall time</option>
          <option value="relative">Relative time</option>
        </select>
      </label>
      <label>
        Smoothing{" "}
        <input
          type="range"
          min="0"
          max="0.99"
          step="0.01"
          value={settings.smoothing}
          onInput={(e) => set({ smoothing: Number((e.target as HTMLInputElement).value) })}
        />{" "}
        {settings.smoothing.toFixed(2)}
      </label>
      <label>
        <input type="checkbox" checked={settings.log} onChange={(e) => set({ log: (e.target as HTMLInputElement).checked })} /> Log
        scale
      </label>
      <span class="muted">Drag to zoom, double-click to reset.</span>
    </div>
  );
}

/** TensorBoard-style debiased exponential moving average. */
function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    count++;
    return last / (1 - Math.pow(weight, count));
  });
}

function xOf(settings: ChartSettings, run: ChartRun, p: { step: number; timestamp: number }, first: number): number {
  if (settings.x === "step") return p.step;
  if (settings.x === "wall") return p.timestamp / 1000;
  return (p.timestamp - (run.startTime ?? first)) / 1000;
}

function buildData(runs: ChartRun[], histories: Map<string, History>, settings: ChartSettings): uPlot.AlignedData {
  const tables: uPlot.AlignedData[] = [];
  for (const run of runs) {
    const points = histories.get(run.id)?.points ?? [];
    const first = points.length ? Math.min(...points.slice(0, 1000).map((p) => p.timestamp)) : 0;
    const pairs = points.map((p) => [xOf(settings, run, p, first), p.value] as const).sort((a, b) => a[0] - b[0]);
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    for (const [x, y] of pairs) {
      if (xs.length && xs[xs.length - 1] === x) {
        ys[ys.length - 1] = y; // one value per x: the later point wins
        continue;
      }
      xs.push(x);
      ys.push(settings.log && !(y > 0) ? null : Number.isFinite(y) ? y : null);
    }
    tables.push([xs, smooth(ys, settings.smoothing)] as uPlot.AlignedData);
  }
  if (tables.length === 1) return tables[0]!;
  if (tables.length === 0) return [[]];
  return uPlot.join(tables as uPlot.AlignedData[]);
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

export function MetricChart(props: { metricKey: string; runs: ChartRun[]; settings: ChartSettings; refresh?: number; height?: number }) {
  const { metricKey, runs, settings, refresh = 0, height = 220 } = props;
  const box = useRef<HTMLDivElement>(null);
  const [histories, setHistories] = useState<Map<string, History>>();
  const [error, setError] = useState<string>();
  const runKey = runs.map((r) => r.id).join(",");

  useEffect(() => {
    let cancelled = false;
    if (!refresh) setHistories(undefined);
    fetchHistories(
      runs.map((r) => r.id),
      metricKey,
    )
      .then((h) => !cancelled && (setHistories(h), setError(undefined)))
      .catch((e: Error) => !cancelled && setError(e.message));
    return () => {
      cancelled = true;
    };
  }, [metricKey, runKey, refresh]);

  const total = histories ? [...histories.values()].reduce((n, h) => n + h.points.length, 0) : 0;
  const truncated = histories ? [...histories.values()].some((h) => h.truncated) : false;

  useEffect(() => {
    const el = box.current;
    if (!el || !histories) return;
    const data = buildData(runs, histories, settings);
    const axis = { stroke: cssVar("--fg-muted"), grid: { stroke: cssVar("--grid"), width: 1 }, ticks: { stroke: cssVar("--grid") } };
    const time = settings.x === "wall";
    // Zooming into steps of a sampled history fetches that step range again at full detail;
    // double-click goes back to the whole history.
    const sampled = [...histories.values()].some((h) => h.points.length >= maxChartPoints * 0.9);
    let detailTimer: ReturnType<typeof setTimeout> | undefined;
    let zoomed = false;
    const zoomHook = (u: uPlot, scaleKey: string) => {
      if (scaleKey !== "x" || settings.x !== "step" || !sampled || !canFetchStepRange() || zoomed) return;
      const { min, max } = u.scales.x!;
      const xs = data[0];
      if (min === undefined || max === undefined || !xs.length || (min <= xs[0]! && max >= xs[xs.length - 1]!)) return;
      zoomed = true;
      clearTimeout(detailTimer);
      detailTimer = setTimeout(() => {
        const ids = runs.map((r) => r.id);
        fetchHistories(ids, metricKey, { start: Math.max(0, Math.floor(min)), end: Math.ceil(max) })
          .then((detail) => {
            u.setData(buildData(runs, detail, settings), false);
            u.setScale("x", { min, max });
            const count = [...detail.values()].reduce((n, h) => n + h.points.length, 0);
            el.parentElement?.setAttribute("data-zoom-points", String(count));
          })
          .catch(() => {})
          .finally(() => (zoomed = false));
      }, 150);
    };
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height,
        scales: { x: { time }, y: settings.log ? { distr: 3 } : {} },
        axes: [
          { ...axis, values: settings.x === "relative" ? (_u, ticks) => ticks.map((t) => `${+t.toPrecision(4)}s`) : undefined },
          { ...axis, size: 60 },
        ],
        legend: { live: true },
        // uPlot's own double-click reset would only reset to the zoomed detail; ours restores the whole history.
        // uPlot's own double-click would reset to the zoomed detail; ours restores the whole history.
        cursor: { drag: { x: true, y: false }, bind: { dblclick: () => () => null } },
        hooks: { setScale: [zoomHook] },
        series: [
          { label: settings.x === "step" ? "step" : settings.x === "wall" ? "time" : "seconds" },
          ...runs.map((run, i) => ({
            label: run.name,
            stroke: palette[i % palette.length],
            width: 1.5,
            spanGaps: true,
            points: { show: (histories.get(run.id)?.points.length ?? 0) < 2 ? true : undefined },
          })),
        ],
      },
      data,
      el,
    );
    plot.over.addEventListener("dblclick", () => {
      clearTimeout(detailTimer);
      zoomed = true;
      plot.setData(data, true);
      el.parentElement?.removeAttribute("data-zoom-points");
      zoomed = false;
    });
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      clearTimeout(detailTimer);
      observer.disconnect();
      plot.destroy();
    };
  }, [histories, settings.x, settings.smoothing, settings.log, height]);

  return (
    <div class="chart" data-metric={metricKey} data-points={histories ? String(total) : undefined}>
      <div class="chart-title">
        {metricKey}
        {truncated && <span class="muted"> (first 100,000 points, sampled)</span>}
      </div>
      {error && <div class="error">Cannot load history: {error}</div>}
      {!histories && !error && <div class="muted chart-loading">Loading…</div>}
      {histories && total === 0 && <div class="muted">No points logged.</div>}
      <div ref={box} />
    </div>
  );
}

/** A scatter plot (points only) of pairs such as a param against a metric. */
export function ScatterChart(props: { points: { x: number; y: number; label: string }[]; xLabel: string; yLabel: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const sorted = [...props.points].sort((a, b) => a.x - b.x);
    const axis = { stroke: cssVar("--fg-muted"), grid: { stroke: cssVar("--grid"), width: 1 }, ticks: { stroke: cssVar("--grid") } };
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: 300,
        scales: { x: { time: false } },
        axes: [{ ...axis, label: props.xLabel }, { ...axis, label: props.yLabel, size: 60 }],
        cursor: { drag: { x: true, y: true } },
        series: [{ label: props.xLabel }, { label: props.yLabel, stroke: palette[0], paths: () => null, points: { show: true, size: 8, fill: palette[0] } }],
      },
      [sorted.map((p) => p.x), sorted.map((p) => p.y)],
      el,
    );
    return () => plot.destroy();
  }, [props.points, props.xLabel, props.yLabel]);
  return <div class="chart" data-points={String(props.points.length)} ref={box} />;
}
