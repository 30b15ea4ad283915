/**
 * SQL as data: a tagged template that keeps query text and bound values apart, in the spirit of
 * postgres.js. Every `${value}` becomes a placeholder; fragments compose; nothing user-supplied is
 * ever spliced into the text. `render` emits `?` (SQLite, MySQL) or `$n` (PostgreSQL) placeholders.
 * The few statements whose spelling differs per database get a fragment here (upserts, NULLS
 * LAST, row locks), so the entity modules stay one text for all three.
 */

export type Dialect = "sqlite" | "postgresql" | "mysql";
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;

export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly (SqlValue | Sql)[],
  ) {}
}

export function sql(strings: TemplateStringsArray, ...values: (SqlValue | Sql)[]): Sql {
  return new Sql(strings, values);
}

/** Trusted text, for identifiers and keywords picked from a fixed list: never for user input. */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

export const empty: Sql = raw("");

export function join(parts: readonly Sql[], separator: string): Sql {
  if (parts.length === 0) return empty;
  const strings = ["", ...Array.from({ length: parts.length - 1 }, () => separator), ""];
  return new Sql(strings, parts);
}

/**
 * `FOR UPDATE` after a SELECT in a write transaction: on PostgreSQL and MySQL the row stays locked
 * until COMMIT, so writers from every fml process queue on it in one order. SQLite has a single
 * writer and no such clause.
 */
export function forUpdate(dialect: Dialect): Sql {
  return dialect === "sqlite" ? empty : raw("FOR UPDATE");
}

/**
 * The start of an INSERT that skips rows whose key is taken: MySQL says so up front
 * (`INSERT IGNORE INTO`), the others after the rows (`onConflictDoNothing`). Use both together.
 */
export function insertIgnoring(dialect: Dialect): Sql {
  return raw(dialect === "mysql" ? "INSERT IGNORE INTO" : "INSERT INTO");
}

/** `ON CONFLICT (key) DO NOTHING` after the rows; nothing on MySQL, whose `insertIgnoring` did it. */
export function onConflictDoNothing(dialect: Dialect, key?: string): Sql {
  if (dialect === "mysql") return empty;
  return raw(key ? `ON CONFLICT (${key}) DO NOTHING` : "ON CONFLICT DO NOTHING");
}

/**
 * An upsert's tail: the row whose `key` is taken gets `columns` from the new row.
 * `ON CONFLICT (key) DO UPDATE SET c = excluded.c` or MySQL's `ON DUPLICATE KEY UPDATE c = VALUES(c)`
 * (MySQL finds the key itself; `VALUES()` is the spelling MariaDB and MySQL 8 both read).
 */
export function onConflictUpdate(dialect: Dialect, key: string, columns: readonly string[]): Sql {
  if (dialect === "mysql") {
    return raw(`ON DUPLICATE KEY UPDATE ${columns.map((c) => `${c} = VALUES(${c})`).join(", ")}`);
  }
  return raw(`ON CONFLICT (${key}) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(", ")}`);
}

/** `CAST(x AS TEXT)`; MySQL casts to CHAR. */
export function castText(dialect: Dialect, value: Sql): Sql {
  return dialect === "mysql" ? sql`CAST(${value} AS CHAR)` : sql`CAST(${value} AS TEXT)`;
}

/** `CAST(x AS DOUBLE PRECISION)`; MySQL spells the type DOUBLE. */
export function castDouble(dialect: Dialect, value: Sql): Sql {
  return dialect === "mysql" ? sql`CAST(${value} AS DOUBLE)` : sql`CAST(${value} AS DOUBLE PRECISION)`;
}

/** `LIMIT` for "every row" before an OFFSET, which SQLite and MySQL accept only after a LIMIT. */
export function noLimit(dialect: Dialect): Sql {
  if (dialect === "sqlite") return raw("LIMIT -1");
  return dialect === "mysql" ? raw("LIMIT 18446744073709551615") : empty;
}

/**
 * An ORDER BY term with NULLs after the values, whatever the direction. MySQL has no `NULLS LAST`
 * (it puts NULLs first ascending, last descending), so it sorts on `IS NULL` first.
 */
export function nullsLast(dialect: Dialect, term: Sql, direction: "ASC" | "DESC"): Sql {
  if (dialect === "mysql") return sql`${term} IS NULL, ${term} ${raw(direction)}`;
  return sql`${term} ${raw(direction)} NULLS LAST`;
}

