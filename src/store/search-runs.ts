/**
 * One page of run ids for search-runs, in MLflow's order. Small experiments are sorted by the
 * general query; large ones ordered by a single metric or param are walked in index order, which
 * reads about a page of rows instead of every run of the experiment. In large experiments the
 * form of some filter clauses follows how many runs match them (see ClauseForms).
 */

import type { Row } from "./db/database.ts";
import {
  countMetricMatchesUpTo,
  countParamMatchesUpTo,
  countRunsUpTo,
  metricRanges,
  paramEqualities,
  type ClauseForms,
  searchRunsSql,
  searchRunsWalks,
  type ParamValueWalk,
  type RunSearchQuery,
  type ValueBound,
} from "./search-runs-sql.ts";
import type { Dialect, Sql } from "./db/sql.ts";
import type { RunClause } from "../search/ast.ts";
import { integer, text } from "./rows.ts";

/**
 * Experiments with fewer runs than this are sorted whole: that takes a few milliseconds, while a
 * walk over an index shared by every experiment could pass many other experiments' rows.
 */
export const WALK_FROM_RUNS = 2000;

/**
 * A param value with more index entries than this is a tie read in start_time order: sorting a
 * tie looks up every one of its runs, while a page of it is usually found among its most recent
 * runs (ordering 100k runs by a param of 10 values, first 100: 90 -> 10 ms).
 */
export const TIE_FROM_ENTRIES = 2000;

/**
 * A `params.k = 'v'` value held by this many runs or more is tested run by run in a large
 * experiment: a page of 100 then probes about 100 × runs ÷ matches runs, fewer than the matches
 * themselves once they pass about √(100 × runs) (10,000 at 1,000,000 runs).
 */
export const COMMON_PARAM_VALUE = 5000;

/**
 * A metric comparison matched by fewer runs than this is read as the set of those runs in a
 * large experiment, by the same measure: a walk would test about 100 × runs ÷ matches runs.
 */
export const RARE_METRIC_RANGE = 5000;

interface Queryable {
  readonly dialect: Dialect;
  all(query: Sql): Promise<Row[]>;
}

export interface SearchRunIdsOptions {
  walkFromRuns?: number;
  tieFromEntries?: number;
  commonParamValue?: number;
  rareMetricRange?: number;
}

export async function searchRunIds(db: Queryable, query: RunSearchQuery, options: SearchRunIdsOptions = {}): Promise<string[]> {
  const walkFromRuns = options.walkFromRuns ?? WALK_FROM_RUNS;
  if ((await runCountUpTo(db, query, walkFromRuns)) < walkFromRuns) return runIds(await db.all(searchRunsSql(query, db.dialect)));
  const forms = await clauseForms(db, query, options);
  const q = { ...query, ...forms };
  // A rare metric range bounds the result to its few runs: sorting them beats any walk.
  const walks = forms.rareMetricRanges.size > 0 ? undefined : searchRunsWalks(q, db.dialect);
  if (walks) {
    const window = q.offset + q.limit;
    const ids: string[] = [];
    for (const walk of walks) {
      if (ids.length >= window) break;
      const limit = window - ids.length;
      ids.push(
        ...(walk.kind === "sql"
          ? runIds(await db.all(walk.walk(limit)))
          : await walkParamValues(db, walk.walk, limit, options.tieFromEntries ?? TIE_FROM_ENTRIES)),
      );
    }
    return ids.slice(q.offset, window);
  }
  return runIds(await db.all(searchRunsSql(q, db.dialect)));
}

/**
 * Up to `limit` runs with the param, in search order: from each value on, either the values
 * within the next `tieFrom` index entries in one statement, or, when the value alone fills them,
 * that tie in start_time order.
 */
async function walkParamValues(db: Queryable, walk: ParamValueWalk, limit: number, tieFrom: number): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined = await valueAt(db, walk, undefined, 0);
  while (next !== undefined && ids.length < limit) {
    const start: ValueBound = { value: next, inclusive: true };
    const ahead = await valueAt(db, walk, start, tieFrom);
    if (ahead === next) {
      ids.push(...runIds(await db.all(walk.tie(next, limit - ids.length))));
      next = await valueAt(db, walk, { value: next, inclusive: false }, 0);
    } else {
      ids.push(...runIds(await db.all(walk.values(start, ahead, limit - ids.length))));
      next = ahead;
    }
  }
  return ids;
}

/** Param equalities at least `commonParamValue` runs match; metric comparisons fewer than `rareMetricRange` do. */
async function clauseForms(db: Queryable, q: RunSearchQuery, options: SearchRunIdsOptions): Promise<Required<ClauseForms>> {
  const count = async (query: Sql): Promise<number> => integer((await db.all(query))[0] ?? {}, "runs", "n");
  const commonFrom = options.commonParamValue ?? COMMON_PARAM_VALUE;
  const rareBelow = options.rareMetricRange ?? RARE_METRIC_RANGE;
  const commonParamValues = new Set<RunClause>();
  for (const clause of paramEqualities(q.filter)) {
    if ((await count(countParamMatchesUpTo(clause, db.dialect, commonFrom))) >= commonFrom) commonParamValues.add(clause);
  }
  const rareMetricRanges = new Set<RunClause>();
  for (const clause of metricRanges(q.filter)) {
    if ((await count(countMetricMatchesUpTo(clause, db.dialect, rareBelow))) < rareBelow) rareMetricRanges.add(clause);
  }
  return { commonParamValues, rareMetricRanges };
}

async function valueAt(db: Queryable, walk: ParamValueWalk, from: ValueBound | undefined, skip: number): Promise<string | undefined> {
  const [row] = await db.all(walk.valueAt(from, skip));
  return row ? text(row, "params", "v") : undefined;
}

function runIds(rows: Row[]): string[] {
  return rows.map((row) => text(row, "runs", "run_uuid"));
}

async function runCountUpTo(db: Queryable, q: RunSearchQuery, cap: number): Promise<number> {
  const [row] = await db.all(countRunsUpTo(q, cap));
  return integer(row ?? {}, "runs", "n");
}
