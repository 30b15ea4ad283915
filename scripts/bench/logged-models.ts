/**
 * MLflow 3 logged models (issue 13, "Speed"): the rate of create + finalize through HTTP, and
 * `logged-models/search` over an experiment of 10,000 models (filter on a metric, order by a
 * metric), timed next to `runs/search` over 10,000 runs of the same shape. Models and runs are
 * seeded straight into an fml-created SQLite file (bun:sqlite); for PostgreSQL the file is copied
 * into a fresh fml_bench_<random> database with `fml import` (dropped after).
 *
 *   bun scripts/bench/logged-models.ts [--backend sqlite|postgresql|both] [--models 10000]
 *                                      [--creates 300] [--repeat 5] [--binary dist/fml] [--keep DIR]
 *
 * `--keep DIR` seeds DIR/fml.db once and reuses it on later runs (for profiling a change).
 * Without `--binary` the server runs from source on the same Bun.
 */

import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createPgDatabase, openPg } from "./db.ts";
import { startServer, type BenchServer } from "./server.ts";
import { summarize } from "./stats.ts";

const root = resolve(import.meta.dir, "../..");
const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const modelCount = Number(option("--models", "10000"));
const createCount = Number(option("--creates", "300"));
const repeat = Number(option("--repeat", "5"));
const backendOption = option("--backend", "sqlite");
const backends = backendOption === "both" ? ["sqlite", "postgresql"] : [backendOption];
const binaryOption = option("--binary", "");
const keep = option("--keep", "") && resolve(option("--keep", ""));
if (keep) mkdirSync(keep, { recursive: true });
const dir = keep || mkdtempSync(join(tmpdir(), "fml-models-bench-"));
const dbPath = join(dir, "fml.db");
const seeded = keep !== "" && existsSync(dbPath);

