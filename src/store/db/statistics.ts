/**
 * Planner statistics after a bulk change (an import, a schema upgrade): without them the planner
 * guesses from the table sizes it saw last, possibly empty. A running fml server picks up what
 * this writes at its next maintenance round (SQLite) or at once (PostgreSQL).
 */

import type { Database } from "./database.ts";

/** SQLite reads at most this many rows per index (a few hundred ms on millions of rows). */
const SQLITE_ANALYSIS_LIMIT = 1000;

/** MySQL analyzes named tables only: the tracking tables searches plan over. */
const MYSQL_ANALYZED = "experiments, runs, params, tags, latest_metrics, metrics, inputs, datasets";

export async function refreshStatistics(db: Database): Promise<void> {
  const script = {
    sqlite: `PRAGMA analysis_limit = ${SQLITE_ANALYSIS_LIMIT}; ANALYZE; PRAGMA analysis_limit = 0`,
    postgresql: "ANALYZE",
    mysql: `ANALYZE TABLE ${MYSQL_ANALYZED}`,
  }[db.dialect];
  await db.exec(script);
}
