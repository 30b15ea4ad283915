/**
 * Many clients at once: 32 clients logging batches into the same SQLite file (and PostgreSQL)
 * must all succeed, and every point must be stored.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

const CLIENTS = 32;
const BATCHES = 10;
const POINTS = 100;

for (const backend of await backends()) {
  describe(`concurrency [${backend}]`, () => {
    let fml: FmlServer;
    beforeAll(async () => {
      fml = await startFml({ backend });
    });
    afterAll(async () => {
      await fml.stop();
    });

    test(`${CLIENTS} clients logging batches at once: no errors, nothing lost`, async () => {
      const exp = await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "concurrent" });
      const clients = Array.from({ length: CLIENTS }, async (_, c) => {
        const run = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
          experiment_id: exp.body.experiment_id,
          start_time: c,
        });
        const runId = run.body.run.info.run_id;
        const failures: unknown[] = [];
        for (let b = 0; b < BATCHES; b++) {
          const metrics = Array.from({ length: POINTS }, (_, i) => ({
            key: `m${i % 5}`,
            value: b * POINTS + i,
            timestamp: b * POINTS + i,
            step: b * POINTS + i,
          }));
          const r = await fml.api("POST", "runs/log-batch", {
            run_id: runId,
            metrics,
            params: [{ key: `p${b}`, value: String(b) }],
            tags: [{ key: "client", value: String(c) }],
          });
          if (r.status !== 200) failures.push(r.body);
        }
        return { runId, failures };
      });
      const results = await Promise.all(clients);
      expect(results.flatMap((r) => r.failures)).toEqual([]);
      for (const { runId } of results) {
        const h = await fml.api<{ metrics: unknown[] }>("GET", "metrics/get-history", { run_id: runId, metric_key: "m0" });
        expect(h.body.metrics).toHaveLength((BATCHES * POINTS) / 5);
        const run = await fml.api<{ run: { data: { params: unknown[] } } }>("GET", "runs/get", { run_id: runId });
        expect(run.body.run.data.params).toHaveLength(BATCHES);
      }
      expect(fml.logs()).not.toContain("database is locked");
    });
  });
}
