/**
 * Rules for the artifact locations clients may write: an experiment's `artifact_location` and a
 * model version's `source`. A location is later joined with run ids and client paths and opened
 * on the server, so whatever could move it elsewhere is refused when it is written: fragments and
 * queries (a URL parser drops them, and with them everything fml appended), `..` segments (also
 * percent-encoded), control characters, and schemes that name no artifact store.
 */

import { resolve } from "node:path";
import { invalidParameter } from "../errors.ts";

/** RFC 3986's split of a URI; a location without a scheme is all path. */
export interface UriParts {
  scheme: string | undefined;
  authority: string | undefined;
  path: string;
  query: string | undefined;
  fragment: string | undefined;
}

export function splitUri(uri: string): UriParts {
  const match = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s.exec(uri);
  // The pattern matches every string.
  const [, scheme, authority, path = "", query, fragment] = match ?? [];
  if (scheme?.length === 1) {
    // A single letter before the colon is a Windows drive: all of it is path.
    const rest = authority === undefined ? path : `//${authority}${path}`;
    return { scheme: undefined, authority: undefined, path: `${scheme}:${rest}`, query, fragment };
  }
  return { scheme: scheme?.toLowerCase(), authority, path, query, fragment };
}

/** Percent-decodes until nothing changes, so `%252e%252e` is seen as `..`; undefined if malformed. */
export function decodeFully(text: string): string | undefined {
  let current = text;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current.replaceAll("+", " "));
    } catch {
      return undefined;
    }
    if (next === current) return current;
    current = next;
  }
  return undefined;
}

const hasDotDotSegment = (path: string): boolean => path.split(/[/\\]/).some((segment) => segment === "..");
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]/;

/**
 * Schemes of MLflow's artifact repositories (clients write there themselves; fml serves file:,
 * s3: and the proxy, and answers NOT_IMPLEMENTED for the others). `runs:` and `models:` name other
 * entities, never a place.
 */
const ARTIFACT_SCHEMES = new Set([
  "file", "s3", "s3a", "r2", "b2", "gs", "wasbs", "abfss", "ftp", "sftp", "dbfs", "hdfs", "viewfs",
  "http", "https", "mlflow-artifacts",
]);

export const MAX_ARTIFACT_LOCATION_LENGTH = 2048;

/**
 * An experiment's artifact location as MLflow's server checks it (no fragments or params, no `..`
 * in the query, no `runs:` URI, at most 2,048 characters), and fml's stricter rules on top.
 */
export function validateArtifactLocation(location: string, field = "artifact_location"): void {
  if (location.startsWith("runs:")) {
    throw invalidParameter(
      `Got an invalid artifact location '${location}'. 'runs:' URIs are not allowed as ` +
        "experiment artifact locations.",
    );
  }
  if (location.length > MAX_ARTIFACT_LOCATION_LENGTH) {
    throw invalidParameter(
      `Invalid artifact path length. The length of the artifact path cannot be greater than ` +
        `${MAX_ARTIFACT_LOCATION_LENGTH} characters.`,
    );
  }
  const parts = splitUri(location);
  if (parts.fragment !== undefined || /;[^/]*$/.test(parts.path)) {
    throw invalidParameter(`'${field}' URL can't include fragments or params.`);
  }
  if (parts.query !== undefined) {
    // MLflow refuses `..` in the query; fml refuses any query, which its stores would drop.
    throw invalidParameter(`'${field}' URL can't include a query string.`);
  }
  const decoded = decodeFully(location);
  if (decoded === undefined || controlCharacters.test(decoded)) {
    throw invalidParameter(`'${field}' is not a valid URI: '${location}'.`);
  }
  if (hasDotDotSegment(decodeFully(parts.path) ?? parts.path)) {
    throw invalidParameter(`'${field}' can't contain '..' path segments: '${location}'.`);
  }
  const { scheme } = parts;
  if (scheme === "file" && parts.authority !== undefined && !["", "localhost"].includes(parts.authority)) {
    throw invalidParameter(`'${field}' names a remote host in a file URI: '${location}'.`);
  }
  if (scheme !== undefined && !ARTIFACT_SCHEMES.has(scheme)) {
    throw invalidParameter(`'${field}' uses the '${scheme}' scheme, which is not an artifact store's.`);
  }
}

/** A local file-system location, as MLflow's `is_local_uri` decides (plain path or `file:`). */
export function isLocalUri(uri: string): boolean {
  const { scheme, authority } = splitUri(uri);
  if (scheme === undefined) return true;
  return scheme === "file" && (authority === undefined || authority === "" || authority === "." || authority.startsWith("localhost") || authority.startsWith("127.0.0.1"));
}

/**
 * `file:///a/b` → `/a/b`, decoded; a plain path is itself (`#` and `?` are literal there).
 * Undefined for a file URI with a query or fragment.
 */
export function localPathOf(uri: string): string | undefined {
  const parts = splitUri(uri);
  if (parts.scheme !== "file") return uri;
  if (parts.query !== undefined || parts.fragment !== undefined) return undefined;
  try {
    return decodeURIComponent(parts.path);
  } catch {
    return undefined;
  }
}

/**
 * A model version's source, as MLflow's `_validate_source_run` checks it: a local path only inside
 * the artifact directory of the run it names; any other URI without relative references (`..`,
 * `.`, NUL, also percent-encoded). `runArtifactUri` is the artifact URI of the run the request
 * names, if it names one.
 */
export function validateModelVersionSource(source: string, runArtifactUri: string | undefined): void {
  if (isLocalUri(source)) {
    const local = localPathOf(source);
    const runDir = runArtifactUri !== undefined && isLocalUri(runArtifactUri) ? localPathOf(runArtifactUri) : undefined;
    if (runDir !== undefined && local !== undefined) {
      const resolved = resolve(local);
      const root = resolve(runDir);
      if (resolved === root || resolved.startsWith(root.endsWith("/") ? root : `${root}/`)) return;
    }
    throw invalidParameter(
      `Invalid model version source: '${source}'. To use a local path as a model version ` +
        "source, the run_id request parameter has to be specified and the local path has to be " +
        "contained within the artifact directory of the run specified by the run_id.",
    );
  }
  const invalid = invalidParameter(
    `Invalid model version source: '${source}'. If supplying a source as an http, https, ` +
      "local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be " +
      "provided without relative path references present. Please provide an absolute path.",
  );
  const decoded = decodeFully(source);
  if (decoded === undefined) throw invalid;
  const parts = splitUri(decoded);
  const path = parts.path.replace(/\/+/g, "/").replace(/\/$/, "");
  if (path.includes("\0") || decoded.split("/").some((segment) => segment === "..")) throw invalid;
  // The path must already be in normal form: no `.` or `..` segments left to resolve.
  if (path.split("/").some((segment) => segment === "." || segment === "..")) throw invalid;
  // A fragment or query would be dropped when the source is opened, and the path with it.
  if (parts.fragment !== undefined || (parts.query !== undefined && parts.query.includes(".."))) throw invalid;
}
