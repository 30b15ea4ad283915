/**
 * A request value as MLflow prints it in "Invalid value ... supplied" messages: Python's
 * `json.dumps(value, sort_keys=True, separators=(",", ":"))` over what `json.loads` made of the
 * body. Python keeps `9.0` a float (printed `9.0`, of type 'float') where JavaScript has the
 * number 9, so the body is parsed again, only for the message, with float literals marked.
 */

/** A JSON number written with a fraction or exponent: a Python float. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Parses `text` as Python's `json.loads` types it: float literals become `PyFloat`. */
export function parseWithFloats(text: string): unknown {
  // The reviver's third argument (the literal's source text) is in JavaScriptCore and V8 alike.
  const reviver = (_key: string, value: unknown, context?: { source?: string }): unknown =>
    typeof value === "number" && context?.source !== undefined && /[.eE]/.test(context.source)
      ? new PyFloat(value)
      : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa = "", exponentText = "0"] = x.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const fixed = x.toFixed(Math.max(0, (mantissa.split(".")[1]?.length ?? 0) - exponent));
  return fixed.includes(".") ? fixed : `${fixed}.0`;
}

/** Python's `json.dumps` string: ASCII only, as `ensure_ascii` writes it. */
const pythonString = (s: string): string =>
  JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

export function pythonJson(value: unknown): string {
  if (value instanceof PyFloat) return pythonFloat(value.value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return pythonString(value);
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value).toString() : pythonFloat(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${pythonString(k)}:${pythonJson(v)}`).join(",")}}`;
}

/** Python's `type(value).__name__` for what `json.loads` returns. */
export function pythonTypeName(value: unknown): string {
  if (value instanceof PyFloat) return "float";
  if (value === null || value === undefined) return "NoneType";
  if (Array.isArray(value)) return "list";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "object") return "dict";
  return "str";
}
