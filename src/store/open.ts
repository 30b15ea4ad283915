/**
 * Opens the configured database, brings its schema to the head fml serves (or refuses with a
 * clear reason), and returns the tracking and registry stores on top of it.
 */

import { maskPassword, type DatabaseTarget } from "../config.ts";
import { log } from "../log.ts";
import { prepareSqliteSchema } from "./schema/migrate-sqlite.ts";
import type { Database } from "./db/database.ts";
import { ensureFmlIndexes } from "./schema/fml-indexes.ts";
import { SqlRegistryStore } from "./registry-store.ts";
import { SqliteDatabaseHandle } from "./db/sqlite.ts";
import { SqlTrackingStore } from "./tracking-store.ts";

export interface OpenStoreOptions {
  database: DatabaseTarget;
  defaultArtifactRoot: string;
  migrate: boolean;
  poolMax: number;
  /** SQLite: page cache of the read connection, in MB (default DEFAULT_READ_CACHE_MB). */
  cacheMb?: number;
  /** Decorates the opened database, e.g. to time its statements. */
  wrapDatabase?: (db: Database) => Database;
}

export class StoreOpenError extends Error {
  override name = "StoreOpenError";
}

export interface Stores {
  tracking: SqlTrackingStore;
  registry: SqlRegistryStore;
  /** The database itself, for the stores that take it directly (traces, spans, assessments). */
  db: Database;
}

/** The tracking and registry stores on one database connection (closed by `tracking.close()`). */
export async function openStores(options: OpenStoreOptions): Promise<Stores> {
  const opened = await openDatabase(options);
  await ensureFmlIndexes(opened);
  const db = options.wrapDatabase?.(opened) ?? opened;
  const tracking = new SqlTrackingStore(db, { defaultArtifactRoot: options.defaultArtifactRoot });
  await tracking.ensureDefaultExperiment();
  return { tracking, registry: new SqlRegistryStore(db), db };
}

async function openDatabase(options: OpenStoreOptions): Promise<Database> {
  const { database } = options;
  if (database.kind === "sqlite") {
    let handle: SqliteDatabaseHandle;
    try {
      handle = await SqliteDatabaseHandle.open(database.path, { readCacheMb: options.cacheMb });
    } catch (error) {
      throw new StoreOpenError(
        `cannot open SQLite database ${database.path}: ${(error as Error).message}`,
      );
    }
    try {
      await prepareSqliteSchema(handle.writerDb, {
        migrate: options.migrate,
        log: log.info,
        databaseUri: maskPassword(database.uri),
      });
    } catch (error) {
      await handle.close();
      throw error;
    }
    handle.startMaintenance();
    return handle;
  }
  const { checkConnection, connectPostgres, PostgresDatabase } = await import("./db/postgres.ts");
  const { preparePostgresSchema } = await import("./schema/migrate-postgres.ts");
  const pool = connectPostgres(database.url, { max: options.poolMax });
  await checkConnection(pool, database.url);
  try {
    await preparePostgresSchema(pool, {
      migrate: options.migrate,
      log: log.info,
      databaseUri: maskPassword(database.uri),
    });
  } catch (error) {
    await pool.end({ timeout: 5 });
    throw error;
  }
  return new PostgresDatabase(pool);
}
