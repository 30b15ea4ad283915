/**
 * Many clients at once: 32 clients logging batches into the same SQLite file (and PostgreSQL)
 * must all succeed, and every point must be stored. Then the races that only several writers on
 * one PostgreSQL can lose (write-once params, lock order, version numbers, shared datasets, names
 * that must be unique), each on one server per backend and on three fml processes sharing one
 * PostgreSQL database, with the exact outcome MLflow gives.
 */

import { Database as SqliteFile } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { mysqlQuery } from "../helpers/fixtures.ts";
import { backends, startFml, type ApiResponse, type FmlServer } from "../helpers/server.ts";

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

// ---------------------------------------------------------------------------------------------
// Races

/** Requests go round-robin to the servers, all of which share one database. */
interface Cluster {
  servers: FmlServer[];
  api<T = Record<string, unknown>>(i: number, method: string, endpoint: string, body?: unknown): Promise<ApiResponse<T>>;
  /** Runs `sql` directly against the shared database. */
  count(sql: string, ...params: (string | number)[]): Promise<number>;
}

function cluster(servers: FmlServer[]): Cluster {
  const primary = servers[0] as FmlServer;
  return {
    servers,
    api: (i, method, endpoint, body) => (servers[i % servers.length] as FmlServer).api(method, endpoint, body),
    async count(query, ...params) {
      if (primary.backend === "sqlite") {
        const file = new SqliteFile(primary.databaseUri.replace(/^sqlite:\/\/\//, ""), { readonly: true });
        try {
          const row = file.query(query.replace(/\$\d+/g, "?")).get(...params) as Record<string, number>;
          return Number(Object.values(row)[0]);
        } finally {
          file.close();
        }
      }
      if (primary.backend === "mysql") {
        const rows = await mysqlQuery(primary.databaseUri, query.replace(/\$\d+/g, "?"), params);
        return Number(Object.values(rows[0] ?? {})[0]);
      }
      const pg = postgres(primary.databaseUri, { max: 1, onnotice: () => {} });
      try {
        const [row] = await pg.unsafe(query, params);
        return Number(Object.values(row ?? {})[0]);
      } finally {
        await pg.end();
      }
    },
  };
}

/** `n` requests at once, request `i` to server `i mod servers`. */
function all<T>(n: number, request: (i: number) => Promise<ApiResponse<T>>): Promise<ApiResponse<T>[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => request(i)));
}

const statuses = (responses: readonly ApiResponse<unknown>[]): number[] => responses.map((r) => r.status).sort();

