/**
 * A structural snapshot of a database schema, to compare two databases: per table the columns in
 * order (type, nullability, default, generated), primary key, foreign keys with their actions,
 * unique constraints, checks and indexes; plus triggers. Constraint order and the spelling a given
 * SQLAlchemy/PostgreSQL version chose for the same constraint do not matter; names do.
 */

import type postgres from "postgres";
import type { SqliteDatabase } from "../../src/runtime.ts";

export interface ColumnShape {
  name: string;
  type: string;
  notNull: boolean;
  default: string | null;
  generated: string | null;
}

export interface TableShape {
  columns: ColumnShape[];
  primaryKey: { name: string | null; columns: string[] };
  foreignKeys: string[];
  uniques: string[];
  checks: string[];
  indexes: string[];
}

export interface SchemaSnapshot {
  tables: Record<string, TableShape>;
  triggers: string[];
  sequences: string[];
}

const squash = (text: string): string => text.replace(/\s+/g, " ").trim();

// ---------------------------------------------------------------------------------------------
// SQLite

export function sqliteSnapshot(db: SqliteDatabase): SchemaSnapshot {
  const tables: Record<string, TableShape> = {};
  const rows = db.all<{ name: string; sql: string }>(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
  );
  for (const { name, sql } of rows) {
    const q = quoteIdent(name);
    const info = db.all<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number; hidden: number }>(
      `PRAGMA table_xinfo(${q})`,
    );
    const columns = info.map((c) => ({
      name: c.name,
      type: c.type.toUpperCase(),
      notNull: c.notnull === 1,
      default: c.dflt_value,
      generated: c.hidden === 2 || c.hidden === 3 ? generatedExpression(sql, c.name) : null,
    }));
    const pkColumns = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const fkRows = db.all<{ id: number; seq: number; table: string; from: string; to: string; on_update: string; on_delete: string }>(
      `PRAGMA foreign_key_list(${q})`,
    );
    const fkNames = namedConstraints(sql, "FOREIGN KEY");
    const fks = new Map<number, { table: string; from: string[]; to: string[]; onUpdate: string; onDelete: string }>();
    for (const fk of fkRows.sort((a, b) => a.id - b.id || a.seq - b.seq)) {
      const entry = fks.get(fk.id) ?? { table: fk.table, from: [], to: [], onUpdate: fk.on_update, onDelete: fk.on_delete };
      entry.from.push(fk.from);
      entry.to.push(fk.to);
      fks.set(fk.id, entry);
    }
    const foreignKeys = [...fks.values()]
      .map((fk) => {
        const fkName = fkNames.get(`${fk.from.join(",")}->${fk.table}`) ?? null;
        return `${fkName ?? "(unnamed)"}: (${fk.from.join(", ")}) -> ${fk.table}(${fk.to.join(", ")}) on update ${fk.onUpdate.toLowerCase()} on delete ${fk.onDelete.toLowerCase()}`;
      })
      .sort();
    const indexes: string[] = [];
    const uniques: string[] = [];
    for (const index of db.all<{ name: string; unique: number; origin: string; partial: number }>(`PRAGMA index_list(${q})`)) {
      const cols = db
        .all<{ seqno: number; name: string }>(`PRAGMA index_info(${quoteIdent(index.name)})`)
        .sort((a, b) => a.seqno - b.seqno)
        .map((c) => c.name);
      if (index.origin === "pk") continue;
      if (index.origin === "u") uniques.push(`(${cols.join(", ")})`);
      else indexes.push(`${index.name}${index.unique ? " unique" : ""} (${cols.join(", ")})`);
    }
    const uniqueNames = [...namedConstraints(sql, "UNIQUE").values()];
    tables[name] = {
      columns,
      primaryKey: { name: [...namedConstraints(sql, "PRIMARY KEY").values()][0] ?? null, columns: pkColumns },
      foreignKeys,
      uniques: [...uniques.sort(), ...uniqueNames.map((n) => `named ${n}`).sort()],
      checks: checkClauses(sql).sort(),
      indexes: indexes.sort(),
    };
  }
  const triggers = db
    .all<{ name: string; tbl_name: string; sql: string }>(
      "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
    )
    .map((t) => `${t.name} on ${t.tbl_name}: ${squash(t.sql)}`);
  return { tables, triggers, sequences: [] };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `CONSTRAINT name <kind> (...)` clauses of a CREATE TABLE, keyed for foreign keys by columns->table. */
