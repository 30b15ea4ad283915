/**
 * The slow-statement decorator on a real SQLite database: statements over the threshold are
 * reported with their text and never their values; inside transactions and streams too.
 */

import { expect, test } from "bun:test";
import { SqliteDatabaseHandle } from "../../src/store/db/sqlite.ts";
import { sql } from "../../src/store/db/sql.ts";
import { describeSlow, TimedDatabase, type SlowStatement } from "../../src/store/db/timed-database.ts";

const slowCount = sql`
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${1_000_000})
  SELECT COUNT(*) AS c FROM n`;

async function timedDb(thresholdMs: number): Promise<{ db: TimedDatabase; slow: SlowStatement[] }> {
  const slow: SlowStatement[] = [];
  const db = new TimedDatabase(await SqliteDatabaseHandle.open(":memory:"), { thresholdMs, onSlow: (s) => slow.push(s) });
  return { db, slow };
}

test("a statement over the threshold is reported with its text and duration, not its values", async () => {
  const { db, slow } = await timedDb(20);
  try {
    const fast = await db.all(sql`SELECT ${"secret-value"} AS v`);
    expect(fast).toEqual([{ v: "secret-value" }]);
    const rows = await db.all<{ c: number }>(slowCount);
    expect(rows[0]?.c).toBe(1_000_000);
    expect(slow).toHaveLength(1);
    expect(slow[0]?.text).toStartWith("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)");
    expect(slow[0]?.durationMs).toBeGreaterThanOrEqual(20);
    const line = describeSlow(slow[0] as SlowStatement, 20);
    expect(line).toMatch(/^slow database statement: \d+\.\d ms \(threshold 20 ms\): WITH RECURSIVE/);
    expect(line).not.toContain("1000000");
  } finally {
    await db.close();
  }
}, 30_000);

test("statements inside transactions and streamed results are timed as well", async () => {
  const { db, slow } = await timedDb(0);
  try {
    await db.run(sql`CREATE TABLE t (x INTEGER)`);
    await db.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO t VALUES (${1}), (${2}), (${3})`);
    });
    let seen = 0;
    for await (const batch of db.iterate<{ x: number }>(sql`SELECT x FROM t`, 2)) seen += batch.length;
    expect(seen).toBe(3);
    expect(slow.map((s) => s.text)).toEqual([
      "CREATE TABLE t (x INTEGER)",
      "INSERT INTO t VALUES (?), (?), (?)",
      "SELECT x FROM t",
    ]);
  } finally {
    await db.close();
  }
}, 30_000);
