/**
 * The embedded SQLite database. One writer connection behind a queue (SQLite allows a single
 * writer, so fml never asks for a second and never sees "database is locked" from itself) and one
 * reader connection, which in WAL mode reads the last committed state while a write is running.
 */

import { openSqlite, type SqliteDatabase } from "../runtime.ts";
import type { Database, Row } from "./database.ts";
import { render, type Sql } from "./sql.ts";

const connectionPragmas = [
  "PRAGMA busy_timeout = 20000",
  "PRAGMA foreign_keys = ON",
  // MLflow runs every SQLite connection this way: LIKE is case-sensitive on all backends.
  "PRAGMA case_sensitive_like = ON",
];

class SqliteConnection implements Database {
  readonly dialect = "sqlite" as const;
  constructor(private readonly db: SqliteDatabase) {}

  all<T = Row>(query: Sql): Promise<T[]> {
    const { text, values } = render(query, "sqlite");
    return Promise.resolve(this.db.all<T>(text, values));
  }
  run(query: Sql): Promise<number> {
    const { text, values } = render(query, "sqlite");
    return Promise.resolve(this.db.run(text, values).changes);
  }
  async *iterate<T = Row>(query: Sql, batchSize: number): AsyncIterable<T[]> {
    const { text, values } = render(query, "sqlite");
    let batch: T[] = [];
    for (const row of this.db.iterate<T>(text, values)) {
      batch.push(row);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return fn(this);
  }
  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}

export class SqliteDatabaseHandle implements Database {
  readonly dialect = "sqlite" as const;
  private readonly writer: SqliteConnection;
  private readonly reader: SqliteConnection;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly writerDb: SqliteDatabase,
    private readonly readerDb: SqliteDatabase | null,
  ) {
    this.writer = new SqliteConnection(writerDb);
    this.reader = readerDb ? new SqliteConnection(readerDb) : this.writer;
  }

  static async open(path: string): Promise<SqliteDatabaseHandle> {
    const writer = await openSqlite(path);
    const inMemory = path === ":memory:" || path === "";
    if (!inMemory) {
      writer.exec("PRAGMA journal_mode = WAL");
      // WAL + NORMAL: a crash of fml never loses a committed write; only a power loss may drop the
      // last few transactions, and the database stays consistent either way.
      writer.exec("PRAGMA synchronous = NORMAL");
    }
    for (const pragma of connectionPragmas) writer.exec(pragma);
    let reader: SqliteDatabase | null = null;
    if (!inMemory) {
      reader = await openSqlite(path);
      for (const pragma of connectionPragmas) reader.exec(pragma);
    }
    return new SqliteDatabaseHandle(writer, reader);
  }

  all<T = Row>(query: Sql): Promise<T[]> {
    return this.reader.all<T>(query);
  }

  run(query: Sql): Promise<number> {
    return this.transaction((tx) => tx.run(query));
  }

  iterate<T = Row>(query: Sql, batchSize: number): AsyncIterable<T[]> {
    return this.reader.iterate<T>(query, batchSize);
  }

  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      this.writerDb.exec("BEGIN IMMEDIATE");
      try {
        const value = await fn(this.writer);
        this.writerDb.exec("COMMIT");
        return value;
      } catch (error) {
        this.writerDb.exec("ROLLBACK");
        throw error;
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Waits for queued writes, then closes both connections. */
  async close(): Promise<void> {
    await this.queue;
    this.readerDb?.close();
    this.writerDb.close();
  }
}
