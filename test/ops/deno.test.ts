/**
 * fml runs from source on Deno 2 too (the `deno` package from the npm registry): the same entry
 * point starts, creates its schema and answers a smoke subset of the API, on SQLite and, where a
 * server is reachable, on MySQL (its driver, mysql2, loaded through Deno's npm support).
 */

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { mysqlAvailable } from "../helpers/fixtures.ts";
import { repoRoot, startFml, type Backend } from "../helpers/server.ts";

const deno = join(repoRoot, "node_modules/.bin/deno");

const databases: Backend[] = ["sqlite", ...((await mysqlAvailable()) ? (["mysql"] as const) : [])];

describe("deno", () => {
  test.each(databases)("the server starts under Deno on %s and serves experiments, runs and metrics", async (backend) => {
    const server = await startFml({
      backend,
      command: [deno, "run", "--allow-all", "--quiet", join(repoRoot, "src/cli/main.ts")],
      env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
    });
    try {
      expect(await (await fetch(`${server.url}/health`)).text()).toBe("OK");
      const exp = await server.api<{ experiment_id: string }>("POST", "experiments/create", { name: "deno" });
      expect(exp.status).toBe(200);
      const run = await server.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
        experiment_id: exp.body.experiment_id,
        start_time: 5,
      });
      const runId = run.body.run.info.run_id;
      const batch = await server.api("POST", "runs/log-batch", {
        run_id: runId,
        metrics: [
          { key: "loss", value: "NaN", timestamp: 1, step: 1 },
          { key: "loss", value: 0.5, timestamp: 2, step: 2 },
        ],
        params: [{ key: "lr", value: "0.1" }],
      });
      expect(batch.status).toBe(200);
      const got = await server.api<{ run: { data: { metrics: unknown[]; params: unknown[] } } }>("GET", "runs/get", {
        run_id: runId,
      });
      expect(got.body.run.data.metrics).toEqual([{ key: "loss", value: 0.5, timestamp: 2, step: 2 }]);
      expect(got.body.run.data.params).toEqual([{ key: "lr", value: "0.1" }]);
      const search = await server.api<{ runs: unknown[] }>("POST", "runs/search", {
        experiment_ids: [exp.body.experiment_id],
        filter: "params.lr = '0.1'",
      });
      expect(search.body.runs).toHaveLength(1);
      const history = await server.api<{ metrics: unknown[] }>("GET", "metrics/get-history", {
        run_id: runId,
        metric_key: "loss",
      });
      expect(history.body.metrics).toEqual([
        { key: "loss", value: "NaN", timestamp: 1, step: 1 },
        { key: "loss", value: 0.5, timestamp: 2, step: 2 },
      ]);
      const missing = await server.api("GET", "runs/get", { run_id: "nope" });
      expect(missing.status).toBe(404);
      const upload = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/d/a.txt`, { method: "PUT", body: "deno" });
      expect(upload.status).toBe(200);
      expect(await (await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/d/a.txt`)).text()).toBe("deno");
      // Copying a Request reads request.signal, which Deno 2 warns about on each request.
      expect(server.logs()).not.toContain("request.signal");
    } finally {
      await server.stop();
    }
  }, 60000);
});
