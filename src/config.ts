/**
 * Server configuration from flags and `FML_*` variables (a flag beats its variable), including
 * MLflow's own `mlflow server` flag names so that a command line can be copied over unchanged.
 */

import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { isLogLevel, type LogLevel } from "./log.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export type DatabaseTarget =
  | { kind: "sqlite"; path: string; uri: string }
  | { kind: "postgresql"; url: string; uri: string };

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
}

export type LogFormat = "text" | "json";

export interface AuthConfig {
  username: string | undefined;
  password: string | undefined;
  tokensFile: string | undefined;
}

export type Flags = Record<string, string | boolean | undefined>;
export type Env = Record<string, string | undefined>;

/** The first value set among flags (in order), then variables (in order). */
function pick(flags: Flags, env: Env, flagNames: string[], envNames: string[]): string | boolean | undefined {
  for (const name of flagNames) {
    const value = flags[name];
    if (value !== undefined && value !== "") return value;
  }
  for (const name of envNames) {
    const value = env[name];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

function pickString(flags: Flags, env: Env, flagNames: string[], envNames: string[]): string | undefined {
  const value = pick(flags, env, flagNames, envNames);
  return value === undefined ? undefined : String(value);
}

function parseBoolean(name: string, value: string | boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  const v = value.toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got '${value}'`);
}

function parsePort(value: string, what: string): number {
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
  throw new ConfigError(
    `unsupported database URI '${maskPassword(uri)}': use sqlite://<file> or postgresql://user@host/db`,
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

function resolveAuth(flags: Flags, env: Env, cwd: string): AuthConfig {
  const username = pickString(flags, env, ["auth-username"], ["FML_AUTH_USERNAME"]);
  const password = pickString(flags, env, ["auth-password"], ["FML_AUTH_PASSWORD"]);
  const tokensFile = pickString(flags, env, ["auth-tokens-file"], ["FML_AUTH_TOKENS_FILE"]);
  if ((username === undefined) !== (password === undefined)) {
    throw new ConfigError("--auth-username and --auth-password go together: set both or neither");
  }
  return { username, password, tokensFile: tokensFile === undefined ? undefined : resolve(cwd, tokensFile) };
}

export function resolveServerConfig(flags: Flags, env: Env, cwd: string): ServerConfig {
  const listen = pickString(flags, {}, ["listen-address"], []);
  const host = pickString(flags, {}, ["host"], []);
  const port = pickString(flags, {}, ["port"], []);
  let address = parseListenAddress(listen ?? env.FML_LISTEN_ADDRESS ?? "127.0.0.1:5000");
  if (!listen && (host || port)) {
    address = {
      hostname: host ?? address.hostname,
      port: port ? parsePort(port, "--port") : address.port,
    };
  }

  const databaseUri =
    pickString(flags, env, ["database-uri", "backend-store-uri"], ["FML_DATABASE_URI", "FML_BACKEND_STORE_URI"]) ??
    "sqlite://fml.db";

  const serveArtifacts = parseBoolean(
    "--serve-artifacts",
    pick(flags, env, ["serve-artifacts"], ["FML_SERVE_ARTIFACTS"]),
    true,
  );
  const explicitRoot = pickString(
    flags,
    env,
    ["artifact-root", "default-artifact-root"],
    ["FML_ARTIFACT_ROOT", "FML_DEFAULT_ARTIFACT_ROOT"],
  );
  // MLflow's rule: an explicit root wins; otherwise the proxy when serving artifacts, else ./mlruns.
  const defaultArtifactRoot = explicitRoot
    ? resolveArtifactRoot(explicitRoot, cwd)
    : serveArtifacts
      ? "mlflow-artifacts:/"
      : resolve(cwd, "mlruns");

  const destination =
    pickString(flags, env, ["artifacts-destination"], ["FML_ARTIFACTS_DESTINATION"]) ?? "./mlartifacts";

  const logLevel = (pickString(flags, env, ["log-level"], ["FML_LOG_LEVEL"]) ?? "info").toLowerCase();
  if (!isLogLevel(logLevel)) {
    throw new ConfigError(`--log-level must be one of debug, info, warn, error; got '${logLevel}'`);
  }

  const poolMax = pickString(flags, env, ["database-pool-max"], ["FML_DATABASE_POOL_MAX"]) ?? "10";
  if (!/^\d+$/.test(poolMax) || Number(poolMax) < 1) {
    throw new ConfigError(`--database-pool-max must be a positive integer, got '${poolMax}'`);
  }

  const cacheSize = pickString(flags, env, ["database-cache-size"], ["FML_DATABASE_CACHE_SIZE"]);
  if (cacheSize !== undefined && !/^\d+$/.test(cacheSize)) {
    throw new ConfigError(`--database-cache-size must be megabytes, got '${cacheSize}'`);
  }

  const logFormat = (pickString(flags, env, ["log-format"], ["FML_LOG_FORMAT"]) ?? "text").toLowerCase();
  if (logFormat !== "text" && logFormat !== "json") {
    throw new ConfigError(`--log-format must be text or json, got '${logFormat}'`);
  }

  const slow = pickString(flags, env, ["database-slow-threshold"], ["FML_DATABASE_SLOW_THRESHOLD"]) ?? "1000";
  if (!/^\d+$/.test(slow)) {
    throw new ConfigError(`--database-slow-threshold must be milliseconds (0 turns it off), got '${slow}'`);
  }

  return {
    hostname: address.hostname,
    port: address.port,
    database: parseDatabaseUri(databaseUri, cwd),
    defaultArtifactRoot,
    artifactsDestination: resolveArtifactRoot(destination, cwd),
    serveArtifacts,
    s3EndpointUri:
      pickString(flags, env, ["s3-endpoint-uri"], ["FML_S3_ENDPOINT_URI", "MLFLOW_S3_ENDPOINT_URL"]),
    databaseMigrate: parseBoolean(
      "--database-migrate",
      pick(flags, env, ["database-migrate"], ["FML_DATABASE_MIGRATE"]),
      true,
    ),
    databasePoolMax: Number(poolMax),
    databaseCacheMb: cacheSize === undefined ? undefined : Number(cacheSize),
    logLevel,
    logFormat,
    databaseSlowThresholdMs: Number(slow),
    auth: resolveAuth(flags, env, cwd),
    shutdownTimeoutMs: parseDuration(
      pickString(flags, env, ["shutdown-timeout"], ["FML_SHUTDOWN_TIMEOUT"]) ?? "30s",
      "--shutdown-timeout",
    ),
  };
}
