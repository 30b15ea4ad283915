/**
 * `fml server`'s configuration from flags and environment, in the order a user expects: a flag,
 * then its `FML_*` variable, then MLflow's variable (`MLFLOW_BACKEND_STORE_URI`, ...), then the
 * default. So a compose file written for `mlflow server` starts fml unchanged, and the start-up
 * log says which name supplied each value that is not a default.
 */

import { resolve } from "node:path";
import {
  checkArtifactLocation,
  ConfigError,
  parseBoolean,
  parseDatabaseUri,
  parseDuration,
  parseListenAddress,
  parsePort,
  resolveArtifactRoot,
  type AuthConfig,
  type Env,
  type Flags,
  type Notice,
  type ServerConfig,
} from "./config.ts";
import { isLogLevel } from "./log.ts";
import { serverSettings, type SettingName } from "./server-settings.ts";

interface Found {
  value: string | boolean;
  /** The flag as typed (`-p`, `--backend-store-uri`) or the variable's name. */
  from: string;
}

/** Reads settings by precedence and remembers where each value came from. */
class SettingReader {
  readonly origins: string[] = [];
  /** Where the value last read came from, to name it in an error. */
  lastFrom = "";
  constructor(
    private readonly flags: Flags,
    private readonly env: Env,
    private readonly spelled: Record<string, string>,
  ) {}

  flag(name: SettingName): Found | undefined {
    const value = this.flags[name];
    if (value === undefined || value === "") return undefined;
    return { value, from: this.spelled[name] ?? `--${name}` };
  }

  variable(name: SettingName): Found | undefined {
    for (const variable of serverSettings[name].env as readonly string[]) {
      const value = this.env[variable];
      if (value !== undefined && value !== "") return { value, from: variable };
    }
    return undefined;
  }

  /** Records `label from <name>` for the start-up log and returns the value. */
  use<T>(label: string, found: Found | undefined, value: (found: Found) => T): T | undefined {
    if (!found) return undefined;
    this.lastFrom = found.from;
    this.origins.push(`${label} from ${found.from}`);
    return value(found);
  }

  string(name: SettingName): string | undefined {
    return this.use(name, this.flag(name) ?? this.variable(name), (f) => String(f.value));
  }

  boolean(name: SettingName, fallback: boolean): boolean {
    const found = this.flag(name) ?? this.variable(name);
    return this.use(name, found, (f) => parseBoolean(f.from, f.value, fallback)) ?? fallback;
  }
}

/** host and port, each from the first of: --listen-address, --host/--port, FML_LISTEN_ADDRESS, FML_HOST/PORT, MLFLOW_HOST/PORT. */
function resolveAddress(read: SettingReader): { hostname: string; port: number } {
  const listen = (found: Found | undefined) => {
    if (!found) return {};
    const text = String(found.value);
    const address = parseListenAddress(text);
    // A bare port says nothing about the host.
    return { host: text.includes(":") ? { value: address.hostname, from: found.from } : undefined, port: { value: String(address.port), from: found.from } };
  };
  const fromFlag = listen(read.flag("listen-address"));
  const fromVariable = listen(read.variable("listen-address"));
  const hostFound = fromFlag.host ?? read.flag("host") ?? fromVariable.host ?? read.variable("host");
  const portFound = fromFlag.port ?? read.flag("port") ?? fromVariable.port ?? read.variable("port");
  return {
    hostname: read.use("host", hostFound, (f) => String(f.value)) ?? "127.0.0.1",
    port: read.use("port", portFound, (f) => parsePort(String(f.value), f.from)) ?? 5000,
  };
}

function resolveAuth(read: SettingReader, cwd: string): AuthConfig {
  const username = read.string("auth-username");
  const password = read.string("auth-password");
  const tokensFile = read.string("auth-tokens-file");
  if ((username === undefined) !== (password === undefined)) {
    throw new ConfigError("--auth-username and --auth-password go together: set both or neither");
  }
  return { username, password, tokensFile: tokensFile === undefined ? undefined : resolve(cwd, tokensFile) };
}

function resolveStaticPrefix(read: SettingReader): string | undefined {
  const prefix = read.string("static-prefix");
  if (prefix === undefined) return undefined;
  // MLflow's own messages for the same mistakes.
  if (!prefix.startsWith("/")) throw new ConfigError("--static-prefix must begin with a '/'.");
  if (prefix.endsWith("/")) throw new ConfigError("--static-prefix should not end with a '/'.");
  return prefix;
}

function resolveXFrameOptions(read: SettingReader): string | undefined {
  const value = (read.string("x-frame-options") ?? "SAMEORIGIN").toUpperCase();
  if (!["SAMEORIGIN", "DENY", "NONE"].includes(value)) {
    throw new ConfigError(`--x-frame-options must be SAMEORIGIN, DENY or NONE, got '${value}'`);
  }
  return value === "NONE" ? undefined : value;
}

const notNeeded: [SettingName, string][] = [
  ["workers", "one fml process serves requests concurrently"],
  ["gunicorn-opts", "fml does not run gunicorn"],
  ["uvicorn-opts", "fml does not run uvicorn"],
  ["waitress-opts", "fml does not run waitress"],
  ["secrets-cache-ttl", "fml has no secrets store"],
  ["secrets-cache-max-size", "fml has no secrets store"],
  ["workspace-store-uri", "workspaces are not enabled (as MLflow ignores it without --enable-workspaces)"],
  ["expose-prometheus", "fml serves /metrics from memory and writes no metrics directory"],
  ["disable-security-middleware", "fml has no Host/CORS middleware to disable"],
];

