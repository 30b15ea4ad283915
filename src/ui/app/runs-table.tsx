/**
 * The runs table itself: virtual scrolling over every loaded run (only the rows in view are in
 * the DOM), headers that sort from the mouse and the keyboard, pinned columns that stay in view
 * when scrolling right (the run name always), columns resized by dragging a header's edge, and
 * the scroll position kept per search, so the back button from a run returns to the same place.
 */

import { useEffect, useRef } from "preact/hooks";
import { useViewport } from "./common.tsx";
import { renderCell, nameColumn, type Column, type Row } from "./runs-columns.ts";
import { href } from "./router.ts";

export interface DisplayRow {
  row: Row;
  depth: number;
  childCount: number;
}

export interface RunsTableProps {
  display: DisplayRow[];
  /** The columns after the name, pinned ones first. */
  columns: Column[];
  pinned: Set<string>;
  widths: Record<string, number>;
  sort: { id: string; dir: "asc" | "desc" };
  onSort: (id: string) => void;
  onPin: (id: string) => void;
  onResize: (id: string, width: number | undefined) => void;
  selected: Set<string>;
  onSelect: (ids: Set<string>) => void;
  collapsed: Set<string>;
  onCollapse: (id: string) => void;
  /** Identifies the search shown: the scroll position is remembered per key. */
  scrollKey: string;
  loaded: boolean;
}

export const rowHeight = 30;
const checkboxWidth = 36;
const minWidth = 48;

/** Scroll positions by search, kept while the page is away (a visit to a run). */
const scrollMemory = new Map<string, { top: number; left: number }>();

const kindLabel = { m: "metric", p: "param", t: "tag" } as const;

