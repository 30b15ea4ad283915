/**
 * Parallel coordinates over params and metrics: one vertical axis per key, one line per run
 * through its values (numeric axes scaled to their range, others in their values' order), in the
 * run's (or its group's) colour. A run without a value for an axis breaks its line there.
 */

import { keyKind, keyLabel, scaleOf, valueOf, type ValueKey } from "./chart-axis.ts";
import type { Row } from "./runs.tsx";

const height = 320;
const pad = { top: 34, bottom: 16, side: 60 };

export function ParallelCoordinates(props: { rows: Row[]; colors: string[]; keys: ValueKey[] }) {
  const { rows, colors, keys } = props;
  const width = Math.max(400, keys.length * 140);
  const scales = keys.map((k) => scaleOf(rows.map((r) => valueOf(r, k))));
  const ax = (i: number) => (keys.length > 1 ? pad.side + (i * (width - 2 * pad.side)) / (keys.length - 1) : width / 2);
  const ay = (p: number) => height - pad.bottom - p * (height - pad.top - pad.bottom);
  const lines = rows.map((row, r) => {
    // Segments between consecutive axes where the run has both values.
    let d = "";
    let open = false;
    keys.forEach((k, i) => {
      const p = scales[i]!.position(valueOf(row, k));
      if (p === undefined) {
        open = false;
        return;
      }
      d += `${open ? "L" : "M"}${ax(i).toFixed(1)},${ay(p).toFixed(1)}`;
      open = true;
    });
    return { row, d, color: colors[r]! };
  });
  return (
    <svg class="parallel" viewBox={`0 0 ${width} ${height}`} data-lines={String(lines.filter((l) => l.d).length)} role="img" aria-label="Parallel coordinates">
      {lines.map(
        (l) =>
          l.d && (
            <path key={l.row.id} class="pc-line" data-run-id={l.row.id} d={l.d} stroke={l.color}>
              <title>{l.row.name}</title>
            </path>
          ),
      )}
      {keys.map((k, i) => (
        <g key={k} class="pc-axis">
          <line x1={ax(i)} x2={ax(i)} y1={pad.top} y2={height - pad.bottom} />
          <text class="axis-label" x={ax(i)} y={12} text-anchor="middle">
            {keyLabel(k).length > 18 ? keyLabel(k).slice(0, 17) + "…" : keyLabel(k)}
          </text>
          <text class="tick" x={ax(i)} y={25} text-anchor="middle">
            {keyKind(k)}
          </text>
          {scales[i]!.ticks.map((t) => (
            <text key={t.label} class="tick" x={ax(i) + 4} y={ay(t.at) + 4}>
              {t.label}
            </text>
          ))}
        </g>
      ))}
    </svg>
  );
}
