/**
 * The one way fml opens a database, for the server, `fml db`, `fml gc` and `fml import`: connect
 * (loading the PostgreSQL or MySQL driver only when a URI asks for it), check that it answers,
 * bring the schema to head or refuse with the reason, and close again if any of that fails.
 */

import { maskPassword, type DatabaseTarget } from "../../config.ts";
import type { PreparedSchema } from "../schema/migrations.ts";
import { prepareSchema } from "../schema/prepare.ts";
import { existsSync } from "node:fs";
import type { Database } from "./database.ts";
import { SqliteDatabaseHandle } from "./sqlite.ts";

export class StoreOpenError extends Error {
  override name = "StoreOpenError";
}

export interface OpenDatabaseOptions {
  /**
   * "prepare": create the schema on an empty database, upgrade an older one when `migrate` is set
   * (else refuse it), refuse one fml does not know. "inspect": leave the schema as found.
   */
  schema: "prepare" | "inspect";
  migrate?: boolean;
  /** SQLite: one read-only connection; the file is never written. */
  readonly?: boolean;
  /** SQLite: refuse a file that does not exist instead of creating it. */
  mustExist?: boolean;
  /** PostgreSQL, MySQL: most connections in the pool (default 2). */
  poolMax?: number;
  /** SQLite: page cache of the read connection, in MB. */
  cacheMb?: number;
  /** Background upkeep for a long-running server: planner statistics; on SQLite, WAL checkpoints. */
  maintenance?: boolean;
  log?: (line: string) => void;
}

export async function openDatabase(target: DatabaseTarget, options: OpenDatabaseOptions): Promise<Database> {
  return (await openPreparedDatabase(target, options)).db;
}

/** `openDatabase`, also telling what the schema work found ("prepare"; null for "inspect"). */
export async function openPreparedDatabase(
  target: DatabaseTarget,
  options: OpenDatabaseOptions,
): Promise<{ db: Database; schema: PreparedSchema | null }> {
  const db =
    target.kind === "sqlite"
      ? await openSqliteFile(target.path, options)
      : target.kind === "mysql"
        ? await openMysql(target.url, options)
        : await openPostgres(target.url, options);
  let schema: PreparedSchema | null = null;
  try {
    if (options.schema === "prepare") {
      schema = await prepareSchema(db, {
        migrate: options.migrate ?? false,
        log: options.log,
        databaseUri: maskPassword(target.uri),
      });
      if (db instanceof SqliteDatabaseHandle && !options.readonly) await db.useWal();
      if (target.kind === "mysql") await (await import("./mysql-checks.ts")).checkServingPrivileges(db, maskPassword(target.uri));
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  if (options.maintenance && "startMaintenance" in db && typeof db.startMaintenance === "function") db.startMaintenance();
  return { db, schema };
}

async function openSqliteFile(path: string, options: OpenDatabaseOptions): Promise<SqliteDatabaseHandle> {
  if (options.mustExist && path !== ":memory:" && !existsSync(path)) {
    throw new StoreOpenError(`no SQLite database at ${path}`);
  }
  try {
    return await SqliteDatabaseHandle.open(path, { readCacheMb: options.cacheMb, readonly: options.readonly });
  } catch (error) {
    throw new StoreOpenError(`cannot open SQLite database ${path}: ${(error as Error).message}`);
  }
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const [{ checkConnection, connectPostgres }, { PostgresDatabase }] = await Promise.all([
    import("./postgres-connect.ts"),
    import("./postgres.ts"),
  ]);
  const pool = connectPostgres(url, { max: options.poolMax ?? 2 });
  await checkConnection(pool, url);
  return new PostgresDatabase(pool);
}

async function openMysql(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const [{ checkConnection, connectMysql, describeTarget, MysqlConnectError }, { MysqlDatabase }] = await Promise.all([
    import("./mysql-connect.ts"),
    import("./mysql.ts"),
  ]);
  let pool;
  try {
    pool = connectMysql(url, { max: options.poolMax ?? 2 });
  } catch (error) {
    if (error instanceof MysqlConnectError) throw new StoreOpenError(error.message);
    throw error;
  }
  await checkConnection(pool, url);
  const db = new MysqlDatabase(pool);
  try {
    const { checkServerVersion } = await import("./mysql-checks.ts");
    await checkServerVersion(db, describeTarget(url));
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
