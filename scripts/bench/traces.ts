/**
 * Tracing benchmark: OTLP span ingest (protobuf, 20 concurrent exporters, traces of 10 and of
 * 1,000 spans) next to the database's own insert ceiling for the same span rows, search_traces on
 * a seeded experiment (filter on a tag and on state, newest first, page of 100), and GetTrace of a
 * 30,000-span trace.
 *
 *   bun scripts/bench/traces.ts [--backend sqlite|postgresql|both] [--quick] [--binary dist/fml]
 *                               [--only ingest,search,get]
 *
 * Without --binary fml runs from source (bun src/cli/main.ts). Numbers are printed as a table.
 */

import { mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPgDatabase, openTarget, repoRoot, type Backend, type Target } from "./db.ts";
import { decodeExportTraceServiceRequest } from "../../src/server/otlp/protobuf.ts";
import { toSpanRow } from "../../src/server/otlp/span-content.ts";
import { encodeExportTraceServiceRequest, type BenchSpan } from "./otlp-encode.ts";
import { summarize } from "./stats.ts";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const quick = args.includes("--quick");
const backendArg = option("--backend") ?? "both";
const backends: Backend[] = backendArg === "both" ? ["sqlite", "postgresql"] : [backendArg as Backend];
const binary = option("--binary");
const only = new Set((option("--only") ?? "ingest,search,get").split(","));
const sizes = quick
  ? { ingestMs: 3000, searchTraces: 10000, searchIterations: 20, bigTrace: 30000 }
  : { ingestMs: 10000, searchTraces: 100000, searchIterations: 50, bigTrace: 30000 };
const EXPORTERS = 20;

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** One trace of `n` spans: a root and n-1 children, with MLflow's usual attributes. */
function traceSpans(n: number): BenchSpan[] {
  const traceId = random(16);
  const root = random(8);
  const start = BigInt(Date.now()) * 1_000_000n;
  return Array.from({ length: n }, (_, i) => ({
    traceId,
    spanId: i === 0 ? root : random(8),
    parentSpanId: i === 0 ? undefined : root,
    name: i === 0 ? "agent" : `step-${i}`,
    start: start + BigInt(i) * 1000n,
    end: start + BigInt(i) * 1000n + 500_000n,
    attributes: [
      ["mlflow.spanType", i === 0 ? "AGENT" : "TOOL"],
      ["mlflow.spanInputs", `{"query": "question ${i}"}`],
      ["mlflow.spanOutputs", `{"answer": "answer ${i}"}`],
      ["tokens", BigInt(i)],
    ],
  }));
}

interface Fml {
  url: string;
  stop(): Promise<void>;
}

