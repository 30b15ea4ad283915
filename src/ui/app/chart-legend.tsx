/**
 * Run colours and a chart's compact legend. Ten colours suffice for a few runs; more runs get
 * hues spread by the golden angle at alternating lightness, so 100 runs stay distinct (as in
 * MLflow). The legend lists a few names on at most two lines; hovering the chart shows a
 * tooltip with the values at the cursor, nearest first, so a chart of 100 runs stays its size.
 */

import type uPlot from "uplot";
import { formatValue } from "./format.ts";

export const palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#4f46e5", "#ea580c"];

/** The colour of the `index`-th of `count` runs: distinct for every index. */
export function runColor(index: number, count: number): string {
  if (count <= palette.length) return palette[index]!;
  const hue = (index * 137.508) % 360;
  const lightness = [42, 56, 34][index % 3];
  const saturation = [70, 85, 60][Math.floor(index / 3) % 3];
  return `hsl(${hue.toFixed(1)}, ${saturation}%, ${lightness}%)`;
}

export function runColors(count: number): string[] {
  return Array.from({ length: count }, (_, i) => runColor(i, count));
}

export interface LegendItem {
  name: string;
  color: string;
}

/** The names of a chart's series, at most two lines of them, with the count of the rest. */
export function ChartLegend(props: { items: LegendItem[] }) {
  const { items } = props;
  const shown = items.length <= 8 ? items : items.slice(0, 6);
  return (
    <div class="chart-legend" data-series={String(items.length)}>
      <div class="legend-names">
        {shown.map((item, i) => (
          <span key={i} class="legend-item" title={item.name}>
            <span class="swatch" style={{ background: item.color }} />
            {item.name}
          </span>
        ))}
      </div>
      {shown.length < items.length && <div class="muted legend-more">+{items.length - shown.length} more (hover the chart for values)</div>}
    </div>
  );
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Most series a tooltip lists, nearest to the cursor first. */
const tooltipRows = 12;

/**
 * A tooltip inside the chart's plot area, redrawn as the cursor moves: the x value and the
 * values of the series nearest the cursor.
 */
export function tooltipPlugin(items: LegendItem[], formatX: (x: number) => string): uPlot.Plugin {
  let tip: HTMLDivElement;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement("div");
        tip.className = "chart-tooltip";
        tip.style.display = "none";
        u.over.appendChild(tip);
        u.over.addEventListener("mouseleave", () => (tip.style.display = "none"));
      },
      setCursor: (u) => {
        const { idx, left, top } = u.cursor;
        if (idx === null || idx === undefined || left === undefined || left < 0 || top === undefined) {
          tip.style.display = "none";
          return;
        }
        const cursorValue = u.posToVal(top, "y");
        const rows: { i: number; value: number }[] = [];
        for (let s = 1; s < u.data.length; s++) {
          const value = u.data[s]![idx];
          if (value !== null && value !== undefined) rows.push({ i: s - 1, value });
        }
        if (!rows.length) {
          tip.style.display = "none";
          return;
        }
        rows.sort((a, b) => Math.abs(a.value - cursorValue) - Math.abs(b.value - cursorValue));
        const lines = rows
          .slice(0, tooltipRows)
          .map((r) => `<div><span class="swatch" style="background:${items[r.i]!.color}"></span>${escape(items[r.i]!.name)} <b>${escape(formatValue(r.value))}</b></div>`);
        if (rows.length > tooltipRows) lines.push(`<div class="muted">+${rows.length - tooltipRows} more</div>`);
        tip.innerHTML = `<div class="muted">${escape(formatX(u.data[0][idx]!))}</div>${lines.join("")}`;
        tip.style.display = "block";
        const width = u.over.clientWidth;
        tip.style.left = left > width / 2 ? "" : `${left + 12}px`;
        tip.style.right = left > width / 2 ? `${width - left + 12}px` : "";
        tip.style.top = "4px";
      },
    },
  };
}