function namedConstraints(sql: string, kind: "FOREIGN KEY" | "UNIQUE" | "PRIMARY KEY"): Map<string, string> {
  const found = new Map<string, string>();
  const pattern =
    kind === "FOREIGN KEY"
      ? /CONSTRAINT\s+"?(\w+)"?\s+FOREIGN KEY\s*\(([^)]*)\)\s*REFERENCES\s+"?(\w+)"?/gi
      : new RegExp(`CONSTRAINT\\s+"?(\\w+)"?\\s+${kind}\\s*\\(([^)]*)\\)`, "gi");
  for (const m of sql.matchAll(pattern)) {
    const cols = (m[2] ?? "").split(",").map((c) => c.trim().replace(/"/g, ""));
    const key = kind === "FOREIGN KEY" ? `${cols.join(",")}->${m[3]}` : cols.join(",");
    found.set(key, m[1] ?? "");
  }
  return found;
}

/** Every CHECK (...) clause with its constraint name if it has one, whitespace squashed. */
function checkClauses(sql: string): string[] {
  const checks: string[] = [];
  const pattern = /(CONSTRAINT\s+"?(\w+)"?\s+)?CHECK\s*\(/gi;
  for (const m of sql.matchAll(pattern)) {
    let depth = 1;
    let i = (m.index ?? 0) + m[0].length;
    const start = i;
    for (; i < sql.length && depth > 0; i++) {
      if (sql[i] === "(") depth++;
      else if (sql[i] === ")") depth--;
    }
    checks.push(`${m[2] ?? "(unnamed)"}: ${squash(sql.slice(start, i - 1))}`);
  }
  return checks;
}

function generatedExpression(sql: string, column: string): string {
  const m = new RegExp(`\\b${column}\\b[^,]*GENERATED ALWAYS AS \\((.*?)\\)\\s*(STORED|VIRTUAL)`, "i").exec(sql);
  return m ? `${squash(m[1] ?? "")} ${(m[2] ?? "").toLowerCase()}` : "generated";
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** Different PostgreSQL/SQLAlchemy versions spell one CHECK differently; compare its substance. */
function normalizeCheck(definition: string): string {
  return definition
    .replace(/::[a-z ]+(\(\d+\))?(\[\])?/gi, "")
    .replace(/[()\s]/g, "");
}

export async function postgresSnapshot(sql: postgres.Sql): Promise<SchemaSnapshot> {
  const tables: Record<string, TableShape> = {};
  const tableNames = await sql<{ relname: string }[]>`
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname`;
  for (const { relname } of tableNames) {
    const columns = await sql<{ name: string; type: string; notnull: boolean; dflt: string | null; generated: string }[]>`
      SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
             pg_get_expr(d.adbin, d.adrelid) AS dflt, a.attgenerated AS generated
      FROM pg_attribute a
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = ${`public.${relname}`}::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`;
    const constraints = await sql<{ name: string; type: string; def: string }[]>`
      SELECT conname AS name, contype AS type, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE conrelid = ${`public.${relname}`}::regclass ORDER BY conname`;
    const indexes = await sql<{ name: string; def: string }[]>`
      SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = ${`public.${relname}`}::regclass
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
      ORDER BY i.relname`;
    const pk = constraints.find((c) => c.type === "p");
    tables[relname] = {
      columns: columns.map((c) => ({
        name: c.name,
        type: c.type,
        notNull: c.notnull,
        default: c.generated ? null : (c.dflt?.replace(/public\./g, "") ?? null),
        generated: c.generated ? `${c.dflt ?? ""} ${c.generated === "s" ? "stored" : c.generated}` : null,
      })),
      primaryKey: {
        name: pk?.name ?? null,
        columns: pk ? (/\(([^)]*)\)/.exec(pk.def)?.[1] ?? "").split(",").map((s) => s.trim()) : [],
      },
      foreignKeys: constraints.filter((c) => c.type === "f").map((c) => `${c.name}: ${c.def.replace(/public\./g, "")}`),
      uniques: constraints.filter((c) => c.type === "u").map((c) => `${c.name}: ${c.def}`),
      checks: constraints.filter((c) => c.type === "c").map((c) => `${c.name}: ${normalizeCheck(c.def)}`),
      indexes: indexes.map((i) => `${i.name}: ${i.def.replace(/public\./g, "")}`),
    };
  }
  const triggers = (
    await sql<{ name: string; table: string; def: string; body: string }[]>`
      SELECT t.tgname AS name, c.relname AS table, pg_get_triggerdef(t.oid) AS def, p.prosrc AS body
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT t.tgisinternal AND n.nspname = 'public' ORDER BY t.tgname`
  ).map((t) => `${t.name} on ${t.table}: ${t.def.replace(/public\./g, "")} :: ${squash(t.body)}`);
  const sequences = (
    await sql<{ name: string; owner: string | null; type: string }[]>`
      SELECT s.relname AS name, format_type(q.seqtypid, NULL) AS type,
             (SELECT c.relname || '.' || a.attname FROM pg_depend d
                JOIN pg_class c ON c.oid = d.refobjid
                JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
              WHERE d.objid = s.oid AND d.deptype = 'a' LIMIT 1) AS owner
      FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace JOIN pg_sequence q ON q.seqrelid = s.oid
      WHERE s.relkind = 'S' AND n.nspname = 'public' ORDER BY s.relname`
  ).map((s) => `${s.name} ${s.type} owned by ${s.owner ?? "nothing"}`);
  return { tables, triggers, sequences };
}

// ---------------------------------------------------------------------------------------------
// MySQL / MariaDB

type MysqlRows = Record<string, unknown>[];
/** Anything that runs a query with `?` parameters in the current database (a mysql2 connection). */
export interface MysqlQuery {
  query(text: string, values?: unknown[]): Promise<[unknown, unknown]>;
}

const str = (value: unknown): string => (value === null || value === undefined ? "" : String(value));

/**
 * The current database's schema from information_schema: columns with their full type, charset
 * and collation, defaults and generation, keys, foreign keys with their actions, checks, indexes
 * (`fml_…` ones left out: fml's own, see fml-indexes.ts) and triggers.
 */
export async function mysqlSnapshot(conn: MysqlQuery): Promise<SchemaSnapshot> {
  const all = async (text: string): Promise<MysqlRows> => (await conn.query(text))[0] as MysqlRows;
  const here = "TABLE_SCHEMA = DATABASE()";
  const tables: Record<string, TableShape> = {};
  const tableRows = await all(
    `SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation FROM information_schema.TABLES
     WHERE ${here} AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
  );
  const columns = await all(
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable,
            COLUMN_DEFAULT AS dflt, EXTRA AS extra, GENERATION_EXPRESSION AS expr,
            CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation
     FROM information_schema.COLUMNS WHERE ${here} ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  );
  const keys = await all(
    `SELECT k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS name, c.CONSTRAINT_TYPE AS type, k.COLUMN_NAME AS col,
            k.REFERENCED_TABLE_NAME AS rt, k.REFERENCED_COLUMN_NAME AS rc
     FROM information_schema.KEY_COLUMN_USAGE k
     JOIN information_schema.TABLE_CONSTRAINTS c ON c.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA
       AND c.TABLE_NAME = k.TABLE_NAME AND c.CONSTRAINT_NAME = k.CONSTRAINT_NAME
     WHERE k.${here} ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
  );
  const rules = await all(
    `SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS name, UPDATE_RULE AS up, DELETE_RULE AS del
     FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`,
  );
  const checks = await all(
    `SELECT c.TABLE_NAME AS t, c.CONSTRAINT_NAME AS name, k.CHECK_CLAUSE AS clause
     FROM information_schema.TABLE_CONSTRAINTS c
     JOIN information_schema.CHECK_CONSTRAINTS k ON k.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = c.CONSTRAINT_NAME
     WHERE c.${here} AND c.CONSTRAINT_TYPE = 'CHECK'`,
  );
  const indexRows = await all(
    `SELECT TABLE_NAME AS t, INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS col, SUB_PART AS part
     FROM information_schema.STATISTICS WHERE ${here} AND INDEX_NAME NOT LIKE 'fml\\_%'
     ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
  );
  for (const table of tableRows) {
    const t = str(table.name);
    const grouped = (rows: MysqlRows, type: string): Map<string, MysqlRows> => {
      const byName = new Map<string, MysqlRows>();
      for (const row of rows.filter((r) => r.t === t && r.type === type)) {
        byName.set(str(row.name), [...(byName.get(str(row.name)) ?? []), row]);
      }
      return byName;
    };
    const pk = [...grouped(keys, "PRIMARY KEY").values()][0] ?? [];
    const indexes = new Map<string, MysqlRows>();
    for (const row of indexRows.filter((r) => r.t === t)) indexes.set(str(row.name), [...(indexes.get(str(row.name)) ?? []), row]);
    tables[t] = {
      columns: columns
        .filter((c) => c.t === t)
        .map((c) => ({
          name: str(c.name),
          type: `${str(c.type)} ${str(c.charset)} ${str(c.collation)} ${str(c.extra)}`.trim().replace(/\s+/g, " "),
          notNull: c.nullable === "NO",
          default: c.dflt === null || c.dflt === undefined ? null : str(c.dflt),
          generated: c.expr ? squash(str(c.expr)) : null,
        })),
      primaryKey: { name: pk.length > 0 ? "PRIMARY" : null, columns: pk.map((r) => str(r.col)) },
      foreignKeys: [...grouped(keys, "FOREIGN KEY")]
        .map(([name, cols]) => {
          const rule = rules.find((r) => r.t === t && r.name === name);
          const from = cols.map((c) => str(c.col)).join(", ");
          const to = cols.map((c) => str(c.rc)).join(", ");
          return `${name}: (${from}) -> ${str(cols[0]?.rt)}(${to}) on update ${str(rule?.up)} on delete ${str(rule?.del)}`;
        })
        .sort(),
      uniques: [...grouped(keys, "UNIQUE")].map(([name, cols]) => `${name}: (${cols.map((c) => str(c.col)).join(", ")})`).sort(),
      checks: checks.filter((c) => c.t === t).map((c) => `${str(c.name)}: ${squash(str(c.clause))}`).sort(),
      indexes: [...indexes]
        .map(([name, cols]) => {
          const unique = cols[0]?.nonUnique === 0 || cols[0]?.nonUnique === "0" ? " unique" : "";
          const parts = cols.map((c) => str(c.col) + (c.part ? `(${str(c.part)})` : "")).join(", ");
          return `${name}${unique} (${parts})`;
        })
        .sort(),
    };
    // Engine and table collation belong to the table's shape too.
    tables[t].indexes.push(`(table) engine ${str(table.engine)} collation ${str(table.collation)}`);
  }
  const triggers = (
    await all(
      `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS t, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event,
              ACTION_STATEMENT AS body
       FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY TRIGGER_NAME`,
    )
  ).map((r) => `${str(r.name)} ${str(r.timing)} ${str(r.event)} on ${str(r.t)}: ${squash(str(r.body))}`);
  return { tables, triggers, sequences: [] };
}
