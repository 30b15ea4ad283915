/**
 * The narrow waist between MLflow's SQL (written once, in the store's entity modules) and each
 * database driver (one module per database). A driver runs parameterized `Sql`, transactions,
 * read-only snapshots and schema scripts; nothing above it knows which database it talks to.
 */

import { raw, sql, type Dialect, type Sql } from "./sql.ts";

export type Row = Record<string, unknown>;

/** What reading needs: enough for a snapshot, which never writes. */
export interface Reader {
  readonly dialect: Dialect;
  all<T = Row>(query: Sql): Promise<T[]>;
  /** Streams a large result in batches, so memory does not grow with the number of rows. */
  iterate<T = Row>(query: Sql, batchSize: number): AsyncIterable<T[]>;
}

export interface Database extends Reader {
  /** Runs a statement and returns the number of affected rows. */
  run(query: Sql): Promise<number>;
  /** Runs a script of one or more statements without parameters (schema steps). */
  exec(script: string): Promise<void>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Writes are
   * serialized where the database needs it (SQLite has a single writer).
   */
  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T>;
  /** Runs `fn` on one read-only snapshot: every query in it sees the same moment. */
  snapshot<T>(fn: (reader: Reader) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` holding the right to change the schema, so that several fml processes starting at
   * once change it exactly once: the others wait, then find it done.
   */
  withSchemaLock<T>(fn: (session: Database) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Integer columns arrive as number, bigint or string depending on the driver. */
export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === "number" ? value : Number(value);
}

export function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === "1" || value === "t" || value === "true";
}

/**
 * Runs the statements of one transaction in order and returns their results. On PostgreSQL they
 * are all sent at once on the transaction's connection (postgres.js pipelines them: one round
 * trip instead of one each) and still execute in order; the results are awaited in order, so the
 * first statement's error is the one thrown (a missing run's lock, not the insert that then fails
 * against the aborted transaction). On SQLite and MySQL (whose protocol answers one statement
 * before it takes the next) each runs when the previous one has.
 */
export async function inOrder<T>(tx: Database, steps: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  if (tx.dialect !== "postgresql") {
    for (const step of steps) results.push(await step());
    return results;
  }
  const sent = steps.map((step) => step());
  // A later statement's rejection is seen only if no earlier one failed first.
  for (const promise of sent) promise.catch(() => undefined);
  for (const promise of sent) results.push(await promise);
  return results;
}


/**
 * A nested `transaction` on a session already in one (PostgreSQL, MySQL): a savepoint, released
 * when `fn` resolves, rolled back to when it throws. `id` keeps nested savepoints apart.
 */
export async function inSavepoint<T>(tx: Database, id: number, fn: (tx: Database) => Promise<T>): Promise<T> {
  const name = raw(`fml_savepoint_${id}`);
  await tx.run(sql`SAVEPOINT ${name}`);
  try {
    const result = await fn(tx);
    await tx.run(sql`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    await tx.run(sql`ROLLBACK TO SAVEPOINT ${name}`);
    throw error;
  }
}

/** Socket errors of a connection that could not be made or went away, as Node and Bun name them. */
export const socketErrorCodes: readonly string[] = [
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
];
