/**
 * One uPlot chart per metric key: step, wall time or relative time on x, EMA smoothing, log
 * scale, drag to zoom (the zoomed steps are fetched again at full detail; double-click resets),
 * a compact legend with hover values; several runs (or groups of runs) overlaid. A metric with a
 * single value per run is drawn as bars.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { BarChart } from "./chart-bars.tsx";
import { alignedData, chartSeries, type ChartRun, type ChartSettings, type RunGroup, type XAxis } from "./chart-data.ts";
import { ChartLegend, runColors, tooltipPlugin } from "./chart-legend.tsx";
import { formatTime, formatValue } from "./format.ts";
import { canFetchStepRange, fetchHistories, fetchStepRange, pointsPerRun, type History } from "./history.ts";

export type { ChartRun, ChartSettings, RunGroup, XAxis };
export { palette, runColor } from "./chart-legend.tsx";

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

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/** Wall-time tick labels on one line, as short as the tick spacing allows. */
function wallTicks(_u: uPlot, ticks: (number | null)[], _axis: number, _space: number, increment: number): string[] {
  return ticks.map((t) => {
    if (t === null) return "";
    const text = formatTime(t * 1000); // YYYY-MM-DD HH:MM:SS
    if (increment >= 86400) return text.slice(5, 10);
    if (increment >= 60) return text.slice(11, 16);
    return text.slice(11, 19);
  });
}

function formatX(settings: ChartSettings): (x: number) => string {
  if (settings.x === "wall") return (x) => formatTime(x * 1000);
  if (settings.x === "relative") return (x) => `${+x.toPrecision(6)} s`;
  return (x) => `step ${x}`;
}

/** The plot element with its uPlot, for the tests' look at the drawn data. */
export type PlotElement = HTMLDivElement & { uplot?: uPlot };

export function MetricChart(props: { metricKey: string; runs: ChartRun[]; settings: ChartSettings; refresh?: number; height?: number; groups?: RunGroup[] }) {
  const { metricKey, runs, settings, refresh = 0, height = 220, groups } = props;
  const box = useRef<PlotElement>(null);
  const runKey = runs.map((r) => r.id).join(",");
  const fetchKey = metricKey + "\u0000" + runKey;
  // Histories of other runs (the page's runs just changed) are never drawn, not even for a frame.
  const [loaded, setLoaded] = useState<{ key: string; histories: Map<string, History> }>();
  const histories = loaded?.key === fetchKey ? loaded.histories : undefined;
  const [error, setError] = useState<string>();
  const groupKey = groups?.map((g) => g.name + "=" + g.runIds.join(",")).join(";");

  useEffect(() => {
    let cancelled = false;
    fetchHistories(
      runs.map((r) => r.id),
      metricKey,
    )
      .then((h) => !cancelled && (setLoaded({ key: fetchKey, histories: h }), setError(undefined)))
      .catch((e: Error) => !cancelled && setError(e.message));
    return () => {
      cancelled = true;
    };
  }, [metricKey, runKey, refresh]);

  const total = histories ? [...histories.values()].reduce((n, h) => n + h.points.length, 0) : 0;
  const truncated = histories ? [...histories.values()].some((h) => h.truncated) : false;
  const colors = runs.map((r, i, all) => r.color ?? runColors(all.length)[i]!);
  const series = histories ? chartSeries(runs, histories, colors, groups) : [];
  // One value per run (a final score): bars, as MLflow draws them.
  const single = histories !== undefined && total > 0 && [...histories.values()].every((h) => h.points.length <= 1);

  useEffect(() => {
    const el = box.current;
    if (!el || !histories || single) return;
    const data = alignedData(series, settings);
    const axis = { stroke: cssVar("--fg-muted"), grid: { stroke: cssVar("--grid"), width: 1 }, ticks: { stroke: cssVar("--grid") } };
    const time = settings.x === "wall";
    // Zooming into steps of a sampled history fetches that step range again at full detail;
    // double-click goes back to the whole history.
    const perRun = pointsPerRun(runs.length);
    const sampled = [...histories.values()].some((h) => h.points.length >= perRun * 0.9);
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
        fetchStepRange(ids, metricKey, min, max, histories)
          .then((detail) => {
            u.setData(alignedData(chartSeries(runs, detail, colors, groups), settings), false);
            u.setScale("x", { min, max });
            let count = 0;
            for (const h of detail.values()) for (const p of h.points) if (p.step >= min && p.step <= max) count++;
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
          {
            ...axis,
            space: time ? 110 : 60,
            values: time ? wallTicks : settings.x === "relative" ? (_u, ticks: (number | null)[]) => ticks.map((t) => (t === null ? "" : `${+t.toPrecision(4)}s`)) : undefined,
          },
          { ...axis, size: 60, values: (_u, ticks: (number | null)[]) => ticks.map((t) => (t === null ? "" : formatValue(t))) },
        ],
        legend: { show: false },
        plugins: [tooltipPlugin(series, formatX(settings))],
        // uPlot's own double-click would reset to the zoomed detail; ours restores the whole history.
        cursor: { drag: { x: true, y: false }, bind: { dblclick: () => () => null }, points: { show: series.length <= 20 } },
        hooks: { setScale: [zoomHook] },
        series: [
          { label: settings.x === "step" ? "step" : settings.x === "wall" ? "time" : "seconds" },
          ...series.map((s) => ({
            label: s.name,
            stroke: s.color,
            width: series.length > 20 ? 1 : 1.5,
            spanGaps: true,
            points: { show: s.points.length < 2 ? true : series.length > 20 ? false : undefined },
          })),
        ],
      },
      data,
      el,
    );
    el.uplot = plot;
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
      el.uplot = undefined;
    };
  }, [histories, settings.x, settings.smoothing, settings.log, height, groupKey, single]);

  return (
    <div class="chart" data-metric={metricKey} data-points={histories ? String(total) : undefined} data-kind={histories ? (single ? "bar" : "line") : undefined}>
      <div class="chart-title">
        {metricKey}
        {truncated && <span class="muted"> (first 100,000 points, sampled)</span>}
      </div>
      {error && <div class="error">Cannot load history: {error}</div>}
      {!histories && !error && <div class="muted chart-loading">Loading…</div>}
      {histories && total === 0 && <div class="muted">No points logged.</div>}
      {single ? (
        <BarChart bars={series.filter((s) => s.points.length).map((s) => ({ name: s.name, color: s.color, value: s.points[0]!.value }))} />
      ) : (
        <>
          <div ref={box} class="plot" />
          {histories && total > 0 && <ChartLegend items={series} />}
        </>
      )}
    </div>
  );
}
