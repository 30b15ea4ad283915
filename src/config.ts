/**
 * The shape of fml's server configuration and the parsers every command shares: database URIs,
 * listen addresses, artifact locations and durations. Where each value comes from (flag,
 * `FML_*` or `MLFLOW_*` variable) is server-config.ts's business.
 */

import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { isLogLevel, type LogLevel } from "./log.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export type DatabaseTarget =
  | { kind: "sqlite"; path: string; uri: string }
  | { kind: "postgresql"; url: string; uri: string }
  | { kind: "mysql"; url: string; uri: string };

export interface ServerConfig {
  hostname: string;
  port: number;
  database: DatabaseTarget;
  /** Root for new experiments: `<root>/<experiment_id>`. */
  defaultArtifactRoot: string;
  /** Where `mlflow-artifacts:` URIs are stored when fml proxies artifacts. */
  artifactsDestination: string;
  serveArtifacts: boolean;
  s3EndpointUri: string | undefined;
  databaseMigrate: boolean;
  databasePoolMax: number;
  /** SQLite: page cache of the connection that serves reads, in MB; unset, the store's default. */
  databaseCacheMb: number | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Database statements slower than this are logged; 0 turns it off. */
  databaseSlowThresholdMs: number;
  /** HTTP authentication; off when neither a username nor a tokens file is set. */
  auth: AuthConfig;
  /** After SIGTERM, exit anyway once this many milliseconds have passed. */
  shutdownTimeoutMs: number;
  /** MLflow's `--artifacts-only`: only the artifact proxy (and probes) answer. */
  artifactsOnly: boolean;
  /** MLflow's `--static-prefix`: every path is served under it (`/mlflow/api/2.0/...`). */
  staticPrefix: string | undefined;
  /** Sent on every response; undefined for MLflow's `NONE`. */
  xFrameOptions: string | undefined;
  /** Which flag or variable supplied each value that is not a default, e.g. `port from MLFLOW_PORT`. */
  origins: string[];
  /** Settings fml accepts for compatibility but does not need, said once at start-up. */
  notices: Notice[];
}

export interface Notice {
  level: "info" | "warn";
  message: string;
}

export type LogFormat = "text" | "json";

export interface AuthConfig {
  username: string | undefined;
  password: string | undefined;
  tokensFile: string | undefined;
}

export type Flags = Record<string, string | boolean | undefined>;
export type Env = Record<string, string | undefined>;

