// Property test: on a seeded pseudo-random set of runs, many seeded random filters (with OR and
// parentheses) and orders give exactly the ids that a plain in-memory evaluation of the same AST
// gives (search-reference.ts), page by page, on SQLite and (when reachable) PostgreSQL.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseRunFilter, parseRunOrderBy } from "../../src/search/runs.ts";
import { lifecycleStages } from "../../src/store/search-runs-sql.ts";
import { searchRunIds, type SearchRunIdsOptions } from "../../src/store/search-runs.ts";
import type { ViewType } from "../../src/store/search-sql.ts";
import {

  insertExperiment,
  insertRuns,
  openMysqlSearchDb,
  openPostgresSearchDb,
  openSqliteSearchDb,
  mysqlUnavailable,
  postgresUnavailable,
  runRow,
  type DatasetInput,
  type RunRow,
  type SearchDb,
} from "./fixture.ts";
import { runMatches, sortRuns } from "./reference.ts";

type Random = () => number;

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const METRIC_VALUES = [-1, 0, 0.5, 0.5, 1, 2.5, 1e10, Number.NaN];
const PARAM_VALUES = ["0.1", "0.01", "Adam", "adam", "sgd", "a_b", "a%b", ""];
const TAG_VALUES: (string | null)[] = ["vision", "Vision", "nlp", "x y", null];
const NAMES: (string | null)[] = ["alpha", "beta", "Beta", "gamma", "a_b", "a%b", null];
const USERS: (string | null)[] = ["alice", "Alice", "bob", null];
const URIS: (string | null)[] = ["s3://bucket/x", "file:///tmp/y", null];
const STATUSES = ["RUNNING", "FINISHED", "FAILED", "KILLED", "SCHEDULED"];
const DATASETS: DatasetInput[] = [
  { name: "iris", digest: "d1", context: "train" },
  { name: "iris", digest: "d2", context: "eval" },
  { name: "wine", digest: "d1" },
  { name: "Iris", digest: "d3", context: "Train" },
];

function randomRuns(r: Random, n: number): RunRow[] {
  return Array.from({ length: n }, (_, i) => {
    const fields = <T>(keys: readonly string[], p: number, values: readonly T[]): Record<string, T> =>
      Object.fromEntries(keys.filter(() => r() < p).map((k) => [k, pick(r, values)]));
    return runRow(`p${String(i).padStart(3, "0")}`, {
      experimentId: pick(r, [0, 0, 1, 2]),
      lifecycle: r() < 0.85 ? "active" : "deleted",
      name: pick(r, NAMES),
      status: pick(r, STATUSES),
      userId: pick(r, USERS),
      artifactUri: pick(r, URIS),
      startTime: r() < 0.05 ? null : pick(r, [100, 200, 300, 400]),
      endTime: pick(r, [null, 150, 250, 350]),
      metrics: fields(["acc", "loss", "f1 score"], 0.7, METRIC_VALUES),
      params: fields(["lr", "model", "opt"], 0.6, PARAM_VALUES),
      tags: fields(["team", "mlflow.user", "note"], 0.6, TAG_VALUES),
      datasets: DATASETS.filter(() => r() < 0.3),
    });
  });
}

const quote = (r: Random, s: string) => (r() < 0.7 ? `'${s}'` : `"${s}"`);
const STRING_OPS = ["=", "!=", "LIKE", "ILIKE", "like", "ilike"];
const NUMERIC_OPS = ["=", "!=", ">", ">=", "<", "<="];
const PATTERNS = ["%a%", "a%", "_dam", "%", "A%", "0._", "%b", "%i%"];

