/**
 * The narrow waist between MLflow's SQL (written once, in tracking-store.ts) and each database
 * driver (one module per database). A driver only runs parameterized `Sql` and transactions.
 */

import type { Dialect, Sql } from "./sql.ts";

export type Row = Record<string, unknown>;

export interface Database {
  readonly dialect: Dialect;
  all<T = Row>(query: Sql): Promise<T[]>;
  /** Runs a statement and returns the number of affected rows. */
  run(query: Sql): Promise<number>;
  /** Streams a large result in batches, so memory does not grow with the number of rows. */
  iterate<T = Row>(query: Sql, batchSize: number): AsyncIterable<T[]>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Writes are
   * serialized where the database needs it (SQLite has a single writer).
   */
  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T>;
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
