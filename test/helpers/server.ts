/**
 * Starts a real fml server process for a test, on a fresh SQLite file or a fresh PostgreSQL or
 * MySQL database, and talks HTTP to it. The same API tests run against every backend in `backends()`.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createMysqlTestDatabase, createTestDatabase, mysqlAdminUrl, mysqlAvailable, postgresAdminUrl, repoRoot } from "./fixtures.ts";

export { mysqlAdminUrl, postgresAdminUrl, repoRoot };
export type Backend = "sqlite" | "postgresql" | "mysql";

let postgresReachable: boolean | undefined;

export async function isPostgresReachable(): Promise<boolean> {
  if (postgresReachable !== undefined) return postgresReachable;
  const sql = postgres(postgresAdminUrl, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    postgresReachable = true;
  } catch {
    postgresReachable = false;
  } finally {
    await sql.end({ timeout: 1 });
  }
  return postgresReachable;
}

/**
 * Backends to run API tests on. PostgreSQL and MySQL (MariaDB) are required in CI (`.ci/run`
 * starts them); locally a machine without one runs the others, and says so.
 */
export async function backends(): Promise<Backend[]> {
  if (process.env.FML_TEST_BACKENDS) return process.env.FML_TEST_BACKENDS.split(",") as Backend[];
  const found: Backend[] = ["sqlite"];
  if (await isPostgresReachable()) found.push("postgresql");
  else if (process.env.CI) throw new Error("PostgreSQL is not reachable at " + postgresAdminUrl);
  else warnOnce("PostgreSQL not reachable: API tests skip it");
  if (await mysqlAvailable()) found.push("mysql");
  else if (process.env.CI) throw new Error("MySQL/MariaDB is not reachable at " + mysqlAdminUrl);
  else warnOnce("MySQL/MariaDB not reachable: API tests skip it");
  return found;
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(message);
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface FmlServer {
  url: string;
  backend: Backend;
  databaseUri: string;
  dir: string;
  /** All output the server wrote to stderr so far. */
  logs(): string;
  /** Calls an MLflow endpoint: GET sends `body` as query parameters, others as JSON. */
  api<T = Record<string, unknown>>(
    method: string,
    endpoint: string,
    body?: unknown,
  ): Promise<ApiResponse<T>>;
  /** Signals the process and waits for its exit code; keeps the database and files. */
  kill(signal?: NodeJS.Signals): Promise<number>;
  /** Stops the process (if still running) and removes its database and files. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export interface StartOptions {
  backend?: Backend;
  args?: string[];
  env?: Record<string, string>;
  /** Reuse an existing database instead of a fresh one. */
  databaseUri?: string;
  /** Command to run instead of the source entry point, e.g. the compiled binary. */
  command?: string[];
  cwd?: string;
}

function toQuery(body: unknown): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export async function startFml(options: StartOptions = {}): Promise<FmlServer> {
  const backend = options.backend ?? "sqlite";
  const dir = mkdtempSync(join(tmpdir(), "fml-test-"));
  let databaseUri = options.databaseUri;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (!databaseUri) {
    if (backend === "postgresql" || backend === "mysql") {
      const db = backend === "mysql" ? await createMysqlTestDatabase() : await createTestDatabase();
      databaseUri = db.url;
      dropDatabase = db.drop;
    } else {
      databaseUri = `sqlite:///${join(dir, "fml.db")}`; // four slashes: SQLAlchemy's absolute form
    }
  }
  const command = options.command ?? [process.execPath, join(repoRoot, "src/cli/main.ts")];
  const child = Bun.spawn(
    [
      ...command,
      "server",
      "--listen-address",
      "127.0.0.1:0",
      "--database-uri",
      databaseUri,
      "--artifacts-destination",
      join(dir, "mlartifacts"),
      ...(options.args ?? []),
    ],
    {
      cwd: options.cwd ?? dir,
      env: { ...process.env, FML_LOG_LEVEL: "info", ...options.env },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  let stderr = "";
  const decoder = new TextDecoder();
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`fml did not start in time:\n${stderr}`)), 20000);
    (async () => {
      for await (const chunk of child.stderr) {
        stderr += decoder.decode(chunk);
        const match = /listening on http:\/\/[^:]+:(\d+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolvePort(Number(match[1]));
        }
      }
      clearTimeout(timer);
      reject(new Error(`fml exited before listening:\n${stderr}`));
    })().catch(reject);
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    backend,
    databaseUri,
    dir,
    logs: () => stderr,
    async api<T>(method: string, endpoint: string, body?: unknown): Promise<ApiResponse<T>> {
      const path = endpoint.startsWith("/") ? endpoint : `/api/2.0/mlflow/${endpoint}`;
      const response =
        method === "GET"
          ? await fetch(url + path + toQuery(body))
          : await fetch(url + path, {
              method,
              headers: { "content-type": "application/json" },
              body: typeof body === "string" ? body : JSON.stringify(body ?? {}),
            });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // plain-text endpoints (/health, /version)
      }
      return { status: response.status, body: parsed as T, headers: response.headers };
    },
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      child.kill(signal);
      return child.exited;
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      const code = await child.exited;
      await dropDatabase?.();
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