/** MLflow's settings that mean nothing for one fml process: accepted and said once, not refused. */
function compatibilityNotices(read: SettingReader): Notice[] {
  const notices: Notice[] = [];
  for (const [name, why] of notNeeded) {
    const value = read.string(name);
    if (value !== undefined) notices.push({ level: "info", message: `--${name}: not needed, ${why}` });
  }
  if (read.string("allowed-hosts") !== undefined) {
    notices.push({
      level: "warn",
      message: "--allowed-hosts: fml does not check the Host header; restrict access with a firewall or reverse proxy",
    });
  }
  if (read.string("cors-allowed-origins") !== undefined) {
    notices.push({
      level: "warn",
      message: "--cors-allowed-origins: fml sends no CORS headers, so browsers refuse every cross-origin call",
    });
  }
  return notices;
}

export function resolveServerConfig(
  flags: Flags,
  env: Env,
  cwd: string,
  spelled: Record<string, string> = {},
): ServerConfig {
  const read = new SettingReader(flags, env, spelled);
  const address = resolveAddress(read);
  const databaseUri = read.string("database-uri") ?? "sqlite://fml.db";
  const database = parseDatabaseUri(databaseUri, cwd);

  const registryUri = read.string("registry-store-uri");
  if (registryUri !== undefined) {
    const registry = parseDatabaseUri(registryUri, cwd);
    const same = registry.kind === "sqlite" && database.kind === "sqlite"
      ? registry.path === database.path
      : registry.kind === database.kind && registry.kind !== "sqlite" && database.kind !== "sqlite" && registry.url === database.url;
    if (!same) {
      throw new ConfigError(
        "--registry-store-uri must be the tracking database (--backend-store-uri): fml keeps registered models in the same database",
      );
    }
  }

  const serveArtifacts = read.boolean("serve-artifacts", true);
  const artifactsOnly = read.boolean("artifacts-only", false);
  if (artifactsOnly && !serveArtifacts) {
    throw new ConfigError("--artifacts-only serves the artifact proxy, which --no-serve-artifacts turns off");
  }
  const explicitRoot = read.string("artifact-root");
  if (explicitRoot !== undefined) checkArtifactLocation(explicitRoot, read.lastFrom, true);
  // MLflow's rule: an explicit root wins; otherwise the proxy when serving artifacts, else ./mlruns.
  const defaultArtifactRoot = explicitRoot
    ? resolveArtifactRoot(explicitRoot, cwd)
    : serveArtifacts
      ? "mlflow-artifacts:/"
      : resolve(cwd, "mlruns");
  const destination = read.string("artifacts-destination");
  if (destination !== undefined) checkArtifactLocation(destination, read.lastFrom, false);

  const dev = read.boolean("dev", false);
  const logLevel = (read.string("log-level") ?? (dev ? "debug" : "info")).toLowerCase();
  if (!isLogLevel(logLevel)) {
    throw new ConfigError(`--log-level must be one of debug, info, warn, error; got '${logLevel}'`);
  }
  const logFormat = (read.string("log-format") ?? "text").toLowerCase();
  if (logFormat !== "text" && logFormat !== "json") {
    throw new ConfigError(`--log-format must be text or json, got '${logFormat}'`);
  }

  const poolMax = read.string("database-pool-max") ?? "10";
  if (!/^\d+$/.test(poolMax) || Number(poolMax) < 1) {
    throw new ConfigError(`--database-pool-max must be a positive integer, got '${poolMax}'`);
  }
  const cacheSize = read.string("database-cache-size");
  if (cacheSize !== undefined && !/^\d+$/.test(cacheSize)) {
    throw new ConfigError(`--database-cache-size must be megabytes, got '${cacheSize}'`);
  }
  const slow = read.string("database-slow-threshold") ?? "1000";
  if (!/^\d+$/.test(slow)) {
    throw new ConfigError(`--database-slow-threshold must be milliseconds (0 turns it off), got '${slow}'`);
  }

  const auth = resolveAuth(read, cwd);
  const notices = compatibilityNotices(read);
  if (dev) notices.push({ level: "info", message: "--dev: debug logging; fml does not auto-reload" });
  const appName = read.string("app-name");
  if (appName !== undefined) {
    if (appName !== "basic-auth" || auth.username === undefined) {
      throw new ConfigError(
        `--app-name '${appName}': fml loads no MLflow app plugins; for basic auth set --auth-username and --auth-password`,
      );
    }
    notices.push({ level: "info", message: "--app-name basic-auth: served by fml's own --auth-username/--auth-password" });
  }
  const workspaces = flags["disable-workspaces"] === true ? false : read.boolean("enable-workspaces", false);
  if (workspaces) throw new ConfigError("--enable-workspaces: fml does not support MLflow workspaces");

  return {
    hostname: address.hostname,
    port: address.port,
    database,
    defaultArtifactRoot,
    artifactsDestination: resolveArtifactRoot(destination ?? "./mlartifacts", cwd),
    serveArtifacts,
    s3EndpointUri: read.string("s3-endpoint-uri"),
    databaseMigrate: read.boolean("database-migrate", true),
    databasePoolMax: Number(poolMax),
    databaseCacheMb: cacheSize === undefined ? undefined : Number(cacheSize),
    logLevel,
    logFormat,
    databaseSlowThresholdMs: Number(slow),
    auth,
    shutdownTimeoutMs: parseDuration(read.string("shutdown-timeout") ?? "30s", "--shutdown-timeout"),
    artifactsOnly,
    staticPrefix: resolveStaticPrefix(read),
    xFrameOptions: resolveXFrameOptions(read),
    origins: read.origins,
    notices,
  };
}
