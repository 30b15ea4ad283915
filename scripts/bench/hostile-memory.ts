/**
 * Peak memory of refused requests: each large or deep body below is sent alone to a fresh-peaked
 * fml process and its peak RSS (VmHWM) is read afterwards, next to the idle RSS as the baseline.
 * Target: under 150 MB for any single refused request.
 *
 *   npx bun scripts/bench/hostile-memory.ts [--binary dist/fml]
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { procMb, resetPeak, startServer } from "./server.ts";

const { values } = parseArgs({ options: { binary: { type: "string", default: "dist/fml" } } });
const dir = mkdtempSync(join(tmpdir(), "fml-bench-hostile-"));
const server = await startServer(resolve(values.binary as string), `sqlite:///${join(dir, "fml.db")}`, dir);

const MB = 1024 * 1024;
const cases: [string, string, string][] = [
  ["15 MB filter", "runs/search", JSON.stringify({ experiment_ids: ["0"], filter: `params.p = '${"x".repeat(15 * MB)}'` })],
  ["10 MB array nested 5M deep", "runs/search", `{"experiment_ids": ${"[".repeat(5 * MB)}${"]".repeat(5 * MB)}}`],
  ["16 MB of tags with NUL", "runs/log-batch", JSON.stringify({ run_id: "x".repeat(32), tags: [{ key: "k", value: `\u0000${"v".repeat(16 * MB - 100)}` }] })],
  ["20 MB body (over the limit)", "runs/log-batch", JSON.stringify({ run_id: "x", tags: [{ key: "k", value: "v".repeat(20 * MB) }] })],
  ["order_by of 1,000 long clauses", "runs/search", JSON.stringify({ experiment_ids: ["0"], order_by: Array.from({ length: 1000 }, () => `params.${"p".repeat(10000)}`) })],
];

try {
  await Bun.sleep(500);
  const idle = procMb(server.pid, "VmRSS");
  console.log(`idle RSS: ${idle} MB`);
  console.log("| request | status | peak RSS MB | over idle MB |");
  console.log("| --- | --- | --- | --- |");
  for (const [name, endpoint, body] of cases) {
    resetPeak(server.pid);
    const r = await fetch(`${server.url}/api/2.0/mlflow/${endpoint}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    await r.text();
    const peak = procMb(server.pid, "VmHWM");
    console.log(`| ${name} | ${r.status} | ${peak} | ${Math.round((peak - idle) * 10) / 10} |`);
    await Bun.sleep(300);
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
