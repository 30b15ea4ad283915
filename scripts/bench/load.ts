/**
 * The load generator: a separate process that talks HTTP to fml on loopback and prints one JSON
 * result on stdout. run.ts spawns it once per workload:
 *
 *   bun scripts/bench/load.ts '{"workload":"ingest","url":"http://127.0.0.1:5000",...}'
 */

import { summarize, type Latency } from "./stats.ts";

export interface LoadSpec {
  workload: "ingest" | "small-writes" | "create-run" | "search" | "history" | "bulk-interval";
  url: string;
  experimentId: string;
  clients?: number;
  durationMs?: number;
  iterations?: number;
  /** search: the requests to time, each run `iterations` times in turn. */
  searches?: { name: string; filter?: string; orderBy?: string[] }[];
  runId?: string;
  runIds?: string[];
  metricKey?: string;
  /** ingest: each client starts a request every this many ms (unset: back to back). */
  intervalMs?: number;
  /** Read workloads stop repeating a request after this long (at least 3 times each). */
  budgetMs?: number;
}

/** Whether a read workload should time request `i` again: `iterations` times, within the budget. */
function again(spec: LoadSpec, i: number, started: number, iterations: number): boolean {
  if (i >= iterations) return false;
  return i < 3 || performance.now() - started < (spec.budgetMs ?? 20000);
}

interface Timed {
  status: number;
  bytes: number;
  body: string;
  ms: number;
}

async function call(url: string, method: "GET" | "POST", path: string, body?: unknown): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(url + path, {
    method,
    headers: method === "POST" ? { "content-type": "application/json" } : undefined,
    body: method === "POST" ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, bytes: text.length, body: text, ms: performance.now() - started };
}

function expectOk(r: Timed, what: string): void {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
}

async function createRun(url: string, experimentId: string): Promise<string> {
  const r = await call(url, "POST", "/api/2.0/mlflow/runs/create", {
    experiment_id: experimentId,
    start_time: Date.now(),
  });
  expectOk(r, "runs/create");
  return (JSON.parse(r.body) as { run: { info: { run_id: string } } }).run.info.run_id;
}

/** Runs `clients` loops until `durationMs` has passed; each loop gets its index. */
async function forDuration(
  clients: number,
  durationMs: number,
  setup: (client: number) => Promise<void>,
  step: (client: number, i: number) => Promise<void>,
): Promise<number> {
  await Promise.all(Array.from({ length: clients }, (_, c) => setup(c)));
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < deadline; i++) await step(c, i);
    }),
  );
  return (performance.now() - started) / 1000;
}

const KEYS = 10;
const STEPS = 100;

async function ingest(spec: LoadSpec) {
  const clients = spec.clients ?? 20;
  const runIds: string[] = [];
  const latencies: number[] = [];
  let accepted = 0;
  let errors = 0;
  const base = Date.now();
  let pacedFrom: number | undefined;
  const seconds = await forDuration(
    clients,
    spec.durationMs ?? 10000,
    async (c) => {
      runIds[c] = await createRun(spec.url, spec.experimentId);
    },
    async (c, i) => {
      if (spec.intervalMs) {
        // Paced clients, as training loops log: request i starts at i × interval, spread so the
        // clients do not all start at once.
        pacedFrom ??= performance.now();
        const due = pacedFrom + (c / clients + i) * spec.intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await Bun.sleep(wait);
      }
      const metrics = [];
      for (let k = 0; k < KEYS; k++) {
        for (let s = 0; s < STEPS; s++) {
          const step = i * STEPS + s;
          metrics.push({ key: `metric_${k}`, value: Math.random(), timestamp: base + step, step });
        }
      }
      const r = await call(spec.url, "POST", "/api/2.0/mlflow/runs/log-batch", { run_id: runIds[c], metrics });
      latencies.push(r.ms);
      if (r.status === 200) accepted += metrics.length;
      else errors++;
    },
  );
  return {
    requests: summarize(latencies),
    errors,
    pointsAccepted: accepted,
    pointsPerSecond: Math.round(accepted / seconds),
    seconds,
    runIds,
  };
}

