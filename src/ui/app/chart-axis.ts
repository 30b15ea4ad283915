/**
 * Axes of the run charts that are not over steps (scatter, parallel coordinates): a param, metric
 * or tag of each run, numeric when every value is a number, else its distinct values in order.
 */

/** What an axis reads of a run (a runs-table row has it). */
export interface RunValues {
  metrics: Map<string, number | string>;
  params: Map<string, string>;
  tags: Map<string, string>;
}

/** `m:<metric>`, `p:<param>` or `t:<tag>`. */
export type ValueKey = string;

export function valueOf(row: RunValues, key: ValueKey): string | number | undefined {
  const name = key.slice(2);
  if (key.startsWith("m:")) return row.metrics.get(name);
  if (key.startsWith("p:")) return row.params.get(name);
  if (key.startsWith("t:")) return row.tags.get(name);
  return undefined;
}

export function keyLabel(key: ValueKey): string {
  return key.slice(2);
}

export function keyKind(key: ValueKey): string {
  return key.startsWith("m:") ? "metric" : key.startsWith("p:") ? "param" : "tag";
}

export interface Scale {
  /** 0 (bottom or left) to 1, or undefined for a run without a value. */
  position(value: string | number | undefined): number | undefined;
  ticks: { at: number; label: string }[];
}

const asNumber = (v: string | number | undefined): number | undefined => {
  if (v === undefined || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
};

function short(n: number): string {
  return String(Number(n.toPrecision(4)));
}

/** Four to six round values (1, 2 or 5 times a power of ten apart) within [low, high]. */
function niceTicks(low: number, high: number): number[] {
  const rough = (high - low) / 5;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function scaleOf(values: (string | number | undefined)[]): Scale {
  const present = values.filter((v) => v !== undefined && v !== "");
  if (present.every((v) => asNumber(v) !== undefined)) {
    const nums = present.map((v) => asNumber(v)!);
    const low = Math.min(...nums);
    const high = Math.max(...nums);
    const range = high - low;
    const position = (v: string | number | undefined) => {
      const n = asNumber(v);
      return n === undefined ? undefined : range ? (n - low) / range : 0.5;
    };
    const ticks = !nums.length ? [] : range ? niceTicks(low, high).map((v) => ({ at: (v - low) / range, label: short(v) })) : [{ at: 0.5, label: short(low) }];
    return { position, ticks };
  }
  const categories = [...new Set(present.map(String))].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  const at = (i: number) => (categories.length > 1 ? i / (categories.length - 1) : 0.5);
  return {
    position: (v) => (v === undefined || v === "" ? undefined : at(index.get(String(v))!)),
    ticks: categories.slice(0, 30).map((c, i) => ({ at: at(i), label: c.length > 14 ? c.slice(0, 13) + "…" : c })),
  };
}
