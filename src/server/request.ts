/**
 * Reading MLflow requests: GET parameters come from the query string, everything else from a JSON
 * body. Fields are read with proto3's JSON rules (int64 as number or numeric string, doubles also as
 * "NaN"/"Infinity", enums by name or number) and MLflow's messages for missing or mistyped values.
 */

import type { Context } from "hono";
import { invalidParameter, MlflowError } from "../errors.ts";
import type { Tag } from "../store/types.ts";
import { parseWithFloats, pythonJson, pythonTypeName } from "../validation/python-json.ts";

/** JSON request bodies above this are refused; 1000 metrics take well under 200 KB. */
export const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024;

type Source = "query" | "json";

/** Where a field sits in the request, for messages: MLflow names nested fields by path (`metrics[0].timestamp`). */
interface Location {
  /** The JSON body, kept to print a value as Python parsed it; absent for query strings. */
  body?: string;
  /** Keys from the body's root to this object. */
  keys: (string | number)[];
}

function pathOf(location: Location, name: string): string {
  const path = [...location.keys, name].map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("");
  return path.slice(1);
}

/** MLflow's message for a required parameter that is absent or empty. */
export function missing(name: string): MlflowError {
  return invalidParameter(
    `Missing value for required parameter '${name}'. See the API docs for more information ` +
      "about request parameters.",
  );
}

/** Half of a UTF-16 surrogate pair without its other half: not a character at all. */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * PostgreSQL cannot store NUL in text, and no MLflow name or value needs one: refused everywhere.
 * A lone surrogate (`"\ud800"` is valid JSON) cannot be written as UTF-8: the databases stored
 * U+FFFD instead, so a model created under that name answered 404 at once.
 */
function withoutNul(name: string, value: string): string {
  if (value.includes("\0")) {
    throw invalidParameter(`Invalid value for parameter '${name}' supplied: NUL characters are not allowed.`);
  }
  if (loneSurrogate.test(value)) {
    throw invalidParameter(
      `Invalid value for parameter '${name}' supplied: unpaired UTF-16 surrogates are not allowed.`,
    );
  }
  return value;
}

/**
 * int64 fields (timestamps, steps, max_results) are carried as JavaScript numbers, exact up to
 * 2^53 - 1; a larger value would be silently rounded, so it is refused.
 */
function exactInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value)) {
    throw invalidParameter(
      `Invalid value ${value} for parameter '${name}' supplied: integers must lie between ` +
        `${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}.`,
    );
  }
  return value;
}

export class Params {
  constructor(
    private readonly data: Record<string, unknown>,
    private readonly source: Source,
    private readonly location: Location = { keys: [] },
  ) {}

  /** A nested object's parameters, which name their fields by path. */
  private child(value: Record<string, unknown>, ...keys: (string | number)[]): Params {
    return new Params(value, "json", { body: this.location.body, keys: [...this.location.keys, ...keys] });
  }

  private path(name: string): string {
    return pathOf(this.location, name);
  }

  /**
   * MLflow's message when a request-schema check fails (a wrong JSON type, or a bound its handler
   * checks): the value printed as Python sees it.
   */
  invalidValue(name: string): MlflowError {
    let value = this.data[name];
    if (this.location.body !== undefined) {
      try {
        let node = parseWithFloats(this.location.body);
        for (const key of [...this.location.keys, name]) node = (node as Record<string | number, unknown>)[key];
        value = node;
      } catch {
        // The body parsed once already; the value as JavaScript has it will do.
      }
    }
    return invalidParameter(
      `Invalid value ${pythonJson(value)} for parameter '${this.path(name)}' supplied:  Hint: Value was ` +
        `of type '${pythonTypeName(value)}'. See the API docs for more information about request parameters.`,
    );
  }

  private raw(name: string): unknown {
    const value = this.data[name];
    // A repeated query key arrives as a list; a scalar field takes its first value.
    if (this.source === "query" && Array.isArray(value)) return value[0];
    return value;
  }

  /** The value as sent, for fields with their own decoding rules. */
  value(name: string): unknown {
    return this.raw(name);
  }

  has(name: string): boolean {
    const value = this.data[name];
    return value !== undefined && value !== null;
  }

  optionalString(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw this.invalidValue(name);
    return withoutNul(this.path(name), value);
  }

  /** Required: absent and empty are both "missing", as in MLflow's handlers. */
  string(name: string): string {
    const value = this.optionalString(name);
    if (value === undefined || value === "") throw missing(this.path(name));
    return value;
  }

  /** The first of several names that is present, e.g. `run_id` then the legacy `run_uuid`. */
  stringOf(...names: string[]): string {
    for (const name of names) {
      const value = this.optionalString(name);
      if (value) return value;
    }
    throw missing(this.path(names[0] as string));
  }