export function parseBoolean(name: string, value: string | boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  const v = value.toLowerCase();
  // click's spellings too, so MLFLOW_SERVE_ARTIFACTS means what it meant to MLflow.
  if (["1", "true", "t", "yes", "y", "on"].includes(v)) return true;
  if (["0", "false", "f", "no", "n", "off"].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got '${value}'`);
}

export function parsePort(value: string, what: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new ConfigError(`${what}: '${value}' is not a valid port (0-65535)`);
  }
  return port;
}

/** `host:port`, `[::1]:port`, `:port` or just `port`. */
export function parseListenAddress(value: string): { hostname: string; port: number } {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (bracketed) return { hostname: bracketed[1] as string, port: parsePort(bracketed[2] as string, "--listen-address") };
  const colon = value.lastIndexOf(":");
  if (colon === -1) return { hostname: "127.0.0.1", port: parsePort(value, "--listen-address") };
  const hostname = value.slice(0, colon) || "0.0.0.0";
  return { hostname, port: parsePort(value.slice(colon + 1), "--listen-address") };
}

/**
 * SQLite URIs as fml and SQLAlchemy (MLflow) write them: `sqlite://fml.db` (relative),
 * `sqlite:////abs/fml.db` (absolute), and `sqlite:///x` — relative in SQLAlchemy, so
 * `sqlite:///mlflow.db` means ./mlflow.db as it does for MLflow, but absolute when its first
 * directory exists only at the file system root (`sqlite:///var/lib/fml/fml.db`).
 */
export function sqlitePath(uri: string, cwd: string): string {
  const rest = uri.replace(/^sqlite:\/\//, "").split("?")[0] as string;
  if (rest === "" || rest === ":memory:" || rest === "/:memory:") return ":memory:";
  if (rest.startsWith("//")) return rest.slice(1);
  if (!rest.startsWith("/")) return resolve(cwd, rest);
  const relative = rest.slice(1);
  const firstDir = relative.includes("/") ? relative.split("/")[0] : undefined;
  const existsAtRoot = (p: string): boolean => existsSync(p);
  const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
  if (existsSync(resolve(cwd, relative))) return resolve(cwd, relative);
  if (existsAtRoot(rest)) return rest;
  if (firstDir && !isDir(resolve(cwd, firstDir)) && isDir(`/${firstDir}`)) return rest;
  return resolve(cwd, relative);
}

export function parseDatabaseUri(uri: string, cwd: string): DatabaseTarget {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme === "sqlite") return { kind: "sqlite", path: sqlitePath(uri, cwd), uri };
  if (scheme && /^(postgres|postgresql)(\+\w+)?$/.test(scheme)) {
    // SQLAlchemy driver suffixes (postgresql+psycopg2://) mean nothing to postgres.js.
    const url = uri.replace(/^[^:]+:\/\//, "postgres://");
    try {
      new URL(url);
    } catch {
      throw new ConfigError(`database URI '${maskPassword(uri)}' is not a valid URL`);
    }
    return { kind: "postgresql", url, uri };
  }
  if (scheme && /^(mysql|mariadb)(\+\w+)?$/.test(scheme)) {
    // SQLAlchemy's MySQL and MariaDB driver suffixes (mysql+pymysql://, mysql+mysqldb://) name
    // Python drivers; fml speaks the same protocol through its own.
    const url = uri.replace(/^[^:]+:\/\//, "mysql://");
    try {
      new URL(url);
    } catch {
      throw new ConfigError(`database URI '${maskPassword(uri)}' is not a valid URL`);
    }
    return { kind: "mysql", url, uri };
  }
  throw new ConfigError(
    `unsupported database URI '${maskPassword(uri)}': use sqlite://<file>, postgresql://user@host/db or mysql://user@host/db`,
  );
}

export function maskPassword(uri: string): string {
  return uri.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}

/** MLflow makes local artifact roots absolute; URIs with a scheme are kept as they are. */
export function resolveArtifactRoot(root: string, cwd: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(root) && !/^[a-zA-Z]:[\\/]/.test(root)) return root;
  return isAbsolute(root) ? root : resolve(cwd, root);
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `500ms`, `12h`, `30d`, `1d12h`; a bare number is seconds. Returns milliseconds. */
export function parseDuration(value: string, what: string): number {
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new ConfigError(`${what}: '${value}' is not a duration (e.g. 30s, 12h, 30d)`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (durationUnits[p[2] as string] as number), 0);
}

const schemeOf = (uri: string): string | undefined => {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  // A single letter before the colon is a Windows drive, not a scheme.
  return scheme && scheme.length > 1 ? scheme : undefined;
};

// AWS's rules for bucket names, so a typo fails at start-up rather than on the first upload.
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Refuses, at start-up, an artifact location fml could not serve: it would otherwise be written
 * into every new experiment and fail on each request. `proxy` allows `mlflow-artifacts:` and http
 * URIs (the default root may point at the proxy; the destination is where the proxy stores).
 */
export function checkArtifactLocation(uri: string, what: string, proxy: boolean): void {
  const scheme = schemeOf(uri);
  if (scheme === undefined || scheme === "file") return;
  if (scheme === "s3" || scheme === "s3a") {
    const match = /^s3a?:\/\/([^/]*)(\/.*)?$/.exec(uri);
    const bucket = match?.[1];
    if (!bucket) throw new ConfigError(`${what} '${uri}' names no bucket: write s3://<bucket>/<path>`);
    if (!S3_BUCKET.test(bucket)) {
      throw new ConfigError(`${what} '${uri}': '${bucket}' is not a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')`);
    }
    return;
  }
  if (proxy && scheme === "mlflow-artifacts") return;
  // An http root is served by fml only when it points at an artifact proxy (MLflow's own form).
  if (proxy && (scheme === "http" || scheme === "https") && uri.includes("/mlflow-artifacts/artifacts")) return;
  throw new ConfigError(
    `${what} '${uri}': fml cannot serve '${scheme}:' artifacts; use a local path, file://, s3://` +
      (proxy ? " or mlflow-artifacts:/" : ""),
  );
}