/** A parenthesised, comma-separated list of bound values: `(?, ?, ?)`. */
export function list(values: readonly SqlValue[]): Sql {
  return placeholders("(", ", ", ")", values);
}

/**
 * `open ? sep ? sep ? close` as one node: a 1,000-row batch renders from one flat array instead
 * of thousands of nested fragments (a tenth of log-batch's CPU went to building and walking those).
 */
function placeholders(open: string, separator: string, close: string, values: readonly SqlValue[]): Sql {
  return new Sql(placeholderStrings(open, separator, close, values.length), values);
}

function placeholderStrings(open: string, separator: string, close: string, count: number): string[] {
  if (count === 0) return [open + close];
  const strings = new Array<string>(count + 1).fill(separator);
  strings[0] = open;
  strings[count] = close;
  return strings;
}

export interface RenderedSql {
  text: string;
  values: SqlValue[];
}

export function render(query: Sql, dialect: Dialect): RenderedSql {
  const values: SqlValue[] = [];
  let text = "";
  const walk = (q: Sql): void => {
    const { strings } = q;
    for (let i = 0; i < strings.length; i++) {
      text += strings[i];
      if (i >= q.values.length) continue;
      const value = q.values[i] as SqlValue | Sql;
      if (value instanceof Sql) {
        walk(value);
      } else {
        values.push(value);
        text += dialect === "postgresql" ? `$${values.length}` : "?";
      }
    }
  };
  walk(query);
  return { text, values };
}

/** A column of a bulk row source: its name and its PostgreSQL array element type. */
export interface BulkColumn {
  name: string;
  pgType: "text" | "float8" | "int8" | "int4" | "bool";
}

/**
 * Many rows as the source of an INSERT: `VALUES (?, ...), ...` on SQLite and MySQL; on PostgreSQL
 * `SELECT * FROM unnest($1::text[], ...)`, one array per column, so a 1000-row batch binds a
 * handful of parameters and reuses one prepared plan whatever its size.
 */
export function bulkRows(
  dialect: Dialect,
  columns: readonly BulkColumn[],
  rows: readonly (readonly SqlValue[])[],
): Sql {
  if (dialect === "postgresql") {
    const arrays = columns.map((column, i) => {
      const literal = pgArrayLiteral(rows.map((row) => row[i] ?? null));
      // Typed as text first, so the driver binds a plain string and PostgreSQL parses the array.
      return sql`CAST(CAST(${literal} AS text) AS ${raw(column.pgType)}[])`;
    });
    return sql`SELECT * FROM unnest(${join(arrays, ", ")})`;
  }
  const width = columns.length;
  const values: SqlValue[] = [];
  for (const row of rows) {
    for (let i = 0; i < width; i++) values.push(row[i] ?? null);
  }
  // The text around the values: "?, ?" inside a row, "?), (?" between rows.
  const strings = placeholderStrings("VALUES (", ", ", ")", values.length);
  for (let r = 1; r < rows.length; r++) strings[r * width] = "), (";
  return new Sql(strings, values);
}

/** A PostgreSQL array literal (`{"a","b",NULL}`), bound as one text parameter and cast by the query. */
export function pgArrayLiteral(values: readonly SqlValue[]): string {
  const items = values.map((v) => {
    if (v === null) return "NULL";
    if (typeof v === "boolean") return v ? "t" : "f";
    if (typeof v === "number" || typeof v === "bigint") return String(v);
    const text = typeof v === "string" ? v : new TextDecoder().decode(v);
    return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  });
  return `{${items.join(",")}}`;
}

/**
 * `column IN (…)` for a long list: on PostgreSQL one array parameter (`= ANY(…)`), which keeps the
 * plan an index lookup where a 1000-value IN list tips the planner into a full scan; a plain list
 * on SQLite and MySQL.
 */
export function inValues(
  dialect: Dialect,
  column: Sql,
  values: readonly SqlValue[],
  pgType: BulkColumn["pgType"],
): Sql {
  if (dialect === "postgresql") {
    return sql`${column} = ANY(CAST(CAST(${pgArrayLiteral(values)} AS text) AS ${raw(pgType)}[]))`;
  }
  return sql`${column} IN ${list(values)}`;
}
