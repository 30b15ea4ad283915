/**
 * MySQL and MariaDB as fml's `Database`: a pool of `--database-pool-max` connections, transactions
 * on a connection taken from it (run again when InnoDB picks them as a deadlock victim),
 * consistent read-only snapshots, and the schema's named lock. Connecting is mysql-connect.ts's
 * job; turning failures into MLflow errors is mysql-errors.ts's.
 */

import type { Connection as CoreConnection } from "mysql2";
import { inSavepoint, type Database, type Reader, type Row } from "./database.ts";
import type { MysqlPool, MysqlPoolConnection } from "./mysql-connect.ts";
import { isDeadlock, isLostConnection, READ_ATTEMPTS, TRANSACTION_ATTEMPTS, translateError } from "./mysql-errors.ts";
import { render, type Sql, type SqlValue } from "./sql.ts";

type Queryable = MysqlPool | MysqlPoolConnection;

/** Where a connection object stands, as in postgres.ts. */
type Scope = "pool" | "session" | "transaction";

/** mysql2 escapes Buffers, not plain Uint8Arrays of other realms. */
function bindable(values: readonly SqlValue[]): unknown[] {
  return values.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v) : v));
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class MysqlConnection implements Database {
  readonly dialect = "mysql" as const;

  constructor(
    protected readonly conn: Queryable,
    private readonly scope: Scope,
  ) {}

  private async query(query: Sql): Promise<unknown> {
    const { text, values } = render(query, "mysql");
    // Client-side binding (the text protocol): no server-side statement per distinct text, which a
    // bulk insert of any row count would otherwise leave behind on every connection.
    const [result] = await this.conn.query(text, bindable(values));
    return result;
  }

  async all<T = Row>(query: Sql): Promise<T[]> {
    // A pooled connection the server closed while idle fails the next query sent on it; a plain
    // read can safely go again on another connection.
    const retryable = this.scope === "pool" && /^\s*(SELECT|WITH)\b/i.test(query.strings[0] ?? "");
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = await this.query(query);
        return (Array.isArray(rows) ? rows : []) as T[];
      } catch (error) {
        if (!retryable || attempt >= READ_ATTEMPTS || !isLostConnection(error)) throw translateError(error);
        await pause(100 * attempt);
      }
    }
  }

  async run(query: Sql): Promise<number> {
    // Outside a transaction a statement commits alone: a deadlock victim can simply go again.
    const attempts = this.scope === "pool" ? TRANSACTION_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = (await this.query(query)) as { affectedRows?: number };
        return result.affectedRows ?? 0;
      } catch (error) {
        if (attempt >= attempts || !isDeadlock(error)) throw translateError(error);
        await pause(20 * attempt);
      }
    }
  }

  async exec(script: string): Promise<void> {
    try {
      await this.conn.query(script);
    } catch (error) {
      throw translateError(error);
    }
  }

  async *iterate<T = Row>(query: Sql, batchSize: number): AsyncIterable<T[]> {
    const { text, values } = render(query, "mysql");
    const connection = this.scope === "pool" ? await this.take() : (this.conn as MysqlPoolConnection);
    let finished = false;
    try {
      // The core connection streams rows as they arrive instead of buffering the whole result.
      const core = connection.connection as unknown as CoreConnection;
      const stream = core.query(text, bindable(values)).stream({ highWaterMark: batchSize });
      let batch: T[] = [];
      for await (const row of stream as AsyncIterable<T>) {
        batch.push(row);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
      finished = true;
    } catch (error) {
      throw translateError(error);
    } finally {
      // A reader that stopped early leaves rows in flight: that connection cannot serve another.
      if (this.scope === "pool") {
        if (finished) connection.release();
        else connection.destroy();
      }
    }
  }

  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    switch (this.scope) {
      case "transaction":
        return this.savepoint(fn);
      case "session":
        return inTransaction(this.conn as MysqlPoolConnection, "START TRANSACTION", fn).catch((error: unknown) => {
          throw translateError(error);
        });
      case "pool":
        return this.withRetries(fn);
    }
  }

  /**
   * InnoDB resolves a deadlock by rolling one transaction back; that one runs again from the
   * start (nothing of it was kept), up to three times, before the client is told to retry. So
   * does one whose connection turned out dead before it began.
   */
  private async withRetries<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.reserved((connection) => inTransaction(connection, "START TRANSACTION", fn));
      } catch (error) {
        const again = isDeadlock(error) || (typeof error === "object" && error !== null && lostBeforeBegin.has(error));
        if (attempt >= TRANSACTION_ATTEMPTS || !again) throw translateError(error);
        await pause(20 * attempt + Math.random() * 30);
      }
    }
  }

  snapshot<T>(fn: (reader: Reader) => Promise<T>): Promise<T> {
    if (this.scope === "transaction") return fn(this);
    const begin = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
    const run = async (connection: MysqlPoolConnection): Promise<T> => {
      // A consistent snapshot needs REPEATABLE READ; the session's READ COMMITTED would give each
      // statement its own.
      await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      return inTransaction(connection, begin, fn);
    };
    if (this.scope === "session") {
      return run(this.conn as MysqlPoolConnection).catch((error: unknown) => {
        throw translateError(error);
      });
    }
    return this.reserved(run).catch((error: unknown) => {
      throw translateError(error);
    });
  }

  /**
   * A named lock (GET_LOCK), held by one connection from the first look to the last step. Lock
   * names are server-wide, so the database's name is part of it.
   */
  withSchemaLock<T>(fn: (session: Database) => Promise<T>): Promise<T> {
    if (this.scope !== "pool") throw new Error("withSchemaLock needs the pool, not a session or transaction");
    return this.reserved(async (connection) => {
      const lockName = "LEFT(CONCAT('fml_schema:', DATABASE()), 64)";
      const [rows] = await connection.query(`SELECT GET_LOCK(${lockName}, 600) AS locked`);
      if ((rows as Row[])[0]?.locked !== 1) throw new Error("timed out waiting for the schema lock (GET_LOCK)");
      try {
        return await fn(new MysqlConnection(connection, "session"));
      } finally {
        await connection.query(`SELECT RELEASE_LOCK(${lockName})`).catch(() => undefined);
      }
    }).catch((error: unknown) => {
      throw translateError(error);
    });
  }

  private async take(): Promise<MysqlPoolConnection> {
    try {
      return await (this.conn as MysqlPool).getConnection();
    } catch (error) {
      throw translateError(error);
    }
  }

  /** Runs `work` on a connection of its own; one that was lost is destroyed, not given back. */
  private async reserved<T>(work: (connection: MysqlPoolConnection) => Promise<T>): Promise<T> {
    const connection = await this.take();
    let lost = false;
    try {
      return await work(connection);
    } catch (error) {
      lost = isLostConnection(error);
      throw error;
    } finally {
      if (lost) connection.destroy();
      else connection.release();
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

/** Failures of START TRANSACTION itself on a dead connection: retried like a deadlock. */
const lostBeforeBegin = new WeakSet<object>();

/** `begin` … COMMIT on one connection; ROLLBACK unless the connection itself was lost. */
async function inTransaction<T>(
  connection: MysqlPoolConnection,
  begin: string,
  fn: (tx: MysqlConnection) => Promise<T>,
): Promise<T> {
  try {
    await connection.query(begin).catch((error: unknown) => {
      // Nothing was sent yet: on a connection the server had closed, the whole transaction can
      // safely start again on another.
      if (isLostConnection(error)) lostBeforeBegin.add(error as object);
      throw error;
    });
    const result = await fn(new MysqlConnection(connection, "transaction"));
    await connection.query("COMMIT");
    return result;
  } catch (error) {
    if (!isLostConnection(error)) await connection.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** The pool as fml's `Database`. */
export class MysqlDatabase extends MysqlConnection {
  constructor(readonly pool: MysqlPool) {
    super(pool, "pool");
  }

  override async close(): Promise<void> {
    await this.pool.end();
  }
}