  optionalInt(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value === "number" && Number.isInteger(value)) return exactInteger(this.path(name), value);
    if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return exactInteger(this.path(name), Number(value));
    throw this.invalidValue(name);
  }

  int(name: string): number {
    const value = this.optionalInt(name);
    if (value === undefined) throw missing(this.path(name));
    return value;
  }

  optionalBool(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    throw this.invalidValue(name);
  }

  /** A double as proto3 JSON allows it: a number, or "NaN", "Infinity", "-Infinity". */
  double(name: string): number {
    const value = this.raw(name);
    if (value === undefined || value === null || value === "") throw missing(this.path(name));
    if (typeof value === "number") return value;
    if (typeof value === "string") {
      if (value === "NaN") return NaN;
      if (value === "Infinity") return Infinity;
      if (value === "-Infinity") return -Infinity;
      if (value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
    }
    throw this.invalidValue(name);
  }

  stringList(name: string): string[] {
    const value = this.data[name];
    if (value === undefined || value === null) return [];
    const items = Array.isArray(value) ? value : this.source === "query" ? [value] : null;
    if (!items) throw this.invalidValue(name);
    return items.map((item) => {
      if (typeof item !== "string") throw this.invalidValue(name);
      return withoutNul(this.path(name), item);
    });
  }

  objectList(name: string): Params[] {
    const value = this.data[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw this.invalidValue(name);
    return value.map((item, index) => {
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        throw this.invalidValue(name);
      }
      return this.child(item as Record<string, unknown>, name, index);
    });
  }

  object(name: string): Params {
    const value = this.data[name];
    if (value === undefined || value === null) throw missing(this.path(name));
    if (typeof value !== "object" || Array.isArray(value)) throw this.invalidValue(name);
    return this.child(value as Record<string, unknown>, name);
  }

  /** This object's `key` and `value` as a tag; the value may be empty or absent (then ""), the key may not. */
  tag(): Tag {
    return { key: this.string("key"), value: this.optionalString("value") ?? "" };
  }

  /** A list of `{key, value}` pairs, each read as `tag()` reads one. */
  tags(name: string): Tag[] {
    return this.objectList(name).map((t) => t.tag());
  }

  /** The run an endpoint is about: `run_id`, or the legacy `run_uuid` older clients send. */
  runId(): string {
    return this.stringOf("run_id", "run_uuid");
  }

  enumValue<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined || value === null || value === "") return fallback;
    if (typeof value === "string" && (values as readonly string[]).includes(value)) return value as T;
    const byNumber = typeof value === "number" ? values[value - 1] : undefined;
    if (byNumber !== undefined) return byNumber;
    // MLflow's proto parsing fails, and its request schema refuses the value as any mistyped one.
    throw this.invalidValue(name);
  }
}

/** MLflow's messages nest a few levels (a batch, a metric, a tag); JSON.parse has no depth limit. */
const MAX_JSON_DEPTH = 64;
/** Below this size a body cannot nest deep enough to matter, and is not scanned. */
const DEPTH_SCAN_BYTES = 256 * 1024;

/**
 * True when `text` nests arrays or objects deeper than `limit`. A 10 MB body of 5 million `[`
 * took 580 MB in JSON.parse; counting brackets outside strings first costs a few ms per MB.
 */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \\ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 /* [ */ || ch === 123 /* { */) {
      if (++depth > limit) return true;
    } else if (ch === 93 /* ] */ || ch === 125 /* } */) depth--;
  }
  return false;
}

async function readJsonBody(c: Context): Promise<{ body: Record<string, unknown>; text?: string }> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > MAX_JSON_BODY_BYTES) throw bodyTooLarge();
  const text = await c.req.text();
  if (text.length > MAX_JSON_BODY_BYTES) throw bodyTooLarge();
  if (text.trim() === "") return { body: {} };
  if (text.length > DEPTH_SCAN_BYTES && nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new MlflowError("BAD_REQUEST", `Malformed request body: JSON nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
    // MLflow also accepts a body that is a JSON string holding JSON.
    if (typeof parsed === "string") {
      parsed = JSON.parse(parsed);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        return { body: parsed as Record<string, unknown> };
      }
    }
  } catch {
    throw new MlflowError("BAD_REQUEST", "Malformed request body: not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new MlflowError("BAD_REQUEST", "Malformed request body: expected a JSON object.");
  }
  return { body: parsed as Record<string, unknown>, text };
}

function bodyTooLarge(): MlflowError {
  return new MlflowError(
    "REQUEST_LIMIT_EXCEEDED",
    `Request body exceeds the limit of ${MAX_JSON_BODY_BYTES} bytes.`,
    413,
  );
}

function readQuery(c: Context): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, values] of Object.entries(c.req.queries())) {
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

/** Reads an endpoint's parameters: query string for GET, JSON body otherwise. */
export async function readParams(c: Context): Promise<Params> {
  if (c.req.method === "GET") {
    return new Params(readQuery(c), "query");
  }
  if (c.req.method === "POST" || c.req.method === "PUT") {
    const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      throw invalidParameter(
        "Bad Request. Content-Type must be one of ['application/json'], got " +
          `'${c.req.header("content-type") ?? ""}'.`,
      );
    }
  }
  const { body, text } = await readJsonBody(c);
  return new Params(body, "json", { body: text, keys: [] });
}
