/**
 * Comparison fragments shared by the search compilers. The operator text comes from fixed tables
 * keyed by the AST's comparator; the compared value is always a bound parameter.
 *
 * String semantics are MLflow's on every database: `=` and LIKE are case-sensitive (SQLite runs
 * with `PRAGMA case_sensitive_like = ON`), ILIKE is `lower(x) LIKE lower(y)` on SQLite and native
 * ILIKE on PostgreSQL. MySQL's collations ignore case, so there `=`, `<>` and LIKE compare under
 * utf8mb4_bin, as MLflow makes them case-sensitive there (it casts to BINARY).
 */

import type { ListPredicate, NumberPredicate, NumericComparator, StringPredicate } from "../search/ast.ts";
import { join, list, raw, sql, type Dialect, type Sql } from "./db/sql.ts";

const NUMERIC_OPERATORS: Record<NumericComparator, string> = {
  "=": "=",
  "!=": "<>",
  ">": ">",
  ">=": ">=",
  "<": "<",
  "<=": "<=",
};

export function compareString(column: Sql, p: StringPredicate, dialect: Dialect): Sql {
  const exact = dialect === "mysql" ? raw(" COLLATE utf8mb4_bin") : raw("");
  switch (p.comparator) {
    case "=":
      return sql`${column} = ${p.value}${exact}`;
    case "!=":
      return sql`${column} <> ${p.value}${exact}`;
    case "LIKE":
      return sql`${column} LIKE ${p.value}${exact}`;
    case "ILIKE":
      return dialect === "postgresql" ? sql`${column} ILIKE ${p.value}` : sql`lower(${column}) LIKE lower(${p.value})`;
  }
}

/** `IN` / `NOT IN` a list of strings; case-sensitive on MySQL too, like `=`. */
export function compareList(column: Sql, p: ListPredicate, dialect: Dialect): Sql {
  const exact = dialect === "mysql" ? sql`${column} COLLATE utf8mb4_bin` : column;
  return p.comparator === "IN" ? sql`${exact} IN ${list(p.values)}` : sql`${exact} NOT IN ${list(p.values)}`;
}

/**
 * `column <op> value` for numbers. PostgreSQL types an integer column's parameter as bigint, so a
 * fractional value is cast to double precision there (`start_time > 1.5` works as on SQLite).
 */
export function compareNumber(column: Sql, p: NumberPredicate, dialect: Dialect): Sql {
  // PostgreSQL types a bare parameter as the column's type: a fraction, or an integer beyond
  // int4 (`version_number > 1e20`), would fail to bind instead of comparing.
  const bindsAsColumn = Number.isInteger(p.value) && Math.abs(p.value) <= 2 ** 31 - 1;
  const value =
    dialect === "postgresql" && !bindsAsColumn ? sql`CAST(${p.value} AS DOUBLE PRECISION)` : sql`${p.value}`;
  return sql`${column} ${raw(NUMERIC_OPERATORS[p.comparator])} ${value}`;
}

export function and(parts: readonly Sql[]): Sql {
  return parts.length === 0 ? sql`1 = 1` : parts.length === 1 ? (parts[0] as Sql) : sql`(${join(parts, " AND ")})`;
}

export function or(parts: readonly Sql[]): Sql {
  return parts.length === 0 ? sql`1 = 0` : parts.length === 1 ? (parts[0] as Sql) : sql`(${join(parts, " OR ")})`;
}

/**
 * Text ordering by code point on every database (PostgreSQL would otherwise use its locale,
 * MySQL its case-insensitive collation).
 */
export function textOrder(column: Sql, dialect: Dialect): Sql {
  if (dialect === "postgresql") return sql`${column} COLLATE "C"`;
  return dialect === "mysql" ? sql`${column} COLLATE utf8mb4_bin` : column;
}

export function direction(ascending: boolean): Sql {
  return raw(ascending ? "ASC" : "DESC");
}

/** `LIMIT ? OFFSET ?` with both bound. */
export function page(limit: number, offset: number): Sql {
  return sql`LIMIT ${limit} OFFSET ${offset}`;
}