function randomClause(r: Random, runIds: readonly string[]): string {
  const stringOrPattern = (values: readonly (string | null)[]) => {
    const v = r() < 0.6 ? pick(r, values) : pick(r, PATTERNS);
    return quote(r, v ?? "none");
  };
  switch (pick(r, ["metric", "param", "tag", "string", "number", "run_id", "dataset"] as const)) {
    case "metric": {
      const key = pick(r, ["acc", "loss", "f1 score"]);
      const ref = key === "f1 score" ? "metrics.`f1 score`" : `${pick(r, ["metrics", "metric"])}.${key}`;
      return `${ref} ${pick(r, NUMERIC_OPS)} ${pick(r, ["-1", "0", "0.5", "1", "2.5", "1e10", "-0.5"])}`;
    }
    case "param":
    case "tag": {
      const isParam = r() < 0.5;
      const key = isParam ? pick(r, ["lr", "model", "opt"]) : pick(r, ["team", "mlflow.user", "`mlflow.user`", "note"]);
      const ref = `${isParam ? pick(r, ["params", "param"]) : pick(r, ["tags", "tag"])}.${key}`;
      if (r() < 0.15) return `${ref} ${pick(r, ["IS NULL", "IS NOT NULL", "is null"])}`;
      return `${ref} ${pick(r, STRING_OPS)} ${stringOrPattern(isParam ? PARAM_VALUES : TAG_VALUES)}`;
    }
    case "string": {
      const [ref, values] = pick(r, [
        ["status", STATUSES],
        ["attributes.user_id", USERS],
        ["artifact_uri", URIS],
        ["run_name", NAMES],
        ["attributes.run_name", NAMES],
        ["`Run Name`", NAMES],
      ] as const);
      return `${ref} ${pick(r, STRING_OPS)} ${stringOrPattern(values)}`;
    }
    case "number": {
      const ref = pick(r, ["start_time", "end_time", "created", "attributes.start_time"]);
      return `${ref} ${pick(r, NUMERIC_OPS)} ${pick(r, ["100", "150", "200", "250.5", "300", "400"])}`;
    }
    case "run_id": {
      const ids = Array.from({ length: 1 + Math.floor(r() * 3) }, () =>
        r() < 0.8 ? pick(r, runIds) : pick(r, ["P001", "nope"]),
      );
      return `run_id ${pick(r, ["IN", "NOT IN", "in"])} (${ids.map((id) => quote(r, id)).join(", ")})`;
    }
    case "dataset": {
      const key = pick(r, ["name", "digest", "context"]);
      if (r() < 0.4) {
        const values = [pick(r, ["iris", "wine", "d1", "d2", "train", "eval"]), pick(r, ["Iris", "d3", "Train"])];
        return `datasets.${key} ${pick(r, ["IN", "NOT IN"])} (${values.map((v) => quote(r, v)).join(", ")})`;
      }
      return `dataset.${key} ${pick(r, STRING_OPS)} ${stringOrPattern(["iris", "wine", "d1", "train", "eval"])}`;
    }
  }
}

function randomFilter(r: Random, runIds: readonly string[], depth = 0): string {
  if (depth >= 3 || r() < 0.35) return randomClause(r, runIds);
  const parts = Array.from({ length: 2 + Math.floor(r() * 2) }, () => {
    const sub = randomFilter(r, runIds, depth + 1);
    return r() < 0.5 ? `(${sub})` : sub;
  });
  return parts.reduce((acc, p) => `${acc} ${pick(r, ["AND", "OR", "and", "or"])} ${p}`);
}

const ORDER_KEYS = [
  "metrics.acc", "metrics.loss", "metrics.`f1 score`", "params.lr", "params.model", "tags.team", "tags.note",
  "start_time", "end_time", "status", "user_id", "run_name", "artifact_uri", "run_id",
];

function randomOrderBy(r: Random): string[] {
  const keys = new Set<string>();
  const n = Math.floor(r() * 4);
  while (keys.size < n) keys.add(pick(r, ORDER_KEYS));
  return [...keys].map((k) => `${k === "start_time" && r() < 0.5 ? "created" : k}${pick(r, ["", " ASC", " DESC", " desc"])}`);
}

const SEED = 20261127;
const CASES = 300;

