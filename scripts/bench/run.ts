/**
 * fml's benchmark suite. Builds the compiled binary, starts it on a fresh database, drives each
 * workload from a separate load-generator process (load.ts) over loopback HTTP, measures the
 * database ceiling in-process (ceiling.ts), and prints one table (and writes JSON).
 *
 *   bun scripts/bench/run.ts [--backend sqlite|postgresql|mysql|both|all] [--quick] [--json out.json]
 *                            [--repeat N] [--binary path/to/fml] [--keep]
 *
 * Timed workloads run `--repeat` times (3 by default, 1 with --quick); the table shows medians.
 * Search and history data are seeded straight into the database (same driver as fml), not over HTTP.
 * `both` is SQLite and PostgreSQL; `all` adds MySQL (FML_BENCH_MYSQL_URL, root on 127.0.0.1:3306).
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import {
  analyze,
  createMysqlDatabase,
  createPgDatabase,
  openPg,
  openTarget,
  postgresAdminUrl,
  repoRoot,
  seedHistory,
  seedSearchRuns,
  type Backend,
  type Target,
} from "./db.ts";
import { procMb, resetPeak, startServer, type BenchServer } from "./server.ts";
import { median, medianOf } from "./stats.ts";

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(
    "bun scripts/bench/run.ts [--backend sqlite|postgresql|mysql|both|all] [--quick] [--json out.json] [--repeat N] [--binary path/to/fml] [--keep]",
  );
  process.exit(0);
}
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const quick = args.includes("--quick");
const keep = args.includes("--keep");
const backendArg = option("--backend") ?? "both";
if (!["sqlite", "postgresql", "mysql", "both", "all"].includes(backendArg)) {
  console.error("--backend must be sqlite, postgresql, mysql, both (the first two) or all");
  process.exit(2);
}
const backends: Backend[] =
  backendArg === "both" ? ["sqlite", "postgresql"] : backendArg === "all" ? ["sqlite", "postgresql", "mysql"] : [backendArg as Backend];
const repeat = Number(option("--repeat") ?? (quick ? 1 : 3));
const jsonOut = option("--json");

const sizes = quick
  ? { ingestMs: 1500, smallMs: 1000, createMs: 1000, ceilingMs: 1500, searchRuns: 2000, searchIterations: 3, historyPoints: 20000, intervalSteps: 5000, historyIterations: 2, intervalIterations: 10, restarts: 1, readBudgetMs: 3000 }
  : { ingestMs: 10000, smallMs: 5000, createMs: 5000, ceilingMs: 10000, searchRuns: 25000, searchIterations: 20, historyPoints: 1000000, intervalSteps: 100000, historyIterations: 3, intervalIterations: 100, restarts: 5, readBudgetMs: 20000 };
const CLIENTS = 20;
/**
 * The paced ingest: 20 clients × one 1,000-point batch per second offer 20,000 points/s, under
 * half of what fml takes at saturation; its latency is what a client sees when not queued.
 */
const PACED_INTERVAL_MS = 1000;
const BIG_TRANSACTION_BATCHES = 20;

const loadScript = resolve(import.meta.dir, "load.ts");
const ceilingScript = resolve(import.meta.dir, "ceiling.ts");

const load1 = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;

/**
 * Runs a workload process and parses its JSON. A failed attempt is retried once: on a shared
 * machine another process may drop our PostgreSQL connections (pg_terminate_backend) mid-run.
 */
