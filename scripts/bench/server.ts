/**
 * The fml process under test: the compiled binary on a known port, timed from spawn to the first
 * `200` from `/health`, with its memory read from /proc.
 */

import { openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface BenchServer {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first `200 OK` from /health. */
  startMs: number;
  stop(): Promise<void>;
}

function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export async function startServer(binary: string, databaseUri: string, dir: string): Promise<BenchServer> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(join(dir, "fml.log"), "a");
  const started = performance.now();
  const child = Bun.spawn(
    [binary, "server", "--listen-address", `127.0.0.1:${port}`, "--database-uri", databaseUri, "--artifacts-destination", join(dir, "mlartifacts")],
    { cwd: dir, env: { ...process.env, FML_LOG_LEVEL: "warn" }, stdout: log, stderr: log },
  );
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`fml exited with ${child.exitCode}; see ${join(dir, "fml.log")}`);
    }
    try {
      const response = await fetch(`${url}/health`);
      await response.text();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 30000) throw new Error(`fml did not answer /health in 30 s; see ${join(dir, "fml.log")}`);
    await Bun.sleep(2);
  }
  const startMs = performance.now() - started;
  return {
    url,
    pid: child.pid,
    startMs,
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}

/** A field of /proc/<pid>/status in MB (VmRSS, VmHWM). */
export function procMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Math.round(Number(match[1]) / 102.4) / 10 : NaN;
}

/** Resets VmHWM to the current RSS (Linux `clear_refs` 5), so each workload gets its own peak. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
