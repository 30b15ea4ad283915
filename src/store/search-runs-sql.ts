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
import { type Dialect, join, list, nullsLast, raw, sql, type Sql } from "./db/sql.ts";
import { DATASET_CONTEXT_TAG, RUN_NAME_TAG } from "./common.ts";
import type { ViewType } from "./types.ts";

export type { ViewType } from "./types.ts";

/**
 * How some clauses are compiled, chosen by counting their matches in the indexes (search-runs.ts):
 * either a test per run, which lets a walk in order stop after the page, or the set of matching
 * runs read from the clause's index, which costs as many rows as match.
 */
export interface ClauseForms {
  /** `params.k = 'v'` values many runs share: tested per run instead of read as a set. */
  commonParamValues?: ReadonlySet<RunClause>;
  /** Metric comparisons few runs match: read as a set instead of tested on every walked run. */
  rareMetricRanges?: ReadonlySet<RunClause>;
}

export interface RunSearchQuery extends ClauseForms {
  experimentIds: string[];
  viewType: ViewType;
  filter: RunFilter;
  orderBy: RunOrderKey[];
  limit: number;
  offset: number;
}


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

/**
 * A column compared inside a per-run test. On SQLite the unary + keeps the comparison off every
 * index, so the test is always one probe of the run's (key, run_uuid) row: without planner
 * statistics SQLite 3.5x would otherwise scan the key's value range in fml_latest_metrics_key_value
 * (or fml_params_key_value) once per run, 25,000 runs × 12,500 entries (15-25 s for one page).
 */
function probed(column: string, dialect: Dialect): Sql {
  return raw(dialect === "sqlite" ? `+${column}` : column);
}

function runClauseSql(c: RunClause, dialect: Dialect, runId: Sql, forms: ClauseForms): Sql {
  switch (c.entity) {
    case "metric": {
      const p = c.predicate;
      if (p.comparator !== "!=" && forms.rareMetricRanges?.has(c)) {
        // Few runs match: their ids come from fml_latest_metrics_key_value's value range, where
        // a walk of the runs in order would test every run of the experiment for a page it may
        // never fill (1,000,000 runs, `metrics.m2 < 0.0001`: 1.1-1.5 s).
        return sql`${runId} IN (SELECT m.run_uuid FROM latest_metrics m WHERE m."key" = ${c.key} AND m.is_nan = FALSE AND ${compareNumber(sql`m.value`, p, dialect)})`;
      }
      const value = probed("m.value", dialect);
      const isNan = probed("m.is_nan", dialect);
      const test =
        p.comparator === "!="
          ? sql`(${isNan} = TRUE OR ${compareNumber(value, p, dialect)})`
          : sql`${isNan} = FALSE AND ${compareNumber(value, p, dialect)}`;
      return sql`EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = ${runId} AND m."key" = ${c.key} AND ${test})`;
    }
    case "param":
    case "tag": {
      const table = raw(c.entity === "param" ? "params" : "tags");
      const p = c.predicate;
      if (p.kind === "null") {
        const present = sql`SELECT 1 FROM ${table} k WHERE k.run_uuid = ${runId} AND k."key" = ${c.key} AND ${probed("k.value", dialect)} IS NOT NULL`;
        return p.comparator === "IS NULL" ? sql`NOT EXISTS (${present})` : sql`EXISTS (${present})`;
      }
      if (c.entity === "param" && p.comparator === "=" && !forms.commonParamValues?.has(c)) {
        // params.k = 'v': the matching runs come straight from fml_params_key_value (the same
        // runs an EXISTS per run finds, since a run without the key never matches). Equality is
        // the same under COLLATE "C", the collation of that index on PostgreSQL. A value shared
        // by many runs is tested per run instead: collecting 100,000 matching runs, each looked
        // up and sorted, took 450-700 ms for a page of 100 at 1,000,000 runs; walking the runs in
        // order and probing each one's param, 2 ms.
        const test = compareString(textOrder(sql`k.value`, dialect), p, dialect);
        return sql`${runId} IN (SELECT k.run_uuid FROM params k WHERE k."key" = ${c.key} AND ${test})`;
      }
      const test = compareString(probed("k.value", dialect), p, dialect);
      // Per-run checks let a search in index order stop as soon as its page is full.
      return sql`EXISTS (SELECT 1 FROM ${table} k WHERE k.run_uuid = ${runId} AND k."key" = ${c.key} AND ${test})`;
    }
    case "attribute": {
      const p = c.predicate;
      if (p.kind === "number") return compareNumber(raw(RUN_COLUMNS[c.key]), p, dialect);
      if (c.key === "run_name") {
        // MLflow matches run_name against the mlflow.runName tag, which old runs have and
        // runs.name may lack.
        const test = p.kind === "list" ? compareList(sql`t.value`, p, dialect) : compareString(sql`t.value`, p, dialect);
        return sql`EXISTS (SELECT 1 FROM tags t WHERE t.run_uuid = ${runId} AND t."key" = ${RUN_NAME_TAG} AND ${test})`;
      }
      const column = raw(RUN_COLUMNS[c.key]);
      return p.kind === "list" ? compareList(column, p, dialect) : compareString(column, p, dialect);
    }
    case "dataset": {
      const p = c.predicate;
      const inputs = sql`i.destination_id = ${runId} AND i.destination_type = ${"RUN"} AND i.source_type = ${"DATASET"}`;
      if (c.key === "context") {
        const test = p.kind === "list" ? compareList(sql`it.value`, p, dialect) : compareString(sql`it.value`, p, dialect);
        return sql`EXISTS (SELECT 1 FROM inputs i JOIN input_tags it ON it.input_uuid = i.input_uuid WHERE ${inputs} AND it.name = ${DATASET_CONTEXT_TAG} AND ${test})`;
      }
      const column = raw(c.key === "name" ? "d.name" : "d.digest");
      const test = p.kind === "list" ? compareList(column, p, dialect) : compareString(column, p, dialect);
      return sql`EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id WHERE ${inputs} AND ${test})`;
    }
  }
}

