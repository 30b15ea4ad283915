/**
 * Read-modify-write paths of MLflow 3 models under concurrent writers: two fml processes on one
 * database appending to a run's `mlflow.log-model.history` tag and to a logged model's
 * `mlflow.modelVersions` tag at once lose no entry.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

const WRITERS = 16;
type Kv = { key: string; value: string };

for (const backend of await backends()) {
  describe(`logged models under concurrency [${backend}]`, () => {
    let first: FmlServer;
    let second: FmlServer;
    beforeAll(async () => {
      first = await startFml({ backend });
      // SQLite: the same file; PostgreSQL: the same database.
      second = await startFml({ backend, databaseUri: first.databaseUri });
    }, 30000);
    afterAll(async () => {
      await second.kill();
      await first.stop();
    });
    const server = (i: number): FmlServer => (i % 2 === 0 ? first : second);

    test(`${WRITERS} concurrent runs/log-model calls on one run keep every history entry`, async () => {
      const runId = (await first.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: "0" })).body.run
        .info.run_id;
      const results = await Promise.all(
        Array.from({ length: WRITERS }, (_, i) =>
          server(i).api("POST", "runs/log-model", {
            run_id: runId,
            model_json: JSON.stringify({ run_id: runId, artifact_path: `m${i}`, utc_time_created: "t", flavors: {} }),
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(WRITERS).fill(200));
      const run = await first.api<{ run: { data: { tags: Kv[] } } }>("GET", "runs/get", { run_id: runId });
      const history = JSON.parse(run.body.run.data.tags.find((t) => t.key === "mlflow.log-model.history")?.value ?? "[]");
      expect(history.map((h: { artifact_path: string }) => h.artifact_path).sort()).toEqual(
        Array.from({ length: WRITERS }, (_, i) => `m${i}`).sort(),
      );
    }, 60000);

    test(`${WRITERS} concurrent registrations of one logged model all land in mlflow.modelVersions`, async () => {
      const model = await first.api<{ model: { info: { model_id: string } } }>("POST", "logged-models", { experiment_id: "0" });
      const id = model.body.model.info.model_id;
      const results = await Promise.all(
        Array.from({ length: WRITERS }, async (_, i) => {
          await server(i).api("POST", "registered-models/create", { name: `reg-${i}` });
          return server(i).api("POST", "model-versions/create", { name: `reg-${i}`, source: `models:/${id}`, model_id: id });
        }),
      );
      expect(results.map((r) => r.status)).toEqual(Array(WRITERS).fill(200));
      const got = await first.api<{ model: { info: { tags: Kv[] } } }>("GET", `logged-models/${id}`);
      const versions = JSON.parse(got.body.model.info.tags.find((t) => t.key === "mlflow.modelVersions")?.value ?? "[]");
      expect(versions.map((v: { name: string }) => v.name).sort()).toEqual(Array.from({ length: WRITERS }, (_, i) => `reg-${i}`).sort());
    }, 60000);
  });
}
