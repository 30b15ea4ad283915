/**
 * The span tree of a trace as a windowed list: only the rows in view (plus a few) are in the
 * DOM, so a trace of 30,000 spans scrolls like one of ten. Each row has its timing bar on the
 * trace's time axis; arrow keys move the selection, left/right collapse and expand. Indentation
 * stops at 40% of the name column, so names stay readable in chains thousands of levels deep.
 */

import { useViewport } from "./common.tsx";
import { formatSpanDuration, spanType, type SpanTree } from "./span-tree.ts";

export const spanRowHeight = 26;
const overscan = 10;
const indentPx = 14;

/** A bar's duration label goes after the bar, else before it, else inside its end. */
const labelInside = (left: number, width: number) => left + width > 80 && left < 20;
function labelPosition(left: number, width: number): Record<string, string> {
  const end = left + width;
  if (end <= 80) return { left: `calc(${end}% + 4px)` };
  if (left >= 20) return { right: `calc(${100 - left}% + 4px)` };
  return { right: `calc(${Math.max(0, 100 - end)}% + 4px)` };
}

export function SpanList(props: {
  tree: SpanTree;
  rows: Int32Array;
  selected: number;
  collapsed: ReadonlySet<number>;
  onSelect: (node: number) => void;
  onToggle: (node: number) => void;
}) {
  const { tree, rows, selected, collapsed } = props;
  const { scroller, viewport } = useViewport(600);

  const first = Math.max(0, Math.floor(viewport.top / spanRowHeight) - overscan);
  const last = Math.min(rows.length, Math.ceil((viewport.top + viewport.height) / spanRowHeight) + overscan);
  const total = tree.durationMs || 1;

  const reveal = (position: number) => {
    const el = scroller.current;
    if (!el) return;
    const top = position * spanRowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + spanRowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + spanRowHeight - el.clientHeight;
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const position = rows.indexOf(selected);
    const node = tree.nodes[selected];
    let next = position;
    if (e.key === "ArrowDown") next = Math.min(rows.length - 1, position + 1);
    else if (e.key === "ArrowUp") next = Math.max(0, position - 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = rows.length - 1;
    else if ((e.key === "ArrowLeft" && node?.children.length && !collapsed.has(selected)) || (e.key === "ArrowRight" && collapsed.has(selected))) {
      e.preventDefault();
      props.onToggle(selected);
      return;
    } else return;
    e.preventDefault();
    if (next >= 0 && rows[next] !== undefined) {
      props.onSelect(rows[next]!);
      reveal(next);
    }
  };

  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const items = [];
  for (let position = first; position < last; position++) {
    const i = rows[position]!;
    const node = tree.nodes[i]!;
    const left = (node.offsetMs / total) * 100;
    const width = node.durationMs === undefined ? 100 - left : (node.durationMs / total) * 100;
    const type = spanType(node);
    const error = node.statusCode === "STATUS_CODE_ERROR" || node.statusCode === "ERROR";
    items.push(
      <div
        key={position % 512}
        class={"span-row" + (i === selected ? " selected" : "")}
        data-span-id={node.id}
        style={{ transform: `translateY(${position * spanRowHeight}px)` }}
        onClick={() => props.onSelect(i)}
      >
        <div class="span-name" style={{ paddingLeft: `min(${node.depth * indentPx + 4}px, 40%)` }} title={`${node.name} (depth ${node.depth})`}>
          {node.children.length > 0 ? (
            <button
              class="twisty"
              aria-label={collapsed.has(i) ? `Expand ${node.name}` : `Collapse ${node.name}`}
              onClick={(e) => (e.stopPropagation(), props.onToggle(i))}
            >
              {collapsed.has(i) ? "▸" : "▾"}
            </button>
          ) : (
            <span class="twisty" />
          )}
          {type && <span class={`span-type ${type}`}>{type}</span>}
          <span class={error ? "span-label error-text" : "span-label"}>{node.name}</span>
          {collapsed.has(i) && <span class="muted small"> ({node.children.length})</span>}
        </div>
        <div class="span-timeline">
          <div class={"span-bar" + (error ? " error" : "")} style={{ left: `${left}%`, width: `max(2px, ${width}%)` }} />
          <span class={"span-duration" + (labelInside(left, width) ? " inside" : "")} style={labelPosition(left, width)}>
            {formatSpanDuration(node.durationMs)}
          </span>
        </div>
      </div>,
    );
  }

  return (
    <div class="span-list">
      <div class="span-head">
        <div class="span-name">Span ({tree.nodes.length.toLocaleString()})</div>
        <div class="span-timeline">
          {ticks.map((t) => (
            <span key={t} class="tick" style={t === 1 ? { right: 0 } : { left: `${t * 100}%` }}>
              {t === 0 ? "0" : formatSpanDuration(t * tree.durationMs)}
            </span>
          ))}
        </div>
      </div>
      <div class="span-scroll" ref={scroller} tabIndex={0} onKeyDown={onKeyDown} data-testid="span-scroll">
        <div style={{ height: `${rows.length * spanRowHeight}px`, position: "relative" }}>{items}</div>
      </div>
    </div>
  );
}
