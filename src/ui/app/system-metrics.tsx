/**
 * The run page's System metrics tab: the `system/…` metrics MLflow's system metrics monitor
 * logs (CPU, memory, GPU, disk, network), one chart each over wall-clock time since the run's
 * start, grouped by what they measure.
 */

import type { Metric } from "./api.ts";
import { MetricChart, type ChartRun, type ChartSettings } from "./chart.tsx";

export const isSystemMetric = (key: string) => key.startsWith("system/");

/** The part after `system/` up to the first `_` or `/`: cpu, gpu, disk, network, … */
function family(key: string): string {
  return key.slice("system/".length).split(/[_/]/)[0] ?? "";
}

export function SystemMetrics(props: { metrics: Metric[]; run: ChartRun; settings: ChartSettings; refresh: number }) {
  const keys = props.metrics.map((m) => m.key).filter(isSystemMetric).sort((a, b) => family(a).localeCompare(family(b)) || a.localeCompare(b));
  if (!keys.length) {
    return (
      <p class="muted">
        No system metrics logged. Start the run with <code>mlflow.start_run(log_system_metrics=True)</code> (needs <code>psutil</code>).
      </p>
    );
  }
  // Relative time reads best for machine load; step is the monitor's sample count.
  const settings: ChartSettings = { ...props.settings, x: props.settings.x === "step" ? "relative" : props.settings.x };
  return (
    <div class="charts system-metrics" data-testid="system-metrics">
      {keys.map((key) => (
        <MetricChart key={key} metricKey={key} runs={[props.run]} settings={settings} refresh={props.refresh} />
      ))}
    </div>
  );
}
