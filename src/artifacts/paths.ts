/**
 * Artifact path safety (spec §9.6): a client-supplied path must stay inside its root, however it
 * is spelled. Everything refused here is 400 INVALID_PARAMETER_VALUE "Invalid path".
 */

import { invalidParameter, type MlflowError } from "../errors.ts";

export const invalidPath = (): MlflowError => invalidParameter("Invalid path");

/**
 * Validates a path that is still percent-encoded (as taken from a raw URL) or already decoded
 * (a query parameter), and returns its normalized form: `a/b/c`, or "" for the root.
 * Encoded separators, dots, backslashes and NUL are refused outright rather than decoded, so that
 * no later decoding step can turn an accepted path into an escaping one.
 */
export function safeArtifactPath(raw: string, encoded = false): string {
  let path = raw;
  if (encoded) {
    if (/%(2f|5c|00|2e)/i.test(path)) throw invalidPath();
    try {
      path = decodeURIComponent(path);
    } catch {
      throw invalidPath();
    }
  }
  if (path.includes("\\") || path.includes("\0")) throw invalidPath();
  if (path.startsWith("/") || path.startsWith("~")) throw invalidPath();
  // Drive letters (`C:`) and URI schemes (`file:`, `s3:`) both mean "somewhere else".
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path)) throw invalidPath();
  // A second decoding must not reveal anything either (double-encoded `%252e%252e`).
  if (/%(2f|5c|00|2e)/i.test(path)) throw invalidPath();
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.some((s) => s === "..")) throw invalidPath();
  return segments.join("/");
}

/** `dir/name`, or just `name` at the root. */
export function joinPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}
