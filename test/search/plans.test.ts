// The hot SQLite queries keep their intended plan whatever the planner statistics say: none (a
// database that grew since its last ANALYZE, as after `fml import` into a running server) or
// fresh. Checked with EXPLAIN QUERY PLAN, never by timing (scripts/bench/stale-stats.ts times them).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "../../src/store/db/database.ts";
import { render, sql, type Sql } from "../../src/store/db/sql.ts";
import { DenseStepRanges } from "../../src/store/dense-steps.ts";
import { getMetricHistory, getMetricHistoryBulkInterval } from "../../src/store/metric-history.ts";
import { parseRunFilter, parseRunOrderBy } from "../../src/search/runs.ts";
import { metricRanges, paramEqualities, searchRunsSql, searchRunsWalks, type RunSearchQuery } from "../../src/store/search-runs-sql.ts";
import { insertExperiment, insertRuns, openSqliteSearchDb, runRow, type SearchDb } from "./fixture.ts";

const RUNS = 300;

function query(filter: string, orderBy: string[] = []): RunSearchQuery {
  return {
    experimentIds: ["1"],
    viewType: "ACTIVE_ONLY",
    filter: parseRunFilter(filter),
    orderBy: parseRunOrderBy(orderBy),
    limit: 1000,
    offset: 0,
  };
}

async function plan(db: SearchDb, statement: Sql): Promise<string> {
  const rows = await db.all(sql`EXPLAIN QUERY PLAN ${statement}`);
  return rows.map((row) => String(row.detail)).join("\n");
}

/** Runs a store read against the test database and keeps every statement it sent. */
function recording(db: SearchDb, statements: Sql[]): Database {
  const reader = {
    dialect: "sqlite" as const,
    all: (q: Sql) => {
      statements.push(q);
      return db.all(q);
    },
  };
  return reader as unknown as Database;
}

for (const statistics of ["none", "fresh"] as const) {
  describe(`SQLite plans, statistics: ${statistics}`, () => {
    let db: SearchDb;
    const runIds = Array.from({ length: RUNS }, (_, i) => `run${String(i).padStart(4, "0")}`);

    beforeAll(async () => {
      db = await openSqliteSearchDb();
      await insertExperiment(db, { id: 1, name: "plans" });
      await insertRuns(
        db,
        runIds.map((id, i) =>
          runRow(id, {
            experimentId: 1,
            startTime: i,
            metrics: { m0: (i % 97) / 97, m1: (i % 89) / 89 },
            params: { p0: `v${i % 10}`, p1: `v${i % 7}` },
            tags: { t0: `x${i % 5}` },
          }),
        ),
      );
      for (const id of runIds.slice(0, 20)) {
        for (let step = 0; step < 50; step++) {
          await db.run(sql`INSERT INTO metrics ("key", value, timestamp, step, is_nan, run_uuid)
            VALUES (${"m1"}, ${step / 50}, ${step}, ${step}, ${false}, ${id})`);
        }
      }
      if (statistics === "fresh") await db.run(sql`ANALYZE`);
    });
    afterAll(async () => {
      await db?.close();
    });

    test("a metric filter probes each run's row, never the key's value range", async () => {
      const text = await plan(db, searchRunsSql(query("metrics.m1 > 0.5"), "sqlite"));
      expect(text).toContain("fml_runs_experiment_stage_start");
      expect(text).not.toContain("fml_latest_metrics_key_value");
    });

    test("a param-order tie with a metric filter walks runs and probes the covering param index", async () => {
      const walks = searchRunsWalks(query("metrics.m1 > 0.5", ["params.p0 ASC"]), "sqlite");
      const walk = walks?.[0];
      if (walk?.kind !== "param values") throw new Error("expected a param-value walk");
      const text = await plan(db, walk.walk.tie("v1", 1000));
      expect(text).toContain("fml_runs_experiment_stage_start");
      expect(text).toContain("fml_params_key_value (key=? AND value=? AND run_uuid=?)");
      expect(text).not.toContain("fml_latest_metrics_key_value");
    });

    test("a param filter with a metric order walks the metric's index", async () => {
      const walks = searchRunsWalks(query("params.p0 = 'v3'", ["metrics.m1 DESC"]), "sqlite");
      const walk = walks?.[0];
      if (walk?.kind !== "sql") throw new Error("expected an SQL walk");
      const text = await plan(db, walk.walk(1000));
      expect(text.split("\n")[0]).toContain("fml_latest_metrics_key_value");
    });

    test("a param value many runs share is probed run by run in start_time order, never collected and sorted", async () => {
      const q = query("params.p0 = 'v3'");
      const common = { ...q, commonParamValues: new Set(paramEqualities(q.filter)) };
      const text = await plan(db, searchRunsSql(common, "sqlite"));
      expect(text.split("\n")[0]).toContain("fml_runs_experiment_stage_start");
      expect(text).not.toContain("LIST SUBQUERY");
      expect(text).not.toContain("TEMP B-TREE");
      // A rare value is still read as the set of its runs.
      expect(await plan(db, searchRunsSql(q, "sqlite"))).toContain("fml_params_key_value (key=? AND value=?)");
    });

    test("a common param value with a metric order is probed per run during the metric's walk", async () => {
      const q = query("params.p0 = 'v3'", ["metrics.m1 DESC"]);
      const walk = searchRunsWalks({ ...q, commonParamValues: new Set(paramEqualities(q.filter)) }, "sqlite")?.[0];
      if (walk?.kind !== "sql") throw new Error("expected an SQL walk");
      const text = await plan(db, walk.walk(1000));
      expect(text.split("\n")[0]).toContain("fml_latest_metrics_key_value");
      expect(text).not.toContain("LIST SUBQUERY");
    });

    test("a metric range few runs match is read from the metric's value index, not tested on every run", async () => {
      const q = query("metrics.m1 > 0.99");
      const text = await plan(db, searchRunsSql({ ...q, rareMetricRanges: new Set(metricRanges(q.filter)) }, "sqlite"));
      expect(text).toContain("fml_latest_metrics_key_value (key=? AND is_nan=? AND value>?)");
      expect(text).not.toContain("CORRELATED");
    });

    test("metric history and bulk-interval read the (run_uuid, key, step) index", async () => {
      const statements: Sql[] = [];
      const reader = recording(db, statements);
      await getMetricHistory(reader, { runId: runIds[0] as string, key: "m1", offset: 0 });
      await getMetricHistoryBulkInterval(reader, new DenseStepRanges(), {
        runIds: runIds.slice(0, 20),
        key: "m1",
        maxResults: 10,
      });
      const onMetrics = statements.filter((s) => /FROM metrics\b/.test(render(s, "sqlite").text));
      expect(onMetrics.length).toBeGreaterThan(20);
      for (const statement of onMetrics) {
        const text = await plan(db, statement);
        expect(text).toContain("index_metrics_run_uuid_key_step");
        expect(text).not.toContain("sqlite_autoindex_metrics_1");
      }
    });
  });
}
