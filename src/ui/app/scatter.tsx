/**
 * A scatter plot of runs: one dot per run at a param, metric or tag against another, in the
 * run's (or its group's) colour; hovering a dot names the run and its values.
 */

import { keyLabel, scaleOf, valueOf, type ValueKey } from "./chart-axis.ts";
import { formatValue } from "./format.ts";
import type { Row } from "./runs.tsx";

const width = 600;
const height = 300;
const pad = { left: 64, right: 16, top: 12, bottom: 40 };

export function ScatterPlot(props: { rows: Row[]; colors: string[]; x: ValueKey; y: ValueKey }) {
  const { rows, colors, x, y } = props;
  const xs = rows.map((r) => valueOf(r, x));
  const ys = rows.map((r) => valueOf(r, y));
  const sx = scaleOf(xs);
  const sy = scaleOf(ys);
  const px = (p: number) => pad.left + p * (width - pad.left - pad.right);
  const py = (p: number) => height - pad.bottom - p * (height - pad.top - pad.bottom);
  const dots = rows
    .map((row, i) => ({ row, color: colors[i]!, a: sx.position(xs[i]), b: sy.position(ys[i]), i }))
    .filter((d) => d.a !== undefined && d.b !== undefined);
  return (
    <svg class="scatter" viewBox={`0 0 ${width} ${height}`} data-dots={String(dots.length)} role="img" aria-label={`${keyLabel(y)} against ${keyLabel(x)}`}>
      {sx.ticks.map((t) => (
        <g key={"x" + t.label}>
          <line class="grid-line" x1={px(t.at)} x2={px(t.at)} y1={pad.top} y2={height - pad.bottom} />
          <text class="tick" x={px(t.at)} y={height - pad.bottom + 14} text-anchor="middle">
            {t.label}
          </text>
        </g>
      ))}
      {sy.ticks.map((t) => (
        <g key={"y" + t.label}>
          <line class="grid-line" x1={pad.left} x2={width - pad.right} y1={py(t.at)} y2={py(t.at)} />
          <text class="tick" x={pad.left - 6} y={py(t.at) + 4} text-anchor="end">
            {t.label}
          </text>
        </g>
      ))}
      <text class="axis-label" x={(pad.left + width - pad.right) / 2} y={height - 6} text-anchor="middle">
        {keyLabel(x)}
      </text>
      <text class="axis-label" x={12} y={(pad.top + height - pad.bottom) / 2} text-anchor="middle" transform={`rotate(-90 12 ${(pad.top + height - pad.bottom) / 2})`}>
        {keyLabel(y)}
      </text>
      {dots.map((d) => (
        <circle key={d.row.id} class="dot" data-run-id={d.row.id} cx={px(d.a!)} cy={py(d.b!)} r={5} fill={d.color}>
          <title>{`${d.row.name}\n${keyLabel(x)}: ${formatValue(xs[d.i])}\n${keyLabel(y)}: ${formatValue(ys[d.i])}`}</title>
        </circle>
      ))}
    </svg>
  );
}
