/**
 * Everything that differs between Bun (the shipped binary) and Deno (running from source) lives
 * here: the HTTP listener and the embedded SQLite driver. The rest of fml speaks Web-standard
 * Request/Response and the small interfaces below.
 */

import { log } from "./log.ts";

declare const Bun: { version: string } | undefined;
declare const Deno: { version: { deno: string } } | undefined;

export const runtimeName: "bun" | "deno" | "node" =
  typeof Bun !== "undefined" ? "bun" : typeof Deno !== "undefined" ? "deno" : "node";

// ---------------------------------------------------------------------------------------------
// HTTP

export interface ServeOptions {
  hostname: string;
  port: number;
  maxRequestBodySize: number;
  fetch: (request: Request) => Response | Promise<Response>;
}

export interface RunningServer {
  readonly port: number;
  /** Stops accepting connections and resolves once in-flight requests have finished. */
  stop(): Promise<void>;
}

export async function serve(options: ServeOptions): Promise<RunningServer> {
  if (runtimeName === "bun") {
    const bun = globalThis as unknown as {
      Bun: {
        serve(o: object): { port: number; stop(closeActive?: boolean): Promise<void> };
      };
    };
    const server = bun.Bun.serve({
      hostname: options.hostname,
      port: options.port,
      maxRequestBodySize: options.maxRequestBodySize,
      // Long downloads and slow clients must not be cut at Bun's default of 10 s idle.
      idleTimeout: 255,
      fetch: options.fetch,
      // Only what escapes the app's own error handling lands here: say why, answer 500.
      error: (error: unknown) => {
        log.warn(`request failed outside the app, answered 500: ${(error as Error)?.message ?? String(error)}`);
        return new Response("internal error", { status: 500 });
      },
    });
    return { port: server.port, stop: () => server.stop(false) };
  }
  if (runtimeName === "deno") {
    const deno = globalThis as unknown as {
      Deno: {
        serve(
          o: { hostname: string; port: number; onListen: (a: { port: number }) => void },
          handler: (r: Request) => Response | Promise<Response>,
        ): { shutdown(): Promise<void>; addr: { port: number } };
      };
    };
    const server = deno.Deno.serve(
      { hostname: options.hostname, port: options.port, onListen: () => {} },
      options.fetch,
    );
    return { port: server.addr.port, stop: () => server.shutdown() };
  }
  throw new Error("fml runs on Bun or Deno; Node.js is not supported as a server runtime");
}

// ---------------------------------------------------------------------------------------------
// SQLite

/** What a statement binds; the store's `SqlValue` is this same union, so its queries bind as they are. */
export type SqliteValue = string | number | bigint | boolean | null | Uint8Array;

export interface RunResult {
  changes: number;
  lastInsertRowid: number;
}

export interface SqliteDatabase {
  /** Runs one or more statements without parameters (schema scripts, pragmas). */
  exec(text: string): void;
  all<T = Record<string, unknown>>(text: string, values?: readonly SqliteValue[]): T[];
  get<T = Record<string, unknown>>(text: string, values?: readonly SqliteValue[]): T | undefined;
  run(text: string, values?: readonly SqliteValue[]): RunResult;
  /** Rows one at a time from a statement of its own, so several scans can be open at once. */
  iterate<T = Record<string, unknown>>(text: string, values?: readonly SqliteValue[]): IterableIterator<T>;
  close(): void;
}

interface Statement {
  iterate(...values: unknown[]): IterableIterator<unknown>;
  all(...values: unknown[]): unknown[];
  get(...values: unknown[]): unknown;
  run(...values: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
}

// node:sqlite binds neither booleans nor undefined; both drivers agree on 0/1.
function bindable(values: readonly SqliteValue[]): unknown[] {
  return values.map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : v));
}

class CachedSqlite implements SqliteDatabase {
  private readonly statements = new Map<string, Statement>();
  constructor(
    private readonly prepare: (text: string) => Statement,
    private readonly execText: (text: string) => void,
    private readonly closeDb: () => void,
  ) {}

  private statement(text: string): Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.prepare(text);
      // Search queries vary with their filters; keep the cache from growing without bound.
      if (this.statements.size > 500) this.statements.clear();
      this.statements.set(text, s);
    }
    return s;
  }
  exec(text: string): void {
    this.execText(text);
  }
  all<T>(text: string, values: readonly SqliteValue[] = []): T[] {
    return this.statement(text).all(...bindable(values)) as T[];
  }
  get<T>(text: string, values: readonly SqliteValue[] = []): T | undefined {
    return (this.statement(text).get(...bindable(values)) ?? undefined) as T | undefined;
  }
  run(text: string, values: readonly SqliteValue[] = []): RunResult {
    const r = this.statement(text).run(...bindable(values));
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }
  iterate<T>(text: string, values: readonly SqliteValue[] = []): IterableIterator<T> {
    return this.prepare(text).iterate(...bindable(values)) as IterableIterator<T>;
  }
  close(): void {
    this.statements.clear();
    this.closeDb();
  }
}

export async function openSqlite(
  path: string,
  options: { readonly?: boolean } = {},
): Promise<SqliteDatabase> {
  if (runtimeName === "bun") {
    const { Database } = (await import("bun:sqlite")) as unknown as {
      Database: new (
        p: string,
        o: object,
      ) => { prepare(t: string): Statement; exec(t: string): void; close(): void };
    };
    const db = options.readonly
      ? new Database(path, { readonly: true })
      : new Database(path, { create: true, readwrite: true });
    return new CachedSqlite(
      (t) => db.prepare(t),
      (t) => db.exec(t),
      () => db.close(),
    );
  }
  const { DatabaseSync } = (await import("node:sqlite")) as unknown as {
    DatabaseSync: new (
      p: string,
      o: object,
    ) => { prepare(t: string): Statement; exec(t: string): void; close(): void };
  };
  const db = new DatabaseSync(path, { readOnly: options.readonly ?? false });
  return new CachedSqlite(
    (t) => db.prepare(t),
    (t) => db.exec(t),
    () => db.close(),
  );
}
