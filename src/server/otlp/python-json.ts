/**
 * `json.dumps` as Python writes it (default separators `", "` and `": "`, `ensure_ascii=False`,
 * floats in `repr` form): MLflow stores every span attribute as that text, and readers compare it
 * byte for byte (`span.attributes.x LIKE '%"x": 1%'`), so fml writes exactly the same.
 */

import { pyBytes } from "../../search/py-repr.ts";
import type { AnyValue } from "./model.ts";

/** Python's `repr(float)`: shortest round-trip digits, exponent below 1e-4 and from 1e16. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa = "", exp = "0"] = x.toExponential().split("e");
  const e = Number(exp);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const sign = negative ? "-" : "";
  if (e >= -4 && e < 16) {
    if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
    const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
    const fraction = digits.slice(e + 1);
    return `${sign}${whole}.${fraction || "0"}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

export function pyString(s: string): string {
  return JSON.stringify(s);
}

/** json.dumps of the Python value an OTLP AnyValue decodes to. */
export function pyDumps(value: AnyValue): string {
  switch (value.kind) {
    case "string":
      return pyString(value.value);
    case "bool":
      return value.value ? "true" : "false";
    case "int":
      return value.value.toString();
    case "double":
      return pyFloat(value.value);
    case "bytes":
      // TraceJSONEncoder falls back to str(obj) for bytes.
      return pyString(pyBytes(value.value));
    case "array":
      return `[${value.values.map(pyDumps).join(", ")}]`;
    case "kvlist":
      return `{${dedupe(value.values).map(([k, v]) => `${pyString(k)}: ${pyDumps(v)}`).join(", ")}}`;
    case "empty":
      return "null";
  }
}

/** A Python dict keeps the first position of a repeated key and its last value. */
export function dedupe(values: readonly { key: string; value: AnyValue }[]): [string, AnyValue][] {
  const map = new Map<string, AnyValue>();
  for (const { key, value } of values) map.set(key, value);
  return [...map];
}
