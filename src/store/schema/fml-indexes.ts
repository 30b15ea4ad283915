/**
 * Indexes of fml's own on MLflow's tables, named `fml_…` so they are never mistaken for MLflow's
 * (MLflow ignores indexes it does not know; `mlflow db upgrade` leaves them alone). Each one is
 * here because a measured query needed it (scripts/bench, README "Benchmarks").
 */

import type { Database } from "../db/database.ts";
import { raw, type Dialect } from "../db/sql.ts";

/**
 * MLflow's own (run_uuid, key, step) index on metrics (schema head, since revision a5b4c3d2e1f0).
 * fml's SQLite queries name it (`INDEXED BY`), so it is recreated should a database lack it.
 */
export const METRICS_RUN_KEY_STEP_INDEX = "index_metrics_run_uuid_key_step";

const indexes = {
  sqlite: [
    `CREATE INDEX IF NOT EXISTS ${METRICS_RUN_KEY_STEP_INDEX} ON metrics (run_uuid, "key", step)`,
    // search-runs: walk an experiment's runs in MLflow's default order and stop after the page.
    "CREATE INDEX IF NOT EXISTS fml_runs_experiment_stage_start ON runs (experiment_id, lifecycle_stage, start_time DESC, run_uuid)",
    // param filters: the runs with params.<key> = <value> without reading every run's params.
    'CREATE INDEX IF NOT EXISTS fml_params_key_value ON params ("key", value, run_uuid)',
    // search-runs ordered by one metric: walk its values in order and stop after the page.
    'CREATE INDEX IF NOT EXISTS fml_latest_metrics_key_value ON latest_metrics ("key", is_nan, value, run_uuid)',
    // logged-models/search by a metric: each model's latest value read from the index alone.
    "CREATE INDEX IF NOT EXISTS fml_logged_model_metrics_latest ON logged_model_metrics " +
      "(model_id, metric_name, metric_timestamp_ms DESC, metric_step DESC, metric_value)",
  ],
  postgresql: [
    "CREATE INDEX IF NOT EXISTS fml_runs_experiment_stage_start ON runs (experiment_id, lifecycle_stage, start_time DESC NULLS LAST, run_uuid)",
    // order_by start_time ASC: the index above read backwards gives NULLS FIRST and run_uuid
    // DESC, so PostgreSQL sorted every run instead (1,000,000 runs, first 100: 350 ms; 0.1 ms
    // from this one). SQLite walks the one above either way.
    "CREATE INDEX IF NOT EXISTS fml_runs_experiment_stage_start_asc ON runs (experiment_id, lifecycle_stage, start_time ASC NULLS LAST, run_uuid)",
    // In fml's text order (code points), so a param order walks it; fml compares param values
    // under the same collation. It replaces an earlier index of the default collation.
    'CREATE INDEX IF NOT EXISTS fml_params_key_value_c ON params ("key", value COLLATE "C", run_uuid)',
    "DROP INDEX IF EXISTS fml_params_key_value",
    'CREATE INDEX IF NOT EXISTS fml_latest_metrics_key_value ON latest_metrics ("key", is_nan, value, run_uuid)',
    // logged-models/search by a metric: one pass over that metric's rows, already in the order
    // DISTINCT ON wants, read from the index alone.
    "CREATE INDEX IF NOT EXISTS fml_logged_model_metrics_name ON logged_model_metrics " +
      "(metric_name, model_id, metric_timestamp_ms DESC, metric_step DESC, metric_value)",
  ],
  // MySQL: no IF NOT EXISTS (MySQL 8 lacks it), so an existing index is a duplicate-name error,
  // taken as done. No index on params' values: VARCHAR(8000) is past InnoDB's key length.
  mysql: [
    'CREATE INDEX fml_runs_experiment_stage_start ON runs (experiment_id, lifecycle_stage, start_time DESC, run_uuid)',
    'CREATE INDEX fml_latest_metrics_key_value ON latest_metrics ("key", is_nan, value, run_uuid)',
    "CREATE INDEX fml_logged_model_metrics_latest ON logged_model_metrics " +
      "(model_id, metric_name, metric_timestamp_ms DESC, metric_step DESC, metric_value)",
  ],
} as const;

/** The statements that create (or replace) fml's indexes, in order. */
export function fmlIndexStatements(dialect: Dialect): readonly string[] {
  return indexes[dialect];
}

/** Creates any missing fml index; another fml process creating the same one at once is fine. */
export async function ensureFmlIndexes(db: Database): Promise<void> {
  for (const statement of indexes[db.dialect]) {
    try {
      await db.run(raw(statement));
    } catch (error) {
      // Two processes racing on IF NOT EXISTS in PostgreSQL: the loser sees a duplicate.
      // MySQL: "Duplicate key name" for one that exists.
      if (!/already exists|duplicate key/i.test((error as Error).message)) throw error;
    }
  }
}
