/**
 * The charts of the chart view as URL text: `kind:field:field`, charts joined by commas, each
 * field URI-encoded so metric, param and tag keys may hold any character (`:` and `,` included).
 */

import type { ValueKey } from "./chart-axis.ts";

export type ChartSpec =
  | { kind: "line"; metric: string }
  | { kind: "bar"; metric: string }
  | { kind: "scatter"; x: ValueKey; y: ValueKey }
  | { kind: "parallel"; keys: ValueKey[] };

export function encodeSpec(spec: ChartSpec): string {
  const fields = spec.kind === "line" || spec.kind === "bar" ? [spec.metric] : spec.kind === "scatter" ? [spec.x, spec.y] : spec.keys;
  return [spec.kind, ...fields.map(encodeURIComponent)].join(":");
}

export function decodeSpec(text: string): ChartSpec | undefined {
  const [kind, ...raw] = text.split(":");
  let fields: string[];
  try {
    fields = raw.map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if ((kind === "line" || kind === "bar") && fields.length === 1) return { kind, metric: fields[0]! };
  if (kind === "scatter" && fields.length === 2) return { kind, x: fields[0]!, y: fields[1]! };
  if (kind === "parallel" && fields.length >= 1) return { kind, keys: fields };
  return undefined;
}

export function encodeSpecs(specs: ChartSpec[]): string {
  return specs.map(encodeSpec).join(",");
}

/** The charts of a `charts=` value; parts that are not a chart are left out. */
export function decodeSpecs(text: string): ChartSpec[] {
  return text
    .split(",")
    .filter(Boolean)
    .map(decodeSpec)
    .filter((s): s is ChartSpec => s !== undefined);
}
