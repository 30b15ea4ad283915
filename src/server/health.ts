/**
 * Probes and metrics for running fml as a service: `/ready` answers 200 only while the database
 * answers (its schema was brought to head at start-up, or fml would not be running), `/metrics`
 * serves the Prometheus registry. `/health` (alive) lives in app.ts with the other plain routes.
 */

import type { Hono } from "hono";
import { log } from "../log.ts";
import { PROMETHEUS_CONTENT_TYPE, type FmlMetrics } from "./metrics.ts";

export interface Pingable {
  ping(): Promise<void>;
}

const READY_TIMEOUT_MS = 5000;

export function mountHealthRoutes(app: Hono, deps: { store: Pingable; metrics: FmlMetrics }): void {
  app.get("/ready", async (c) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        deps.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        }),
      ]);
      return c.text("OK");
    } catch (error) {
      // The reason may name the database host or file: it goes to the log, not to the caller.
      log.warn(`/ready: database not ready: ${(error as Error).message}`);
      const timedOut = (error as Error).message.startsWith("no answer in");
      return c.text(`database not ready: ${timedOut ? `no answer in ${READY_TIMEOUT_MS} ms` : "unavailable (see the server log)"}`, 503);
    } finally {
      clearTimeout(timer);
    }
  });
  app.get("/metrics", (c) => c.body(deps.metrics.registry.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE }));
}