/**
 * The filter as a condition on the run `r`. `runId` is the column its per-key tests correlate on:
 * an ordered walk passes its driving table's run_uuid, so SQLite checks those tests before it
 * looks the run up.
 */
export function runFilterSql(
  f: RunFilter,
  dialect: Dialect,
  runId: Sql = raw("r.run_uuid"),
  forms: ClauseForms = {},
): Sql {
  switch (f.type) {
    case "clause":
      return runClauseSql(f.clause, dialect, runId, forms);
    case "and":
      return and(f.operands.map((o) => runFilterSql(o, dialect, runId, forms)));
    case "or":
      return or(f.operands.map((o) => runFilterSql(o, dialect, runId, forms)));
  }
}

/** The filter's `params.k = 'v'` clauses. */
export function paramEqualities(f: RunFilter): RunClause[] {
  if (f.type !== "clause") return f.operands.flatMap(paramEqualities);
  const c = f.clause;
  return c.entity === "param" && c.predicate.kind === "string" && c.predicate.comparator === "=" ? [c] : [];
}

/**
 * The metric comparisons (other than `!=`, which NaN values also match) every matching run must
 * pass: the filter's top-level conjuncts, so the runs of any one bound the result.
 */
export function metricRanges(f: RunFilter): RunClause[] {
  if (f.type === "or") return [];
  if (f.type === "and") return f.operands.flatMap(metricRanges);
  const c = f.clause;
  return c.entity === "metric" && c.predicate.comparator !== "!=" ? [c] : [];
}

/** How many runs (of any experiment) match a metric comparison, counted up to `cap`. */
export function countMetricMatchesUpTo(c: RunClause, dialect: Dialect, cap: number): Sql {
  if (c.entity !== "metric") throw new Error("not a metric comparison");
  const test = compareNumber(sql`m.value`, c.predicate, dialect);
  return sql`SELECT COUNT(*) AS n FROM (SELECT 1 FROM latest_metrics m WHERE m."key" = ${c.key} AND m.is_nan = FALSE AND ${test} LIMIT ${cap}) capped`;
}