function raceTests(describeName: string, start: () => Promise<FmlServer[]>): void {
  describe(describeName, () => {
    let c: Cluster;
    let experimentId: string;
    beforeAll(async () => {
      c = cluster(await start());
      const exp = await c.api<{ experiment_id: string }>(0, "POST", "experiments/create", { name: "races" });
      experimentId = exp.body.experiment_id;
    });
    afterAll(async () => {
      // The first server owns the database: stop it last.
      for (const server of [...c.servers].reverse()) await server.stop();
    });

    async function newRun(): Promise<string> {
      const r = await c.api<{ run: { info: { run_id: string } } }>(0, "POST", "runs/create", {
        experiment_id: experimentId,
      });
      return r.body.run.info.run_id;
    }

    async function getRun(runId: string): Promise<{
      info: { run_name: string };
      data: { params?: { key: string; value: string }[]; tags?: { key: string; value: string }[]; metrics?: { key: string }[] };
    }> {
      const r = await c.api<{ run: Awaited<ReturnType<typeof getRun>> }>(0, "GET", "runs/get", { run_id: runId });
      return r.body.run;
    }

    test("8 log-parameter calls with different values: one 200, seven MLflow 400s, the winner stored", async () => {
      const runId = await newRun();
      const responses = await all(8, (i) =>
        c.api<{ error_code?: string; message?: string }>(i, "POST", "runs/log-parameter", {
          run_id: runId,
          key: "lr",
          value: `v${i}`,
        }),
      );
      expect(statuses(responses)).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
      const winner = responses.findIndex((r) => r.status === 200);
      for (const r of responses.filter((r) => r.status === 400)) {
        expect(r.body.error_code).toBe("INVALID_PARAMETER_VALUE");
        expect(r.body.message).toStartWith(
          `Changing param values is not allowed. Param with key='lr' was already logged with value='v${winner}' for run ID='${runId}'.`,
        );
      }
      expect((await getRun(runId)).data.params).toEqual([{ key: "lr", value: `v${winner}` }]);
    });

    test("8 log-batch calls with conflicting params: only the winner's batch is stored", async () => {
      const runId = await newRun();
      const responses = await all(8, (i) =>
        c.api(i, "POST", "runs/log-batch", {
          run_id: runId,
          params: [{ key: "lr", value: `v${i}` }],
          metrics: [{ key: `m${i}`, value: i, timestamp: 1, step: 0 }],
          tags: [{ key: `t${i}`, value: "x" }],
        }),
      );
      expect(statuses(responses)).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
      const winner = responses.findIndex((r) => r.status === 200);
      const run = await getRun(runId);
      expect(run.data.params).toEqual([{ key: "lr", value: `v${winner}` }]);
      expect(run.data.metrics?.map((m) => m.key)).toEqual([`m${winner}`]);
      expect(run.data.tags?.filter((t) => t.key.startsWith("t")).map((t) => t.key)).toEqual([`t${winner}`]);
      expect(await c.count("SELECT COUNT(*) AS n FROM metrics WHERE run_uuid = $1", runId)).toBe(1);
    });

    test("8 log-parameter calls with the same value: all 200 (idempotent)", async () => {
      const runId = await newRun();
      const responses = await all(8, (i) =>
        c.api(i, "POST", "runs/log-parameter", { run_id: runId, key: "lr", value: "0.1" }),
      );
      expect(statuses(responses)).toEqual(Array(8).fill(200));
      expect((await getRun(runId)).data.params).toEqual([{ key: "lr", value: "0.1" }]);
    });

    test("runs/update run_name and set-tag mlflow.runName at once: no deadlock, name and tag agree", async () => {
      const runId = await newRun();
      const started = Date.now();
      const responses = await all(40, (i) =>
        i % 2 === 0
          ? c.api(i, "POST", "runs/update", { run_id: runId, run_name: `name-${i}` })
          : c.api(i, "POST", "runs/set-tag", { run_id: runId, key: "mlflow.runName", value: `name-${i}` }),
      );
      expect(responses.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
      expect(Date.now() - started).toBeLessThan(10_000);
      const run = await getRun(runId);
      expect(run.data.tags?.find((t) => t.key === "mlflow.runName")?.value).toBe(run.info.run_name);
    });

    test("log-batch calls with the same metrics and tags in opposite orders: no deadlock", async () => {
      const runId = await newRun();
      const keys = Array.from({ length: 50 }, (_, k) => `k${k}`);
      const responses = await all(16, (i) => {
        const ordered = i % 2 === 0 ? keys : [...keys].reverse();
        return c.api(i, "POST", "runs/log-batch", {
          run_id: runId,
          metrics: ordered.map((key) => ({ key, value: i, timestamp: i, step: i })),
          tags: ordered.map((key) => ({ key, value: String(i) })),
        });
      });
      expect(responses.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
      expect(await c.count("SELECT COUNT(*) AS n FROM latest_metrics WHERE run_uuid = $1", runId)).toBe(50);
      expect(await c.count("SELECT MIN(step) AS n FROM latest_metrics WHERE run_uuid = $1", runId)).toBe(15);
    });

    test("16 model-versions/create on one model: every request gets a version, 1..16", async () => {
      await c.api(0, "POST", "registered-models/create", { name: "raced-model" });
      const responses = await all(16, (i) =>
        c.api<{ model_version: { version: string } }>(i, "POST", "model-versions/create", {
          name: "raced-model",
          source: `s3://bucket/model-${i}`,
        }),
      );
      expect(responses.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
      const versions = responses.map((r) => Number(r.body.model_version.version)).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    });

    test("transition-model-version-stage with archiving on every version at once: no deadlock", async () => {
      await c.api(0, "POST", "registered-models/create", { name: "staged-model" });
      for (let i = 0; i < 8; i++) {
        await c.api(0, "POST", "model-versions/create", { name: "staged-model", source: `s3://bucket/staged-${i}` });
      }
      const responses = await all(16, (i) =>
        c.api(i, "POST", "model-versions/transition-stage", {
          name: "staged-model",
          version: String((i % 8) + 1),
          stage: "Production",
          archive_existing_versions: true,
        }),
      );
      expect(responses.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
      expect(
        await c.count(
          "SELECT COUNT(*) AS n FROM model_versions WHERE name = $1 AND current_stage = 'Production'",
          "staged-model",
        ),
      ).toBe(1);
    });

    test("log-inputs of the same new dataset to 8 runs at once: all 200, one dataset stored", async () => {
      const runIds = await Promise.all(Array.from({ length: 8 }, () => newRun()));
      const dataset = {
        name: "raced-dataset",
        digest: "d1",
        source_type: "local",
        source: '{"uri": "/tmp/data.csv"}',
      };
      const responses = await all(8, (i) =>
        c.api(i, "POST", "runs/log-inputs", { run_id: runIds[i], datasets: [{ dataset, tags: [] }] }),
      );
      expect(responses.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
      expect(await c.count("SELECT COUNT(*) AS n FROM datasets WHERE name = $1", "raced-dataset")).toBe(1);
      expect(await c.count("SELECT COUNT(*) AS n FROM inputs WHERE source_type = 'DATASET'")).toBe(8);
    });

    test("8 experiments/create with one name: one 200, seven RESOURCE_ALREADY_EXISTS", async () => {
      const responses = await all(8, (i) =>
        c.api<{ error_code?: string }>(i, "POST", "experiments/create", { name: "raced-experiment" }),
      );
      expect(statuses(responses)).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
      for (const r of responses.filter((r) => r.status === 400)) expect(r.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
      expect(await c.count("SELECT COUNT(*) AS n FROM experiments WHERE name = $1", "raced-experiment")).toBe(1);
    });

    test("8 registered-models/create with one name: one 200, seven RESOURCE_ALREADY_EXISTS", async () => {
      const responses = await all(8, (i) =>
        c.api<{ error_code?: string }>(i, "POST", "registered-models/create", { name: "raced-registered" }),
      );
      expect(statuses(responses)).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
      for (const r of responses.filter((r) => r.status === 400)) expect(r.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
    });

    test("8 models renamed to one new name at once: one 200, seven RESOURCE_ALREADY_EXISTS", async () => {
      for (let i = 0; i < 8; i++) await c.api(0, "POST", "registered-models/create", { name: `rename-me-${i}` });
      const responses = await all(8, (i) =>
        c.api<{ error_code?: string; message?: string }>(i, "POST", "registered-models/rename", {
          name: `rename-me-${i}`,
          new_name: "renamed-target",
        }),
      );
      expect(statuses(responses)).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
      for (const r of responses.filter((r) => r.status === 400)) {
        expect(r.body).toEqual({
          error_code: "RESOURCE_ALREADY_EXISTS",
          message: "Registered Model (name=renamed-target) already exists.",
        });
      }
    });
  });
}

for (const backend of await backends()) {
  raceTests(`races [${backend}]`, async () => [await startFml({ backend })]);
}

if ((await backends()).includes("postgresql")) {
  raceTests("races [three fml processes on one postgresql]", async () => {
    const first = await startFml({ backend: "postgresql" });
    const others = await Promise.all([1, 2].map(() => startFml({ backend: "postgresql", databaseUri: first.databaseUri })));
    return [first, ...others];
  });
}
