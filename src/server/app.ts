/**
 * The HTTP application: MLflow's endpoints under `/api/2.0` and `/ajax-api/2.0`, `/health`,
 * `/version`, and MLflow's JSON error shape for everything that goes wrong.
 */

import { Hono, type Context } from "hono";
import { getPath } from "hono/utils/url";
import { maskPassword } from "../config.ts";
import { MlflowError } from "../errors.ts";
import { log } from "../log.ts";
import { SearchError } from "../search/errors.ts";
import type { TrackingStore } from "../store/types.ts";
import { mlflowVersion, version } from "../version.ts";
import { authMiddleware, type AuthOptions } from "./auth.ts";
import { compression } from "./compression.ts";
import { datasetEndpoints } from "./dataset-routes.ts";
import { mountEndpoints, type Endpoint, type Routes } from "./endpoint.ts";
import { experimentEndpoints } from "./experiment-routes.ts";
import { mountHealthRoutes } from "./health.ts";
import { metricEndpoints } from "./metric-routes.ts";
import { FmlMetrics, metricsMiddleware } from "./metrics.ts";
import { requestIdOf, requestLog, type RequestLogOptions } from "./request-log.ts";
import { runEndpoints } from "./run-routes.ts";

/** MLflow's tracking service, one route module per entity: a new entity is one more line here. */
const trackingRoutes: readonly Routes<TrackingStore>[] = [
  experimentEndpoints,
  runEndpoints,
  metricEndpoints,
  datasetEndpoints,
];

export interface AppOptions {
  store: TrackingStore;
  /** More endpoints (registry, artifacts, ...) served under the same prefixes. */
  endpoints?: Endpoint[];
  /** Mounts further routes (artifact proxy, UI) on the app before the catch-all. */
  extend?: (app: Hono) => void;
  /** Prometheus metrics served on `/metrics`; a fresh registry when absent. */
  metrics?: FmlMetrics;
  /** One line per request; no request log when absent. */
  requestLog?: RequestLogOptions;
  /** Authentication for everything but `/health` and `/ready`; open when absent. */
  auth?: AuthOptions;
}

/** Passwords in URIs and credentials in headers-like text never reach the log. */
export function redactSecrets(text: string): string {
  return maskPassword(text)
    .replace(/((?:authorization|x-amz-security-token|aws_secret_access_key|password)["']?\s*[:=]\s*["']?)[^\s"',;]+/gi, "$1***")
    .replace(/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s]+/g, "$1***");
}

/** A 5xx is the server's fault: the operator learns why from the log, by request id. */
function logServerError(c: Context, status: number, cause: string): void {
  const id = requestIdOf(c.req.raw) ?? c.req.header("x-request-id") ?? "-";
  log.warn(`request ${id} ${c.req.method} ${c.req.path} answered ${status}: ${redactSecrets(cause)}`);
}

export function errorResponse(c: Context, error: unknown): Response {
  if (error instanceof MlflowError) {
    if (error.status >= 500) logServerError(c, error.status, `${error.code}: ${error.message}`);
    return c.json({ error_code: error.code, message: error.message }, error.status as 400);
  }
  if (error instanceof SearchError) {
    return c.json({ error_code: "INVALID_PARAMETER_VALUE", message: error.message }, 400);
  }
  logServerError(c, 500, String((error as Error)?.stack ?? error));
  // The error's own text may hold SQL, a database or file-system message or a server path: logged
  // above, never sent.
  return c.json({ error_code: "INTERNAL_ERROR", message: "Internal error; the server log has the details." }, 500);
}

export function createApp(options: AppOptions): Hono {
  // `//model-versions/get-artifact` is MLflow's `/model-versions/get-artifact`: its server collapses
  // leading slashes before routing, and clients that join a base URL ending in "/" send them.
  const app = new Hono({ getPath: (request) => getPath(request).replace(/^\/{2,}/, "/") });
  app.onError((error, c) => errorResponse(c, error));
  // Outermost first: every response, refused ones included, gets an id, a log line and a count.
  if (options.requestLog) app.use(requestLog(options.requestLog));
  const metrics = options.metrics ?? new FmlMetrics();
  app.use(metricsMiddleware(metrics));
  if (options.auth) app.use(authMiddleware(options.auth));
  app.use(compression());

  app.get("/health", (c) => c.text("OK"));
  app.get("/version", (c) => {
    c.header("x-fml-version", version);
    return c.text(mlflowVersion);
  });
  mountHealthRoutes(app, { store: options.store, metrics });

  const knownPaths = mountEndpoints(app, [
    ...trackingRoutes.flatMap((routes) => routes(options.store)),
    ...(options.endpoints ?? []),
  ]);

  options.extend?.(app);

  app.notFound((c) => {
    const endpoint = knownPaths.get(c.req.path);
    if (endpoint) {
      return c.json(
        {
          error_code: "BAD_REQUEST",
          message: `Method ${c.req.method} is not allowed for ${c.req.path}; use ${endpoint.methods.join(" or ")}.`,
        },
        405,
      );
    }
    return c.json(
      { error_code: "ENDPOINT_NOT_FOUND", message: `No API endpoint found for ${c.req.method} ${c.req.path}` },
      404,
    );
  });
  return app;
}
