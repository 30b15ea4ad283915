/**
 * The embedded SQLite database. One writer connection behind a queue (SQLite allows a single
 * writer, so fml never asks for a second and never sees "database is locked" from itself), one
 * reader connection, which in WAL mode reads the last committed state while a write is running,
 * and one with a small page cache for streaming long results.
 */

import { statSync } from "node:fs";
import { openSqlite, type SqliteDatabase } from "../../runtime.ts";
import type { Database, Reader, Row } from "./database.ts";
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
  exec(script: string): Promise<void> {
    this.db.exec(script);
    return Promise.resolve();
  }
  /** Already inside the handle's transaction: nested work joins it. */
  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return fn(this);
  }
  snapshot<T>(fn: (reader: Reader) => Promise<T>): Promise<T> {
    return fn(this);
  }
  withSchemaLock<T>(fn: (session: Database) => Promise<T>): Promise<T> {
    return fn(this);
  }
  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}

/** How often the WAL is copied back into the database, outside of any request's COMMIT. */
const CHECKPOINT_INTERVAL_MS = 1000;
/** A write-ahead log above this size is truncated at the next checkpoint that finds it idle. */
const WAL_TRUNCATE_BYTES = 64 * 1024 * 1024;
/**
 * Planner statistics are refreshed this often: PRAGMA optimize analyzes only the tables whose size
 * changed tenfold since their last analysis, reading at most ANALYSIS_LIMIT rows per index (81 ms
 * instead of 1 s on 25,000 runs), so it can run often.
 */
const OPTIMIZE_INTERVAL_MS = 5 * 60 * 1000;
const ANALYSIS_LIMIT = 1000;

/**
 * Page cache of the read connection, in MB. SQLite's default 2 MB makes a page of 1,000 runs
 * re-read ~9,000 pages from the OS on every request; 64 MB keeps them (a 1,000-run search on 100k
 * runs: 103 -> 74 ms). It fills only as pages are read.
 */
export const DEFAULT_READ_CACHE_MB = 64;

/**
 * Page cache of the connection that streams long results (a whole metric history), in MB. A scan
 * of millions of rows reads each page once, so a large cache would only hold memory: streaming 2M
 * points through the 64 MB read cache peaked at 260 MB RSS, through this one at 108 MB.
 */
const STREAM_CACHE_MB = 2;

export interface SqliteOpenOptions {
  /** Page cache of the read connection, in MB (default DEFAULT_READ_CACHE_MB). */
  readCacheMb?: number;
  /** One read-only connection: the file is never written, not even its journal mode. */
  readonly?: boolean;
}

export class SqliteDatabaseHandle implements Database {
  readonly dialect = "sqlite" as const;
  private readonly writer: SqliteConnection;
  private readonly reader: SqliteConnection;
  private readonly streamer: SqliteConnection;
  private queue: Promise<unknown> = Promise.resolve();
  private snapshots: Promise<unknown> = Promise.resolve();
  private timers: ReturnType<typeof setInterval>[] = [];
  private statisticsStale = false;
  private reloading = false;

  private constructor(
    private readonly writerDb: SqliteDatabase,
    private readonly readerDb: SqliteDatabase | null,
    private readonly checkpointDb: SqliteDatabase | null,
    private readonly streamDb: SqliteDatabase | null,
    private readonly path: string,
  ) {
    this.writer = new SqliteConnection(writerDb);
    this.reader = readerDb ? new SqliteConnection(readerDb) : this.writer;
    this.streamer = streamDb ? new SqliteConnection(streamDb) : this.reader;
  }

  static async open(path: string, options: SqliteOpenOptions = {}): Promise<SqliteDatabaseHandle> {
    if (options.readonly) {
      const only = await openSqlite(path, { readonly: true });
      for (const pragma of connectionPragmas) only.exec(pragma);
      return new SqliteDatabaseHandle(only, null, null, null, path);
    }
    const writer = await openSqlite(path);
    const inMemory = path === ":memory:" || path === "";
    writer.exec("PRAGMA busy_timeout = 20000");
    for (const pragma of connectionPragmas) writer.exec(pragma);
    let reader: SqliteDatabase | null = null;
    let checkpointer: SqliteDatabase | null = null;
    let streamer: SqliteDatabase | null = null;
    if (!inMemory) {
      reader = await openSqlite(path);
      for (const pragma of connectionPragmas) reader.exec(pragma);
      reader.exec(`PRAGMA cache_size = ${-1024 * (options.readCacheMb ?? DEFAULT_READ_CACHE_MB)}`);
      // Never waits: a checkpoint that would block the event loop is simply tried again later.
      checkpointer = await openSqlite(path);
      checkpointer.exec("PRAGMA busy_timeout = 0");
      checkpointer.exec(`PRAGMA analysis_limit = ${ANALYSIS_LIMIT}`);
      streamer = await openSqlite(path);
      for (const pragma of connectionPragmas) streamer.exec(pragma);
      streamer.exec(`PRAGMA cache_size = ${-1024 * STREAM_CACHE_MB}`);
    }
    return new SqliteDatabaseHandle(writer, reader, checkpointer, streamer, path);
  }

  /**
   * Write-ahead logging, once the schema is known to be one fml serves (a database fml refuses is
   * left exactly as it was found, journal mode included).
   */
  async useWal(): Promise<void> {
    if (!this.readerDb) return;
    await this.serialized(() => {
      this.writerDb.exec("PRAGMA journal_mode = WAL");
      // WAL + NORMAL: a crash of fml never loses a committed write; only a power loss may drop the
      // last few transactions, and the database stays consistent either way.
      this.writerDb.exec("PRAGMA synchronous = NORMAL");
      // SQLite would checkpoint inside whichever COMMIT crosses 1000 pages, a third of a busy
      // writer's time; fml checkpoints on a timer instead (see startMaintenance).
      this.writerDb.exec("PRAGMA wal_autocheckpoint = 0");
      return Promise.resolve();
    });
  }

