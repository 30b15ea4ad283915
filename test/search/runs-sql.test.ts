// search-runs against real databases built from head.sql: filters and orders return the right
// run ids in the right order, including NaN / missing-key ordering and tie-breaks. The same
// suite runs on SQLite and, when reachable, on a throw-away PostgreSQL database.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseRunFilter, parseRunOrderBy } from "../../src/search/runs.ts";
import { searchRunsSql, type RunSearchQuery } from "../../src/store/search-sql.ts";
import { render, sql } from "../../src/store/db/sql.ts";
import {
  column,
  insertExperiment,
  insertRuns,
  openMysqlSearchDb,
  openPostgresSearchDb,
  openSqliteSearchDb,
  mysqlUnavailable,
  postgresUnavailable,
  runRow,
  type SearchDb,
} from "./fixture.ts";

const RUNS = [
  runRow("run-a", {
    name: "alpha",
    startTime: 300,
    metrics: { acc: 0.9, loss: 0.2 },
    params: { lr: "0.1", model: "ResNet" },
    tags: { team: "vision" },
    datasets: [{ name: "iris", digest: "d1", context: "train" }],
  }),
  runRow("run-b", {
    name: "beta",
    status: "FAILED",
    userId: "bob",
    startTime: 300,
    metrics: { acc: Number.NaN, loss: 0.5 },
    params: { lr: "0.01", model: "resnet" },
    tags: { team: "nlp" },
    datasets: [{ name: "wine", digest: "d2", context: "eval" }],
  }),
  runRow("run-c", { name: "gamma", status: "RUNNING", userId: "Alice", startTime: 200, metrics: { acc: 0.5 }, params: { lr: "0.1" } }),
  runRow("run-d", { startTime: 100, endTime: 150, params: { model: "vgg" }, tags: { team: "vision", note: null } }),
  runRow("run-e", { name: "epsilon", lifecycle: "deleted", startTime: 400, metrics: { acc: 0.9 } }),
  runRow("run-f", { name: "phi", experimentId: 1, startTime: 500, metrics: { acc: 1 } }),
];

