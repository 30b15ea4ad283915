/**
 * What MLflow's `server` options mean in front of fml's app: `--static-prefix` moves every path
 * (UI, API, probes) under a prefix, `--artifacts-only` leaves only the artifact proxy and the
 * probes answering, `--x-frame-options` goes on every response. Plain Request -> Response, so it
 * wraps the app without the routes knowing.
 */

import type { ServerConfig } from "../config.ts";

type Fetch = (request: Request) => Response | Promise<Response>;

const ARTIFACT_PROXY = /^\/(?:ajax-)?api\/2\.0\/mlflow-artifacts\//;
const PROBES = new Set(["/health", "/ready", "/version", "/metrics"]);

function artifactsOnlyRefusal(path: string): Response {
  // MLflow's wording and status for the same refusal.
  return new Response(
    `Endpoint: ${path} disabled due to the mlflow server running in \`--artifacts-only\` mode. ` +
      "To enable tracking server functionality, run `fml server` without `--artifacts-only`",
    { status: 503, headers: { "content-type": "text/plain; charset=utf-8" } },
  );
}

function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    // Some responses have immutable headers: copy them once.
    const copy = new Response(response.body, response);
    copy.headers.set(name, value);
    return copy;
  }
}

export function compatibilityLayer(config: Pick<ServerConfig, "staticPrefix" | "artifactsOnly" | "xFrameOptions">, app: Fetch): Fetch {
  const prefix = config.staticPrefix;
  const frame = config.xFrameOptions;
  return async (request) => {
    let forward = request;
    const url = new URL(request.url);
    if (prefix) {
      if (url.pathname === prefix) {
        // The UI's asset and API URLs are relative: they resolve under the prefix only from `prefix/`.
        return Response.redirect(`${url.origin}${prefix}/${url.search}`, 308);
      }
      if (!url.pathname.startsWith(`${prefix}/`)) {
        return Response.json(
          { error_code: "ENDPOINT_NOT_FOUND", message: `fml serves everything under ${prefix}/ (--static-prefix)` },
          { status: 404 },
        );
      }
      url.pathname = url.pathname.slice(prefix.length);
      // Not `new Request(url, request)`: that reads request.signal, which Deno warns about per request.
      const body = request.method === "GET" || request.method === "HEAD" ? null : request.body;
      forward = new Request(url, { method: request.method, headers: request.headers, body, duplex: "half" } as RequestInit);
    }
    if (config.artifactsOnly && !ARTIFACT_PROXY.test(url.pathname) && !PROBES.has(url.pathname)) {
      return artifactsOnlyRefusal(url.pathname);
    }
    const response = await app(forward);
    return frame ? withHeader(response, "x-frame-options", frame) : response;
  };
}
