/**
 * The benchmark suite still runs end to end: `--quick --backend sqlite` builds the binary, drives
 * every workload and writes a JSON report with each workload's fields. Numbers are never asserted:
 * CI machines are shared and noisy.
 */

import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers/server.ts";

const latency = { count: expect.any(Number), p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) };
const sampled = { peakRssMb: expect.any(Number), load1: expect.any(Number) };

test("bench --quick --backend sqlite reports every workload", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fml-bench-smoke-"));
  try {
    const out = join(dir, "bench.json");
    const child = Bun.spawn(
      [process.execPath, join(repoRoot, "scripts/bench/run.ts"), "--quick", "--backend", "sqlite", "--json", out],
      { cwd: repoRoot, stdout: "pipe", stderr: "pipe" },
    );
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toContain("| backend");

    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report.machine).toMatchObject({ nproc: expect.any(Number), cpu: expect.any(String), loadAverage: expect.any(Array) });
    const [sqlite] = report.results;
    expect(sqlite.backend).toBe("sqlite");
    expect(sqlite.ingest).toMatchObject({
      requests: latency,
      pointsPerSecond: expect.any(Number),
      pointsAccepted: expect.any(Number),
      pointsStored: expect.any(Number),
      storedMatches: expect.any(Boolean),
      ...sampled,
    });
    expect(sqlite.ingestPaced).toMatchObject({ requests: latency, pointsPerSecond: expect.any(Number), ...sampled });
    expect(sqlite.smallWrites).toMatchObject({ logMetric: latency, logParameter: latency, requestsPerSecond: expect.any(Number), ...sampled });
    expect(sqlite.createRun).toMatchObject({ requests: latency, runsPerSecond: expect.any(Number), ...sampled });
    for (const name of ["noFilter", "metricFilter", "paramFilterMetricOrder"]) {
      expect(sqlite.search[name]).toMatchObject({ latency, runsReturned: expect.any(Number) });
    }
    expect(sqlite.history.full).toMatchObject({ latency, points: expect.any(Number), ...sampled });
    expect(sqlite.history.tenth).toMatchObject({ latency, points: expect.any(Number), ...sampled });
    expect(sqlite.bulkInterval).toMatchObject({ missing: expect.any(Boolean) });
    if (!sqlite.bulkInterval.missing) expect(sqlite.bulkInterval).toMatchObject({ latency, points: expect.any(Number) });
    expect(sqlite.footprint).toMatchObject({ startToHealthMs: expect.any(Number), idleRssMb: expect.any(Number) });
    for (const ceiling of [sqlite.ceiling, sqlite.ceilingBigTransactions, sqlite.ceilingGroupCommit]) {
      expect(ceiling).toMatchObject({ pointsPerSecond: expect.any(Number), rowsPerTransaction: expect.any(Number), stored: expect.any(Number) });
    }
    expect(sqlite.ingestRatio).toMatchObject({ ofCeiling: expect.any(Number), ofBigTransactionCeiling: expect.any(Number), ofGroupCommitCeiling: expect.any(Number) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
