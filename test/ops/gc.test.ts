/**
 * `fml gc` through the command line on databases a real fml server filled: it removes exactly the
 * deleted runs and experiments with their rows and artifacts; --dry-run, --older-than and refused
 * --run-ids change nothing.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database as SqliteDb } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { mysqlQuery } from "../helpers/fixtures.ts";
import { backends, repoRoot, startFml, type Backend, type FmlServer } from "../helpers/server.ts";

const TABLES = [
  "experiments",
  "experiment_tags",
  "runs",
  "metrics",
  "latest_metrics",
  "params",
  "tags",
  "inputs",
  "input_tags",
  "datasets",
] as const;

async function query(uri: string, text: string): Promise<Record<string, unknown>[]> {
  if (uri.startsWith("sqlite")) {
    const db = new SqliteDb(uri.replace(/^sqlite:\/\/\//, ""), { readonly: true });
    try {
      return db.query(text).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  if (uri.startsWith("mysql")) return mysqlQuery(uri, text);
  const sql = postgres(uri, { max: 1, onnotice: () => {} });
  try {
    return [...(await sql.unsafe(text))];
  } finally {
    await sql.end();
  }
}

async function counts(uri: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) out[table] = Number((await query(uri, `SELECT COUNT(*) AS n FROM ${table}`))[0]?.n);
  return out;
}

function gc(fml: FmlServer, ...args: string[]): { code: number; out: string; err: string } {
  return gcWith(fml, {}, ...args);
}

function gcWith(fml: FmlServer, env: Record<string, string>, ...args: string[]): { code: number; out: string; err: string } {
  const result = Bun.spawnSync(
    [
      process.execPath,
      join(repoRoot, "src/cli/main.ts"),
      "gc",
      "--database-uri",
      fml.databaseUri,
      "--artifacts-destination",
      join(fml.dir, "mlartifacts"),
      ...args,
    ],
    { cwd: fml.dir, env: { ...process.env, FML_LOG_LEVEL: "warn", ...env } },
  );
  return { code: result.exitCode ?? -1, out: result.stdout.toString(), err: result.stderr.toString() };
}

for (const backend of await backends()) {
  describe(`fml gc on ${backend}`, () => {
    let fml: FmlServer;
    const ids: Record<string, string> = {};
    const runDir = (exp: string, run: string) => join(fml.dir, "mlartifacts", exp, run);

    async function run(name: string, experimentId: string): Promise<string> {
      const created = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
        experiment_id: experimentId,
        run_name: name,
      });
      const runId = created.body.run.info.run_id;
      await fml.api("POST", "runs/log-batch", {
        run_id: runId,
        metrics: [{ key: "loss", value: 0.5, timestamp: 1, step: 0 }, { key: "loss", value: 0.25, timestamp: 2, step: 1 }],
        params: [{ key: "lr", value: "0.1" }],
        tags: [{ key: "team", value: "ops" }],
      });
      await fml.api("POST", "runs/log-inputs", {
        run_id: runId,
        datasets: [
          {
            tags: [{ key: "mlflow.data.context", value: "training" }],
            dataset: { name: `ds-${name}`, digest: `d-${name}`, source_type: "local", source: "{}" },
          },
        ],
      });
      const put = await fetch(`${fml.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model.txt`, {
        method: "PUT",
        body: `weights of ${name}`,
      });
      expect(put.status).toBe(200);
      return runId;
    }

    beforeAll(async () => {
      fml = await startFml({ backend: backend as Backend });
      const keep = await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "keep" });
      const gone = await fml.api<{ experiment_id: string }>("POST", "experiments/create", {
        name: "gone",
        tags: [{ key: "owner", value: "x" }],
      });
      ids.keep = keep.body.experiment_id;
      ids.gone = gone.body.experiment_id;
      ids.a1 = await run("a1", ids.keep);
      ids.a2 = await run("a2", ids.keep);
      ids.b1 = await run("b1", ids.gone);
      expect((await fml.api("POST", "runs/delete", { run_id: ids.a2 })).status).toBe(200);
      expect((await fml.api("POST", "experiments/delete", { experiment_id: ids.gone })).status).toBe(200);
      // gc runs beside a stopped server here; the data stays.
      expect(await fml.kill("SIGTERM")).toBe(0);
    }, 60_000);
    afterAll(async () => {
      await fml.stop();
    }, 60_000);

    test("--dry-run lists the deleted run, the deleted experiment and its run, and changes nothing", async () => {
      const before = await counts(fml.databaseUri);
      const result = gc(fml, "--dry-run");
      expect(result.code).toBe(0);
      expect(result.out).toContain(`would remove run ${ids.a2} (experiment ${ids.keep})`);
      expect(result.out).toContain(`would remove run ${ids.b1} (experiment ${ids.gone})`);
      expect(result.out).toContain(`would remove experiment ${ids.gone} (gone)`);
      expect(result.out).not.toContain(ids.a1 as string);
      expect(result.out).toContain("dry run: 2 runs and 1 experiments would be removed; nothing changed");
      expect(await counts(fml.databaseUri)).toEqual(before);
      expect(existsSync(runDir(ids.keep as string, ids.a2 as string))).toBe(true);
    }, 60_000);

    test("--older-than 1d keeps what was deleted moments ago", async () => {
      const before = await counts(fml.databaseUri);
      const result = gc(fml, "--older-than", "1d");
      expect(result.code).toBe(0);
      expect(result.out).toBe("");
      expect(await counts(fml.databaseUri)).toEqual(before);
    }, 60_000);

    test("--run-ids naming an active run is refused and changes nothing", async () => {
      const before = await counts(fml.databaseUri);
      const result = gc(fml, "--run-ids", `${ids.a2},${ids.a1}`);
      expect(result.code).toBe(2);
      expect(result.err).toContain(`fml: run ${ids.a1} is not in the deleted lifecycle stage`);
      expect(await counts(fml.databaseUri)).toEqual(before);
      expect(gc(fml, "--experiment-ids", ids.keep as string).err).toContain(
        `experiment ${ids.keep} is not in the deleted lifecycle stage`,
      );
    }, 60_000);

    test("gc removes exactly the deleted entities, their rows and their artifacts", async () => {
      const before = await counts(fml.databaseUri);
      const result = gc(fml);
      expect(result.code).toBe(0);
      expect(result.out).toContain(`Run with ID ${ids.a2} has been permanently deleted.`);
      expect(result.out).toContain(`Run with ID ${ids.b1} has been permanently deleted.`);
      expect(result.out).toContain(`Experiment with ID ${ids.gone} has been permanently deleted.`);

      const after = await counts(fml.databaseUri);
      const a1Tags = (await query(fml.databaseUri, `SELECT "key" FROM tags WHERE run_uuid = '${ids.a1}'`)).length;
      expect(after).toEqual({
        experiments: before.experiments! - 1,
        experiment_tags: before.experiment_tags! - 1,
        runs: before.runs! - 2,
        metrics: before.metrics! - 4,
        latest_metrics: before.latest_metrics! - 2,
        params: before.params! - 2,
        tags: a1Tags, // only the kept run's tags remain
        inputs: before.inputs! - 2,
        input_tags: before.input_tags! - 2,
        datasets: before.datasets! - 1, // b1's dataset went with its experiment; a2's stays with "keep"
      });
      const runs = (await query(fml.databaseUri, "SELECT run_uuid FROM runs")).map((r) => r.run_uuid);
      expect(runs).toEqual([ids.a1]);
      const experiments = (await query(fml.databaseUri, "SELECT name FROM experiments ORDER BY experiment_id")).map((r) => r.name);
      expect(experiments).toEqual(["Default", "keep"]);

      expect(existsSync(join(runDir(ids.keep as string, ids.a1 as string), "artifacts/model.txt"))).toBe(true);
      expect(existsSync(runDir(ids.keep as string, ids.a2 as string))).toBe(false);
      expect(existsSync(runDir(ids.gone as string, ids.b1 as string))).toBe(false);

      expect(gc(fml).out).toBe(""); // nothing left to do
    }, 60_000);
  });
}

for (const backend of await backends()) {
  describe(`fml gc of MLflow 3 logged models on ${backend}`, () => {
    test("deleted logged models go with their params, tags, metrics and files; active ones stay", async () => {
      const fml = await startFml({ backend: backend as Backend });
      try {
        const exp = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "models" })).body.experiment_id;
        const runId = (await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: exp })).body.run.info
          .run_id;
        const model = async (name: string): Promise<string> => {
          const r = await fml.api<{ model: { info: { model_id: string } } }>("POST", "logged-models", {
            experiment_id: exp,
            name,
            params: [{ key: "p", value: "1" }],
            tags: [{ key: "t", value: "1" }],
          });
          const id = r.body.model.info.model_id;
          await fml.api("POST", "runs/log-metric", { run_id: runId, key: "acc", value: 1, timestamp: 1, model_id: id });
          const put = await fetch(`${fml.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/models/${id}/artifacts/MLmodel`, {
            method: "PUT",
            body: name,
          });
          expect(put.status).toBe(200);
          return id;
        };
        const kept = await model("kept");
        const gone = await model("gone");
        expect((await fml.api("DELETE", `logged-models/${gone}`)).status).toBe(200);
        expect(await fml.kill("SIGTERM")).toBe(0);
        const modelDir = (id: string) => join(fml.dir, "mlartifacts", exp, "models", id);

        const dry = gc(fml, "--dry-run");
        expect(dry.out).toContain(`would remove logged model ${gone} (experiment ${exp})`);
        expect(dry.out).not.toContain(kept);
        expect(existsSync(modelDir(gone))).toBe(true);
        // Deleted moments ago: --older-than 1d keeps it.
        expect(gc(fml, "--older-than", "1d").out).toBe("");

        const result = gc(fml);
        expect(result.code).toBe(0);
        expect(result.out).toContain(`Logged model with ID ${gone} has been permanently deleted.`);
        for (const table of ["logged_models", "logged_model_params", "logged_model_tags", "logged_model_metrics"]) {
          const rows = await query(fml.databaseUri, `SELECT model_id FROM ${table}`);
          expect({ table, ids: rows.map((r) => r.model_id) }).toEqual({ table, ids: [kept] });
        }
        expect(existsSync(modelDir(gone))).toBe(false);
        expect(existsSync(join(modelDir(kept), "artifacts", "MLmodel"))).toBe(true);
      } finally {
        await fml.stop();
      }
    }, 60_000);
  });
}

describe("fml gc when artifacts cannot be removed", () => {
  test("an unreachable store keeps that run (exit 1) while gc goes on; an unsupported scheme does not block", async () => {
    const fml = await startFml();
    try {
      const create = async (name: string, artifactLocation?: string): Promise<{ experimentId: string; runId: string }> => {
        const e = await fml.api<{ experiment_id: string }>("POST", "experiments/create", {
          name,
          ...(artifactLocation ? { artifact_location: artifactLocation } : {}),
        });
        expect(e.status).toBe(200);
        const r = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
          experiment_id: e.body.experiment_id,
        });
        await fml.api("POST", "runs/delete", { run_id: r.body.run.info.run_id });
        return { experimentId: e.body.experiment_id, runId: r.body.run.info.run_id };
      };
      const remote = await create("remote", "s3://fml-gc-unreachable/mlflow");
      const odd = await create("odd", "hdfs://namenode/mlflow");
      const local = await create("local");
      await fml.api("POST", "experiments/delete", { experiment_id: remote.experimentId });
      expect(await fml.kill("SIGTERM")).toBe(0);

      const unreachable = {
        FML_S3_ENDPOINT_URI: "http://127.0.0.1:9",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_REGION: "us-east-1",
      };
      const result = gcWith(fml, unreachable);
      expect(result.code).toBe(1);
      expect(result.err).toContain(
        `run ${remote.runId} kept: cannot remove its artifacts at s3://fml-gc-unreachable/mlflow/${remote.runId}/artifacts: `,
      );
      expect(result.err).toContain(`experiment ${remote.experimentId} kept: some of its runs could not be removed`);
      expect(result.err).toContain(`artifacts of run ${odd.runId} left in place`);
      expect(result.out).toContain(`Run with ID ${odd.runId} has been permanently deleted.`);
      expect(result.out).toContain(`Run with ID ${local.runId} has been permanently deleted.`);
      const runs = (await query(fml.databaseUri, "SELECT run_uuid FROM runs")).map((r) => r.run_uuid);
      expect(runs).toEqual([remote.runId]);
      const experiments = (await query(fml.databaseUri, "SELECT name FROM experiments ORDER BY experiment_id")).map((r) => r.name);
      expect(experiments).toEqual(["Default", "remote", "odd", "local"]);
    } finally {
      await fml.stop();
    }
  }, 60_000);
});
