/**
 * PostgreSQL through postgres.js: a pool of `--database-pool-max` connections, prepared statements,
 * int8 columns as numbers, and the URI read the way libpq (and so MLflow) reads it. Database
 * failures become MLflow errors: a lost connection is TEMPORARILY_UNAVAILABLE (503, which MLflow
 * clients retry), a lost race on an experiment or registered model name is RESOURCE_ALREADY_EXISTS.
 */

import { readFileSync } from "node:fs";
import postgres from "postgres";
import { maskPassword } from "../../config.ts";
import { MlflowError } from "../../errors.ts";
import { log } from "../../log.ts";
import type { Database, Reader, Row } from "./database.ts";
import { watchStatistics } from "./pg-statistics.ts";
import { raw, render, sql, type Sql } from "./sql.ts";

export class PostgresConnectError extends Error {
  override name = "PostgresConnectError";
}

export type PostgresSql = postgres.Sql<{ bigint: number }>;
type PostgresOptions = postgres.Options<{ bigint: postgres.PostgresType<number> }>;

/** int8 (bigint) arrives as text; MLflow's int8 columns are epoch milliseconds and steps. */
const int8AsNumber: postgres.PostgresType<number> = {
  to: 20,
  from: [20],
  serialize: (value: number) => String(value),
  parse: (value: string) => Number(value),
};

/**
 * libpq's URI parameters that are settings of the client, not of the server: postgres.js would
 * send them to the server as run-time parameters, which the server rejects.
 */
const clientOnlyParameters = new Set([
  "sslmode",
  "sslrootcert",
  "sslcert",
  "sslkey",
  "sslpassword",
  "sslcrl",
  "sslcrldir",
  "sslsni",
  "sslcompression",
  "ssl_min_protocol_version",
  "ssl_max_protocol_version",
  "requiressl",
  "gssencmode",
  "gsslib",
  "krbsrvname",
  "channel_binding",
  "requirepeer",
  "keepalives",
  "keepalives_idle",
  "keepalives_interval",
  "keepalives_count",
  "tcp_user_timeout",
  "passfile",
  "service",
  "hostaddr",
  "load_balance_hosts",
  "fallback_application_name",
  "target_session_attrs",
  "connect_timeout",
  "host",
  "port",
  "user",
  "password",
  "dbname",
]);

type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
const sslModes: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

function readPemFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new PostgresConnectError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

/**
 * TLS as libpq does it: `sslmode` defaults to `prefer` (TLS when the server offers it, as MLflow's
 * psycopg2 does), `require` encrypts without verifying, `verify-ca` checks the chain, `verify-full`
 * also the host name; `sslrootcert`, `sslcert`, `sslkey` name PEM files.
 */
function sslOptions(params: URLSearchParams, env: Record<string, string | undefined>): PostgresOptions["ssl"] {
  const requested = params.get("sslmode") ?? env.PGSSLMODE ?? "prefer";
  if (!sslModes.includes(requested as SslMode)) {
    throw new PostgresConnectError(
      `sslmode '${requested}' is not one of ${sslModes.join(", ")}`,
    );
  }
  const mode = requested as SslMode;
  if (mode === "disable") return false;
  const rootCert = params.get("sslrootcert") ?? env.PGSSLROOTCERT;
  const cert = params.get("sslcert") ?? env.PGSSLCERT;
  const key = params.get("sslkey") ?? env.PGSSLKEY;
  const verify = mode === "verify-ca" || mode === "verify-full";
  if (!verify && !cert && !key) return mode;
  const tls: Record<string, unknown> = { rejectUnauthorized: verify };
  if (rootCert && rootCert !== "system" && verify) tls.ca = readPemFile(rootCert, "sslrootcert");
  if (cert) tls.cert = readPemFile(cert, "sslcert");
  if (key) tls.key = readPemFile(key, "sslkey");
  const password = params.get("sslpassword");
  if (password) tls.passphrase = password;
  if (mode === "verify-ca") tls.checkServerIdentity = () => undefined;
  return tls as PostgresOptions["ssl"];
}

export interface PostgresConnectOptions {
  /** Most connections in the pool. */
  max: number;
  env?: Record<string, string | undefined>;
}

