/**
 * search-runs compiled to one parameterized SELECT of run_uuid values in MLflow's order.
 *
 * Each filter clause is an independent test against the run (as MLflow's per-clause joins are), an
 * EXISTS (or, for `params.k = 'v'`, an IN set answered by an index), so AND and OR combine them
 * freely. A run lacking the metric/param/tag never matches, except
 * `IS NULL`, which matches exactly the runs without a (non-null) value for the key.
 *
 * NaN metrics (stored as value 0 with is_nan = true) follow IEEE semantics in filters: they match
 * only `!=`, never `=`, `<`, `>` and friends. (MLflow's SQL store compares the stored 0 instead;
 * its file store and in-memory evaluation compare the float NaN, as we do.)
 */

import type { RunClause, RunFilter, RunOrderKey } from "../search/ast.ts";
import { and, compareList, compareNumber, compareString, direction, or, page, textOrder } from "./search-compare.ts";
import { join, list, raw, sql, type Dialect, type Sql } from "./sql.ts";

export type ViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";

export interface RunSearchQuery {
  experimentIds: string[];
  viewType: ViewType;
  filter: RunFilter;
  orderBy: RunOrderKey[];
  limit: number;
  offset: number;
}

const RUN_NAME_TAG = "mlflow.runName";
const DATASET_CONTEXT_TAG = "mlflow.data.context";

/** Run columns by attribute name: a fixed whitelist, the only identifiers that reach SQL text. */
const RUN_COLUMNS = {
  run_id: "r.run_uuid",
  run_name: "r.name",
  status: "r.status",
  user_id: "r.user_id",
  artifact_uri: "r.artifact_uri",
  start_time: "r.start_time",
  end_time: "r.end_time",
} as const;

export function lifecycleStages(viewType: ViewType): string[] {
  if (viewType === "ACTIVE_ONLY") return ["active"];
  if (viewType === "DELETED_ONLY") return ["deleted"];
  return ["active", "deleted"];
}

function runClauseSql(c: RunClause, dialect: Dialect): Sql {
  switch (c.entity) {
    case "metric": {
      const p = c.predicate;
      const test =
        p.comparator === "!="
          ? sql`(m.is_nan = TRUE OR ${compareNumber(sql`m.value`, p, dialect)})`
          : sql`m.is_nan = FALSE AND ${compareNumber(sql`m.value`, p, dialect)}`;
      return sql`EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m."key" = ${c.key} AND ${test})`;
    }
    case "param":
    case "tag": {
      const table = raw(c.entity === "param" ? "params" : "tags");
      const p = c.predicate;
      if (p.kind === "null") {
        const present = sql`SELECT 1 FROM ${table} k WHERE k.run_uuid = r.run_uuid AND k."key" = ${c.key} AND k.value IS NOT NULL`;
        return p.comparator === "IS NULL" ? sql`NOT EXISTS (${present})` : sql`EXISTS (${present})`;
      }
      const test = compareString(sql`k.value`, p, dialect);
      if (c.entity === "param" && p.comparator === "=") {
        // params.k = 'v': the matching runs come straight from fml_params_key_value (the same
        // runs an EXISTS per run finds, since a run without the key never matches).
        return sql`r.run_uuid IN (SELECT k.run_uuid FROM params k WHERE k."key" = ${c.key} AND ${test})`;
      }
      // Per-run checks let a search in index order stop as soon as its page is full.
      return sql`EXISTS (SELECT 1 FROM ${table} k WHERE k.run_uuid = r.run_uuid AND k."key" = ${c.key} AND ${test})`;
    }
    case "attribute": {
      const p = c.predicate;
      if (p.kind === "number") return compareNumber(raw(RUN_COLUMNS[c.key]), p, dialect);
      if (c.key === "run_name") {
        // MLflow matches run_name against the mlflow.runName tag, which old runs have and
        // runs.name may lack.
        const test = p.kind === "list" ? compareList(sql`t.value`, p) : compareString(sql`t.value`, p, dialect);
        return sql`EXISTS (SELECT 1 FROM tags t WHERE t.run_uuid = r.run_uuid AND t."key" = ${RUN_NAME_TAG} AND ${test})`;
      }
      const column = raw(RUN_COLUMNS[c.key]);
      return p.kind === "list" ? compareList(column, p) : compareString(column, p, dialect);
    }
    case "dataset": {
      const p = c.predicate;
      const inputs = sql`i.destination_id = r.run_uuid AND i.destination_type = ${"RUN"} AND i.source_type = ${"DATASET"}`;
      if (c.key === "context") {
        const test = p.kind === "list" ? compareList(sql`it.value`, p) : compareString(sql`it.value`, p, dialect);
        return sql`EXISTS (SELECT 1 FROM inputs i JOIN input_tags it ON it.input_uuid = i.input_uuid WHERE ${inputs} AND it.name = ${DATASET_CONTEXT_TAG} AND ${test})`;
      }
      const column = raw(c.key === "name" ? "d.name" : "d.digest");
      const test = p.kind === "list" ? compareList(column, p) : compareString(column, p, dialect);
      return sql`EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id WHERE ${inputs} AND ${test})`;
    }
  }
}

export function runFilterSql(f: RunFilter, dialect: Dialect): Sql {
  switch (f.type) {
    case "clause":
      return runClauseSql(f.clause, dialect);
    case "and":
      return and(f.operands.map((o) => runFilterSql(o, dialect)));
    case "or":
      return or(f.operands.map((o) => runFilterSql(o, dialect)));
  }
}