async function runJson<T>(script: string, spec: unknown, attempts = 2): Promise<T> {
  const child = Bun.spawn([process.execPath, script, JSON.stringify(spec)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code === 0) return JSON.parse(out) as T;
  if (attempts > 1) {
    console.error(`${script} failed (${code}), retrying once:\n${err.split("\n").slice(-12).join("\n")}`);
    return runJson<T>(script, spec, attempts - 1);
  }
  throw new Error(`${script} failed (${code}):\n${err}`);
}

async function api<T>(url: string, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/api/2.0/mlflow/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

const createExperiment = async (url: string, name: string): Promise<string> =>
  (await api<{ experiment_id: string }>(url, "POST", "experiments/create", { name })).experiment_id;
const createRun = async (url: string, experimentId: string): Promise<string> =>
  (await api<{ run: { info: { run_id: string } } }>(url, "POST", "runs/create", { experiment_id: experimentId, start_time: Date.now() })).run.info.run_id;

/**
 * Samples what a workload costs the server while it runs: peak RSS, and the most PostgreSQL
 * connections fml held (its `application_name`; the harness's own seeding connection is not counted).
 */
async function observe<T>(
  server: BenchServer,
  pg: { sql: ReturnType<typeof openPg>; database: string } | undefined,
  work: () => Promise<T>,
): Promise<{ result: T; peakRssMb: number; pgConnections: number | null; load1: number }> {
  resetPeak(server.pid);
  let connections = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling && pg) {
      const [row] = await pg.sql.unsafe("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'fml'", [pg.database]);
      connections = Math.max(connections, Number((row as unknown as { n: number }).n));
      await Bun.sleep(100);
    }
  })();
  try {
    const result = await work();
    return { result, peakRssMb: procMb(server.pid, "VmHWM"), pgConnections: pg ? connections : null, load1: load1() };
  } finally {
    sampling = false;
    await sampler;
  }
}

async function repeated<T>(times: number, work: () => Promise<T>): Promise<T & { repeats: number }> {
  const results: T[] = [];
  for (let i = 0; i < times; i++) results.push(await work());
  return { ...medianOf(results), repeats: times };
}

/** A fresh database for fml or for a ceiling run; `location` is what the driver opens. */
async function freshDatabase(backend: Backend, dir: string, name: string) {
  if (backend === "sqlite") {
    const path = join(dir, `${name}.db`);
    return { uri: `sqlite:///${path}`, location: path, name: path, drop: async () => {} };
  }
  const db = backend === "mysql" ? await createMysqlDatabase() : await createPgDatabase();
  return { uri: db.url, location: db.url, name: db.name, drop: db.drop };
}

