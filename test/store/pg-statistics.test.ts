// fml analyzes a PostgreSQL tracking table autovacuum has not analyzed yet (rows written behind
// its back, an import): until then the planner takes such a table for an empty one.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Database } from "../../src/store/db/database.ts";
import { openDatabase } from "../../src/store/db/open.ts";
import { analyzeStaleTables, staleTables } from "../../src/store/db/pg-statistics.ts";
import { sql } from "../../src/store/db/sql.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/fixtures.ts";

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await openDatabase({ kind: "postgresql" as const, url: database.url, uri: database.url }, { schema: "prepare" });
});

afterAll(async () => {
  await db?.close();
  await database?.drop();
});

test("a tracking table filled since its last ANALYZE is analyzed once, then left alone", async () => {
  await db.run(sql`INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage)
    VALUES (7, 'statistics', 'a', 'active')`);
  await db.run(sql`INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status,
      start_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
    SELECT md5(i::text), 'r', 'UNKNOWN', '', '', 'u', 'FINISHED', i, '', 'active', 'a', 7
    FROM generate_series(1, 3000) AS s(i)`);
  // The cumulative statistics reach pg_stat_user_tables a moment after the transaction.
  let stale: string[] = [];
  for (let i = 0; i < 50 && !stale.includes("runs"); i++) {
    await Bun.sleep(100);
    stale = await staleTables(db);
  }
  expect(stale).toContain("runs");
  await analyzeStaleTables(db);
  expect(await staleTables(db)).not.toContain("runs");
  const [row] = await db.all<{ analyzed: boolean }>(sql`
    SELECT last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname = 'runs'`);
  expect(row?.analyzed).toBe(true);
});
