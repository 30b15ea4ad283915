// The SQL builder: placeholders per dialect, values kept apart from the text, bulk rows.

import { describe, expect, test } from "bun:test";
import { bulkRows, list, render, sql, type BulkColumn } from "../../src/store/db/sql.ts";

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
});
