/**
 * The columns a database really has, read from its catalog: the one place that knows how each
 * dialect describes a column (SQLite: PRAGMA table_xinfo; PostgreSQL: information_schema). Also the
 * indexes by name. Read-only; used to hold a newer MLflow schema against what fml needs.
 */

import type { Reader, Row } from "../db/database.ts";
import { sql, type Sql } from "../db/sql.ts";

export interface LiveColumn {
  name: string;
  /** As the catalog spells it, with the length where it has one: `VARCHAR(5000)`, `character varying(250)`, `text`. */
  type: string;
  notNull: boolean;
  /** A default, an identity/autoincrement or a generated value: an insert may leave it out. */
  filledByDatabase: boolean;
}

/** Column lists per table, in catalog order. */
export type LiveSchema = Map<string, LiveColumn[]>;

// On MySQL and MariaDB a NOT NULL column without a default has column_default NULL.
const columnQueries: Record<Reader["dialect"], Sql> = {
  sqlite: sql`
    SELECT m.name AS table_name, c.name AS column_name, c.type AS column_type,
           c."notnull" AS not_null, c.dflt_value AS column_default,
           c.hidden IN (2, 3) OR (c.pk = 1 AND upper(c.type) = 'INTEGER'
             AND (SELECT COUNT(*) FROM pragma_table_info(m.name) p WHERE p.pk > 0) = 1) AS filled
    FROM sqlite_master m JOIN pragma_table_xinfo(m.name) c
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!'
    ORDER BY m.name, c.cid`,
  postgresql: sql`
    SELECT table_name, column_name,
           CASE WHEN character_maximum_length IS NULL THEN data_type
                ELSE data_type || '(' || character_maximum_length || ')' END AS column_type,
           is_nullable = 'NO' AS not_null, column_default,
           is_identity = 'YES' OR is_generated <> 'NEVER' AS filled
    FROM information_schema.columns
    WHERE table_schema = 'public'
    ORDER BY table_name, ordinal_position`,
  // column_type keeps the length and MySQL's spellings (`varchar(5000)`, `tinyint(1)`, `longtext`).
  mysql: sql`
    SELECT table_name AS table_name, column_name AS column_name, column_type AS column_type,
           is_nullable = 'NO' AS not_null, column_default AS column_default,
           extra LIKE '%auto_increment%' OR extra LIKE '%GENERATED%' AS filled
    FROM information_schema.columns WHERE table_schema = DATABASE()
    ORDER BY table_name, ordinal_position`,
};

const indexQueries: Record<Reader["dialect"], Sql> = {
  sqlite: sql`SELECT name FROM sqlite_master WHERE type = 'index'`,
  postgresql: sql`SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'`,
  mysql: sql`SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE()`,
};

const truthy = (value: unknown): boolean => value === true || value === 1 || value === 1n || value === "1" || value === "t";

export async function readLiveSchema(db: Reader): Promise<LiveSchema> {
  const schema: LiveSchema = new Map();
  for (const row of await db.all<Row>(columnQueries[db.dialect])) {
    const table = String(row.table_name);
    const columns = schema.get(table) ?? [];
    columns.push({
      name: String(row.column_name),
      type: String(row.column_type ?? ""),
      notNull: truthy(row.not_null),
      filledByDatabase: row.column_default !== null && row.column_default !== undefined ? true : truthy(row.filled),
    });
    schema.set(table, columns);
  }
  return schema;
}

export async function readIndexNames(db: Reader): Promise<Set<string>> {
  return new Set((await db.all<Row>(indexQueries[db.dialect])).map((row) => String(row.name)));
}