async function startFml(databaseUri: string, dir: string): Promise<Fml> {
  const port = 5300 + Math.floor(Math.random() * 600);
  const command = binary ? [binary] : [process.execPath, join(repoRoot, "src/cli/main.ts")];
  const log = openSync(join(dir, "fml.log"), "a");
  const child = Bun.spawn(
    [...command, "server", "--listen-address", `127.0.0.1:${port}`, "--database-uri", databaseUri, "--artifacts-destination", join(dir, "art")],
    { env: { ...process.env, FML_LOG_LEVEL: "warn" }, stdout: log, stderr: log },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 3000; i++) {
    try {
      if ((await fetch(`${url}/health`)).status === 200) break;
    } catch {
      await Bun.sleep(10);
    }
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}

async function createExperiment(url: string, name: string): Promise<string> {
  const r = await fetch(`${url}/api/2.0/mlflow/experiments/create`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  return ((await r.json()) as { experiment_id: string }).experiment_id;
}

/**
 * Request bodies for fresh traces without re-encoding: one encoded trace, its 16 trace-id bytes
 * overwritten with a new id per request, so the load generator spends its CPU on sending, not on
 * protobuf encoding (the server shares the machine's two cores with it).
 */
function bodyFactory(spansPerTrace: number): () => Uint8Array<ArrayBuffer> {
  const spans = traceSpans(spansPerTrace);
  const template = encodeExportTraceServiceRequest(spans);
  const id = spans[0]!.traceId;
  const offsets: number[] = [];
  for (let i = 0; i + 16 <= template.length; i++) {
    let match = true;
    for (let j = 0; j < 16 && match; j++) match = template[i + j] === id[j];
    if (match) offsets.push(i);
  }
  return () => {
    const body = template.slice();
    const fresh = random(16);
    for (const at of offsets) body.set(fresh, at);
    return body;
  };
}

/** 20 exporters posting traces of `spansPerTrace` spans back to back for `ms`. */
async function ingest(url: string, experimentId: string, spansPerTrace: number, ms: number) {
  const nextBody = bodyFactory(spansPerTrace);
  const latencies: number[] = [];
  let spans = 0;
  let failures = 0;
  const deadline = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: EXPORTERS }, async () => {
      while (performance.now() < deadline) {
        const body = nextBody();
        const t0 = performance.now();
        const r = await fetch(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/x-protobuf", "x-mlflow-experiment-id": experimentId },
          body,
        });
        await r.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (r.status === 200) spans += spansPerTrace;
        else failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { spansPerSecond: Math.round(spans / seconds), latency: summarize(latencies), failures };
}

/**
 * The database's own rate for the same span rows: each request's spans decoded and converted as
 * fml does (untimed), then only the bulk INSERTs timed, one transaction per trace. SQLite has one
 * writer; PostgreSQL gets `writers` concurrent connections, as fml's pool would.
 */
async function ceiling(targets: Target[], experimentId: string, spansPerTrace: number, ms: number): Promise<number> {
  const columns = ["trace_id", "experiment_id", "span_id", "parent_span_id", "name", "type", "status", "start_time_unix_nano", "end_time_unix_nano", "content"];
  const types = ["text", "int4", "text", "text", "text", "text", "text", "int8", "int8", "text"];
  const nextBody = bodyFactory(spansPerTrace);
  const batches = Array.from({ length: Math.max(4, targets.length * 2) }, () => {
    const spans = decodeExportTraceServiceRequest(nextBody()).spans.map(toSpanRow);
    return spans.map((s) => [
      s.traceId,
      Number(experimentId),
      s.spanId,
      s.parentSpanId ?? "",
      s.name,
      s.type ?? "",
      s.status,
      s.startTimeUnixNano.toString(),
      (s.endTimeUnixNano ?? s.startTimeUnixNano).toString(),
      s.content,
    ]);
  });
  let rows = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    targets.map(async (target) => {
      while (performance.now() < deadline) {
        // A fresh trace id for each insert of a prepared batch.
        const traceId = `tr-${hex(random(16))}`;
        const batch = (batches[next++ % batches.length] ?? []).map((row) => [traceId, ...row.slice(1)]);
        await target.insert("trace_info", ["request_id", "experiment_id", "timestamp_ms", "status"], ["text", "int4", "int8", "text"], [
          [traceId, Number(experimentId), Date.now(), "OK"],
        ]);
        await target.insert("spans", columns, types, batch as (string | number)[][]);
        rows += batch.length;
      }
    }),
  );
  return Math.round(rows / ((performance.now() - started) / 1000));
}

/** `n` traces straight into the tables: half tagged env=prod, a tenth in state ERROR. */
async function seedTraces(target: Target, experimentId: string, n: number): Promise<void> {
  const base = Date.now() - n * 1000;
  const chunk = 10000;
  for (let i = 0; i < n; i += chunk) {
    const ids = Array.from({ length: Math.min(chunk, n - i) }, (_, j) => [`tr-${hex(random(16))}`, i + j] as const);
    await target.insert(
      "trace_info",
      ["request_id", "experiment_id", "timestamp_ms", "execution_time_ms", "status"],
      ["text", "int4", "int8", "int8", "text"],
      ids.map(([id, k]) => [id, Number(experimentId), base + k * 1000, 100 + (k % 50), k % 10 === 0 ? "ERROR" : "OK"]),
    );
    await target.insert(
      "trace_tags",
      ["key", "value", "request_id"],
      ["text", "text", "text"],
      ids.flatMap(([id, k]) => [
        ["env", k % 2 === 0 ? "prod" : "dev", id],
        ["mlflow.traceName", `trace-${k % 7}`, id],
      ]),
    );
  }
}

async function timeSearch(url: string, experimentId: string, iterations: number) {
  const body = JSON.stringify({
    locations: [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } }],
    filter: "tags.env = 'prod' AND trace.status = 'OK'",
    order_by: ["timestamp_ms DESC"],
    max_results: 100,
  });
  const latencies: number[] = [];
  let count = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const r = await fetch(`${url}/api/3.0/mlflow/traces/search`, { method: "POST", headers: { "content-type": "application/json" }, body });
    count = ((await r.json()) as { traces?: unknown[] }).traces?.length ?? 0;
    latencies.push(performance.now() - t0);
  }
  return { latency: summarize(latencies), count };
}

