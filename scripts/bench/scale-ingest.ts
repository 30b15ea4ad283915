/**
 * The ingest part of the scale benchmark: `--rows` metric rows written in ten slices, so the rate
 * of each tenth shows whether ingest slows as the database grows. Of each slice, `--http-share`
 * goes through fml's log-batch (20 clients, each its own run, 1,000 points a batch: 10 keys × 100
 * steps, a new run every 500,000 points) and is timed; the rest is seeded straight into the
 * database behind the running server, in runs of 100,000 points, to reach large sizes sooner.
 * Every slice reports the largest SQLite WAL seen (fml checkpoints it on a timer), or PostgreSQL's
 * metrics table and index sizes. Then the oldest runs holding a tenth of the rows are deleted and
 * `fml gc` removes them: SQLite's free pages and PostgreSQL's index sizes before and after.
 */

import { Database } from "bun:sqlite";
import type { Backend } from "./db.ts";
import { openPg } from "./db.ts";
import { api, createExperiment, createRun, fileMb, load1, runGc, whileSampling } from "./scale-http.ts";
import { metricColumns, metricTypes, openSeeder, type Seeder } from "./scale-seed.ts";
import { procMb, resetPeak, startServer } from "./server.ts";
import { summarize } from "./stats.ts";
import type { Fresh, Row } from "./scale.ts";

export interface IngestOptions {
  backend: Backend;
  binary: string;
  rows: number;
  httpShare: number;
  emit: (row: Row) => void;
  freshDatabase: (backend: Backend, name: string) => Promise<Fresh>;
  databaseMb: (backend: Backend, location: string) => Promise<string>;
}

const CLIENTS = 20;
const BATCH_KEYS = 10;
const BATCH_STEPS = 100;
const POINTS_PER_HTTP_RUN = 500_000;
const POINTS_PER_SEEDED_RUN = 100_000;

interface Client {
  runId: string;
  step: number;
}

/** The database's storage, as one cell: SQLite pages in use and free, or PostgreSQL's metrics. */
async function storage(backend: Backend, location: string): Promise<string> {
  if (backend === "sqlite") {
    const db = new Database(location, { readonly: true });
    try {
      const pragma = (name: string) => Number(Object.values(db.prepare(`PRAGMA ${name}`).get() as object)[0]);
      const size = pragma("page_size");
      return `file ${Math.round((pragma("page_count") * size) / 1e6)} MB, free ${Math.round((pragma("freelist_count") * size) / 1e6)} MB`;
    } finally {
      db.close();
    }
  }
  const sql = openPg(location);
  try {
    const rows = await sql.unsafe(`
      SELECT c.relname AS name, pg_relation_size(c.oid)::float8 / 1e6 AS mb FROM pg_class c
      WHERE c.oid = 'metrics'::regclass OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'metrics'::regclass)
      ORDER BY c.relname`);
    return rows.map((r) => `${r.name} ${Math.round(Number(r.mb))} MB`).join(", ");
  } finally {
    await sql.end();
  }
}

async function seedFiller(seeder: Seeder, experimentId: number, points: number, runIds: [string, number][]): Promise<void> {
  const t0 = Date.now();
  for (let done = 0; done < points; done += POINTS_PER_SEEDED_RUN) {
    const n = Math.min(POINTS_PER_SEEDED_RUN, points - done);
    const id = crypto.randomUUID().replaceAll("-", "");
    const steps = Math.ceil(n / BATCH_KEYS);
    const rows: (string | number | boolean)[][] = [];
    for (let i = 0; i < n; i++) rows.push([`m${i % BATCH_KEYS}`, Math.random(), t0 + Math.floor(i / BATCH_KEYS), Math.floor(i / BATCH_KEYS), false, id]);
    const latest = Array.from({ length: Math.min(BATCH_KEYS, n) }, (_, k) => [`m${k}`, 0.5, t0 + steps - 1, steps - 1, false, id]);
    await seeder.transaction(async () => {
      await seeder.insert(
        "runs",
        ["run_uuid", "name", "source_type", "source_name", "entry_point_name", "user_id", "status", "start_time", "source_version", "lifecycle_stage", "artifact_uri", "experiment_id"],
        ["text", "text", "text", "text", "text", "text", "text", "int8", "text", "text", "text", "int4"],
        [[id, `seeded-${id.slice(0, 6)}`, "UNKNOWN", "", "", "bench", "FINISHED", t0, "", "active", `mlflow-artifacts:/${experimentId}/${id}/artifacts`, experimentId]],
      );
      await seeder.insert("metrics", metricColumns, metricTypes, rows);
      await seeder.insert("latest_metrics", metricColumns, metricTypes, latest);
    });
    runIds.push([id, n]);
  }
}

