// search-experiments, search-registered-models and search-model-versions against real databases:
// filters, default orders, tie-breakers, prompts left out, soft-deleted versions never returned.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseExperimentFilter, parseExperimentOrderBy } from "../../src/search/experiments.ts";
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from "../../src/search/registry.ts";
import { searchExperimentsSql, searchModelVersionsSql, searchRegisteredModelsSql, type ViewType } from "../../src/store/search-sql.ts";
import {
  column,
  insertExperiment,
  insertModelVersion,
  insertRegisteredModel,
  openMysqlSearchDb,
  openPostgresSearchDb,
  openSqliteSearchDb,
  mysqlUnavailable,
  postgresUnavailable,
  type SearchDb,
} from "./fixture.ts";

const PROMPT = { "mlflow.prompt.is_prompt": "true" };

function suite(open: () => Promise<SearchDb>): void {
  let db: SearchDb;
  beforeAll(async () => {
    db = await open();
    await insertExperiment(db, { id: 0, name: "Default", creationTime: 100, lastUpdateTime: 100 });
    await insertExperiment(db, { id: 1, name: "exp-one", creationTime: 300, lastUpdateTime: 900, tags: { team: "a" } });
    await insertExperiment(db, { id: 2, name: "Exp-Two", creationTime: 300, lastUpdateTime: 300, lifecycle: "deleted" });
    await insertExperiment(db, { id: 3, name: "three", creationTime: null, lastUpdateTime: null });
    await insertExperiment(db, { id: 4, name: "exp_four", creationTime: 200, lastUpdateTime: 500, tags: { team: "b" } });

    await insertRegisteredModel(db, { name: "alpha", creationTime: 1, lastUpdatedTime: 300 });
    await insertRegisteredModel(db, { name: "beta", creationTime: 2, lastUpdatedTime: 100, tags: { k: "v" } });
    await insertRegisteredModel(db, { name: "prompt-1", creationTime: 3, lastUpdatedTime: 200, tags: PROMPT });
    await insertRegisteredModel(db, { name: "Gamma", creationTime: 4, lastUpdatedTime: null });
    await insertModelVersion(db, { name: "alpha", version: 1, creationTime: 10, lastUpdatedTime: 100, runId: "r1" });
    await insertModelVersion(db, { name: "alpha", version: 2, creationTime: 20, lastUpdatedTime: 300, runId: "r2", source: "s3://m/2" });
    await insertModelVersion(db, { name: "alpha", version: 3, creationTime: 30, lastUpdatedTime: 400, stage: "Deleted_Internal" });
    await insertModelVersion(db, { name: "beta", version: 1, creationTime: 15, lastUpdatedTime: 300, runId: "r1", tags: { k: "v" } });
    await insertModelVersion(db, { name: "prompt-1", version: 1, creationTime: 5, lastUpdatedTime: 500, tags: PROMPT });
  });
  afterAll(async () => {
    await db?.close();
  });

  describe("experiments", () => {
    async function search(filter: string, orderBy: string[] = [], viewType: ViewType = "ACTIVE_ONLY", limit = 100, offset = 0) {
      const q = { viewType, filter: parseExperimentFilter(filter), orderBy: parseExperimentOrderBy(orderBy), limit, offset };
      return column(await db.all(searchExperimentsSql(q, db.dialect)), "experiment_id");
    }

    test("default order: creation_time DESC (NULL last), experiment_id ASC", async () => {
      expect(await search("")).toEqual(["1", "4", "0", "3"]);
      expect(await search("", [], "ALL")).toEqual(["1", "2", "4", "0", "3"]);
      expect(await search("", [], "DELETED_ONLY")).toEqual(["2"]);
      expect(await search("", [], "ALL", 2, 1)).toEqual(["2", "4"]);
    });

    test.each([
      ["name = 'Default'", ["0"]],
      ["attributes.name LIKE 'exp%'", ["1", "4"]],
      ["name ILIKE 'EXP%'", ["1", "2", "4"]],
      ["name != 'three'", ["1", "2", "4", "0"]],
      ["name LIKE 'exp_%'", ["1", "4"]],
      ["tags.team = 'a'", ["1"]],
      ["tag.team != 'a'", ["4"]],
      ["creation_time >= 200", ["1", "2", "4"]],
      ["creation_time > 100 AND last_update_time < 600", ["2", "4"]],
    ])("filter %p", async (filter, expected) => {
      expect(await search(filter, [], "ALL")).toEqual(expected);
    });

    test.each([
      // Code point order: 'D' < 'E' < 'e'; '-' < '_'.
      [["name"], ["0", "2", "1", "4", "3"]],
      [["name DESC"], ["3", "4", "1", "2", "0"]],
      [["creation_time ASC"], ["0", "4", "1", "2", "3"]],
      [["attributes.last_update_time DESC"], ["1", "4", "2", "0", "3"]],
      [["experiment_id DESC"], ["4", "3", "2", "1", "0"]],
    ])("order_by %p", async (orderBy, expected) => {
      expect(await search("", orderBy, "ALL")).toEqual(expected);
    });
  });

  describe("registered models", () => {
    async function search(filter: string, orderBy: string[] = [], limit = 100, offset = 0) {
      const q = { filter: parseRegisteredModelFilter(filter), orderBy: parseRegisteredModelOrderBy(orderBy), limit, offset };
      return column(await db.all(searchRegisteredModelsSql(q, db.dialect)), "name");
    }

    test("default order is name ASC; prompts are left out", async () => {
      expect(await search("")).toEqual(["Gamma", "alpha", "beta"]);
      expect(await search("", [], 1, 1)).toEqual(["alpha"]);
    });

    test.each([
      ["name = 'alpha'", ["alpha"]],
      ["name ILIKE 'A%'", ["alpha"]],
      ["name LIKE '%a'", ["Gamma", "alpha", "beta"]],
      ["tags.k = 'v'", ["beta"]],
      ["tags.`mlflow.prompt.is_prompt` = 'true'", ["prompt-1"]],
      ["tags.`mlflow.prompt.is_prompt` != 'false'", ["prompt-1"]],
      // Not a prompt query: the clause is dropped and prompts stay hidden, as in MLflow.
      ["tags.`mlflow.prompt.is_prompt` = 'false'", ["Gamma", "alpha", "beta"]],
      ["name LIKE 'prompt%'", []],
    ])("filter %p", async (filter, expected) => {
      expect(await search(filter)).toEqual(expected);
    });

    test.each([
      [["timestamp DESC"], ["alpha", "beta", "Gamma"]],
      [["last_updated_timestamp"], ["beta", "alpha", "Gamma"]],
      [["name DESC"], ["beta", "alpha", "Gamma"]],
      [["creation_timestamp DESC"], ["Gamma", "beta", "alpha"]],
    ])("order_by %p", async (orderBy, expected) => {
      expect(await search("", orderBy)).toEqual(expected);
    });
  });

  describe("model versions", () => {
    async function search(filter: string, orderBy: string[] = [], limit = 100, offset = 0) {
      const q = { filter: parseModelVersionFilter(filter), orderBy: parseModelVersionOrderBy(orderBy), limit, offset };
      const rows = await db.all(searchModelVersionsSql(q, db.dialect));
      return rows.map((r) => `${String(r["name"])}/${String(r["version"])}`);
    }

    test("default order: last_updated DESC, name ASC, version DESC; deleted and prompt versions never appear", async () => {
      expect(await search("")).toEqual(["alpha/2", "beta/1", "alpha/1"]);
      expect(await search("", [], 2, 1)).toEqual(["beta/1", "alpha/1"]);
    });

    test.each([
      ["name = 'alpha'", ["alpha/2", "alpha/1"]],
      ["run_id = 'r1'", ["beta/1", "alpha/1"]],
      ["run_id IN ('r2', 'r9')", ["alpha/2"]],
      ["run_id NOT IN ('r2')", ["beta/1", "alpha/1"]],
      ["version_number >= 2", ["alpha/2"]],
      ["version_number = '1' AND name = 'beta'", ["beta/1"]],
      ["source_path LIKE 's3://%'", ["alpha/2"]],
      ["tags.k = 'v'", ["beta/1"]],
      ["last_updated_timestamp < 300", ["alpha/1"]],
      ["tags.`mlflow.prompt.is_prompt` = 'true'", ["prompt-1/1"]],
    ])("filter %p", async (filter, expected) => {
      expect(await search(filter)).toEqual(expected);
    });

    test.each([
      // Tie on version 1: name ASC breaks it.
      [["version_number"], ["alpha/1", "beta/1", "alpha/2"]],
      [["name DESC"], ["beta/1", "alpha/2", "alpha/1"]],
      [["creation_timestamp DESC"], ["alpha/2", "beta/1", "alpha/1"]],
    ])("order_by %p", async (orderBy, expected) => {
      expect(await search("", orderBy)).toEqual(expected);
    });
  });
}

describe("experiment and registry search on SQLite", () => suite(openSqliteSearchDb));

const pgSkip = await postgresUnavailable();
describe.skipIf(pgSkip !== undefined)(
  `experiment and registry search on PostgreSQL${pgSkip ? ` (SKIPPED: ${pgSkip})` : ""}`,
  () => suite(openPostgresSearchDb),
);

const mysqlSkip = await mysqlUnavailable();
if (mysqlSkip && process.env.CI) throw new Error(`CI needs MySQL: ${mysqlSkip}`);
describe.skipIf(mysqlSkip !== undefined)(
  `experiment and registry search on MySQL${mysqlSkip ? ` (SKIPPED: ${mysqlSkip})` : ""}`,
  () => suite(openMysqlSearchDb),
);
