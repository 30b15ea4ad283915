/**
 * PostgreSQL plans with statistics autovacuum gathers when it gets round to it: on a busy server
 * (or one with many databases) that can be minutes after a bulk load, and until then a table that
 * was never analyzed is planned as if tiny. Loading 1,000 runs' params right after 25,000 runs
 * were written behind fml's back took minutes (a sequential scan comparing each row against the
 * 1,000 ids) instead of 21 ms. fml therefore analyzes, itself, a tracking table that was never
 * analyzed or has grown tenfold since, every 15 seconds at most.
 */

import { log } from "../../log.ts";
import type { Database } from "./database.ts";
import { list, raw, sql } from "./sql.ts";

const WATCH_INTERVAL_MS = 15 * 1000;
/** Tables this small plan well on any estimate. */
const MIN_ROWS = 1000;
const TABLES = ["experiments", "runs", "params", "tags", "latest_metrics", "metrics", "inputs", "datasets"];

/** The tracking tables whose statistics are missing or describe a tenth of their rows or less. */
export async function staleTables(db: Database): Promise<string[]> {
  const rows = await db.all<{ relname: string }>(sql`
    SELECT relname FROM pg_stat_user_tables
    WHERE schemaname = 'public' AND relname IN ${list(TABLES)} AND n_live_tup >= ${MIN_ROWS}
      AND ((last_analyze IS NULL AND last_autoanalyze IS NULL)
           OR n_mod_since_analyze > 9 * GREATEST(n_live_tup - n_mod_since_analyze, ${MIN_ROWS}))`);
  return rows.map((row) => String(row.relname)).filter((name) => TABLES.includes(name));
}

export async function analyzeStaleTables(db: Database): Promise<void> {
  for (const table of await staleTables(db)) {
    const started = performance.now();
    await db.run(sql`ANALYZE ${raw(table)}`);
    log.info(`analyzed ${table} (no recent statistics) in ${Math.round(performance.now() - started)} ms`);
  }
}

/** Checks now and then every 15 seconds; returns the function that stops it. */
export function watchStatistics(db: Database): () => void {
  let running = false;
  const check = (): void => {
    if (running) return;
    running = true;
    analyzeStaleTables(db)
      .catch((error: unknown) => log.warn(`could not refresh planner statistics: ${(error as Error).message}`))
      .finally(() => {
        running = false;
      });
  };
  check();
  const timer = setInterval(check, WATCH_INTERVAL_MS);
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}