/** The binary, or a small wrapper that runs fml from source (startServer wants one executable). */
async function fmlExecutable(): Promise<string> {
  if (binaryOption) return resolve(binaryOption);
  const wrapper = join(dir, "fml-source");
  await Bun.write(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${join(root, "src/cli/main.ts")}" "$@"\n`);
  Bun.spawnSync(["chmod", "+x", wrapper]);
  return wrapper;
}
const binary = await fmlExecutable();

async function post(server: BenchServer, method: string, path: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/api/2.0/mlflow/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

// fml creates the schema and two experiments: 1 holds the seeded models and runs, 2 the HTTP creates.
if (!seeded) {
  const server = await startServer(binary, `sqlite:///${dbPath}`, dir);
  await post(server, "POST", "experiments/create", { name: "models-bench" });
  await post(server, "POST", "experiments/create", { name: "create-bench" });
  await server.stop();
}

const seedStarted = performance.now();
if (!seeded) {
  const db = new Database(dbPath);
  const insert = (table: string, columns: string) =>
    db.prepare(`INSERT INTO ${table} (${columns}) VALUES (${columns.split(",").map(() => "?").join(",")})`);
  const model = insert(
    "logged_models",
    "model_id,experiment_id,name,artifact_location,creation_timestamp_ms,last_updated_timestamp_ms,status,lifecycle_stage,model_type,source_run_id",
  );
  const modelParam = insert("logged_model_params", "model_id,experiment_id,param_key,param_value");
  const modelTag = insert("logged_model_tags", "model_id,experiment_id,tag_key,tag_value");
  const modelMetric = insert(
    "logged_model_metrics",
    "model_id,metric_name,metric_timestamp_ms,metric_step,metric_value,experiment_id,run_id,dataset_name,dataset_digest",
  );
  const run = insert(
    "runs",
    "run_uuid,name,source_type,source_name,entry_point_name,user_id,status,start_time,source_version,lifecycle_stage,artifact_uri,experiment_id",
  );
  const param = insert("params", '"key",value,run_uuid');
  const metric = insert("latest_metrics", '"key",value,timestamp,step,is_nan,run_uuid');
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  db.transaction(() => {
    for (let i = 0; i < modelCount; i++) {
      const runId = crypto.randomUUID().replaceAll("-", "");
      const modelId = `m-${crypto.randomUUID().replaceAll("-", "")}`;
      const time = 1700000000000 + i;
      run.run(runId, `run-${i}`, "UNKNOWN", "", "", "bench", "FINISHED", time, "", "active", `x/${runId}`, 1);
      model.run(modelId, 1, `model-${i}`, `mlflow-artifacts:/1/models/${modelId}/artifacts`, time, time, 2, "active", "sk", runId);
      for (let k = 0; k < 3; k++) {
        modelParam.run(modelId, 1, `p${k}`, `v${(i * 7 + k) % 10}`);
        param.run(`p${k}`, `v${(i * 7 + k) % 10}`, runId);
      }
      modelTag.run(modelId, 1, "team", `t${i % 5}`);
      // acc at three steps (the latest one orders), loss once on an eval dataset.
      for (let step = 0; step < 3; step++) modelMetric.run(modelId, "acc", time + step, step, random(), 1, runId, null, null);
      modelMetric.run(modelId, "loss", time, 0, random(), 1, runId, "eval", "d1");
      metric.run("acc", random(), time, 2, 0, runId);
      metric.run("loss", random(), time, 0, 0, runId);
    }
  })();
  db.exec("ANALYZE");
  db.close(true);
}
if (!seeded) console.log(
  `seeded ${modelCount} logged models (3 params, 1 tag, 4 metric rows each) and ${modelCount} runs ` +
    `in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
);

async function timeSearch(server: BenchServer, path: string, body: object): Promise<{ p50: number; max: number; returned: number }> {
  const times: number[] = [];
  let returned = 0;
  for (let i = 0; i < repeat + 1; i++) {
    const started = performance.now();
    const json = await post(server, "POST", path, body);
    if (i > 0) times.push(performance.now() - started); // the first call warms caches
    returned = ((json.models ?? json.runs ?? []) as unknown[]).length;
  }
  const { p50, max } = summarize(times);
  return { p50, max, returned };
}

const searches: [string, string, object][] = [
  ["logged-models/search", "no filter, default order", {}],
  [
    "logged-models/search",
    "metrics.acc > 0.5, order by metrics.acc DESC",
    { filter: "metrics.acc > 0.5", order_by: [{ field_name: "metrics.acc", ascending: false }] },
  ],
  [
    "logged-models/search",
    "params.p0 = 'v3', order by metrics.loss (eval)",
    { filter: "params.p0 = 'v3'", order_by: [{ field_name: "metrics.loss", dataset_name: "eval" }] },
  ],
  ["runs/search", "no filter, default order", {}],
  ["runs/search", "metrics.acc > 0.5, order by metrics.acc DESC", { filter: "metrics.acc > 0.5", order_by: ["metrics.acc DESC"] }],
  ["runs/search", "params.p0 = 'v3', order by metrics.loss", { filter: "params.p0 = 'v3'", order_by: ["metrics.loss ASC"] }],
];

console.log("| backend | endpoint | search | page | p50 ms | max ms |\n| --- | --- | --- | --- | --- | --- |");
const createLines: string[] = [];
for (const backend of backends) {
  let databaseUri = `sqlite:///${dbPath}`;
  let drop = async () => {};
  if (backend === "postgresql") {
    const pg = await createPgDatabase();
    drop = pg.drop;
    const copy = Bun.spawnSync([binary, "import", "--input-database-uri", databaseUri, "--output-database-uri", pg.url]);
    if (copy.exitCode !== 0) throw new Error(`fml import failed: ${copy.stderr.toString()}`);
    const sql = openPg(pg.url);
    await sql.unsafe("VACUUM ANALYZE");
    await sql.end();
    databaseUri = pg.url;
  }
  const server = await startServer(binary, databaseUri, dir);
  try {
    for (const [path, name, body] of searches) {
      for (const pageSize of [100, 1000]) {
        const { p50, max } = await timeSearch(server, path, { experiment_ids: ["1"], max_results: pageSize, ...body });
        console.log(`| ${backend} | ${path} | ${name} | ${pageSize} | ${p50.toFixed(1)} | ${max.toFixed(1)} |`);
      }
    }
    // create + finalize, one client after the other, as log_model does per model.
    const pairs: number[] = [];
    const started = performance.now();
    for (let i = 0; i < createCount; i++) {
      const t = performance.now();
      const created = (await post(server, "POST", "logged-models", { experiment_id: "2", name: `c${i}` })) as {
        model: { info: { model_id: string } };
      };
      const id = created.model.info.model_id;
      await post(server, "PATCH", `logged-models/${id}`, { model_id: id, status: "LOGGED_MODEL_READY" });
      pairs.push(performance.now() - t);
    }
    const seconds = (performance.now() - started) / 1000;
    const latency = summarize(pairs);
    createLines.push(
      `${backend}: create + finalize ${(createCount / seconds).toFixed(0)} models/s sequentially ` +
        `(pair p50 ${latency.p50.toFixed(2)} ms, p95 ${latency.p95.toFixed(2)} ms)`,
    );
  } finally {
    await server.stop();
    await drop();
  }
}
for (const line of createLines) console.log(line);
if (!keep) rmSync(dir, { recursive: true, force: true });