/** 20 clients send log-batch until `points` more are stored; returns per-batch latencies. */
async function httpIngest(url: string, experimentId: string, clients: Client[], points: number, runIds: [string, number][]): Promise<number[]> {
  const latencies: number[] = [];
  let sent = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (sent < points) {
        sent += BATCH_KEYS * BATCH_STEPS;
        if (client.step * BATCH_KEYS >= POINTS_PER_HTTP_RUN) {
          runIds.push([client.runId, client.step * BATCH_KEYS]);
          client.runId = await createRun(url, experimentId);
          client.step = 0;
        }
        const now = Date.now();
        const metrics = [];
        for (let s = 0; s < BATCH_STEPS; s++) {
          for (let k = 0; k < BATCH_KEYS; k++) metrics.push({ key: `m${k}`, value: Math.random(), timestamp: now, step: client.step + s });
        }
        client.step += BATCH_STEPS;
        const started = performance.now();
        await api(url, "POST", "runs/log-batch", { run_id: client.runId, metrics });
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

export async function ingestWorkload(o: IngestOptions): Promise<void> {
  const { backend } = o;
  const db = await o.freshDatabase(backend, "ingest");
  const server = await startServer(o.binary, db.uri, db.dir);
  let seeder: Seeder | undefined;
  try {
    const experimentId = await createExperiment(server.url, "scale-ingest");
    const clients: Client[] = [];
    for (let c = 0; c < CLIENTS; c++) clients.push({ runId: await createRun(server.url, experimentId), step: 0 });
    const runIds: [string, number][] = [];
    seeder = o.httpShare < 1 ? openSeeder(backend, db.location, false) : undefined;
    const slice = Math.round(o.rows / 10);
    let total = 0;
    for (let s = 1; s <= 10; s++) {
      const http = Math.round(slice * o.httpShare);
      const seedStarted = performance.now();
      if (seeder) await seedFiller(seeder, Number(experimentId), slice - http, runIds);
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      resetPeak(server.pid);
      const started = performance.now();
      const { result: latencies, max: walMax } = await whileSampling(
        () => (backend === "sqlite" ? fileMb(`${db.location}-wal`) : 0),
        200,
        () => httpIngest(server.url, experimentId, clients, http, runIds),
      );
      const seconds = (performance.now() - started) / 1000;
      total += slice;
      const p = summarize(latencies);
      const seeded = seeder ? `, ${slice - http} seeded in ${seedSeconds.toFixed(0)} s` : "";
      const wal = backend === "sqlite" ? `, WAL max ${walMax} MB` : "";
      o.emit([
        backend,
        `ingest slice ${s}/10, ${(total / 1e6).toFixed(1)}M rows in the database`,
        "",
        p.p50.toFixed(1),
        `${Math.round((latencies.length * BATCH_KEYS * BATCH_STEPS) / seconds)} pts/s over HTTP (p95 ${p.p95.toFixed(0)} ms)${seeded}${wal}; ${await o.databaseMb(backend, db.location)}`,
        String(procMb(server.pid, "VmHWM")),
        String(load1()),
      ]);
    }
    await seeder?.close();
    seeder = undefined;
    for (const client of clients) runIds.push([client.runId, client.step * BATCH_KEYS]);
    o.emit([backend, "storage before delete", "", "", await storage(backend, db.location), "", String(load1())]);
    // The oldest runs holding a tenth of the rows: soft delete (the API), then fml gc.
    let doomed = 0;
    let deletedRuns = 0;
    for (const [runId, n] of runIds) {
      if (doomed >= total / 10) break;
      await api(server.url, "POST", "runs/delete", { run_id: runId });
      doomed += n;
      deletedRuns++;
    }
    resetPeak(server.pid);
    const gc = await runGc(o.binary, db.uri, db.dir, []);
    o.emit([backend, `fml gc of ${deletedRuns} runs, ${(doomed / 1e6).toFixed(1)}M rows`, (gc.seconds * 1000).toFixed(0), "", await storage(backend, db.location), `gc ${gc.peakRssMb}, server ${procMb(server.pid, "VmHWM")}`, String(load1())]);
    if (backend === "postgresql") {
      const sql = openPg(db.location);
      const started = performance.now();
      await sql.unsafe("VACUUM metrics");
      await sql.end();
      o.emit([backend, "after VACUUM metrics", ((performance.now() - started)).toFixed(0), "", await storage(backend, db.location), "", String(load1())]);
    }
  } finally {
    await seeder?.close();
    await server.stop();
    await db.drop();
  }
}
