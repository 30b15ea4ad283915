/**
 * Run search on 100,000 runs (issue: "first page in under 100 ms with a metric filter and a param
 * order"). Seeds an fml-created SQLite database straight through bun:sqlite (minutes faster than
 * HTTP), starts the compiled binary on it and times `runs/search` over loopback. For PostgreSQL the
 * seeded file is copied into a fresh fml_bench_<random> database with `fml import` (dropped after).
 *
 *   bun scripts/bench/search-100k.ts [--backend sqlite|postgresql|both] [--runs 100000] [--repeat 5]
 *                                    [--binary dist/fml] [--keep DIR]
 *
 * `--keep DIR` seeds DIR/fml.db once and reuses it on later runs (for profiling a change).
 */

import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createPgDatabase, openPg } from "./db.ts";

const root = resolve(import.meta.dir, "../..");
const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const runCount = Number(option("--runs", "100000"));
const backendOption = option("--backend", "sqlite");
const backends = backendOption === "both" ? ["sqlite", "postgresql"] : [backendOption];
const repeat = Number(option("--repeat", "5"));
let binary = option("--binary", "") && resolve(option("--binary", ""));
const keep = option("--keep", "") && resolve(option("--keep", ""));
if (keep) mkdirSync(keep, { recursive: true });
const dir = keep || mkdtempSync(join(tmpdir(), "fml-search-bench-"));
const dbPath = join(dir, "fml.db");
const seeded = keep !== "" && existsSync(dbPath);

if (!binary) {
  binary = join(dir, "fml");
  const build = Bun.spawnSync([process.execPath, join(root, "scripts/build.ts"), "--outfile", binary], { cwd: root });
  if (build.exitCode !== 0) throw new Error(build.stderr.toString());
}

async function startServer(databaseUri = `sqlite:///${dbPath}`): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = Bun.spawn([binary, "server", "--listen-address", "127.0.0.1:0", "--database-uri", databaseUri], {
    cwd: dir,
    stderr: "pipe",
    env: { ...process.env, FML_LOG_LEVEL: "info" },
  });
  let text = "";
  const reader = child.stderr.getReader();
  // Keep reading stderr (one line per request) so the server never blocks on a full pipe.
  const drain = async () => {
    while (!(await reader.read()).done) {}
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const port = /listening on http:\/\/[^:]+:(\d+)/.exec(text)?.[1];
    if (port) {
      void drain();
      return {
        url: `http://127.0.0.1:${port}`,
        stop: async () => {
          child.kill();
          await child.exited;
        },
      };
    }
  }
  throw new Error(`fml did not start:\n${text}`);
}

// fml creates the schema and the experiment; the runs go in directly.
if (!seeded) {
  const server = await startServer();
  await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "search-bench" }),
  });
  await server.stop();
}
const seedStarted = performance.now();
if (!seeded) {
  const db = new Database(dbPath);
  const insert = (table: string, columns: string) =>
    db.prepare(`INSERT INTO ${table} (${columns}) VALUES (${columns.split(",").map(() => "?").join(",")})`);
  const run = insert("runs", "run_uuid,name,source_type,source_name,entry_point_name,user_id,status,start_time,source_version,lifecycle_stage,artifact_uri,experiment_id");
  const param = insert("params", '"key",value,run_uuid');
  const tag = insert("tags", '"key",value,run_uuid');
  const metric = insert("latest_metrics", '"key",value,timestamp,step,is_nan,run_uuid');
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  db.transaction(() => {
    for (let i = 0; i < runCount; i++) {
      const id = crypto.randomUUID().replaceAll("-", "");
      run.run(id, `run-${i}`, "UNKNOWN", "", "", "bench", "FINISHED", 1700000000000 + i, "", "active", `x/${id}`, 1);
      for (let k = 0; k < 10; k++) {
        // p0..p8 have 10 values each (many ties); lr is a learning rate (nearly unique values).
        param.run(k === 9 ? "lr" : `p${k}`, k === 9 ? random().toFixed(6) : `v${(i * 7 + k) % 10}`, id);
        metric.run(`m${k}`, random(), 1, 0, 0, id);
      }
      for (let k = 0; k < 4; k++) tag.run(`t${k}`, `x${i % 5}`, id);
      tag.run("mlflow.runName", `run-${i}`, id);
    }
  })();
  db.exec("ANALYZE");
  db.close(true);
}
if (!seeded) console.log(`seeded ${runCount} runs (10 params, 10 metrics, 5 tags each) in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

const searches: [string, object][] = [
  ["no filter, default order", {}],
  ["metrics.m0 > 0.5, order params.lr", { filter: "metrics.m0 > 0.5", order_by: ["params.lr ASC"] }],
  ["metrics.m0 > 0.5, order params.p1 (10 values)", { filter: "metrics.m0 > 0.5", order_by: ["params.p1 ASC"] }],
  ["params.p0 = 'v3', order metrics.m1", { filter: "params.p0 = 'v3'", order_by: ["metrics.m1 DESC"] }],
];
console.log("| backend | search | page | p50 ms | max ms |\n| --- | --- | --- | --- | --- |");
for (const backend of backends) {
  let databaseUri: string | undefined;
  let drop = async () => {};
  if (backend === "postgresql") {
    const pg = await createPgDatabase();
    drop = pg.drop;
    const copy = Bun.spawnSync([binary, "import", "--input-database-uri", `sqlite:///${dbPath}`, "--output-database-uri", pg.url]);
    if (copy.exitCode !== 0) throw new Error(`fml import failed: ${copy.stderr.toString()}`);
    // A freshly loaded table has no planner statistics or visibility map until autovacuum runs.
    const sql = openPg(pg.url);
    await sql.unsafe("VACUUM ANALYZE");
    await sql.end();
    databaseUri = pg.url;
  }
  const server = await startServer(databaseUri);
  try {
    for (const [name, body] of searches) {
      for (const pageSize of [100, 1000]) {
        const times: number[] = [];
        for (let i = 0; i < repeat + 1; i++) {
          const started = performance.now();
          const response = await fetch(`${server.url}/api/2.0/mlflow/runs/search`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ experiment_ids: ["1"], max_results: pageSize, ...body }),
          });
          await response.arrayBuffer();
          if (i > 0) times.push(performance.now() - started); // the first call warms caches
        }
        times.sort((a, b) => a - b);
        const p50 = times[Math.floor(times.length / 2)] ?? 0;
        console.log(`| ${backend} | ${name} | ${pageSize} | ${p50.toFixed(1)} | ${(times[times.length - 1] ?? 0).toFixed(1)} |`);
      }
    }
  } finally {
    await server.stop();
    await drop();
  }
}
if (!keep) rmSync(dir, { recursive: true, force: true });