interface Ordering {
  joins: Sql[];
  terms: Sql[];
}

/**
 * ORDER BY terms. Rows lacking the key (and, for metrics, NaN rows just before them) sort after
 * every real value in either direction; then start_time DESC unless ordered by start_time, then
 * run_uuid as the final tie-breaker.
 */
function runOrdering(keys: readonly RunOrderKey[], dialect: Dialect): Ordering {
  const joins: Sql[] = [];
  const terms: Sql[] = [];
  keys.forEach((k, i) => {
    const dir = direction(k.ascending);
    if (k.entity === "attribute") {
      const column = raw(RUN_COLUMNS[k.key]);
      const numeric = k.key === "start_time" || k.key === "end_time";
      terms.push(sql`${numeric ? column : textOrder(column, dialect)} ${dir} NULLS LAST`);
      return;
    }
    const alias = raw(`o${i}`);
    const table = raw(k.entity === "metric" ? "latest_metrics" : k.entity === "param" ? "params" : "tags");
    joins.push(sql`LEFT JOIN ${table} ${alias} ON ${alias}.run_uuid = r.run_uuid AND ${alias}."key" = ${k.key}`);
    if (k.entity === "metric") {
      terms.push(sql`CASE WHEN ${alias}.is_nan = TRUE THEN 1 WHEN ${alias}.value IS NULL THEN 2 ELSE 0 END`);
      terms.push(sql`${alias}.value ${dir}`);
    } else {
      terms.push(sql`CASE WHEN ${alias}.value IS NULL THEN 1 ELSE 0 END`);
      terms.push(sql`${textOrder(sql`${alias}.value`, dialect)} ${dir}`);
    }
  });
  if (!keys.some((k) => k.entity === "attribute" && k.key === "start_time")) {
    terms.push(sql`r.start_time DESC NULLS LAST`);
  }
  terms.push(sql`r.run_uuid ASC`);
  return { joins, terms };
}

/** Experiment ids are integers in the schema; an id that is not one cannot match any run. */
function experimentIdValues(ids: readonly string[]): number[] {
  return ids.filter((id) => /^\s*\d{1,18}\s*$/.test(id)).map(Number);
}

export function searchRunsSql(q: RunSearchQuery, dialect: Dialect): Sql {
  const experimentIds = experimentIdValues(q.experimentIds);
  if (experimentIds.length === 0) return sql`SELECT r.run_uuid FROM runs r WHERE 1 = 0`;
  const where = join(
    [
      sql`r.experiment_id IN ${list(experimentIds)}`,
      sql`r.lifecycle_stage IN ${list(lifecycleStages(q.viewType))}`,
      runFilterSql(q.filter, dialect),
    ],
    " AND ",
  );
  const [first, ...rest] = q.orderBy;
  if (first?.entity === "param" && rest.length === 0 && dialect === "sqlite") {
    return orderedByParamSql(q, first.key, first.ascending, where);
  }
  const { joins, terms } = runOrdering(q.orderBy, dialect);
  return sql`SELECT r.run_uuid FROM runs r${joins.length ? sql` ${join(joins, " ")}` : sql``} WHERE ${where} ORDER BY ${join(terms, ", ")} ${page(q.limit, q.offset)}`;
}

/**
 * Order by one param, as two walks that each stop after the page: runs with the param in value
 * order straight from fml_params_key_value, then runs without it in start_time order from
 * fml_runs_experiment_stage_start; the same rows and order as the general query, which would join
 * and sort every run of the experiment first. (SQLite only: its index order is the BINARY order
 * fml sorts text by; PostgreSQL sorts by COLLATE "C", which its default-collation index lacks.)
 */
function orderedByParamSql(q: RunSearchQuery, key: string, ascending: boolean, where: Sql): Sql {
  const dir = direction(ascending);
  const window = q.limit + q.offset;
  // CROSS JOIN keeps params as the outer loop: SQLite's way of fixing the join order.
  const withKey = sql`SELECT 0 AS grp, o0.value AS v, r.start_time AS st, r.run_uuid AS id
    FROM params o0 CROSS JOIN runs r ON r.run_uuid = o0.run_uuid
    WHERE o0."key" = ${key} AND ${where}
    ORDER BY o0.value ${dir}, r.start_time DESC NULLS LAST, r.run_uuid ASC LIMIT ${window}`;
  // Runs without the param only matter when those with it do not fill the window; the count is
  // a constant SQLite evaluates once, so the walk is skipped (not run to the end) when they do.
  const needed = sql`(SELECT COUNT(*) FROM (SELECT 1 FROM params o0 CROSS JOIN runs r ON r.run_uuid = o0.run_uuid
    WHERE o0."key" = ${key} AND ${where} LIMIT ${window})) < ${window}`;
  const withoutKey = sql`SELECT 1 AS grp, NULL AS v, r.start_time AS st, r.run_uuid AS id
    FROM runs r
    WHERE ${needed} AND ${where}
      AND NOT EXISTS (SELECT 1 FROM params k WHERE k.run_uuid = r.run_uuid AND k."key" = ${key})
    ORDER BY r.start_time DESC NULLS LAST, r.run_uuid ASC LIMIT ${window}`;
  return sql`SELECT id AS run_uuid FROM (SELECT * FROM (${withKey}) a UNION ALL SELECT * FROM (${withoutKey}) b) u
    ORDER BY grp, v ${dir}, st DESC NULLS LAST, id ASC ${page(q.limit, q.offset)}`;
}