async function bigTrace(url: string, experimentId: string, n: number) {
  const spans = traceSpans(n);
  const traceId = `tr-${hex(spans[0]!.traceId)}`;
  for (let i = 0; i < n; i += 1000) {
    const r = await fetch(`${url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf", "x-mlflow-experiment-id": experimentId },
      body: encodeExportTraceServiceRequest(spans.slice(i, i + 1000)),
    });
    await r.arrayBuffer();
  }
  const times: number[] = [];
  let served = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await fetch(`${url}/api/3.0/mlflow/traces/get?trace_id=${traceId}`);
    served = ((await r.json()) as { trace: { spans: unknown[] } }).trace.spans.length;
    times.push(performance.now() - t0);
  }
  return { ms: Math.round(Math.min(...times)), served };
}

const lines: string[] = [];
for (const backend of backends) {
  const dir = mkdtempSync(join(tmpdir(), "fml-bench-traces-"));
  const pg = backend === "postgresql" ? await createPgDatabase() : undefined;
  const uri = pg?.url ?? `sqlite:///${join(dir, "bench.db")}`;
  const fml = await startFml(uri, dir);
  const target = openTarget(backend, pg?.url ?? join(dir, "bench.db"));
  try {
    for (const size of only.has("ingest") ? [10, 1000] : []) {
      const exp = await createExperiment(fml.url, `ingest-${size}`);
      const r = await ingest(fml.url, exp, size, sizes.ingestMs);
      const writers = backend === "postgresql" ? Array.from({ length: 8 }, () => openTarget(backend, pg?.url ?? "")) : [target];
      const ceil = await ceiling(writers, await createExperiment(fml.url, `ceiling-${size}`), size, Math.min(sizes.ingestMs, 5000));
      if (backend === "postgresql") await Promise.all(writers.map((w) => w.close()));
      lines.push(
        `${backend.padEnd(10)} OTLP ingest, ${String(size).padStart(4)}-span traces, ${EXPORTERS} exporters: ` +
          `${r.spansPerSecond} spans/s (p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms per request, ${r.failures} failed); ` +
          `database ceiling ${ceil} spans/s (${backend === "postgresql" ? "8 writers" : "1 writer"}; ingest at ${Math.round((100 * r.spansPerSecond) / ceil)} %)`,
      );
      console.log(lines[lines.length - 1]);
    }
    if (only.has("search")) {
    const searchExp = await createExperiment(fml.url, "search");
    await seedTraces(target, searchExp, sizes.searchTraces);
    // Planner statistics, as autovacuum (PostgreSQL) and fml's hourly PRAGMA optimize (SQLite) keep them.
    await target.query("ANALYZE");
    const s = await timeSearch(fml.url, searchExp, sizes.searchIterations);
    lines.push(
      `${backend.padEnd(10)} search_traces on ${sizes.searchTraces} traces (tag + state, newest first, page of 100): ` +
        `p50 ${s.latency.p50} ms, p99 ${s.latency.p99} ms (${s.count} returned)`,
    );
    console.log(lines[lines.length - 1]);
    }
    if (only.has("get")) {
    const big = await bigTrace(fml.url, await createExperiment(fml.url, "big"), sizes.bigTrace);
    lines.push(`${backend.padEnd(10)} GetTrace of a ${sizes.bigTrace}-span trace: ${big.ms} ms (${big.served} spans served)`);
    console.log(lines[lines.length - 1]);
    }
  } finally {
    await target.close();
    await fml.stop();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`\n${lines.join("\n")}`);
