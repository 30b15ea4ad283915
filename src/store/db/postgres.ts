/**
 * PostgreSQL as fml's `Database`: a pool of `--database-pool-max` connections with prepared
 * statements, transactions on reserved connections, read-only snapshots, and the schema's advisory
 * lock. Connecting is postgres-connect.ts's job; turning failures into MLflow errors is
 * postgres-errors.ts's.
 */

import type postgres from "postgres";
import { inSavepoint, type Database, type Reader, type Row } from "./database.ts";
import { watchStatistics } from "./pg-statistics.ts";
import type { PostgresSql } from "./postgres-connect.ts";
import { isLostConnection, READ_ATTEMPTS, translateError } from "./postgres-errors.ts";
import { render, type Sql } from "./sql.ts";

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

  private savepoint<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return inSavepoint(this, ++this.savepoints, fn);
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