/** How many runs (of any experiment) match a `params.k = 'v'` clause, counted up to `cap`. */
export function countParamMatchesUpTo(c: RunClause, dialect: Dialect, cap: number): Sql {
  if (c.entity !== "param" || c.predicate.kind !== "string") throw new Error("not a param comparison");
  const test = compareString(textOrder(sql`k.value`, dialect), c.predicate, dialect);
  return sql`SELECT COUNT(*) AS n FROM (SELECT 1 FROM params k WHERE k."key" = ${c.key} AND ${test} LIMIT ${cap}) capped`;
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
      terms.push(nullsLast(dialect, numeric ? column : textOrder(column, dialect), k.ascending ? "ASC" : "DESC"));
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
    terms.push(nullsLast(dialect, raw("r.start_time"), "DESC"));
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
  const { joins, terms } = runOrdering(q.orderBy, dialect);
  return sql`SELECT r.run_uuid FROM runs r${joins.length ? sql` ${join(joins, " ")}` : sql``} WHERE ${runScope(q, experimentIds)} AND ${runFilterSql(q.filter, dialect, raw("r.run_uuid"), q)} ORDER BY ${join(terms, ", ")} ${page(q.limit, q.offset)}`;
}

function runScope(q: RunSearchQuery, experimentIds: readonly number[]): Sql {
  return sql`r.experiment_id IN ${list(experimentIds)} AND r.lifecycle_stage IN ${list(lifecycleStages(q.viewType))}`;
}

/** The first `limit` run ids of one group of an ordered walk. */
export type RunWalk = (limit: number) => Sql;

/** Where a walk over param values resumes: at `value`, or just after it. */
export interface ValueBound {
  value: string;
  inclusive: boolean;
}

/**
 * The runs with a param, in value order, read in steps (see search-runs.ts): a run of values
 * holding few index entries is walked in one statement; a value shared by many runs (a tie of
 * thousands) is read in start_time order instead of sorting the whole tie.
 */
export interface ParamValueWalk {
  /** The value `skip` index entries from `from` (or from the first value): one `v` row or none. */
  valueAt(from: ValueBound | undefined, skip: number): Sql;
  /** Runs with a value from `from` up to (not including) `to`, in search order. */
  values(from: ValueBound, to: string | undefined, limit: number): Sql;
  /** Runs with exactly this value, walked in start_time order. */
  tie(value: string, limit: number): Sql;
}

export type OrderedWalk = { kind: "sql"; walk: RunWalk } | { kind: "param values"; walk: ParamValueWalk };

/**
 * A search ordered by one metric or param as consecutive walks, each in index order and stopped
 * once the page is full: runs with a value (from fml_latest_metrics_key_value or
 * fml_params_key_value, whose PostgreSQL version is in the COLLATE "C" order fml sorts text by),
 * then for metrics the NaN ones, then the runs lacking the key in start_time order. Together they
 * give the rows, in the order, of `searchRunsSql`, which would join and sort every run of the
 * experiment first. Undefined for any other ordering.
 */
