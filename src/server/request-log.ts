/**
 * One log line per request: request id, method, route pattern, path, status and latency, as text
 * or JSON. The id comes from the client's `X-Request-Id` when it is a sane token, else a fresh
 * UUID, and is always sent back in `X-Request-Id` so a client report can be found in the log.
 */

import type { MiddlewareHandler } from "hono";
import type { LogFormat } from "../config.ts";
import { routeLabel } from "./metrics.ts";

export interface RequestLogOptions {
  format: LogFormat;
  /** False when the log level is above info: ids are still assigned, nothing is written. */
  enabled: boolean;
  write?: (line: string) => void;
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Each request's id, so an error logged deeper down can name the request it belongs to. */
const ids = new WeakMap<Request, string>();

export function requestIdOf(request: Request): string | undefined {
  return ids.get(request);
}

export function requestId(incoming: string | undefined): string {
  return incoming && SANE_ID.test(incoming) ? incoming : crypto.randomUUID();
}

/** Lines written in one go per event-loop turn: one write call for many requests under load. */
function batchedStderr(): (line: string) => void {
  let pending: string[] = [];
  const flush = (): void => {
    const text = pending.join("\n") + "\n";
    pending = [];
    process.stderr.write(text);
  };
  return (line) => {
    if (pending.push(line) === 1) setImmediate(flush);
  };
}

export function requestLog(options: RequestLogOptions): MiddlewareHandler {
  const write = options.write ?? batchedStderr();
  return async (c, next) => {
    const started = performance.now();
    const id = requestId(c.req.header("x-request-id"));
    ids.set(c.req.raw, id);
    try {
      await next();
    } finally {
      c.header("x-request-id", id);
      if (options.enabled) {
        const entry = {
          request_id: id,
          method: c.req.method,
          route: routeLabel(c),
          path: c.req.path,
          status: c.res.status,
          duration_ms: Math.round((performance.now() - started) * 100) / 100,
        };
        write(options.format === "json" ? jsonLine(entry) : textLine(entry));
      }
    }
  };
}

type Entry = Record<string, string | number>;

function jsonLine(entry: Entry): string {
  return JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "request", ...entry });
}

function textLine(entry: Entry): string {
  const fields = Object.entries(entry).map(([k, v]) => `${k}=${typeof v === "string" && /[\s"]/.test(v) ? JSON.stringify(v) : v}`);
  return `${new Date().toISOString()} INFO request ${fields.join(" ")}`;
}
