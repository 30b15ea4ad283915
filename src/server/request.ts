/**
 * Reading MLflow requests: GET parameters come from the query string, everything else from a JSON
 * body. Fields are read with proto3's JSON rules (int64 as number or numeric string, doubles also as
 * "NaN"/"Infinity", enums by name or number) and MLflow's messages for missing or mistyped values.
 */

import type { Context } from "hono";
import { invalidParameter, MlflowError } from "../errors.ts";
import type { Tag } from "../store/types.ts";

/** JSON request bodies above this are refused; 1000 metrics take well under 200 KB. */
export const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024;

type Source = "query" | "json";

function typeName(value: unknown): string {
  if (value === null) return "NoneType";
  if (Array.isArray(value)) return "list";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "object") return "dict";
  return "str";
}

function wrongType(name: string, value: unknown, expected: string): MlflowError {
  return invalidParameter(
    `Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied. Hint: Value was of ` +
      `type '${typeName(value)}'. Expected ${expected}. See the API docs for more information ` +
      "about request parameters.",
  );
}

function missing(name: string): MlflowError {
  return invalidParameter(
    `Missing value for required parameter '${name}'. See the API docs for more information ` +
      "about request parameters.",
  );
}

/** PostgreSQL cannot store NUL in text, and no MLflow name or value needs one: refused everywhere. */
function withoutNul(name: string, value: string): string {
  if (value.includes("\0")) {
    throw invalidParameter(`Invalid value for parameter '${name}' supplied: NUL characters are not allowed.`);
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
  ) {}

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

  /** A field as parsed JSON, for free-form values (google.protobuf.Value, string maps). */
  rawValue(name: string): unknown {
    return this.data[name];
  }

  has(name: string): boolean {
    const value = this.data[name];
    return value !== undefined && value !== null;
  }

  optionalString(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw wrongType(name, value, "string");
    return withoutNul(name, value);
  }

  /** Required: absent and empty are both "missing", as in MLflow's handlers. */
  string(name: string): string {
    const value = this.optionalString(name);
    if (value === undefined || value === "") throw missing(name);
    return value;
  }

  /** The first of several names that is present, e.g. `run_id` then the legacy `run_uuid`. */
  stringOf(...names: string[]): string {
    for (const name of names) {
      const value = this.optionalString(name);
      if (value) return value;
    }
    throw missing(names[0] as string);
  }

  optionalInt(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value === "number" && Number.isInteger(value)) return exactInteger(name, value);
    if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return exactInteger(name, Number(value));
    throw wrongType(name, value, "an integer (int64)");
  }

  int(name: string): number {
    const value = this.optionalInt(name);
    if (value === undefined) throw missing(name);
    return value;
  }

  optionalBool(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    throw wrongType(name, value, "a boolean");
  }

  /** A double as proto3 JSON allows it: a number, or "NaN", "Infinity", "-Infinity". */
  double(name: string): number {
    const value = this.raw(name);
    if (value === undefined || value === null || value === "") throw missing(name);
    if (typeof value === "number") return value;
    if (typeof value === "string") {
      if (value === "NaN") return NaN;
      if (value === "Infinity") return Infinity;
      if (value === "-Infinity") return -Infinity;
      if (value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
    }
    throw wrongType(name, value, "a number");
  }

  stringList(name: string): string[] {
    const value = this.data[name];
    if (value === undefined || value === null) return [];
    const items = Array.isArray(value) ? value : this.source === "query" ? [value] : null;
    if (!items) throw wrongType(name, value, "a list");
    return items.map((item) => {
      if (typeof item !== "string") throw wrongType(name, item, "a list of strings");
      return withoutNul(name, item);
    });
  }

  objectList(name: string): Params[] {
    const value = this.data[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw wrongType(name, value, "a list");
    return value.map((item) => {
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        throw wrongType(name, item, "a list of objects");
      }
      return new Params(item as Record<string, unknown>, "json");
    });
  }

  object(name: string): Params {
    const value = this.data[name];
    if (value === undefined || value === null) throw missing(name);
    if (typeof value !== "object" || Array.isArray(value)) throw wrongType(name, value, "an object");
    return new Params(value as Record<string, unknown>, "json");
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
    throw invalidParameter(
      `Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied. Hint: Value must ` +
        `be one of [${values.join(", ")}].`,
    );
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

async function readJsonBody(c: Context): Promise<Record<string, unknown>> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > MAX_JSON_BODY_BYTES) throw bodyTooLarge();
  const text = await c.req.text();
  if (text.length > MAX_JSON_BODY_BYTES) throw bodyTooLarge();
  if (text.trim() === "") return {};
  if (text.length > DEPTH_SCAN_BYTES && nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new MlflowError("BAD_REQUEST", `Malformed request body: JSON nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
    // MLflow also accepts a body that is a JSON string holding JSON.
    if (typeof parsed === "string") parsed = JSON.parse(parsed);
  } catch {
    throw new MlflowError("BAD_REQUEST", "Malformed request body: not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new MlflowError("BAD_REQUEST", "Malformed request body: expected a JSON object.");
  }
  return parsed as Record<string, unknown>;
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
  return new Params(await readJsonBody(c), "json");
}
