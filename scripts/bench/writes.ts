/**
 * The write workloads of run.ts on SQLite, PostgreSQL and MySQL side by side, alternating backends
 * so all see the same machine load, with PostgreSQL's and MySQL's cost as a ratio of SQLite's
 * (issue 19, part 2: within 1.5x). Each backend gets one fresh database and one server for all
 * rounds. Without a MySQL server (FML_BENCH_MYSQL_URL) only the first two run.
 *
 *   bun scripts/bench/writes.ts [--repeat 3] [--seconds 5] [--binary dist/fml]
 */

import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createMysqlDatabase, createPgDatabase, repoRoot, type Backend } from "./db.ts";
import { startServer, type BenchServer } from "./server.ts";
import { median } from "./stats.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const repeat = Number(option("--repeat", "3"));
const durationMs = Number(option("--seconds", "5")) * 1000;
const CLIENTS = 20;
const loadScript = resolve(import.meta.dir, "load.ts");

async function load<T>(spec: unknown): Promise<T> {
  const child = Bun.spawn([process.execPath, loadScript, JSON.stringify(spec)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`load.ts failed (${code}): ${err}`);
  return JSON.parse(out) as T;
}

async function experiment(url: string, name: string): Promise<string> {
  const response = await fetch(`${url}/api/2.0/mlflow/experiments/create`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  return ((await response.json()) as { experiment_id: string }).experiment_id;
}

type Latency = { p50: number; p95: number };
interface Round {
  createRunsPerSecond: number;
  createRunP50: number;
  smallRequestsPerSecond: number;
  logMetricP50: number;
  pacedBatchP50: number;
  pacedBatchP95: number;
  ingestPointsPerSecond: number;
}

async function round(server: BenchServer, experimentId: string): Promise<Round> {
  const base = { url: server.url, experimentId, clients: CLIENTS, durationMs };
  const create = await load<{ runsPerSecond: number; requests: Latency }>({ ...base, workload: "create-run" });
  const small = await load<{ requestsPerSecond: number; logMetric: Latency }>({ ...base, workload: "small-writes" });
  const paced = await load<{ requests: Latency }>({ ...base, workload: "ingest", intervalMs: 1000 });
  const ingest = await load<{ pointsPerSecond: number }>({ ...base, workload: "ingest" });
  return {
    createRunsPerSecond: create.runsPerSecond,
    createRunP50: create.requests.p50,
    smallRequestsPerSecond: small.requestsPerSecond,
    logMetricP50: small.logMetric.p50,
    pacedBatchP50: paced.requests.p50,
    pacedBatchP95: paced.requests.p95,
    ingestPointsPerSecond: ingest.pointsPerSecond,
  };
}

let binary = option("--binary", "");
const dir = mkdtempSync(join(tmpdir(), "fml-writes-"));
if (!binary) {
  binary = join(dir, "fml");
  const build = Bun.spawnSync([process.execPath, join(repoRoot, "scripts/build.ts"), "--outfile", binary], { cwd: repoRoot });
  if (build.exitCode !== 0) throw new Error(build.stderr.toString());
}
binary = resolve(binary);

const pg = await createPgDatabase();
const my = await createMysqlDatabase().catch(() => undefined);
const servers: Partial<Record<Backend, BenchServer>> = {
  sqlite: await startServer(binary, `sqlite:///${join(dir, "fml.db")}`, dir),
  postgresql: await startServer(binary, pg.url, dir),
};
if (my) servers.mysql = await startServer(binary, my.url, dir);
const measured = (Object.keys(servers) as Backend[]);
const results: Record<Backend, Round[]> = { sqlite: [], postgresql: [], mysql: [] };
const loads: number[] = [];
try {
  const experiments: Partial<Record<Backend, string>> = {};
  for (const backend of measured) experiments[backend] = await experiment(servers[backend]!.url, "writes");
  for (let i = 0; i < repeat; i++) {
    for (const backend of measured) {
      loads.push(loadavg()[0] ?? 0);
      results[backend].push(await round(servers[backend]!, experiments[backend]!));
    }
  }
} finally {
  for (const backend of measured) await servers[backend]!.stop();
  await pg.drop();
  await my?.drop();
  rmSync(dir, { recursive: true, force: true });
}

const commit = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: repoRoot }).stdout.toString().trim();
console.log(`fml ${commit}, ${CLIENTS} clients, ${durationMs / 1000} s per workload, median of ${repeat}, load1 ${loads.map((l) => l.toFixed(1)).join(" ")}`);
const withMysql = results.mysql.length > 0;
console.log(
  withMysql
    ? "| workload | SQLite | PostgreSQL | MySQL | PostgreSQL ÷ SQLite cost | MySQL ÷ SQLite cost |\n| --- | --- | --- | --- | --- | --- |"
    : "| workload | SQLite | PostgreSQL | PostgreSQL ÷ SQLite cost |\n| --- | --- | --- | --- |",
);
const rows: [string, keyof Round, "rate" | "time"][] = [
  ["create-run, runs/s", "createRunsPerSecond", "rate"],
  ["create-run p50 ms", "createRunP50", "time"],
  ["log-metric + log-parameter, req/s", "smallRequestsPerSecond", "rate"],
  ["log-metric p50 ms", "logMetricP50", "time"],
  ["paced log-batch 1000 p50 ms", "pacedBatchP50", "time"],
  ["paced log-batch 1000 p95 ms", "pacedBatchP95", "time"],
  ["log-batch 1000 saturated, points/s", "ingestPointsPerSecond", "rate"],
];
for (const [name, key, kind] of rows) {
  const s = median(results.sqlite.map((r) => r[key]));
  const p = median(results.postgresql.map((r) => r[key]));
  const cost = (x: number): string => (kind === "rate" ? s / x : x / s).toFixed(2);
  if (!withMysql) console.log(`| ${name} | ${s} | ${p} | ${cost(p)} |`);
  else {
    const m = median(results.mysql.map((r) => r[key]));
    console.log(`| ${name} | ${s} | ${p} | ${m} | ${cost(p)} | ${cost(m)} |`);
  }
}
