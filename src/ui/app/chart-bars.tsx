/**
 * A bar per run (or group) for a metric with one value per run, as MLflow draws it: a line chart
 * of one dot on a made-up axis says nothing. Plain HTML bars: cheap for 100 runs, and the list
 * scrolls inside a bounded height.
 */

import { formatValue } from "./format.ts";

export interface Bar {
  name: string;
  color: string;
  value: number;
}

export function BarChart(props: { bars: Bar[] }) {
  const bars = props.bars.filter((b) => Number.isFinite(b.value));
  const low = Math.min(0, ...bars.map((b) => b.value));
  const high = Math.max(0, ...bars.map((b) => b.value));
  const range = high - low || 1;
  const zero = ((0 - low) / range) * 100;
  return (
    <div class="bar-chart" data-bars={String(bars.length)}>
      {bars.map((bar, i) => {
        const size = (Math.abs(bar.value) / range) * 100;
        const left = bar.value < 0 ? zero - size : zero;
        return (
          <div key={i} class="bar-row" title={`${bar.name}: ${formatValue(bar.value)}`}>
            <span class="bar-name ellipsis">{bar.name}</span>
            <span class="bar-track">
              <span class="bar" style={{ left: `${left}%`, width: `${Math.max(size, 0.5)}%`, background: bar.color }} />
            </span>
            <span class="bar-value mono">{formatValue(bar.value)}</span>
          </div>
        );
      })}
      {bars.length === 0 && <p class="muted">No finite values.</p>}
    </div>
  );
}