function suite(open: () => Promise<SearchDb>, count = CASES): void {
  const r = seeded(SEED);
  const runs = randomRuns(r, 90);
  const runIds = runs.map((run) => run.id);
  let db: SearchDb;
  beforeAll(async () => {
    db = await open();
    for (const id of [0, 1, 2]) await insertExperiment(db, { id, name: `e${id}` });
    await insertRuns(db, runs);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  // walkFromRuns 0 makes every search take the large-experiment path (single-key orders walk
  // their index), whatever the data's size;
  // a small tieFromEntries makes param orders read ties in start_time order.
  const cases = (name: string, orders: (r: Random) => string[], options: SearchRunIdsOptions = {}) =>
  test(`${count} random filters ${name} match the in-memory evaluation (seed ${SEED})`, async () => {
    let nonEmpty = 0;
    for (let i = 0; i < count; i++) {
      const filterText = randomFilter(r, runIds);
      const orderText = orders(r);
      const viewType = pick(r, ["ACTIVE_ONLY", "ACTIVE_ONLY", "DELETED_ONLY", "ALL"] as const satisfies readonly ViewType[]);
      const experimentIds = ["0", "1", "2"].filter(() => r() < 0.7);
      const filter = parseRunFilter(filterText);
      const orderBy = parseRunOrderBy(orderText);

      const stages = lifecycleStages(viewType);
      const expected = sortRuns(
        runs.filter(
          (run) => experimentIds.includes(String(run.experimentId)) && stages.includes(run.lifecycle) && runMatches(run, filter),
        ),
        orderBy,
      ).map((run) => run.id);
      if (expected.length > 0) nonEmpty++;

      const query = { experimentIds, viewType, filter, orderBy, limit: 1000, offset: 0 };
      const context = `filter: ${filterText}\norder_by: ${JSON.stringify(orderText)}\nview: ${viewType} experiments: ${experimentIds}`;
      const all = await searchRunIds(db, query, options);
      expect(`${context}\n${all.join(",")}`).toBe(`${context}\n${expected.join(",")}`);

      const limit = 1 + Math.floor(r() * 10);
      const offset = Math.floor(r() * (expected.length + 2));
      const pageIds = await searchRunIds(db, { ...query, limit, offset }, options);
      expect(pageIds).toEqual(expected.slice(offset, offset + limit));
    }
    // The generator must produce filters that select something, or the test proves little.
    expect(nonEmpty).toBeGreaterThan(count / 3);
  }, 120_000);
  cases("and orders", randomOrderBy);
  // A single metric or param order has query plans of its own (index walks); test them on their own.
  const oneKey = (r: Random) => [`${pick(r, ["params.lr", "params.model", "metrics.acc", "metrics.loss"])}${pick(r, ["", " ASC", " DESC"])}`];
  cases("ordered by one key, sorted whole", oneKey);
  cases("ordered by one key, walked in index order", oneKey, { walkFromRuns: 0 });
  cases("ordered by one key, walked with every shared value a tie", oneKey, { walkFromRuns: 0, tieFromEntries: 1 });
  cases("ordered by one key, walked in steps of 3 index entries", oneKey, { walkFromRuns: 0, tieFromEntries: 3 });
  // commonParamValue 1: every params.k = 'v' that any run matches is tested run by run.
  cases("and orders, params.k = 'v' tested run by run", randomOrderBy, { walkFromRuns: 0, commonParamValue: 1 });
  cases("ordered by one key, walked, params.k = 'v' tested run by run", oneKey, { walkFromRuns: 0, commonParamValue: 1 });
  // rareMetricRange 1e9: every metric comparison (but !=) of a top-level conjunct is read as a set.
  cases("and orders, metric comparisons read as sets", randomOrderBy, { walkFromRuns: 0, rareMetricRange: 1e9 });
  cases("ordered by one key, metric comparisons read as sets", oneKey, { walkFromRuns: 0, rareMetricRange: 1e9, commonParamValue: 1 });
}

describe("random run searches on SQLite", () => suite(openSqliteSearchDb));

const pgSkip = await postgresUnavailable();
describe.skipIf(pgSkip !== undefined)(`random run searches on PostgreSQL${pgSkip ? ` (SKIPPED: ${pgSkip})` : ""}`, () =>
  suite(openPostgresSearchDb),
);

const mysqlSkip = await mysqlUnavailable();
if (mysqlSkip && process.env.CI) throw new Error(`CI needs MySQL: ${mysqlSkip}`);
// The first 100 cases of the same sequence: MySQL answers the tie walks' many small queries one
// round trip each, and the other databases already run all 300 through the same SQL builder.
describe.skipIf(mysqlSkip !== undefined)(`random run searches on MySQL${mysqlSkip ? ` (SKIPPED: ${mysqlSkip})` : ""}`, () =>
  suite(openMysqlSearchDb, 100),
);
