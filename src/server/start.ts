/**
 * Starts fml's HTTP server on a configured store and stops it gracefully: stop accepting, let
 * in-flight requests finish, then close the database. The port is bound before the database is
 * opened, so a port already in use changes nothing on disk (no new fml.db, no migration).
 */

import { maskPassword, type ServerConfig } from "../config.ts";
import { log } from "../log.ts";
import { serve, type RunningServer } from "../runtime.ts";
import { openStores } from "../store/open.ts";
import { TimedDatabase, describeSlow } from "../store/db/timed-database.ts";
import { version } from "../version.ts";
import { mountUi } from "../ui/serve.ts";
import { createApp } from "./app.ts";
import { loadAuthOptions } from "./auth.ts";
import { FmlMetrics } from "./metrics.ts";
import { registryEndpoints } from "./registry-routes.ts";
import { artifactRoutes } from "./artifact-routes.ts";
import { SpanStore } from "../store/spans.ts";
import { mountOtlpRoutes } from "./otlp-routes.ts";
import { traceArtifactReader } from "./trace-artifacts.ts";
import { mountTraceRoutes } from "./trace-route-kit.ts";
import { traceRoutes } from "./trace-routes.ts";
import { loggedModelRoutes } from "./logged-model-routes.ts";
import { compatibilityLayer } from "./compat.ts";

export interface StartedServer {
  port: number;
  /** Resolves once in-flight requests are done and the database is closed. */
  shutdown(): Promise<void>;
}

/** A listen failure, named by address and cause; exit status 2 like other configuration errors. */
export class BindError extends Error {
  override name = "BindError";
}

/** Artifact uploads stream through, so the listener itself takes any size; JSON routes cap theirs. */
const MAX_BODY_BYTES = Number.MAX_SAFE_INTEGER;

const bindCauses: Record<string, string> = {
  EADDRINUSE: "the port is already in use by another process",
  AddrInUse: "the port is already in use by another process",
  EADDRNOTAVAIL: "the address is not one of this machine's",
  AddrNotAvailable: "the address is not one of this machine's",
  EACCES: "permission denied (ports below 1024 need privileges)",
  PermissionDenied: "permission denied (ports below 1024 need privileges)",
  EINVAL: "not a valid address to listen on",
  ENOTFOUND: "the host name does not resolve",
};

function bindError(address: string, error: unknown): BindError {
  const e = error as { code?: string; name?: string; message?: string };
  const key = [e.code, e.name].find((k) => k !== undefined && k in bindCauses);
  const cause = key ? `${bindCauses[key]} (${key})` : (e.message ?? String(error));
  return new BindError(`cannot listen on ${address}: ${cause}`);
}

async function bind(config: ServerConfig, handler: { fetch(request: Request): Response | Promise<Response> }): Promise<RunningServer> {
  const host = config.hostname.includes(":") ? `[${config.hostname}]` : config.hostname;
  try {
    return await serve({
      hostname: config.hostname,
      port: config.port,
      maxRequestBodySize: MAX_BODY_BYTES,
      fetch: (request) => handler.fetch(request),
    });
  } catch (error) {
    throw bindError(`${host}:${config.port}`, error);
  }
}

const starting = (): Response =>
  Response.json({ error_code: "TEMPORARILY_UNAVAILABLE", message: "fml is starting; retry shortly" }, { status: 503 });

export async function startServer(config: ServerConfig): Promise<StartedServer> {
  // Read before the port and the database, so a bad tokens file fails fast and changes nothing.
  const auth = loadAuthOptions(config.auth);
  const handler: { fetch(request: Request): Response | Promise<Response> } = { fetch: starting };
  const server = await bind(config, handler);
  let stores: Awaited<ReturnType<typeof openStores>>;
  try {
    stores = await openStores({
      database: config.database,
      defaultArtifactRoot: config.defaultArtifactRoot,
      migrate: config.databaseMigrate,
      poolMax: config.databasePoolMax,
      cacheMb: config.databaseCacheMb,
      wrapDatabase:
        config.databaseSlowThresholdMs > 0
          ? (db) =>
              new TimedDatabase(db, {
                thresholdMs: config.databaseSlowThresholdMs,
                onSlow: (statement) => log.warn(describeSlow(statement, config.databaseSlowThresholdMs)),
              })
          : undefined,
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  const { tracking: store, registry, models, db } = stores;
  const artifacts = artifactRoutes({
    store,
    config,
    getModelVersionDownloadUri: (name, version) => registry.getModelVersionDownloadUri(name, version),
  });
  const resolver = { artifactsDestination: config.artifactsDestination, s3EndpointUri: config.s3EndpointUri };
  const loggedModels = loggedModelRoutes({ models, config });
  const app = createApp({
    store,
    metrics: new FmlMetrics(),
    requestLog: { format: config.logFormat, enabled: config.logLevel === "debug" || config.logLevel === "info" },
    auth,
    endpoints: [...artifacts.endpoints, ...registryEndpoints(registry, store, models), ...loggedModels.endpoints],
    extend: (app) => {
      artifacts.mount(app);
      mountTraceRoutes(app, traceRoutes({ db, readTraceArtifact: traceArtifactReader(resolver) }));
      mountOtlpRoutes(app, new SpanStore(db));
      loggedModels.mount(app);
      mountUi(app);
    },
  });
  handler.fetch = compatibilityLayer(config, (request) => app.fetch(request));
  const host = config.hostname.includes(":") ? `[${config.hostname}]` : config.hostname;
  // Once started, so a failure stays one line; the values themselves are in the next line.
  if (config.origins.length) log.info(`settings: ${config.origins.join(", ")}`);
  log.info(
    `fml ${version} listening on http://${host}:${server.port}${config.staticPrefix ?? ""} ` +
      `database=${maskPassword(config.database.uri)} artifact-root=${config.defaultArtifactRoot}` +
      (config.artifactsOnly ? " artifacts-only" : "") +
      (auth ? ` auth=${[auth.username ? "basic" : "", auth.tokens.length ? `bearer(${auth.tokens.length} tokens)` : ""].filter(Boolean).join("+")}` : ""),
  );
  let stopping: Promise<void> | undefined;
  return {
    port: server.port,
    shutdown() {
      stopping ??= (async () => {
        await server.stop();
        await store.close();
      })();
      return stopping;
    },
  };
}