function suite(open: () => Promise<SearchDb>): void {
  let db: SearchDb;
  beforeAll(async () => {
    db = await open();
    await insertExperiment(db, { id: 0, name: "Default" });
    await insertExperiment(db, { id: 1, name: "other" });
    await insertRuns(db, RUNS);
  });
  afterAll(async () => {
    await db?.close();
  });

  async function search(
    filter: string,
    orderBy: string[] = [],
    options: Partial<Pick<RunSearchQuery, "experimentIds" | "viewType" | "limit" | "offset">> = {},
  ): Promise<string[]> {
    const q: RunSearchQuery = {
      experimentIds: ["0"],
      viewType: "ACTIVE_ONLY",
      filter: parseRunFilter(filter),
      orderBy: parseRunOrderBy(orderBy),
      limit: 100,
      offset: 0,
      ...options,
    };
    const ids = column(await db.all(searchRunsSql(q, db.dialect)), "run_uuid");
    return ids.map((id) => id.replace("run-", ""));
  }

  test("default order is start_time DESC, then run id", async () => {
    expect(await search("")).toEqual(["a", "b", "c", "d"]);
  });

  test("view type filters the run's lifecycle stage", async () => {
    expect(await search("", [], { viewType: "ALL" })).toEqual(["e", "a", "b", "c", "d"]);
    expect(await search("", [], { viewType: "DELETED_ONLY" })).toEqual(["e"]);
  });

  test("several experiments, none, and ids that cannot exist", async () => {
    expect(await search("", [], { experimentIds: ["0", "1"], viewType: "ALL" })).toEqual(["f", "e", "a", "b", "c", "d"]);
    expect(await search("", [], { experimentIds: [] })).toEqual([]);
    expect(await search("", [], { experimentIds: ["nope"] })).toEqual([]);
  });

  test("limit and offset page through the ordered result", async () => {
    expect(await search("", [], { limit: 2, offset: 1 })).toEqual(["b", "c"]);
    expect(await search("", [], { limit: 2, offset: 4 })).toEqual([]);
  });

  test.each([
    ["metrics.acc > 0.4", ["a", "c"]],
    ["metrics.acc < 1", ["a", "c"]],
    // NaN matches only !=; its stored 0 is never compared.
    ["metrics.acc != 0.9", ["b", "c"]],
    ["metrics.acc = 0", []],
    ["metrics.acc <= 0", []],
    ["metrics.loss >= 0.5", ["b"]],
    ["params.lr = '0.1'", ["a", "c"]],
    ["params.model LIKE 'res%'", ["b"]],
    ["params.model like 'Res%'", ["a"]],
    ["params.model ILIKE 'RES%'", ["a", "b"]],
    ["params.model LIKE '_gg'", ["d"]],
    // A run without the param never matches, not even !=.
    ["params.model != 'vgg'", ["a", "b"]],
    ["params.model IS NULL", ["c"]],
    ["params.model IS NOT NULL", ["a", "b", "d"]],
    // A tag whose value is NULL counts as absent.
    ["tags.note IS NULL", ["a", "b", "c", "d"]],
    ["tags.team = 'vision'", ["a", "d"]],
    ["tags.team = 'Vision'", []],
    ["tags.`mlflow.runName` = 'alpha'", ["a"]],
    ["attributes.run_name = 'beta'", ["b"]],
    ["run_name LIKE '%a'", ["a", "b", "c"]],
    ["`Run Name` != 'alpha'", ["b", "c"]],
    ["run_id IN ('run-a', 'run-c', 'RUN-D')", ["a", "c"]],
    ["attributes.run_id NOT IN ('run-a', 'run-c')", ["b", "d"]],
    ["run_id LIKE 'run-_'", ["a", "b", "c", "d"]],
    ["user_id = 'alice'", ["a", "d"]],
    ["user_id ILIKE 'ALICE'", ["a", "c", "d"]],
    ["status != 'FINISHED'", ["b", "c"]],
    ["artifact_uri LIKE '%run-d'", ["d"]],
    ["end_time = 150", ["d"]],
    // end_time is NULL for the others: no comparison matches NULL.
    ["end_time != 150", []],
    ["created >= 200", ["a", "b", "c"]],
    ["attributes.start_time < 300", ["c", "d"]],
    ["datasets.name = 'iris'", ["a"]],
    ["datasets.digest != 'd1'", ["b"]],
    ["datasets.context IN ('eval', 'test')", ["b"]],
    ["datasets.name NOT IN ('iris')", ["b"]],
    ["datasets.context LIKE 'tr%'", ["a"]],
    ["metrics.acc > 0.4 AND params.lr = '0.1' AND tags.team = 'vision'", ["a"]],
    ["metrics.acc > 0.8 OR tags.team = 'nlp'", ["a", "b"]],
    ["params.lr = '0.1' OR params.model = 'vgg' AND tags.team = 'nlp'", ["a", "c"]],
    ["(params.lr = '0.1' OR params.model = 'vgg') AND tags.team = 'vision'", ["a", "d"]],
    ["(metrics.acc > 0.8 OR metrics.acc < 0.6) AND (status = 'RUNNING' OR user_id = 'alice')", ["a", "c"]],
  ])("filter %p", async (filter, expected) => {
    expect(await search(filter)).toEqual(expected);
  });

  test.each([
    // NaN after every real value, missing after NaN, in both directions.
    [["metrics.acc DESC"], ["a", "c", "b", "d"]],
    [["metrics.acc"], ["c", "a", "b", "d"]],
    // Rows lacking the param sort last both ways; text order is by code point ('R' < 'r').
    [["params.model ASC"], ["a", "b", "d", "c"]],
    [["params.model DESC"], ["d", "b", "a", "c"]],
    // Ordered by start_time: no start_time DESC tie-breaker, run id breaks the tie.
    [["start_time ASC"], ["d", "c", "a", "b"]],
    [["attributes.created DESC"], ["a", "b", "c", "d"]],
    // run_name orders by the runs.name column; a NULL name sorts last.
    [["run_name DESC"], ["c", "b", "a", "d"]],
    [["attributes.run_name"], ["a", "b", "c", "d"]],
    [["end_time DESC"], ["d", "a", "b", "c"]],
    [["status"], ["b", "a", "d", "c"]],
    [["tags.team", "metrics.loss DESC"], ["b", "a", "d", "c"]],
    [["tags.note"], ["a", "b", "c", "d"]],
    [["user_id DESC", "params.lr"], ["b", "a", "d", "c"]],
  ])("order_by %p", async (orderBy, expected) => {
    expect(await search("", orderBy)).toEqual(expected);
  });

  test("filter text never becomes SQL text", async () => {
    const filter = "tags.`x'; DROP TABLE runs; --` = 'a'' OR ''1''=''1' OR params.`\"p\"` LIKE '%\\' OR metrics.`m)--` > 1";
    const q = searchRunsSql(
      {
        experimentIds: ["0"],
        viewType: "ALL",
        filter: parseRunFilter(filter),
        orderBy: parseRunOrderBy(["tags.`y'); DELETE FROM runs; --` DESC"]),
        limit: 10,
        offset: 0,
      },
      db.dialect,
    );
    const { text } = render(q, db.dialect);
    for (const fragment of ["DROP", "DELETE", "1''", "\"p\"", "m)--"]) expect(text).not.toContain(fragment);
    expect(column(await db.all(q), "run_uuid")).toEqual([]);
    expect((await db.all(sql`SELECT COUNT(*) AS n FROM runs`))[0]?.["n"]).toEqual(db.dialect === "postgresql" ? "6" : 6);
  });
}

describe("search-runs on SQLite", () => suite(openSqliteSearchDb));

const pgSkip = await postgresUnavailable();
describe.skipIf(pgSkip !== undefined)(`search-runs on PostgreSQL${pgSkip ? ` (SKIPPED: ${pgSkip})` : ""}`, () =>
  suite(openPostgresSearchDb),
);

const mysqlSkip = await mysqlUnavailable();
if (mysqlSkip && process.env.CI) throw new Error(`CI needs MySQL: ${mysqlSkip}`);
describe.skipIf(mysqlSkip !== undefined)(`search-runs on MySQL${mysqlSkip ? ` (SKIPPED: ${mysqlSkip})` : ""}`, () =>
  suite(openMysqlSearchDb),
);