/**
 * A postgres.js pool for a `postgres://` URL (config.ts has normalized `postgresql+psycopg2://`
 * and friends). Nothing connects until the first query.
 */
export function connectPostgres(url: string, options: PostgresConnectOptions): PostgresSql {
  const env = options.env ?? process.env;
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const config: PostgresOptions = {
    max: options.max,
    prepare: true,
    ssl: sslOptions(params, env),
    types: { bigint: int8AsNumber },
    // An idle pool gives its connections back; the next request opens them again.
    idle_timeout: 600,
    connect_timeout: Number(params.get("connect_timeout") ?? env.PGCONNECT_TIMEOUT ?? 10) || 10,
    onnotice: (notice) => log.debug(`postgres: ${notice.message ?? JSON.stringify(notice)}`),
    connection: { application_name: params.get("application_name") ?? "fml" },
  };
  // libpq's query-string spellings of the connection target (`?host=/var/run/postgresql`).
  const host = params.get("host");
  if (host) config.host = host;
  const port = params.get("port");
  if (port) config.port = Number(port);
  const user = params.get("user");
  if (user) config.user = user;
  const password = params.get("password");
  if (password) config.password = password;
  const dbname = params.get("dbname");
  if (dbname) config.database = dbname;
  const sessionAttrs = params.get("target_session_attrs");
  if (sessionAttrs) config.target_session_attrs = sessionAttrs as PostgresOptions["target_session_attrs"];
  for (const name of [...params.keys()]) {
    if (clientOnlyParameters.has(name)) params.delete(name);
  }
  return postgres(parsed.toString(), config);
}

/** Where a URL points, for messages: `postgres://user:***@host:5432/db`. */
export function describeTarget(url: string): string {
  const parsed = new URL(url);
  parsed.search = "";
  return maskPassword(parsed.toString());
}

// ---------------------------------------------------------------------------------------------
// Errors

interface DriverError {
  code?: unknown;
  table_name?: unknown;
  constraint_name?: unknown;
  detail?: unknown;
  message?: unknown;
}

/** Socket and postgres.js codes for a connection that failed or went away. */
const connectionCodes = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs after which the same request can succeed a moment later: connection exceptions (08),
 * server shutting down or starting (57P01-57P03), too many connections, serialization failure,
 * deadlock.
 */
function isTransient(code: string): boolean {
  return (
    connectionCodes.has(code) ||
    code.startsWith("08") ||
    // Insufficient resources (disk full, out of memory, too many connections), and a database or
    // login that went away under a running server: all "come back later" for the client.
    code.startsWith("53") ||
    code.startsWith("28") ||
    ["57P01", "57P02", "57P03", "3D000", "40001", "40P01"].includes(code)
  );
}

const READ_ATTEMPTS = 3;

function isLostConnection(error: unknown): boolean {
  const code = (error as DriverError | null)?.code;
  return typeof code === "string" && (connectionCodes.has(code) || code === "57P01" || code.startsWith("08"));
}

/** `Key (workspace, name)=(default, my-exp) already exists.` → `my-exp` */
function duplicateExperimentName(detail: string): string | undefined {
  const match = /^Key \((?:workspace, )?name\)=\((?:[^,]*, )?(.*)\) already exists\.?$/s.exec(detail);
  return match?.[1];
}

/** `Key (workspace, name)=(default, my-model) already exists.` → `my-model` */
function duplicateModelName(detail: string): string | undefined {
  return /^Key \(workspace, name\)=\([^,]*, (.*)\) already exists\.?$/s.exec(detail)?.[1];
}

function translateError(error: unknown): unknown {
  if (error instanceof MlflowError || typeof error !== "object" || error === null) return error;
  const e = error as DriverError;
  const code = typeof e.code === "string" ? e.code : "";
  const message = String(e.message ?? error);
  if (isTransient(code)) {
    const reason = connectionCodes.has(code) ? `connection lost: ${code}` : `${message} (${code})`;
    log.warn(`database temporarily unavailable: ${reason}`);
    // The reason may name the host, the database or a user: the log has it, the client a code.
    return new MlflowError(
      "TEMPORARILY_UNAVAILABLE",
      `The tracking database is temporarily unavailable (${code}); retry the request.`,
    );
  }
  if (code === "23505" && e.table_name === "experiments" && e.constraint_name !== "experiment_pk") {
    const name = duplicateExperimentName(String(e.detail ?? "")) ?? "?";
    return new MlflowError(
      "RESOURCE_ALREADY_EXISTS",
      `Experiment(name=${name}) already exists. Error: ${message}`,
    );
  }
  // Two models renamed to one new name at once: the second UPDATE meets the first's key.
  if (code === "23505" && e.constraint_name === "registered_model_pk") {
    const name = duplicateModelName(String(e.detail ?? "")) ?? "?";
    return new MlflowError("RESOURCE_ALREADY_EXISTS", `Registered Model (name=${name}) already exists.`);
  }
  return error;
}

