/**
 * The tracking and registry stores on top of the configured database, opened (and its schema
 * brought to head, served as it is in compatibility mode, or refused with a clear reason) by
 * `openPreparedDatabase`.
 */

import type { DatabaseTarget } from "../config.ts";
import { log } from "../log.ts";
import type { Database } from "./db/database.ts";
import { openPreparedDatabase } from "./db/open.ts";
import { HEAD_LIMITS } from "./schema/compatibility.ts";
import { ensureFmlIndexes } from "./schema/fml-indexes.ts";
import { SqlLoggedModelStore } from "./logged-models.ts";
import { SqlRegistryStore } from "./registry-store.ts";
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

export interface Stores {
  tracking: SqlTrackingStore;
  registry: SqlRegistryStore;
  /** The database itself, for the stores that take it directly (traces, spans, assessments). */
  db: Database;
  models: SqlLoggedModelStore;
}

/** The tracking and registry stores on one database connection (closed by `tracking.close()`). */
export async function openStores(options: OpenStoreOptions): Promise<Stores> {
  const { db: opened, schema } = await openPreparedDatabase(options.database, {
    schema: "prepare",
    migrate: options.migrate,
    poolMax: options.poolMax,
    cacheMb: options.cacheMb,
    maintenance: true,
    log: log.info,
  });
  try {
    await ensureFmlIndexes(opened);
  } catch (error) {
    await opened.close();
    throw error;
  }
  const db = options.wrapDatabase?.(opened) ?? opened;
  const tracking = new SqlTrackingStore(db, {
    defaultArtifactRoot: options.defaultArtifactRoot,
    limits: schema?.limits ?? HEAD_LIMITS,
  });
  await tracking.ensureDefaultExperiment();
  const models = new SqlLoggedModelStore(db, { defaultArtifactRoot: options.defaultArtifactRoot });
  return { tracking, registry: new SqlRegistryStore(db), models, db };
}