async function smallWrites(spec: LoadSpec) {
  const clients = spec.clients ?? 20;
  const runIds: string[] = [];
  const metric: number[] = [];
  const param: number[] = [];
  let errors = 0;
  const seconds = await forDuration(
    clients,
    spec.durationMs ?? 5000,
    async (c) => {
      runIds[c] = await createRun(spec.url, spec.experimentId);
    },
    async (c, i) => {
      const m = await call(spec.url, "POST", "/api/2.0/mlflow/runs/log-metric", {
        run_id: runIds[c],
        key: "loss",
        value: Math.random(),
        timestamp: Date.now(),
        step: i,
      });
      metric.push(m.ms);
      const p = await call(spec.url, "POST", "/api/2.0/mlflow/runs/log-parameter", {
        run_id: runIds[c],
        key: `param_${i}`,
        value: String(i),
      });
      param.push(p.ms);
      if (m.status !== 200 || p.status !== 200) errors++;
    },
  );
  return {
    logMetric: summarize(metric),
    logParameter: summarize(param),
    requestsPerSecond: Math.round((metric.length + param.length) / seconds),
    errors,
  };
}

async function createRuns(spec: LoadSpec) {
  const latencies: number[] = [];
  let errors = 0;
  const seconds = await forDuration(
    spec.clients ?? 20,
    spec.durationMs ?? 5000,
    async () => {},
    async () => {
      const r = await call(spec.url, "POST", "/api/2.0/mlflow/runs/create", {
        experiment_id: spec.experimentId,
        start_time: Date.now(),
      });
      latencies.push(r.ms);
      if (r.status !== 200) errors++;
    },
  );
  return { requests: summarize(latencies), runsPerSecond: Math.round(latencies.length / seconds), errors };
}

async function search(spec: LoadSpec) {
  const out: Record<string, { latency: Latency; runsReturned: number; bytes: number }> = {};
  for (const query of spec.searches ?? []) {
    const latencies: number[] = [];
    let runsReturned = 0;
    let bytes = 0;
    const body = {
      experiment_ids: [spec.experimentId],
      max_results: 1000,
      ...(query.filter ? { filter: query.filter } : {}),
      ...(query.orderBy ? { order_by: query.orderBy } : {}),
    };
    // One untimed request first: a fresh statement plan is not what a user waits for every time.
    expectOk(await call(spec.url, "POST", "/api/2.0/mlflow/runs/search", body), `runs/search ${query.name}`);
    const started = performance.now();
    for (let i = 0; again(spec, i, started, spec.iterations ?? 20); i++) {
      const r = await call(spec.url, "POST", "/api/2.0/mlflow/runs/search", body);
      expectOk(r, `runs/search ${query.name}`);
      latencies.push(r.ms);
      runsReturned = (JSON.parse(r.body) as { runs?: unknown[] }).runs?.length ?? 0;
      bytes = r.bytes;
    }
    out[query.name] = { latency: summarize(latencies), runsReturned, bytes };
  }
  return out;
}

async function history(spec: LoadSpec) {
  const latencies: number[] = [];
  let points = 0;
  let bytes = 0;
  const query = new URLSearchParams({ run_id: spec.runId ?? "", metric_key: spec.metricKey ?? "" });
  const started = performance.now();
  for (let i = 0; again(spec, i, started, spec.iterations ?? 3); i++) {
    const r = await call(spec.url, "GET", `/api/2.0/mlflow/metrics/get-history?${query}`);
    expectOk(r, "metrics/get-history");
    latencies.push(r.ms);
    points = (JSON.parse(r.body) as { metrics?: unknown[] }).metrics?.length ?? 0;
    bytes = r.bytes;
  }
  return { latency: summarize(latencies), points, bytes };
}

async function bulkInterval(spec: LoadSpec) {
  const query = new URLSearchParams({ metric_key: spec.metricKey ?? "", max_results: "320" });
  for (const id of spec.runIds ?? []) query.append("run_ids", id);
  const path = `/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?${query}`;
  const first = await call(spec.url, "GET", path);
  if (first.status === 404) return { missing: true, status: 404 };
  expectOk(first, "metrics/get-history-bulk-interval");
  const latencies: number[] = [];
  let points = 0;
  const started = performance.now();
  for (let i = 0; again(spec, i, started, spec.iterations ?? 50); i++) {
    const r = await call(spec.url, "GET", path);
    expectOk(r, "metrics/get-history-bulk-interval");
    latencies.push(r.ms);
    points = (JSON.parse(r.body) as { metrics?: unknown[] }).metrics?.length ?? 0;
  }
  return { missing: false, latency: summarize(latencies), points };
}

const workloads = {
  ingest,
  "small-writes": smallWrites,
  "create-run": createRuns,
  search,
  history,
  "bulk-interval": bulkInterval,
} as const;

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;
  const result = await workloads[spec.workload](spec);
  process.stdout.write(JSON.stringify(result));
}
