/**
 * Mounting trace endpoints: unlike the 2.0-only tracking table, they live under `/api/2.0`,
 * `/api/3.0` or both (and the `/ajax-api` twins), and take path parameters.
 */

import type { Context, Hono } from "hono";
import { invalidParameter } from "../errors.ts";
import type { Json } from "./json.ts";
import { readParams, type Params } from "./request.ts";
import type { Method } from "./endpoint.ts";

export type ApiVersion = "2.0" | "3.0";

export interface TraceRoute {
  method: Method;
  /** Hono path below the version prefix, e.g. `/mlflow/traces/:trace_id`. */
  path: string;
  versions: ApiVersion[];
  /** Served under `/ajax-api/<version>` only. */
  ajaxOnly?: boolean;
  handle: (params: Params, path: Record<string, string>, c: Context) => Promise<Json | Response>;
}

function jsonResponse(body: Json): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
}

/**
 * Routes are registered in list order: static paths must come before `:param` paths they overlap.
 * A known path asked with another method answers 405, as MLflow's Flask routes do.
 */
export function mountTraceRoutes(app: Hono, routes: readonly TraceRoute[]): void {
  const methods = new Map<string, Set<string>>();
  for (const route of routes) {
    for (const version of route.versions) {
      const prefixes = route.ajaxOnly ? [`/ajax-api/${version}`] : [`/api/${version}`, `/ajax-api/${version}`];
      for (const prefix of prefixes) {
        const path = prefix + route.path;
        app.on(route.method, path, async (c) => {
          const result = await route.handle(await readParams(c), c.req.param() as Record<string, string>, c);
          return result instanceof Response ? result : jsonResponse(result);
        });
        methods.set(path, (methods.get(path) ?? new Set()).add(route.method));
      }
    }
  }
  for (const [path, allowed] of methods) {
    app.all(path, (c) =>
      c.json(
        { error_code: "BAD_REQUEST", message: `Method ${c.req.method} is not allowed for ${c.req.path}; use ${[...allowed].join(" or ")}.` },
        405,
      ),
    );
  }
}

/** An absent list field gets MLflow's "Missing value for required parameter" answer. */
export function requireList(p: Params, name: string): void {
  if (!p.has(name)) p.string(name);
}

export function jsonTextResponse(text: string): Response {
  return new Response(text, { headers: { "content-type": "application/json" } });
}

const MAX_SEARCH_RESULTS = 500;

/** `max_results` of trace search: 1..500. */
export function searchMaxResults(p: Params, fallback: number): number {
  const value = p.optionalInt("max_results") ?? fallback;
  if (value > MAX_SEARCH_RESULTS) {
    throw invalidParameter(`Invalid value ${value} for parameter 'max_results' supplied. It must be at most ${MAX_SEARCH_RESULTS}.`);
  }
  if (value <= 0) throw invalidParameter(`Invalid value ${value} for parameter 'max_results' supplied. It must be a positive integer`);
  return value;
}