// ---------------------------------------------------------------------------------------------
// The Database

type ReservedSql = postgres.ReservedSql<{ bigint: number }>;
type Queryable = PostgresSql | ReservedSql;

/**
 * Where a connection object stands: the pool (each statement on any connection), a reserved
 * session outside any transaction (schema work under its advisory lock), or inside a transaction.
 */
type Scope = "pool" | "session" | "transaction";

/** pg_advisory_lock key for schema changes: the bytes of "fmlschem". */
export const SCHEMA_LOCK_KEY = "7380674607174935917";

class PostgresConnection implements Database {
  readonly dialect = "postgresql" as const;

  constructor(
    protected readonly sql: Queryable,
    private readonly scope: Scope,
  ) {}

  async all<T = Row>(query: Sql): Promise<T[]> {
    const { text, values } = render(query, "postgresql");
    const once = async (): Promise<T[]> =>
      (await this.sql.unsafe(text, values as postgres.ParameterOrJSON<number>[], {
        prepare: true,
      })) as unknown as T[];
    // A pooled connection the server closed while idle (restart, failover, idle timeout) fails
    // the next query sent on it; a plain read can safely go again on another connection.
    const retryable = this.scope === "pool" && /^\s*SELECT\b/i.test(text);
    for (let attempt = 1; ; attempt++) {
      try {
        return await once();
      } catch (error) {
        if (!retryable || attempt >= READ_ATTEMPTS || !isLostConnection(error)) throw translateError(error);
        // The pool notices closed sockets a moment later; asking again at once meets the same ones.
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  async run(query: Sql): Promise<number> {
    const { text, values } = render(query, "postgresql");
    try {
      const result = await this.sql.unsafe(text, values as postgres.ParameterOrJSON<number>[], {
        prepare: true,
      });
      return result.count;
    } catch (error) {
      throw translateError(error);
    }
  }

  /** Without parameters postgres.js sends the simple protocol, which takes several statements. */
  async exec(script: string): Promise<void> {
    try {
      await this.sql.unsafe(script);
    } catch (error) {
      throw translateError(error);
    }
  }

  async *iterate<T = Row>(query: Sql, batchSize: number): AsyncIterable<T[]> {
    const { text, values } = render(query, "postgresql");
    try {
      const cursor = this.sql
        .unsafe(text, values as postgres.ParameterOrJSON<number>[], { prepare: true })
        .cursor(batchSize);
      for await (const rows of cursor) yield rows as unknown as T[];
    } catch (error) {
      throw translateError(error);
    }
  }

  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    switch (this.scope) {
      case "transaction":
        return this.savepoint(fn);
      case "session":
        return inTransaction(this.sql as ReservedSql, "BEGIN", fn).catch((error: unknown) => {
          throw translateError(error);
        });
      case "pool":
        return this.reserved((session) => inTransaction(session, "BEGIN", fn));
    }
  }

  snapshot<T>(fn: (reader: Reader) => Promise<T>): Promise<T> {
    if (this.scope === "transaction") return fn(this);
    const begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    if (this.scope === "session") {
      return inTransaction(this.sql as ReservedSql, begin, fn).catch((error: unknown) => {
        throw translateError(error);
      });
    }
    return this.reserved((session) => inTransaction(session, begin, fn));
  }

  /** A session advisory lock, held on one reserved connection from the first look to the last step. */
  withSchemaLock<T>(fn: (session: Database) => Promise<T>): Promise<T> {
    if (this.scope !== "pool") throw new Error("withSchemaLock needs the pool, not a session or transaction");
    return this.reserved(async (session) => {
      await session.unsafe(`SELECT pg_advisory_lock(${SCHEMA_LOCK_KEY})`);
      try {
        return await fn(new PostgresConnection(session, "session"));
      } finally {
        await session.unsafe(`SELECT pg_advisory_unlock(${SCHEMA_LOCK_KEY})`).catch(() => {});
      }
    });
  }

  /**
   * Runs `work` on a connection reserved from the pool. postgres.js's own `sql.begin` can send
   * BEGIN pipelined behind another query without reserving the connection (porsager/postgres#823,
   * #1189): under concurrent writes it then fails with UNSAFE_TRANSACTION, and the open
   * transaction goes back to the pool. `sql.reserve` only hands out an idle connection.
   */
  private async reserved<T>(work: (session: ReservedSql) => Promise<T>): Promise<T> {
    let session: ReservedSql;
    try {
      session = await (this.sql as PostgresSql).reserve();
    } catch (error) {
      throw translateError(error);
    }
    let lost = false;
    try {
      return await work(session);
    } catch (error) {
      lost = isLostConnection(error);
      throw translateError(error);
    } finally {
      // A connection that closed is already back among the pool's closed ones; releasing it
      // would list it as open.
      if (!lost) session.release();
    }
  }

  private savepoints = 0;

  private async savepoint<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    const name = raw(`fml_savepoint_${++this.savepoints}`);
    await this.run(sql`SAVEPOINT ${name}`);
    try {
      const result = await fn(this);
      await this.run(sql`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await this.run(sql`ROLLBACK TO SAVEPOINT ${name}`);
      throw error;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * `begin` … COMMIT on one reserved connection; ROLLBACK unless the connection itself was lost.
 * Errors go out as the driver raised them, so the caller can tell a lost connection.
 */
async function inTransaction<T>(
  session: ReservedSql,
  begin: string,
  fn: (tx: PostgresConnection) => Promise<T>,
): Promise<T> {
  try {
    // Sent now, it travels with the transaction's first statement (postgres.js pipelines the
    // queries of one connection): one round trip fewer per transaction.
    const begun = session.unsafe(begin);
    begun.catch(() => undefined);
    const result = await fn(new PostgresConnection(session, "transaction"));
    await begun;
    await session.unsafe("COMMIT");
    return result;
  } catch (error) {
    if (!isLostConnection(error)) await session.unsafe("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** The pool as fml's `Database`; `close` waits up to 5 s for running queries. */
export class PostgresDatabase extends PostgresConnection {
  private stopWatching = (): void => {};

  constructor(readonly pool: PostgresSql) {
    super(pool, "pool");
  }

  /** For a long-running server: statistics that autovacuum has not caught up with yet. */
  startMaintenance(): void {
    this.stopWatching();
    this.stopWatching = watchStatistics(this);
  }

  override async close(): Promise<void> {
    this.stopWatching();
    await this.pool.end({ timeout: 5 });
  }
}

/**
 * Checks that the server answers, or says in one line where it tried and why it failed. The wait
 * is bounded here too: postgres.js does not fail a query whose first connection attempt times out
 * (an unroutable host), it retries forever.
 */
export async function checkConnection(pool: PostgresSql, url: string): Promise<void> {
  const seconds = Number(pool.options.connect_timeout) || 10;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${seconds} s`), { code: "CONNECT_TIMEOUT" })),
      seconds * 1000 + 500,
    );
  });
  try {
    await Promise.race([pool`SELECT 1`, timedOut]);
  } catch (error) {
    await pool.end({ timeout: 0 }).catch(() => undefined);
    const e = error as DriverError;
    let cause = String(e.message ?? error).split("\n")[0] ?? "";
    if (/before secure TLS connection/i.test(cause)) {
      cause = "the server does not accept TLS connections, but sslmode asks for TLS";
    }
    const code =
      typeof e.code === "string" && !/^[0-9A-Z]{5}$/.test(e.code) && !cause.includes(e.code)
        ? ` (${e.code})`
        : "";
    throw new PostgresConnectError(`cannot connect to PostgreSQL at ${describeTarget(url)}: ${cause}${code}`);
  } finally {
    clearTimeout(timer);
  }
}
