/**
 * What the scale benchmark (scale.ts, scale-ingest.ts) does to a running fml: MLflow calls over
 * loopback, timing of repeated reads, streamed bodies counted without keeping them, and `fml gc`
 * as its own process with its peak memory read from /proc while it runs.
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { median } from "./stats.ts";

export async function api<T>(url: string, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/api/2.0/mlflow/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export const createExperiment = async (url: string, name: string): Promise<string> =>
  (await api<{ experiment_id: string }>(url, "POST", "experiments/create", { name })).experiment_id;

export const createRun = async (url: string, experimentId: string): Promise<string> =>
  (await api<{ run: { info: { run_id: string } } }>(url, "POST", "runs/create", { experiment_id: experimentId, start_time: Date.now() })).run.info.run_id;

/** A GET whose body is read to the end and counted, never kept; `gzip` asks for (and keeps) gzip. */
export async function download(url: string, gzip = false): Promise<{ status: number; bytes: number }> {
  const response = await fetch(url, { headers: gzip ? { "accept-encoding": "gzip" } : { "accept-encoding": "identity" }, decompress: false } as RequestInit);
  let bytes = 0;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
  }
  return { status: response.status, bytes };
}

export interface Timing {
  first: number;
  p50: number;
  max: number;
}

/** The first call (cold caches) and the median and max of `repeat` more, in ms. */
export async function timed(repeat: number, work: () => Promise<unknown>): Promise<Timing> {
  const time = async () => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  const first = await time();
  const rest: number[] = [];
  for (let i = 0; i < repeat; i++) rest.push(await time());
  return { first, p50: median(rest), max: Math.max(...rest) };
}

export const load1 = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;

export function fileMb(path: string): number {
  return existsSync(path) ? Math.round(statSync(path).size / 1e5) / 10 : 0;
}

function hwmMb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined; // exited
  }
}

/**
 * Runs `fml gc` on the database (the server may keep running) and reads its VmHWM every 20 ms
 * until it exits: the last reading is its peak RSS, within 20 ms of the end.
 */
export async function runGc(binary: string, databaseUri: string, dir: string, extra: string[]): Promise<{ seconds: number; peakRssMb: number; output: string }> {
  const started = performance.now();
  const child = Bun.spawn([binary, "gc", "--database-uri", databaseUri, "--artifacts-destination", `${dir}/mlartifacts`, ...extra], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
  });
  let peak = 0;
  const sampler = (async () => {
    while (child.exitCode === null) {
      peak = Math.max(peak, hwmMb(child.pid) ?? 0);
      await Bun.sleep(20);
    }
  })();
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  await sampler;
  if (code !== 0) throw new Error(`fml gc failed (${code}): ${err}`);
  return { seconds: (performance.now() - started) / 1000, peakRssMb: peak, output: `${out}${err}`.trim().split("\n").at(-1) ?? "" };
}

/** Samples `read` every `everyMs` while `work` runs and returns the largest value seen. */
export async function whileSampling<T>(read: () => Promise<number> | number, everyMs: number, work: () => Promise<T>): Promise<{ result: T; max: number }> {
  let max = 0;
  let going = true;
  const sampler = (async () => {
    while (going) {
      try {
        max = Math.max(max, await read());
      } catch {
        // a moment without the file or the connection
      }
      await Bun.sleep(everyMs);
    }
  })();
  try {
    const result = await work();
    return { result, max };
  } finally {
    going = false;
    await sampler;
  }
}