  /**
   * Background upkeep once the schema is in place: planner statistics kept current and loaded by
   * every connection (fml's hot queries do not depend on them, see search-runs-sql.ts and
   * metric-history.ts, but everything else plans better with them), and WAL checkpoints between
   * requests rather than inside them.
   */
  startMaintenance(): void {
    if (!this.checkpointDb || this.timers.length > 0) return;
    const optimize = (): void => {
      try {
        this.checkpointDb?.exec("PRAGMA optimize = 0x10002");
      } catch {
        // Busy: statistics can wait for the next round.
      }
      // Also after an ANALYZE by another process (fml import, the sqlite3 shell).
      this.statisticsStale = true;
      void this.reloadStatistics();
    };
    optimize();
    const checkpoint = (): void => {
      if (this.statisticsStale) void this.reloadStatistics();
      try {
        const wal = statSync(`${this.path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
        if (wal === 0) return;
        this.checkpointDb?.exec(
          wal > WAL_TRUNCATE_BYTES ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint(PASSIVE)",
        );
      } catch {
        // SQLITE_BUSY: another connection holds a lock; the next tick tries again.
      }
    };
    this.timers = [setInterval(checkpoint, CHECKPOINT_INTERVAL_MS), setInterval(optimize, OPTIMIZE_INTERVAL_MS)];
    for (const timer of this.timers) (timer as { unref?: () => void }).unref?.();
  }

  /**
   * Each connection loads the statistics once and keeps them: an ANALYZE on another connection
   * changes no schema version, so without this the reader would plan with what it found at start
   * (before the first optimize) until fml restarts. `ANALYZE sqlite_schema` reloads them; it takes
   * the write lock for an instant, so it is tried without waiting and retried on the next tick.
   */
  private async reloadStatistics(): Promise<void> {
    if (this.reloading) return;
    this.reloading = true;
    const reload = (db: SqliteDatabase): boolean => {
      try {
        db.exec("PRAGMA busy_timeout = 0");
        db.exec("ANALYZE sqlite_schema");
        return true;
      } catch {
        return false;
      } finally {
        db.exec("PRAGMA busy_timeout = 20000");
      }
    };
    try {
      const writer = await this.serialized(() => Promise.resolve(reload(this.writerDb)));
      const reader = this.readerDb ? await this.onReader(() => Promise.resolve(reload(this.readerDb as SqliteDatabase))) : true;
      if (writer && reader) this.statisticsStale = false;
    } finally {
      this.reloading = false;
    }
  }

  all<T = Row>(query: Sql): Promise<T[]> {
    return this.reader.all<T>(query);
  }

  run(query: Sql): Promise<number> {
    return this.transaction((tx) => tx.run(query));
  }

  /** On its own connection with a small cache (outside a snapshot, which reads on the reader's). */
  iterate<T = Row>(query: Sql, batchSize: number): AsyncIterable<T[]> {
    return this.streamer.iterate<T>(query, batchSize);
  }

  exec(script: string): Promise<void> {
    return this.serialized(() => {
      this.writerDb.exec(script);
      return Promise.resolve();
    });
  }

  /** Runs `work` on the writer once every write queued before it is done. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * A deferred transaction on the reader: WAL keeps its view fixed while writers go on. Without a
   * separate reader (in memory, read-only) it waits its turn among the writes.
   */
  snapshot<T>(fn: (reader: Reader) => Promise<T>): Promise<T> {
    const connection = this.readerDb ?? this.writerDb;
    const work = async (): Promise<T> => {
      connection.exec("BEGIN");
      try {
        return await fn(this.reader);
      } finally {
        connection.exec("COMMIT");
      }
    };
    if (!this.readerDb) return this.serialized(work);
    return this.onReader(work);
  }

  /** Runs `work` on the reader once the snapshots queued before it are done. */
  private onReader<T>(work: () => Promise<T>): Promise<T> {
    const result = this.snapshots.then(work);
    this.snapshots = result.catch(() => undefined);
    return result;
  }

  /**
   * Schema steps rebuild tables that others reference; SQLite allows that only with foreign keys
   * off, and the pragma cannot change inside a transaction. Each step then takes the write lock
   * (BEGIN IMMEDIATE) in `transaction`, which is what keeps other processes out.
   */
  async withSchemaLock<T>(fn: (session: Database) => Promise<T>): Promise<T> {
    const foreignKeys = await this.serialized(() =>
      Promise.resolve(this.writerDb.get<{ foreign_keys: number }>("PRAGMA foreign_keys")?.foreign_keys ?? 0),
    );
    await this.exec("PRAGMA foreign_keys = OFF");
    try {
      return await fn(this);
    } finally {
      await this.exec(`PRAGMA foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
    }
  }

  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return this.serialized(async () => {
      this.writerDb.exec("BEGIN IMMEDIATE");
      try {
        const value = await fn(this.writer);
        this.writerDb.exec("COMMIT");
        return value;
      } catch (error) {
        try {
          this.writerDb.exec("ROLLBACK");
        } catch {
          // The failed statement may already have ended the transaction.
        }
        throw error;
      }
    });
  }

  /** Waits for queued writes, folds the WAL back into the database, then closes. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.queue;
    await this.snapshots;
    this.checkpointDb?.close();
    this.streamDb?.close();
    this.readerDb?.close();
    try {
      this.writerDb.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
      // Another process is reading; SQLite checkpoints again when the last connection closes.
    }
    this.writerDb.close();
  }
}