async function benchBackend(backend: Backend, binary: string) {
  const dir = mkdtempSync(join(tmpdir(), `fml-bench-${backend}-`));
  const databases: { drop: () => Promise<void> }[] = [];
  const database = await freshDatabase(backend, dir, "fml");
  databases.push(database);
  const admin = backend === "postgresql" ? openPg(postgresAdminUrl, 1) : undefined;
  const pg = admin ? { sql: admin, database: database.name } : undefined;
  let server = await startServer(binary, database.uri, dir);
  let target: Target | undefined;
  const out: Record<string, unknown> = { backend };
  try {
    out.freshStart = { startMs: Math.round(server.startMs), idleRssMb: procMb(server.pid, "VmRSS") };
    target = openTarget(backend, database.location);

    // 1. ingest
    const ingestExperiment = await createExperiment(server.url, "bench-ingest");
    out.ingest = await repeated(repeat, async () => {
      const observed = await observe(server, pg, () =>
        runJson<{ pointsAccepted: number; runIds: string[]; [k: string]: unknown }>(loadScript, {
          workload: "ingest",
          url: server.url,
          experimentId: ingestExperiment,
          clients: CLIENTS,
          durationMs: sizes.ingestMs,
        }),
      );
      const { runIds, ...result } = observed.result;
      const stored = await target!.count(
        `SELECT count(*) AS n FROM metrics WHERE run_uuid IN (${runIds.map((id) => `'${id}'`).join(", ")})`,
      );
      return { ...result, pointsStored: stored, storedMatches: stored === result.pointsAccepted, peakRssMb: observed.peakRssMb, pgConnections: observed.pgConnections, load1: observed.load1 };
    });

    // 1b. ingest below saturation: each client logs one batch every PACED_INTERVAL_MS
    out.ingestPaced = await repeated(repeat, async () => {
      const observed = await observe(server, pg, () =>
        runJson<{ runIds: string[]; [k: string]: unknown }>(loadScript, {
          workload: "ingest",
          url: server.url,
          experimentId: ingestExperiment,
          clients: CLIENTS,
          durationMs: sizes.ingestMs,
          intervalMs: PACED_INTERVAL_MS,
        }),
      );
      const { runIds: _, ...result } = observed.result;
      return { ...result, peakRssMb: observed.peakRssMb, pgConnections: observed.pgConnections, load1: observed.load1 };
    });

    // 2. small writes, 3. create-run
    const smallExperiment = await createExperiment(server.url, "bench-small");
    out.smallWrites = await repeated(repeat, async () => {
      const o = await observe(server, pg, () =>
        runJson<Record<string, unknown>>(loadScript, { workload: "small-writes", url: server.url, experimentId: smallExperiment, clients: CLIENTS, durationMs: sizes.smallMs }),
      );
      return { ...o.result, peakRssMb: o.peakRssMb, pgConnections: o.pgConnections, load1: o.load1 };
    });
    out.createRun = await repeated(repeat, async () => {
      const o = await observe(server, pg, () =>
        runJson<Record<string, unknown>>(loadScript, { workload: "create-run", url: server.url, experimentId: smallExperiment, clients: CLIENTS, durationMs: sizes.createMs }),
      );
      return { ...o.result, peakRssMb: o.peakRssMb, pgConnections: o.pgConnections, load1: o.load1 };
    });

    // 7. the ceiling, on its own fresh databases, with fml idle
    const ceiling = async (batchesPerTransaction: number, shape: "run" | "group" = "run") =>
      repeated(repeat, async () => {
        const db = await freshDatabase(backend, dir, `ceiling-${crypto.randomUUID().slice(0, 8)}`);
        try {
          const result = await runJson<Record<string, number>>(ceilingScript, {
            backend,
            location: db.location,
            durationMs: sizes.ceilingMs,
            clients: CLIENTS,
            batchesPerTransaction,
            shape,
          });
          return { ...result, load1: load1() };
        } finally {
          await db.drop();
          if (backend === "sqlite") for (const suffix of ["", "-wal", "-shm"]) rmSync(db.location + suffix, { force: true });
        }
      });
    out.ceiling = await ceiling(1);
    out.ceilingBigTransactions = await ceiling(BIG_TRANSACTION_BATCHES, "run");
    out.ceilingGroupCommit = await ceiling(BIG_TRANSACTION_BATCHES, "group");
    const ingest = out.ingest as { pointsPerSecond: number };
    out.ingestRatio = {
      ofCeiling: Math.round((ingest.pointsPerSecond / (out.ceiling as { pointsPerSecond: number }).pointsPerSecond) * 100) / 100,
      ofBigTransactionCeiling: Math.round((ingest.pointsPerSecond / (out.ceilingBigTransactions as { pointsPerSecond: number }).pointsPerSecond) * 100) / 100,
      ofGroupCommitCeiling: Math.round((ingest.pointsPerSecond / (out.ceilingGroupCommit as { pointsPerSecond: number }).pointsPerSecond) * 100) / 100,
    };

    // 4. search
    const searchExperiment = await createExperiment(server.url, "bench-search");
    const seedStarted = performance.now();
    await seedSearchRuns(target, Number(searchExperiment), sizes.searchRuns);
    const searchSeedSeconds = (performance.now() - seedStarted) / 1000;
    await analyze(target);
    const searches = [
      { name: "noFilter" },
      { name: "metricFilter", filter: "metrics.m0 > 0.5" },
      { name: "paramFilterMetricOrder", filter: "params.p0 = 'v3'", orderBy: ["metrics.m1 DESC"] },
    ];
    const search = await repeated(repeat, async () => {
      const o = await observe(server, pg, () =>
        runJson<Record<string, unknown>>(loadScript, { workload: "search", url: server.url, experimentId: searchExperiment, searches, iterations: sizes.searchIterations, budgetMs: sizes.readBudgetMs }),
      );
      return { ...o.result, peakRssMb: o.peakRssMb, pgConnections: o.pgConnections, load1: o.load1 };
    });
    out.search = { runs: sizes.searchRuns, seededDirectly: true, seedSeconds: Math.round(searchSeedSeconds * 10) / 10, ...search };

    // 5. history and bulk interval
    const historyExperiment = await createExperiment(server.url, "bench-history");
    const historyRun = await createRun(server.url, historyExperiment);
    const smallHistoryRun = await createRun(server.url, historyExperiment);
    const intervalRuns: string[] = [];
    for (let i = 0; i < 10; i++) intervalRuns.push(await createRun(server.url, historyExperiment));
    const historySeedStarted = performance.now();
    await seedHistory(target, historyRun, "loss", sizes.historyPoints);
    await seedHistory(target, smallHistoryRun, "loss", sizes.historyPoints / 10);
    for (const id of intervalRuns) await seedHistory(target, id, "curve", sizes.intervalSteps);
    const historySeedSeconds = (performance.now() - historySeedStarted) / 1000;
    await analyze(target);
    const historyOf = async (runId: string) => {
      const o = await observe(server, pg, () =>
        runJson<Record<string, unknown>>(loadScript, { workload: "history", url: server.url, experimentId: historyExperiment, runId, metricKey: "loss", iterations: sizes.historyIterations, budgetMs: sizes.readBudgetMs }),
      );
      return { ...o.result, peakRssMb: o.peakRssMb, pgConnections: o.pgConnections, load1: o.load1 };
    };
    // Peak RSS for a tenth of the points next to the full history shows whether memory grows with them.
    const rssBefore = procMb(server.pid, "VmRSS");
    const historySmall = await historyOf(smallHistoryRun);
    const historyFull = await historyOf(historyRun);
    out.history = {
      seededDirectly: true,
      seedSeconds: Math.round(historySeedSeconds * 10) / 10,
      rssBeforeMb: rssBefore,
      tenth: historySmall,
      full: historyFull,
    };
    const o = await observe(server, pg, () =>
      runJson<Record<string, unknown>>(loadScript, { workload: "bulk-interval", url: server.url, experimentId: historyExperiment, runIds: intervalRuns, metricKey: "curve", iterations: sizes.intervalIterations, budgetMs: sizes.readBudgetMs }),
    );
    out.bulkInterval = { runs: intervalRuns.length, stepsPerRun: sizes.intervalSteps, ...o.result, peakRssMb: o.peakRssMb, pgConnections: o.pgConnections, load1: o.load1 };

    // 6. footprint: restarts on the now-populated database
    await server.stop();
    const starts: number[] = [];
    const idle: number[] = [];
    for (let i = 0; i < sizes.restarts; i++) {
      server = await startServer(binary, database.uri, dir);
      starts.push(server.startMs);
      await Bun.sleep(1000);
      idle.push(procMb(server.pid, "VmRSS"));
      if (i < sizes.restarts - 1) await server.stop();
    }
    out.footprint = { startToHealthMs: Math.round(median(starts) * 10) / 10, idleRssMb: median(idle), restarts: sizes.restarts, load1: load1() };
    return out;
  } finally {
    await target?.close();
    await server.stop();
    await admin?.end({ timeout: 2 });
    if (!keep) {
      for (const db of databases) await db.drop();
      rmSync(dir, { recursive: true, force: true });
    } else {
      console.error(`kept ${dir} (${database.uri})`);
    }
  }
}

