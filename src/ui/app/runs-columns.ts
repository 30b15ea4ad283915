/**
 * The runs table's rows and columns: a run flattened into maps for display, the fixed columns
 * (status, start time, ...) and the metric, param and tag columns the user picks, each with its
 * MLflow order_by identifier, and widths wide enough that a header and its sort arrow fit.
 */

import type { Run } from "./api.ts";
import { formatDuration, formatTime, formatValue, runDuration } from "./format.ts";

export interface Row {
  run: Run;
  id: string;
  name: string;
  metrics: Map<string, number | string>;
  params: Map<string, string>;
  tags: Map<string, string>;
  parentId?: string;
}

export function toRow(run: Run): Row {
  const tags = new Map((run.data.tags ?? []).map((t) => [t.key, t.value] as const));
  return {
    run,
    id: run.info.run_id,
    name: run.info.run_name ?? tags.get("mlflow.runName") ?? run.info.run_id,
    metrics: new Map((run.data.metrics ?? []).map((m) => [m.key, m.value] as const)),
    params: new Map((run.data.params ?? []).map((p) => [p.key, p.value] as const)),
    tags,
    parentId: tags.get("mlflow.parentRunId"),
  };
}

export interface Column {
  id: string;
  label: string;
  /** "m", "p" or "t" for picked metric, param and tag columns. */
  kind?: "m" | "p" | "t";
  /** Width before the user resizes it. */
  width: number;
  /** The search-runs order_by identifier; absent: sorted here, over the loaded runs. */
  orderBy?: string;
  value(row: Row): string | number | undefined;
}

let measure: CanvasRenderingContext2D | null | undefined;

/**
 * A width that fits a header's label with its kind prefix, sort arrow, pin button and padding
 * (headers were cut to "Durati…" once the arrow showed), at most 360 px: longer keys end in an
 * ellipsis with the full key in the title.
 */
export function headerWidth(label: string, least: number): number {
  if (measure === undefined) measure = typeof document === "undefined" ? null : document.createElement("canvas").getContext("2d");
  let text = label.length * 7.5;
  if (measure) {
    measure.font = "600 12.5px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    text = measure.measureText(label).width;
  }
  // 16 padding, 12 kind prefix, 14 sort arrow, 20 pin button, 6 resize handle
  return Math.max(least, Math.min(360, Math.ceil(text) + 68));
}

/** The run name column: always first after the checkbox, always pinned. */
export const nameColumn: Column = { id: "name", label: "Run name", width: 240, orderBy: "attributes.run_name", value: (r) => r.name };

const quote = (key: string) => "`" + key.replaceAll("`", "") + "`";

export const fixedColumns: Column[] = [
  { id: "status", label: "Status", width: headerWidth("Status", 90), orderBy: "attributes.status", value: (r) => r.run.info.status },
  { id: "start", label: "Start time", width: headerWidth("Start time", 165), orderBy: "attributes.start_time", value: (r) => r.run.info.start_time },
  { id: "duration", label: "Duration", width: headerWidth("Duration", 90), value: (r) => runDuration(r.run.info) },
  { id: "user", label: "User", width: headerWidth("User", 100), orderBy: "attributes.user_id", value: (r) => r.run.info.user_id || r.tags.get("mlflow.user") },
  { id: "source", label: "Source", width: headerWidth("Source", 140), orderBy: "tags.`mlflow.source.name`", value: (r) => r.tags.get("mlflow.source.name")?.split("/").pop() },
];

export function pickedColumn(id: string): Column | undefined {
  const kind = id.slice(0, 1);
  const key = id.slice(2);
  if (id[1] !== ":" || !key) return undefined;
  if (kind === "m") return { id, label: key, kind, width: headerWidth(key, 110), orderBy: `metrics.${quote(key)}`, value: (r) => r.metrics.get(key) };
  if (kind === "p") return { id, label: key, kind, width: headerWidth(key, 110), orderBy: `params.${quote(key)}`, value: (r) => r.params.get(key) };
  if (kind === "t") return { id, label: key, kind, width: headerWidth(key, 120), orderBy: `tags.${quote(key)}`, value: (r) => r.tags.get(key) };
  return undefined;
}

export function columnById(id: string): Column | undefined {
  return id === "name" ? nameColumn : (fixedColumns.find((c) => c.id === id) ?? pickedColumn(id));
}

export function renderCell(column: Column, row: Row): string {
  const value = column.value(row);
  if (column.id === "start") return formatTime(value as number);
  if (column.id === "duration") return formatDuration(value as number);
  if (typeof value === "number" || column.kind === "m") return formatValue(value);
  return value ?? "";
}
