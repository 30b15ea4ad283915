/**
 * MLflow 3.11's checks of metric, param and tag names and its message helpers
 * (`mlflow.utils.validation`): a name is refused for its characters or for not being its own
 * normal path, and every message names the field by its JSON path (`metrics[0].name`).
 */

import { invalidParameter, type MlflowError } from "../errors.ts";
import { pythonJson } from "./python-json.ts";

/** `invalid_value(path, value, message)`. */
export function invalidValue(path: string, value: unknown, message?: string): MlflowError {
  const shown = `Invalid value ${pythonJson(value)} for parameter '${path}' supplied`;
  return invalidParameter(message === undefined ? `${shown}.` : `${shown}: ${message}`);
}

/**
 * More than `limit` characters as MLflow (Python) and the databases' VARCHAR count them: code
 * points, so an emoji is one character, not the two UTF-16 units of `String.length`.
 */
export function longerThan(value: string, limit: number): boolean {
  if (value.length <= limit) return false;
  if (value.length > limit * 2) return true;
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    if (++count > limit) return true;
  }
  return false;
}

/** `exceeds_maximum_length(path, limit)`. */
export const exceedsMaximumLength = (path: string, limit: number): MlflowError =>
  invalidParameter(`'${path}' exceeds the maximum length of ${limit} characters`);

/** `append_to_json_path`: `metrics[0]` + `name` is `metrics[0].name`; no prefix, just `name`. */
export const jsonPath = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

/** Python's `posixpath.normpath`. */
export function normpath(path: string): string {
  if (path === "") return ".";
  const initialSlashes = path.startsWith("//") && !path.startsWith("///") ? 2 : path.startsWith("/") ? 1 : 0;
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== ".." || (!initialSlashes && parts.length === 0) || parts.at(-1) === "..") parts.push(part);
    else if (parts.length > 0) parts.pop();
  }
  return "/".repeat(initialSlashes) + parts.join("/") || ".";
}

/** Python's `repr(str)`, for the names MLflow quotes with `!r`. */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/[\\'"\x00-\x1f\x7f]/g, (c) => {
    if (c === "\\") return "\\\\";
    if (c === quote) return `\\${c}`;
    if (c === '"' || c === "'") return c;
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
  return `${quote}${escaped}${quote}`;
}

// Python's \w is Unicode-aware; \p{L}\p{N}_ plus combining marks is its closest JS spelling.
const namePattern = /^[\p{L}\p{N}\p{M}_/.\- :]*$/u;

const BAD_CHARACTERS =
  "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).";

/** `validate_param_and_metric_name` and `path_not_unique`, as every name check runs them. */
export function validateName(name: string, path: string): void {
  if (!namePattern.test(name)) throw invalidValue(path, name, BAD_CHARACTERS);
  const norm = normpath(name);
  if (norm !== name || norm === "." || norm.startsWith("..") || norm.startsWith("/")) {
    throw invalidValue(
      path,
      name,
      "Names may be treated as files in certain cases, and must not resolve to other names when " +
        `treated as such. This name would resolve to ${pythonRepr(norm)}`,
    );
  }
}