export function searchRunsWalks(q: RunSearchQuery, dialect: Dialect): OrderedWalk[] | undefined {
  const [first, ...rest] = q.orderBy;
  if (!first || rest.length > 0) return undefined;
  if (first.entity !== "metric" && first.entity !== "param") return undefined;
  const experimentIds = experimentIdValues(q.experimentIds);
  if (experimentIds.length === 0) return undefined;
  const scope = runScope(q, experimentIds);
  const dir = direction(first.ascending);
  const byRecency = sql`${nullsLast(dialect, raw("r.start_time"), "DESC")}, r.run_uuid ASC`;
  // CROSS JOIN keeps the index walk as the outer loop (SQLite's way of fixing the join order).
  // The filter's per-key tests run on o0.run_uuid, before the run itself is looked up; SQLite's
  // unary + keeps a `params.k = 'v'` set from driving o0 instead of the walk.
  const walkFilter = runFilterSql(q.filter, dialect, raw(dialect === "sqlite" ? "+o0.run_uuid" : "o0.run_uuid"), q);
  const crossJoin = raw(dialect === "sqlite" ? "CROSS JOIN" : "JOIN");
  const runFilter = runFilterSql(q.filter, dialect, raw("r.run_uuid"), q);
  const sqlWalk = (walk: RunWalk): OrderedWalk => ({ kind: "sql", walk });
  // The last group: runs without a value for the key, newest first.
  const lacking = (table: "params" | "latest_metrics"): OrderedWalk =>
    sqlWalk((limit) => sql`SELECT r.run_uuid FROM runs r
      WHERE ${scope} AND ${runFilter}
        AND NOT EXISTS (SELECT 1 FROM ${raw(table)} k WHERE k.run_uuid = r.run_uuid AND k."key" = ${first.key} AND ${probed("k.value", dialect)} IS NOT NULL)
      ORDER BY ${byRecency} LIMIT ${limit}`);
  if (first.entity === "param") {
    const value = textOrder(sql`o0.value`, dialect);
    const from = (bound: ValueBound | undefined): Sql => {
      if (!bound) return sql`1 = 1`;
      const op = first.ascending ? (bound.inclusive ? ">=" : ">") : bound.inclusive ? "<=" : "<";
      return sql`${value} ${raw(op)} ${bound.value}`;
    };
    const upTo = (to: string | undefined): Sql =>
      to === undefined ? sql`1 = 1` : sql`${value} ${raw(first.ascending ? "<" : ">")} ${to}`;
    const keyed = sql`o0."key" = ${first.key} AND o0.value IS NOT NULL`;
    // The tie's per-run check reads the covering (key, value, run_uuid) index; without statistics
    // SQLite takes the primary key and a table row per run instead (33 vs 125 ms for 1,000 runs).
    const paramsByKeyValue = raw(dialect === "sqlite" ? "params k INDEXED BY fml_params_key_value" : "params k");
    const values: ParamValueWalk = {
      valueAt: (bound, skip) => sql`SELECT o0.value AS v FROM params o0
        WHERE ${keyed} AND ${from(bound)} ORDER BY ${value} ${dir} LIMIT 1 OFFSET ${skip}`,
      values: (bound, to, limit) => sql`SELECT r.run_uuid FROM params o0 ${crossJoin} runs r ON r.run_uuid = o0.run_uuid
        WHERE ${keyed} AND ${from(bound)} AND ${upTo(to)} AND ${walkFilter} AND ${scope}
        ORDER BY ${value} ${dir}, ${byRecency} LIMIT ${limit}`,
      tie: (tied, limit) => sql`SELECT r.run_uuid FROM runs r
        WHERE ${scope} AND ${runFilter}
          AND EXISTS (SELECT 1 FROM ${paramsByKeyValue} WHERE k.run_uuid = r.run_uuid AND k."key" = ${first.key} AND ${textOrder(sql`k.value`, dialect)} = ${tied})
        ORDER BY ${byRecency} LIMIT ${limit}`,
    };
    return [{ kind: "param values", walk: values }, lacking("params")];
  }
  const metricWalk = (isNan: boolean) => (limit: number) =>
    sql`SELECT r.run_uuid FROM latest_metrics o0 ${crossJoin} runs r ON r.run_uuid = o0.run_uuid
      WHERE o0."key" = ${first.key} AND o0.is_nan = ${isNan} AND ${walkFilter} AND ${scope}
      ORDER BY o0.value ${dir}, ${byRecency} LIMIT ${limit}`;
  return [sqlWalk(metricWalk(false)), sqlWalk(metricWalk(true)), lacking("latest_metrics")];
}

/** How many runs the searched experiments hold, counted up to `cap`. */
export function countRunsUpTo(q: RunSearchQuery, cap: number): Sql {
  const experimentIds = experimentIdValues(q.experimentIds);
  if (experimentIds.length === 0) return sql`SELECT 0 AS n`;
  return sql`SELECT COUNT(*) AS n FROM (SELECT 1 FROM runs r WHERE ${runScope(q, experimentIds)} LIMIT ${cap}) capped`;
}
