/**
 * Starts fml's HTTP server on a configured store and stops it gracefully: stop accepting, let
 * in-flight requests finish, then close the database.
 */

import { maskPassword, type ServerConfig } from "../config.ts";
import { log } from "../log.ts";
import { serve } from "../runtime.ts";
import { openStores } from "../store/open.ts";
import { TimedDatabase, describeSlow } from "../store/db/timed-database.ts";
import { version } from "../version.ts";
import { mountUi } from "../ui/serve.ts";
import { createApp } from "./app.ts";
import { loadAuthOptions } from "./auth.ts";
import { FmlMetrics } from "./metrics.ts";
import { registryEndpoints } from "./registry-routes.ts";
import { artifactRoutes } from "./artifact-routes.ts";
import { loggedModelRoutes } from "./logged-model-routes.ts";
import { SpanStore } from "../store/spans.ts";
import { mountOtlpRoutes } from "./otlp-routes.ts";
import { traceArtifactReader } from "./trace-artifacts.ts";
import { mountTraceRoutes } from "./trace-route-kit.ts";
import { traceRoutes } from "./trace-routes.ts";

export interface StartedServer {
  port: number;
  /** Resolves once in-flight requests are done and the database is closed. */
  shutdown(): Promise<void>;
}

/** Artifact uploads stream through, so the listener itself takes any size; JSON routes cap theirs. */
const MAX_BODY_BYTES = Number.MAX_SAFE_INTEGER;

export async function startServer(config: ServerConfig): Promise<StartedServer> {
  // Read before the database opens, so a bad tokens file fails fast and changes nothing.
  const auth = loadAuthOptions(config.auth);
  const { tracking: store, registry, models, db } = await openStores({
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
  const artifacts = artifactRoutes({
    store,
    config,
    getModelVersionDownloadUri: (name, version) => registry.getModelVersionDownloadUri(name, version),
  });
  const loggedModels = loggedModelRoutes({ models, config });
  const resolver = { artifactsDestination: config.artifactsDestination, s3EndpointUri: config.s3EndpointUri };
  const app = createApp({
    store,
    metrics: new FmlMetrics(),
    requestLog: { format: config.logFormat, enabled: config.logLevel === "debug" || config.logLevel === "info" },
    auth,
    endpoints: [...artifacts.endpoints, ...registryEndpoints(registry, store, models), ...loggedModels.endpoints],
    extend: (app) => {
      artifacts.mount(app);
      loggedModels.mount(app);
      mountTraceRoutes(app, traceRoutes({ db, readTraceArtifact: traceArtifactReader(resolver) }));
      mountOtlpRoutes(app, new SpanStore(db));
      mountUi(app);
    },
  });
  const server = await serve({
    hostname: config.hostname,
    port: config.port,
    maxRequestBodySize: MAX_BODY_BYTES,
    fetch: (request) => app.fetch(request),
  });
  const host = config.hostname.includes(":") ? `[${config.hostname}]` : config.hostname;
  log.info(
    `fml ${version} listening on http://${host}:${server.port} ` +
      `database=${maskPassword(config.database.uri)} artifact-root=${config.defaultArtifactRoot}` +
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