/** What was measured: the commit, and whether the working tree (built into the binary) differed. */
function source() {
  const git = (...a: string[]) => Bun.spawnSync(["git", ...a], { cwd: repoRoot }).stdout.toString().trim();
  return { commit: git("rev-parse", "--short=12", "HEAD"), dirtyWorkingTree: git("status", "--porcelain", "--untracked-files=no") !== "" };
}

function machine() {
  const cpu = cpus()[0]?.model ?? "unknown";
  return {
    nproc: cpus().length,
    cpu,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    freeGb: Math.round(freemem() / 2 ** 30),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

type Any = Record<string, any>;

function table(results: Any[]): string {
  const rows: string[][] = [["backend", "workload", "p50 ms", "p95 ms", "p99 ms", "throughput", "peak RSS MB", "PG conns", "load1"]];
  const fmt = (n: unknown): string => (typeof n === "number" && Number.isFinite(n) ? String(n) : "—");
  for (const r of results) {
    const b = r.backend as string;
    const line = (name: string, lat: Any | undefined, throughput: string, w: Any) =>
      rows.push([b, name, fmt(lat?.p50), fmt(lat?.p95), fmt(lat?.p99), throughput, fmt(w.peakRssMb), fmt(w.pgConnections), fmt(w.load1)]);
    line("ingest log-batch 1000 (20 clients)", r.ingest.requests, `${r.ingest.pointsPerSecond} pts/s, stored ${r.ingest.storedMatches ? "=" : "≠"} accepted`, r.ingest);
    line(`ingest log-batch 1000 (20 clients, 1 per ${PACED_INTERVAL_MS / 1000} s each)`, r.ingestPaced.requests, `${r.ingestPaced.pointsPerSecond} pts/s`, r.ingestPaced);
    rows.push([b, "ceiling, 1000-row transactions", "", "", "", `${r.ceiling.pointsPerSecond} pts/s`, "", "", fmt(r.ceiling.load1)]);
    rows.push([b, `ceiling, ${r.ceilingBigTransactions.rowsPerTransaction}-row tx, one run each`, "", "", "", `${r.ceilingBigTransactions.pointsPerSecond} pts/s`, "", "", fmt(r.ceilingBigTransactions.load1)]);
    rows.push([b, `ceiling, ${r.ceilingGroupCommit.rowsPerTransaction}-row tx, 20 runs each`, "", "", "", `${r.ceilingGroupCommit.pointsPerSecond} pts/s`, "", "", fmt(r.ceilingGroupCommit.load1)]);
    rows.push([b, "ingest ÷ ceiling (÷ one-run, ÷ 20-run big tx)", "", "", "", `${r.ingestRatio.ofCeiling} (${r.ingestRatio.ofBigTransactionCeiling}, ${r.ingestRatio.ofGroupCommitCeiling})`, "", "", ""]);
    line("log-metric (20 clients)", r.smallWrites.logMetric, `${r.smallWrites.requestsPerSecond} req/s (both)`, r.smallWrites);
    line("log-parameter (20 clients)", r.smallWrites.logParameter, "", r.smallWrites);
    line("create-run (20 clients)", r.createRun.requests, `${r.createRun.runsPerSecond} runs/s`, r.createRun);
    for (const [name, s] of Object.entries(r.search).filter(([, v]) => typeof v === "object" && v !== null && "latency" in (v as object))) {
      line(`search ${r.search.runs} runs: ${name}`, (s as Any).latency, `${(s as Any).runsReturned} runs/page`, r.search);
    }
    line(`get-history ${r.history.tenth.points} points`, r.history.tenth.latency, `${Math.round(r.history.tenth.bytes / 1e6)} MB body`, r.history.tenth);
    line(`get-history ${r.history.full.points} points`, r.history.full.latency, `${Math.round(r.history.full.bytes / 1e6)} MB body`, r.history.full);
    if (r.bulkInterval.missing) rows.push([b, "get-history-bulk-interval", "missing (404)", "", "", "", "", "", ""]);
    else line(`bulk-interval ${r.bulkInterval.runs}×${r.bulkInterval.stepsPerRun}`, r.bulkInterval.latency, `${r.bulkInterval.points} points`, r.bulkInterval);
    rows.push([b, "footprint: start → /health (existing db)", fmt(r.footprint.startToHealthMs), "", "", "", `idle ${fmt(r.footprint.idleRssMb)}`, "", fmt(r.footprint.load1)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const render = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  return [render(rows[0]!), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.slice(1).map(render)].join("\n");
}

const binaryArg = option("--binary");
let binary = binaryArg ? resolve(binaryArg) : "";
const buildDir = mkdtempSync(join(tmpdir(), "fml-bench-bin-"));
try {
  if (!binary) {
    binary = join(buildDir, "fml");
    const build = Bun.spawnSync([process.execPath, join(repoRoot, "scripts/build.ts"), "--outfile", binary], { cwd: repoRoot, stdout: "pipe", stderr: "inherit" });
    if (build.exitCode !== 0) throw new Error("building the fml binary failed");
  }
  const started = performance.now();
  const before = machine();
  const results: Any[] = [];
  for (const backend of backends) {
    console.error(`benchmarking ${backend}${quick ? " (quick)" : ""}, ${repeat} repeat(s)…`);
    results.push(await benchBackend(backend, binary));
  }
  const report = {
    quick,
    repeat,
    machine: before,
    source: source(),
    loadAverageAfter: machine().loadAverage,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    results,
  };
  console.log(table(results));
  console.log(`source: ${report.source.commit}${report.source.dirtyWorkingTree ? " + uncommitted changes" : ""}`);
  console.log(`machine: ${before.nproc} × ${before.cpu}, ${before.memoryGb} GB; load average ${before.loadAverage.join(" ")} → ${report.loadAverageAfter.join(" ")}; ${report.seconds} s`);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2) + "\n");
} finally {
  rmSync(buildDir, { recursive: true, force: true });
}