export function RunsTable(props: RunsTableProps) {
  const { display, columns, pinned, sort } = props;
  const { scroller, viewport } = useViewport(800);
  const restored = useRef<string | undefined>(undefined);

  // Remember the position of this search as the user scrolls, once any earlier one is restored.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const remember = () => restored.current === props.scrollKey && scrollMemory.set(props.scrollKey, { top: el.scrollTop, left: el.scrollLeft });
    el.addEventListener("scroll", remember, { passive: true });
    return () => el.removeEventListener("scroll", remember);
  }, [scroller.current, props.scrollKey]);
  // Restore it as soon as enough rows are there to scroll to it.
  useEffect(() => {
    const el = scroller.current;
    if (!el || restored.current === props.scrollKey) return;
    const saved = scrollMemory.get(props.scrollKey);
    if (!saved) {
      el.scrollTop = 0;
      restored.current = props.scrollKey;
      return;
    }
    if (props.loaded || (display.length + 1) * rowHeight >= saved.top + el.clientHeight) {
      el.scrollTop = saved.top;
      el.scrollLeft = saved.left;
      restored.current = props.scrollKey;
    }
  });

  const widthOf = (c: Column) => props.widths[c.id] ?? c.width;
  const all = [nameColumn, ...columns];
  const offsets = new Map<string, number>();
  let left = checkboxWidth;
  for (const c of all) {
    if (c !== nameColumn && !pinned.has(c.id)) break;
    offsets.set(c.id, left);
    left += widthOf(c);
  }
  const template = `${checkboxWidth}px ${all.map((c) => widthOf(c) + "px").join(" ")}`;
  const width = checkboxWidth + all.reduce((n, c) => n + widthOf(c), 0);
  const stick = (id: string) => (offsets.has(id) ? { left: `${offsets.get(id)}px` } : undefined);
  const lastPinned = [...offsets.keys()].pop();
  const cellClass = (c: Column) => (offsets.has(c.id) ? "pin" : "") + (c.id === lastPinned ? " pin-last" : "");

  const first = Math.max(0, Math.floor(viewport.top / rowHeight) - 5);
  const last = Math.min(display.length, Math.ceil((viewport.top + viewport.height) / rowHeight) + 5);

  const startResize = (e: PointerEvent, c: Column) => {
    e.preventDefault();
    e.stopPropagation();
    const handle = e.currentTarget as HTMLElement;
    handle.setPointerCapture(e.pointerId);
    const x0 = e.clientX;
    const w0 = widthOf(c);
    const move = (m: PointerEvent) => props.onResize(c.id, Math.max(minWidth, Math.round(w0 + m.clientX - x0)));
    const up = () => {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", up);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", up);
  };

  const header = (c: Column) => {
    const sorted = sort.id === c.id;
    const title = c.kind ? `${kindLabel[c.kind]} ${c.label}` : c.label;
    return (
      <div
        key={c.id}
        role="columnheader"
        aria-sort={sorted ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}
        class={`th ${cellClass(c)} ${c.kind === "m" ? "num" : ""}`}
        style={stick(c.id)}
        data-column={c.id}
      >
        <button class="th-sort" title={`${title}: sort`} onClick={() => props.onSort(c.id)}>
          {c.kind && <span class="kind">{c.kind} </span>}
          <span class="th-label">{c.label}</span>
          <span class="th-arrow" aria-hidden="true">
            {sorted ? (sort.dir === "asc" ? "▲" : "▼") : ""}
          </span>
        </button>
        {c !== nameColumn && (
          <button class={"th-pin" + (pinned.has(c.id) ? " on" : "")} aria-pressed={pinned.has(c.id)} aria-label={`Pin ${title}`} title={pinned.has(c.id) ? "Unpin" : "Pin: keep in view when scrolling right"} onClick={() => props.onPin(c.id)}>
            <svg viewBox="0 0 16 16" aria-hidden="true">
              <path d="M6 2h4l-1 4 3 3H4l3-3zM8 9v5" />
            </svg>
          </button>
        )}
        <div
          class="th-resize"
          role="separator"
          aria-orientation="vertical"
          aria-label={`Resize ${title}`}
          title="Drag to resize, double-click to reset"
          onPointerDown={(e) => startResize(e, c)}
          onDblClick={() => props.onResize(c.id, undefined)}
        />
      </div>
    );
  };

  return (
    <div class="vtable runs-table" ref={scroller} role="table" aria-rowcount={display.length + 1}>
      <div style={{ width: `${width}px`, height: `${rowHeight * (display.length + 1)}px`, position: "relative" }}>
        <div class="vrow vhead" role="row" style={{ gridTemplateColumns: template, width: `${width}px` }}>
          <div class="pin" style={{ left: 0 }}>
            <input
              type="checkbox"
              aria-label="Select all"
              checked={props.selected.size > 0 && props.selected.size === display.length}
              onChange={(e) => props.onSelect((e.target as HTMLInputElement).checked ? new Set(display.map((d) => d.row.id)) : new Set())}
            />
          </div>
          {all.map(header)}
        </div>
        {display.slice(first, last).map(({ row, depth, childCount }, i) => (
          <div
            key={(first + i) % 256}
            role="row"
            class={"vrow run-row" + (props.selected.has(row.id) ? " selected" : "") + (row.run.info.lifecycle_stage === "deleted" ? " deleted" : "")}
            data-run-id={row.id}
            style={{ gridTemplateColumns: template, width: `${width}px`, transform: `translateY(${(first + i + 1) * rowHeight}px)` }}
          >
            <div class="pin" style={{ left: 0 }}>
              <input
                type="checkbox"
                aria-label={`Select ${row.name}`}
                checked={props.selected.has(row.id)}
                onChange={() => {
                  const next = new Set(props.selected);
                  if (next.has(row.id)) next.delete(row.id);
                  else next.add(row.id);
                  props.onSelect(next);
                }}
              />
            </div>
            <div class={"ellipsis run-name " + cellClass(nameColumn)} style={{ ...stick("name"), paddingLeft: `${depth * 18 + 4}px` }}>
              {childCount > 0 && (
                <button class="twisty" aria-label={props.collapsed.has(row.id) ? "Expand" : "Collapse"} onClick={() => props.onCollapse(row.id)}>
                  {props.collapsed.has(row.id) ? "▸" : "▾"}
                </button>
              )}
              <a href={href(`/runs/${row.id}`)} title={row.name}>
                {row.name}
              </a>
              {childCount > 0 && <span class="muted small"> ({childCount})</span>}
            </div>
            {columns.map((c) => {
              const text = renderCell(c, row);
              return (
                <div key={c.id} class={`${c.kind === "m" ? "num " : ""}${c.id === "status" ? `status ${text} ` : "ellipsis "}${cellClass(c)}`} style={stick(c.id)} title={text} data-column={c.id}>
                  {text}
                </div>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}
