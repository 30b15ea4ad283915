/**
 * Plans that must not depend on planner statistics (issue 19, part 1). fml starts on an empty
 * database, so whatever statistics it has describe empty tables; the runs then arrive behind its
 * back (as after `fml import` into a live database, or a database that grew since the last
 * ANALYZE) and the hot reads are timed at once. The same reads are timed again after a restart
 * and after an explicit ANALYZE, so stale, restarted and fresh statistics sit side by side.
 *
 *   bun scripts/bench/stale-stats.ts [--backend sqlite|postgresql|both] [--runs 25000]
 *                                    [--repeat 5] [--binary dist/fml]
 *
 * Reads: runs/search, first 1,000 runs, in each filter and order shape below; get-history of one
 * metric for each of 100 runs in turn (the UI's compare view), and get-history-bulk-interval over
 * those 100 runs. Target: every search under 60 ms whatever the statistics.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createPgDatabase, openTarget, repoRoot, seedHistory, seedSearchRuns, type Backend, type Target } from "./db.ts";
import { startServer, type BenchServer } from "./server.ts";
import { median } from "./stats.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const backendOption = option("--backend", "sqlite");
const backends: Backend[] = backendOption === "both" ? ["sqlite", "postgresql"] : [backendOption as Backend];
const runCount = Number(option("--runs", "25000"));
const repeat = Number(option("--repeat", "5"));
const compareRuns = 100;
const compareSteps = 200;

const searches: [string, { filter?: string; order_by?: string[] }][] = [
  ["no filter", {}],
  ["metrics.m0 > 0.5", { filter: "metrics.m0 > 0.5" }],
  ["params.p0 = 'v3'", { filter: "params.p0 = 'v3'" }],
  ["tags.t1 = 'tag-1'", { filter: "tags.t1 = 'tag-1'" }],
  ["params.p0 = 'v3', order metrics.m1 DESC", { filter: "params.p0 = 'v3'", order_by: ["metrics.m1 DESC"] }],
  ["metrics.m1 > 0.5, order params.p2 ASC", { filter: "metrics.m1 > 0.5", order_by: ["params.p2 ASC"] }],
  ["order metrics.m3 ASC", { order_by: ["metrics.m3 ASC"] }],
  ["order params.p4 DESC", { order_by: ["params.p4 DESC"] }],
  ["metrics.m2 < 0.1, order start_time ASC", { filter: "metrics.m2 < 0.1", order_by: ["attributes.start_time ASC"] }],
];

async function post(url: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${url}/api/2.0/mlflow/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function get(url: string, path: string): Promise<void> {
  const response = await fetch(`${url}${path}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
}

/** First call, and the median of `repeat` more, in ms. */
async function timed(work: () => Promise<unknown>): Promise<{ first: number; p50: number }> {
  const time = async () => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  const first = await time();
  const rest: number[] = [];
  for (let i = 0; i < repeat; i++) rest.push(await time());
  return { first, p50: median(rest) };
}

async function measure(server: BenchServer, experimentId: string, compare: string[]) {
  const out: Record<string, { first: number; p50: number }> = {};
  for (const [name, body] of searches) {
    out[`search: ${name}`] = await timed(() =>
      post(server.url, "runs/search", { experiment_ids: [experimentId], max_results: 1000, ...body }),
    );
  }
  out[`get-history × ${compare.length} runs`] = await timed(async () => {
    for (const runId of compare) {
      await get(server.url, `/api/2.0/mlflow/metrics/get-history?${new URLSearchParams({ run_id: runId, metric_key: "m1" })}`);
    }
  });
  const interval = new URLSearchParams({ metric_key: "m1", max_results: "320" });
  for (const id of compare) interval.append("run_ids", id);
  out[`bulk-interval × ${compare.length} runs`] = await timed(() =>
    get(server.url, `/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?${interval}`),
  );
  return out;
}

async function bench(backend: Backend, binary: string) {
  const dir = mkdtempSync(join(tmpdir(), `fml-stale-${backend}-`));
  const pg = backend === "postgresql" ? await createPgDatabase() : undefined;
  const location = pg ? pg.url : join(dir, "fml.db");
  const uri = pg ? pg.url : `sqlite:///${location}`;
  let server = await startServer(binary, uri, dir);
  let target: Target | undefined;
  const phases: Record<string, Record<string, { first: number; p50: number }>> = {};
  try {
    const { experiment_id: experimentId } = (await post(server.url, "experiments/create", { name: "stale" })) as { experiment_id: string };
    const compare: string[] = [];
    for (let i = 0; i < compareRuns; i++) {
      const created = (await post(server.url, "runs/create", { experiment_id: experimentId, start_time: 1 })) as { run: { info: { run_id: string } } };
      compare.push(created.run.info.run_id);
    }
    // Behind the server's back: its statistics (if any) still describe nearly empty tables.
    target = openTarget(backend, location);
    const seedStarted = performance.now();
    await seedSearchRuns(target, Number(experimentId), runCount);
    for (const id of compare) await seedHistory(target, id, "m1", compareSteps);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    phases["stale (seeded behind the running server)"] = await measure(server, experimentId, compare);
    await server.stop();
    server = await startServer(binary, uri, dir);
    phases["after a restart"] = await measure(server, experimentId, compare);
    await target.query(backend === "sqlite" ? "ANALYZE" : "VACUUM ANALYZE");
    await server.stop();
    server = await startServer(binary, uri, dir);
    phases["after ANALYZE and a restart"] = await measure(server, experimentId, compare);
    return { backend, seedSeconds, phases };
  } finally {
    await target?.close();
    await server.stop();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

let binary = option("--binary", "");
const buildDir = mkdtempSync(join(tmpdir(), "fml-stale-build-"));
if (!binary) {
  binary = join(buildDir, "fml");
  const build = Bun.spawnSync([process.execPath, join(repoRoot, "scripts/build.ts"), "--outfile", binary], { cwd: repoRoot });
  if (build.exitCode !== 0) throw new Error(build.stderr.toString());
}
binary = resolve(binary);
const commit = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: repoRoot }).stdout.toString().trim();
console.log(`fml ${commit}, ${runCount} runs, ${compareRuns} compared runs × ${compareSteps} steps, median of ${repeat} after a first call`);
for (const backend of backends) {
  const loadBefore = loadavg()[0] ?? 0;
  const result = await bench(backend, binary);
  const phaseNames = Object.keys(result.phases);
  console.log(`\n${backend}: seeded in ${result.seedSeconds.toFixed(1)} s, load ${loadBefore.toFixed(2)} → ${(loadavg()[0] ?? 0).toFixed(2)}`);
  console.log(`| read | ${phaseNames.map((p) => `${p}: first / p50 ms`).join(" | ")} |`);
  console.log(`| --- |${phaseNames.map(() => " --- |").join("")}`);
  const reads = Object.keys(result.phases[phaseNames[0] as string] ?? {});
  for (const read of reads) {
    const cells = phaseNames.map((p) => {
      const t = result.phases[p]?.[read];
      return t ? `${t.first.toFixed(0)} / ${t.p50.toFixed(1)}` : "";
    });
    console.log(`| ${read} | ${cells.join(" | ")} |`);
  }
}
rmSync(buildDir, { recursive: true, force: true });
