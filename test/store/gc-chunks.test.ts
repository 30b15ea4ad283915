/**
 * gc removes a run's metric history in chunks of their own transactions (src/store/gc.ts): a run
 * with more points than a chunk goes completely, with its other rows, and leaves other runs alone.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseTarget } from "../../src/config.ts";
import type { Database } from "../../src/store/db/database.ts";
import { openDatabase } from "../../src/store/db/open.ts";
import { raw, sql, type Sql } from "../../src/store/db/sql.ts";
import { hardDeleteRun } from "../../src/store/gc.ts";
import { openStores } from "../../src/store/open.ts";
import { createMysqlTestDatabase, createTestDatabase, type TestDatabase } from "../helpers/fixtures.ts";
import { backends } from "../helpers/server.ts";

for (const backend of await backends()) {
  describe(`gc in chunks [${backend}]`, () => {
    let testDatabase: TestDatabase | undefined;
    let dir: string | undefined;
    let db: Database;
    const runs: string[] = [];

    beforeAll(async () => {
      let database: DatabaseTarget;
      if (backend === "postgresql") {
        testDatabase = await createTestDatabase();
        database = { kind: "postgresql", url: testDatabase.url, uri: testDatabase.url };
      } else if (backend === "mysql") {
        testDatabase = await createMysqlTestDatabase();
        database = { kind: "mysql", url: testDatabase.url, uri: testDatabase.url };
      } else {
        dir = mkdtempSync(join(tmpdir(), "fml-gc-chunks-"));
        database = { kind: "sqlite", path: join(dir, "fml.db"), uri: `sqlite:///${join(dir, "fml.db")}` };
      }
      const stores = await openStores({ database, defaultArtifactRoot: "/tmp/fml-gc-chunks", migrate: true, poolMax: 2 });
      const store = stores.tracking;
      const experimentId = await store.createExperiment({ name: "gc-chunks", tags: [] });
      for (const points of [25, 5]) {
        const run = await store.createRun({ experimentId, startTime: 1, tags: [], userId: "gc", runName: "gc-run" });
        const id = run.info.runId;
        const metrics = Array.from({ length: points }, (_, step) => ({ key: "loss", value: step / 10, timestamp: 1000 + step, step }));
        await store.logBatch(id, { metrics, params: [{ key: "lr", value: "0.1" }], tags: [] });
        runs.push(id);
      }
      await store.deleteRun(runs[0] as string);
      await store.close();
      db = await openDatabase(database, { schema: "prepare", migrate: false });
    });

    afterAll(async () => {
      await db?.close();
      await testDatabase?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const count = async (table: string, runId: string): Promise<number> => {
      const [row] = await db.all(sql`SELECT COUNT(*) AS n FROM ${sqlTable(table)} WHERE run_uuid = ${runId}`);
      return Number(row?.n);
    };

    test("a run with 25 points, 7 at a time, goes with all its rows; the other run keeps its own", async () => {
      expect(await count("metrics", runs[0] as string)).toBe(25);
      await hardDeleteRun(db, runs[0] as string, 7);
      for (const table of ["metrics", "latest_metrics", "params", "runs"]) expect(await count(table, runs[0] as string)).toBe(0);
      expect(await count("metrics", runs[1] as string)).toBe(5);
      expect(await count("latest_metrics", runs[1] as string)).toBe(1);
      expect(await count("runs", runs[1] as string)).toBe(1);
    });
  });
}

function sqlTable(name: string): Sql {
  if (!["metrics", "latest_metrics", "params", "runs"].includes(name)) throw new Error(name);
  return raw(name);
}
