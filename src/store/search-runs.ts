/**
 * One page of run ids for search-runs, in MLflow's order. Small experiments are sorted by the
 * general query; large ones ordered by a single metric or param are walked in index order, which
 * reads about a page of rows instead of every run of the experiment.
 */

import type { Row } from "./database.ts";
import { countRunsUpTo, searchRunsSql, searchRunsWalks, type RunSearchQuery } from "./search-runs-sql.ts";
import type { Dialect, Sql } from "./sql.ts";

/**
 * Experiments with fewer runs than this are sorted whole: that takes a few milliseconds, while a
 * walk over an index shared by every experiment could pass many other experiments' rows.
 */
export const WALK_FROM_RUNS = 2000;

interface Queryable {
  readonly dialect: Dialect;
  all(query: Sql): Promise<Row[]>;
}

export async function searchRunIds(
  db: Queryable,
  q: RunSearchQuery,
  options: { walkFromRuns?: number } = {},
): Promise<string[]> {
  const walks = searchRunsWalks(q, db.dialect);
  const walkFromRuns = options.walkFromRuns ?? WALK_FROM_RUNS;
  if (walks && (walkFromRuns === 0 || (await runCountUpTo(db, q, walkFromRuns)) >= walkFromRuns)) {
    const window = q.offset + q.limit;
    const ids: string[] = [];
    for (const walk of walks) {
      if (ids.length >= window) break;
      for (const row of await db.all(walk(window - ids.length))) ids.push(String(row.run_uuid));
    }
    return ids.slice(q.offset, window);
  }
  return (await db.all(searchRunsSql(q, db.dialect))).map((row) => String(row.run_uuid));
}

async function runCountUpTo(db: Queryable, q: RunSearchQuery, cap: number): Promise<number> {
  const [row] = await db.all(countRunsUpTo(q, cap));
  return Number(row?.n ?? 0);
}
