/**
 * Scale (issue 19, part 4): fml on databases far larger than the other benchmarks use. The data
 * is seeded behind the server's back (scale-seed.ts: minutes instead of hours over HTTP), then a
 * real fml process serves it and is measured over loopback, with its peak RSS (VmHWM) per workload.
 *
 *   bun scripts/bench/scale.ts [--backend sqlite|postgresql|both] [--workloads runs,history,ingest]
 *       [--runs 1000000] [--points 10000000] [--rows 100000000] [--http-share 1] [--repeat 7]
 *       [--binary dist/fml] [--keep-dir DIR]
 *
 * `--keep-dir DIR` keeps the runs workload's SQLite database in DIR and reuses it next time.
 *
 * runs:    `--runs` runs in one experiment (10 params, 10 latest metrics, 5 tags each); the first
 *          page of 100 in several filter and order shapes, and the second page of the first.
 * history: one run with `--points` steps of a metric and one with a tenth of them (memory must not
 *          grow with the points): bulk-interval, the streamed history (identity and gzip), then
 *          delete-run and `fml gc` of each with the gc process's peak RSS.
 * ingest:  `--rows` metric rows in ten slices through log-batch (see scale-ingest.ts).
 *
 * Targets: a page of 100 at 1,000,000 runs under 50 ms; peak RSS under 250 MB everywhere.
 * Seeded databases are deleted at the end (the PostgreSQL ones are dropped).
 */

import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createPgDatabase, openPg, repoRoot, type Backend } from "./db.ts";
import { api, createExperiment, createRun, download, fileMb, load1, runGc, timed, whileSampling } from "./scale-http.ts";
import { ingestWorkload } from "./scale-ingest.ts";
import { openSeeder, seedHistory, seedRuns, withoutIndexes } from "./scale-seed.ts";
import { procMb, resetPeak, startServer } from "./server.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const backendOption = option("--backend", "sqlite");
const backends: Backend[] = backendOption === "both" ? ["sqlite", "postgresql"] : [backendOption as Backend];
const workloads = option("--workloads", "runs,history,ingest").split(",");
const runCount = Number(option("--runs", "1000000"));
const points = Number(option("--points", "10000000"));
const rows = Number(option("--rows", "100000000"));
const httpShare = Number(option("--http-share", "1"));
const repeat = Number(option("--repeat", "7"));
const keepDir = option("--keep-dir", "") && resolve(option("--keep-dir", ""));

/** One line of the report. */
export type Row = [backend: string, workload: string, first: string, p50: string, detail: string, rss: string, load: string];
const report: Row[] = [];
const ms = (n: number): string => n.toFixed(1);
export function emit(row: Row): void {
  report.push(row);
  console.error(`  ${row.join(" | ")}`);
}

export interface Fresh {
  dir: string;
  /** The SQLite file, or the PostgreSQL URL. */
  location: string;
  uri: string;
  drop(): Promise<void>;
}

