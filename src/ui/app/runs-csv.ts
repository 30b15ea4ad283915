/**
 * The visible runs as CSV (RFC 4180): the rows the table shows, in its order, with its columns.
 * Values are the stored ones, not the display's rounding: full-precision metrics, ISO times,
 * durations in milliseconds.
 */

import type { Column, Row } from "./runs-columns.ts";

/** Quotes a field when it holds a comma, quote, line break or edge space; quotes are doubled. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function rawValue(column: Column, row: Row): string {
  const value = column.value(row);
  if (value === undefined) return "";
  if (column.id === "start") return typeof value === "number" && value ? new Date(value).toISOString() : "";
  return String(value);
}

export function runsCsv(rows: Row[], columns: Column[]): string {
  const header = ["Run ID", ...columns.map((c) => (c.kind ? `${{ m: "metrics", p: "params", t: "tags" }[c.kind]}.${c.label}` : c.id === "duration" ? "Duration (ms)" : c.label))];
  const lines = [header.map(csvField).join(",")];
  for (const row of rows) lines.push([row.id, ...columns.map((c) => rawValue(c, row))].map(csvField).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** Saves `text` as a file through a temporary link, as the browser's download. */
export function downloadText(name: string, text: string, type = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
