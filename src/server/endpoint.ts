/**
 * The route table every MLflow API module declares: an `Endpoint` per path, mounted under both
 * `/api/2.0` and `/ajax-api/2.0`. Route modules (experiments, runs, registry, ...) return lists of
 * these, so a module reads like MLflow's service definition.
 */

import type { Hono } from "hono";
import type { Json } from "./json.ts";
import { readParams, type Params } from "./request.ts";

export const apiPrefixes = ["/api/2.0", "/ajax-api/2.0"] as const;

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface Endpoint {
  methods: Method[];
  /** Path below the `/api/2.0` and `/ajax-api/2.0` prefixes. */
  path: string;
  /** MLflow's JSON body, or a ready Response for the few endpoints that stream. */
  /** `path` holds the route's `:name` segments (logged-models/:model_id, ...). */
  handle: (params: Params, path: Record<string, string>) => Promise<Json | Response>;
}

/** A route module: the endpoints of one MLflow entity, served from `store`. */
export type Routes<S> = (store: S) => Endpoint[];

function jsonResponse(body: Json): Response {
  const text = JSON.stringify(body);
  // A known small length lets compression pass the body by (most answers are `{}`).
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (text.length < 4096) headers["content-length"] = String(Buffer.byteLength(text));
  return new Response(text, { headers });
}

/** Mounts `endpoints` under every API prefix; returns them by full path, to answer 405s. */
export function mountEndpoints(app: Hono, endpoints: readonly Endpoint[]): Map<string, Endpoint> {
  const byPath = new Map<string, Endpoint>();
  for (const endpoint of endpoints) {
    for (const prefix of apiPrefixes) {
      const path = prefix + endpoint.path;
      byPath.set(path, endpoint);
      app.on(endpoint.methods, path, async (c) => {
        const result = await endpoint.handle(await readParams(c), c.req.param());
        return result instanceof Response ? result : jsonResponse(result);
      });
    }
  }
  return byPath;
}
