// The SQL builder: placeholders per dialect, values kept apart from the text, bulk rows.

import { describe, expect, test } from "bun:test";
import {
  bulkRows,
  insertIgnoring,
  list,
  nullsLast,
  onConflictDoNothing,
  onConflictUpdate,
  raw,
  render,
  sql,
  type BulkColumn,
} from "../../src/store/db/sql.ts";

const columns: BulkColumn[] = [
  { name: "key", pgType: "text" },
  { name: "step", pgType: "int8" },
];

describe("sql", () => {
  test("values become placeholders, never text", () => {
    const name = "x'); DROP TABLE runs; --";
    expect(render(sql`SELECT 1 FROM runs WHERE name = ${name} AND n IN ${list([1, 2])}`, "sqlite")).toEqual({
      text: "SELECT 1 FROM runs WHERE name = ? AND n IN (?, ?)",
      values: [name, 1, 2],
    });
    expect(render(sql`a = ${1} AND b IN ${list(["p", "q"])}`, "postgresql")).toEqual({
      text: "a = $1 AND b IN ($2, $3)",
      values: [1, "p", "q"],
    });
  });

  test("bulk rows are one VALUES list on SQLite, in row order, missing cells NULL", () => {
    const rows = [["a", 1], ["b", 2], ["c"]];
    expect(render(sql`INSERT INTO t ${bulkRows("sqlite", columns, rows)}`, "sqlite")).toEqual({
      text: "INSERT INTO t VALUES (?, ?), (?, ?), (?, ?)",
      values: ["a", 1, "b", 2, "c", null],
    });
    const one = render(bulkRows("sqlite", [{ name: "key", pgType: "text" }], [["a"], ["b"]]), "sqlite");
    expect(one.text).toBe("VALUES (?), (?)");
  });

  test("bulk rows are one array parameter per column on PostgreSQL", () => {
    const r = render(sql`INSERT INTO t ${bulkRows("postgresql", columns, [["a\"b", 1], ["c", null]])}`, "postgresql");
    expect(r.text).toBe(
      "INSERT INTO t SELECT * FROM unnest(CAST(CAST($1 AS text) AS text[]), CAST(CAST($2 AS text) AS int8[]))",
    );
    expect(r.values).toEqual(['{"a\\"b","c"}', "{1,NULL}"]);
  });

  test("MySQL: ? placeholders, rows as VALUES, upserts as INSERT IGNORE and ON DUPLICATE KEY, NULLs last by IS NULL", () => {
    const r = render(sql`INSERT INTO t ${bulkRows("mysql", columns, [["a", 1], ["b", null]])}`, "mysql");
    expect(r).toEqual({ text: "INSERT INTO t VALUES (?, ?), (?, ?)", values: ["a", 1, "b", null] });
    const skip = (dialect: "sqlite" | "postgresql" | "mysql") =>
      render(sql`${insertIgnoring(dialect)} t (a) VALUES (${1}) ${onConflictDoNothing(dialect, "a")}`, dialect).text;
    expect(skip("mysql")).toBe("INSERT IGNORE INTO t (a) VALUES (?) ");
    expect(skip("sqlite")).toBe("INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING");
    expect(render(onConflictUpdate("mysql", '"key", run_uuid', ["value", "step"]), "mysql").text).toBe(
      "ON DUPLICATE KEY UPDATE value = VALUES(value), step = VALUES(step)",
    );
    expect(render(onConflictUpdate("postgresql", '"key", run_uuid', ["value"]), "postgresql").text).toBe(
      'ON CONFLICT ("key", run_uuid) DO UPDATE SET value = excluded.value',
    );
    expect(render(nullsLast("mysql", raw("r.start_time"), "DESC"), "mysql").text).toBe("r.start_time IS NULL, r.start_time DESC");
    expect(render(nullsLast("sqlite", raw("r.start_time"), "ASC"), "sqlite").text).toBe("r.start_time ASC NULLS LAST");
  });
});