export async function freshDatabase(backend: Backend, name: string): Promise<Fresh> {
  const dir = mkdtempSync(join(tmpdir(), `fml-scale-${name}-`));
  const pg = backend === "postgresql" ? await createPgDatabase() : undefined;
  const location = pg ? pg.url : join(dir, "fml.db");
  return {
    dir,
    location,
    uri: pg ? pg.url : `sqlite:///${location}`,
    async drop() {
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The database's size: the SQLite file and its WAL, or PostgreSQL's pg_database_size. */
export async function databaseMb(backend: Backend, location: string): Promise<string> {
  if (backend === "sqlite") return `${fileMb(location)} MB + WAL ${fileMb(`${location}-wal`)} MB`;
  const sql = openPg(location);
  const [row] = await sql.unsafe("SELECT pg_database_size(current_database())::float8 / 1e6 AS mb");
  await sql.end();
  return `${Math.round(Number((row as unknown as { mb: number }).mb))} MB`;
}

async function vacuumAnalyze(backend: Backend, location: string): Promise<void> {
  if (backend !== "postgresql") return;
  const sql = openPg(location);
  await sql.unsafe("VACUUM ANALYZE");
  await sql.end();
}

const searches: [string, { filter?: string; order_by?: string[] }][] = [
  ["metrics.m0 > 0.5, order params.lr", { filter: "metrics.m0 > 0.5", order_by: ["params.lr ASC"] }],
  ["metrics.m0 > 0.5, order params.p1 (10 values)", { filter: "metrics.m0 > 0.5", order_by: ["params.p1 ASC"] }],
  ["no filter, default order", {}],
  ["order start_time ASC", { order_by: ["attributes.start_time ASC"] }],
  ["params.p0 = 'v3'", { filter: "params.p0 = 'v3'" }],
  ["params.p0 = 'v3', order metrics.m1 DESC", { filter: "params.p0 = 'v3'", order_by: ["metrics.m1 DESC"] }],
  ["metrics.m2 < 0.01, order start_time DESC", { filter: "metrics.m2 < 0.01", order_by: ["attributes.start_time DESC"] }],
  ["metrics.m2 < 0.0001 (about 100 runs)", { filter: "metrics.m2 < 0.0001" }],
  ["metrics.m2 < 0.0001, order params.lr", { filter: "metrics.m2 < 0.0001", order_by: ["params.lr ASC"] }],
];

async function seedRunsDatabase(backend: Backend, db: Fresh, experimentId: number): Promise<void> {
  const seeder = openSeeder(backend, db.location, true);
  const started = performance.now();
  await withoutIndexes(seeder, ["runs", "params", "tags", "latest_metrics"], () =>
    seedRuns(seeder, experimentId, runCount, { params: 10, metrics: 10, tags: 5 }, (done) => {
      if (done % 100000 === 0) console.error(`  seeded ${done} runs, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }),
  );
  await seeder.close();
  await vacuumAnalyze(backend, db.location);
  const seedSeconds = (performance.now() - started) / 1000;
  emit([backend, `runs: seeded ${runCount} runs`, "", "", `${seedSeconds.toFixed(0)} s, ${await databaseMb(backend, db.location)}`, "", String(load1())]);
}

/** A SQLite database of the runs workload kept in `--keep-dir` and reused by later runs. */
function keptRunsDatabase(): Fresh | undefined {
  if (!keepDir) return undefined;
  mkdirSync(keepDir, { recursive: true });
  const location = join(keepDir, `runs-${runCount}.db`);
  return { dir: keepDir, location, uri: `sqlite:///${location}`, drop: async () => {} };
}

async function runsWorkload(backend: Backend, binary: string): Promise<void> {
  const kept = backend === "sqlite" ? keptRunsDatabase() : undefined;
  const reuse = kept !== undefined && existsSync(kept.location);
  const db = kept ?? (await freshDatabase(backend, "runs"));
  try {
    let server = await startServer(binary, db.uri, db.dir);
    const experimentId = reuse ? "1" : await createExperiment(server.url, "scale-runs");
    await server.stop();
    if (!reuse) await seedRunsDatabase(backend, db, Number(experimentId));
    server = await startServer(binary, db.uri, db.dir);
    try {
      resetPeak(server.pid);
      const search = (body: object) => api(server.url, "POST", "runs/search", { experiment_ids: [experimentId], max_results: 100, ...body });
      for (const [name, body] of searches) {
        let count = 0;
        const t = await timed(repeat, async () => {
          count = ((await search(body)) as { runs?: unknown[] }).runs?.length ?? 0;
        });
        emit([backend, `search ${runCount} runs, first 100: ${name}`, ms(t.first), ms(t.p50), `${count} runs, max ${ms(t.max)}`, String(procMb(server.pid, "VmHWM")), String(load1())]);
      }
      const [, target] = searches[0] as [string, object];
      const first = (await search(target)) as { next_page_token?: string };
      const t = await timed(repeat, () => search({ ...target, page_token: first.next_page_token }));
      emit([backend, `search ${runCount} runs, second 100: ${searches[0]?.[0]}`, ms(t.first), ms(t.p50), `max ${ms(t.max)}`, String(procMb(server.pid, "VmHWM")), String(load1())]);
    } finally {
      await server.stop();
    }
  } finally {
    await db.drop();
  }
}

async function historyWorkload(backend: Backend, binary: string): Promise<void> {
  const db = await freshDatabase(backend, "history");
  try {
    let server = await startServer(binary, db.uri, db.dir);
    const experimentId = await createExperiment(server.url, "scale-history");
    const sizes = [Math.round(points / 10), points];
    const runIds = [await createRun(server.url, experimentId), await createRun(server.url, experimentId)];
    await server.stop();
    const seeder = openSeeder(backend, db.location, true);
    const started = performance.now();
    for (const [i, runId] of runIds.entries()) await seedHistory(seeder, runId, "loss", sizes[i] as number);
    await seeder.close();
    await vacuumAnalyze(backend, db.location);
    emit([backend, `history: seeded ${sizes.join(" + ")} points`, "", "", `${((performance.now() - started) / 1000).toFixed(0)} s, ${await databaseMb(backend, db.location)}`, "", String(load1())]);
    server = await startServer(binary, db.uri, db.dir);
    try {
      emit([backend, "server idle after start", "", "", "", `RSS ${procMb(server.pid, "VmRSS")}`, String(load1())]);
      for (const [i, runId] of runIds.entries()) {
        const n = sizes[i] as number;
        resetPeak(server.pid);
        const interval = new URLSearchParams({ run_ids: runId, metric_key: "loss", max_results: "320" });
        const bulk = await timed(repeat, async () => {
          const r = await download(`${server.url}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?${interval}`);
          if (r.status !== 200) throw new Error(`bulk-interval: ${r.status}`);
        });
        emit([backend, `bulk-interval 1 run × ${n} points, 320 samples`, ms(bulk.first), ms(bulk.p50), "", String(procMb(server.pid, "VmHWM")), String(load1())]);
        for (const gzip of [false, true]) {
          resetPeak(server.pid);
          const history = `${server.url}/api/2.0/mlflow/metrics/get-history?${new URLSearchParams({ run_id: runId, metric_key: "loss" })}`;
          const t0 = performance.now();
          const r = await download(history, gzip);
          if (r.status !== 200) throw new Error(`get-history: ${r.status}`);
          const seconds = (performance.now() - t0) / 1000;
          emit([backend, `get-history ${n} points, streamed${gzip ? ", gzip" : ""}`, ms(seconds * 1000), "", `${Math.round(r.bytes / 1e6)} MB, ${Math.round(n / seconds)} points/s`, String(procMb(server.pid, "VmHWM")), String(load1())]);
        }
      }
      for (const [i, runId] of runIds.entries()) {
        await api(server.url, "POST", "runs/delete", { run_id: runId });
        resetPeak(server.pid);
        const before = await databaseMb(backend, db.location);
        const { result: gc, max: walMax } = await whileSampling(
          () => (backend === "sqlite" ? fileMb(`${db.location}-wal`) : 0),
          100,
          () => runGc(binary, db.uri, db.dir, ["--run-ids", runId]),
        );
        const wal = backend === "sqlite" ? `, WAL max ${walMax} MB` : "";
        emit([backend, `fml gc of a run with ${sizes[i]} points (server running)`, ms(gc.seconds * 1000), "", `${before} → ${await databaseMb(backend, db.location)}${wal}`, `gc ${gc.peakRssMb}, server ${procMb(server.pid, "VmHWM")}`, String(load1())]);
      }
    } finally {
      await server.stop();
    }
  } finally {
    await db.drop();
  }
}

let binary = option("--binary", "");
const buildDir = mkdtempSync(join(tmpdir(), "fml-scale-build-"));
if (!binary) {
  binary = join(buildDir, "fml");
  const build = Bun.spawnSync([process.execPath, join(repoRoot, "scripts/build.ts"), "--outfile", binary], { cwd: repoRoot });
  if (build.exitCode !== 0) throw new Error(build.stderr.toString());
}
binary = resolve(binary);
const commit = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: repoRoot }).stdout.toString().trim();
const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { cwd: repoRoot }).stdout.toString().trim() ? " (with local changes)" : "";
try {
  for (const backend of backends) {
    if (workloads.includes("runs")) await runsWorkload(backend, binary);
    if (workloads.includes("history")) await historyWorkload(backend, binary);
    if (workloads.includes("ingest")) await ingestWorkload({ backend, binary, rows, httpShare, emit, freshDatabase, databaseMb });
  }
} finally {
  rmSync(buildDir, { recursive: true, force: true });
}
console.log(`fml ${commit}${dirty}, ${args.join(" ")}`);
console.log("| backend | workload | first ms | p50 ms | detail | peak RSS MB | load1 |\n| --- | --- | --- | --- | --- | --- | --- |");
for (const row of report) console.log(`| ${row.join(" | ")} |`);
