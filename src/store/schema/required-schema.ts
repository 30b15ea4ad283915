/**
 * What fml needs of a database it did not create at its own head: the tables its store reads and
 * writes, and, for each, the columns and types of fml's head schema (migrations/<dialect>/head.sql,
 * parsed here, so the requirement cannot drift from the schema fml creates). Compatibility mode
 * (compatibility.ts) holds a newer MLflow database against this.
 */

import type { Dialect } from "../db/sql.ts";
import { headSchemaSql } from "./migrations.ts";

/**
 * How fml uses a table: it inserts rows (so every NOT NULL column must be filled by fml or by a
 * default), or it only reads, updates or deletes them.
 */
export type TableUse = "insert" | "read";

/**
 * Every table a store module (src/store/*.ts) names in its SQL, with how it uses it; a test keeps
 * this list equal to the tables those modules name.
 */
export const FML_TABLES: Readonly<Record<string, TableUse>> = {
  alembic_version: "read",
  experiments: "insert",
  experiment_tags: "insert",
  runs: "insert",
  tags: "insert",
  params: "insert",
  metrics: "insert",
  latest_metrics: "insert",
  datasets: "insert",
  inputs: "insert",
  input_tags: "insert",
  logged_models: "insert",
  logged_model_tags: "insert",
  logged_model_params: "insert",
  logged_model_metrics: "insert",
  registered_models: "insert",
  registered_model_tags: "insert",
  model_versions: "insert",
  model_version_tags: "insert",
  registered_model_aliases: "insert",
  trace_info: "insert",
  trace_tags: "insert",
  trace_request_metadata: "insert",
  trace_metrics: "insert",
  spans: "insert",
  span_metrics: "read", // deleted with their trace
  assessments: "insert",
  entity_associations: "insert",
  scorers: "read", // deleted with their experiment (gc)
  online_scoring_configs: "read",
};

/**
 * Indexes fml's SQLite queries name (`INDEXED BY`): MLflow's own, so compatibility mode requires
 * them rather than creating them.
 */
export const NAMED_INDEXES: Readonly<Record<Dialect, readonly string[]>> = {
  sqlite: ["index_metrics_run_uuid_key_step"],
  postgresql: [],
  mysql: [],
};

export interface ColumnSpec {
  name: string;
  /** As declared, e.g. `VARCHAR(250)`, `character varying(250)`, `BIGINT`. */
  type: string;
  notNull: boolean;
}

/** Column name -> spec, per table. */
export type SchemaSpec = ReadonlyMap<string, ReadonlyMap<string, ColumnSpec>>;

const cache = new Map<Dialect, SchemaSpec>();

/** fml's head schema for the tables it uses, parsed once per dialect. */
export function requiredSchema(dialect: Dialect): SchemaSpec {
  let spec = cache.get(dialect);
  if (!spec) {
    const head = parseCreateTables(headSchemaSql(dialect));
    spec = new Map([...head].filter(([table]) => table in FML_TABLES));
    cache.set(dialect, spec);
  }
  return spec;
}

const CREATE_TABLE = /CREATE TABLE (?:public\.)?["`]?(\w+)["`]? \(/g;
// mysqldump also lists indexes in the table body (KEY `name` (…)); a column may be called key.
const TABLE_CONSTRAINT = /^(CONSTRAINT|PRIMARY KEY|FOREIGN KEY|UNIQUE|CHECK)\b|^(KEY|INDEX|FULLTEXT KEY)\s+`/i;
/** Where a column's type ends and its modifiers begin. */
const MODIFIER = /\s+(NOT NULL|NULL|DEFAULT|GENERATED|PRIMARY|REFERENCES|CHECK|COLLATE|CHARACTER SET|AUTO_INCREMENT|UNIQUE|CONSTRAINT)\b/i;

/** The columns of every CREATE TABLE in a schema script (pg_dump's, SQLite's or mysqldump's text). */
export function parseCreateTables(script: string): Map<string, Map<string, ColumnSpec>> {
  const tables = new Map<string, Map<string, ColumnSpec>>();
  for (const match of script.matchAll(CREATE_TABLE)) {
    const table = match[1] ?? "";
    const body = parenthesized(script, (match.index ?? 0) + match[0].length);
    const columns = new Map<string, ColumnSpec>();
    for (const part of splitTopLevel(body)) {
      const definition = part.trim();
      if (!definition || TABLE_CONSTRAINT.test(definition)) continue;
      const name = /^"([^"]+)"|^`([^`]+)`|^(\S+)/.exec(definition);
      const columnName = name?.[1] ?? name?.[2] ?? name?.[3] ?? "";
      const rest = definition.slice(name?.[0].length ?? 0).trim();
      const modifier = MODIFIER.exec(` ${rest}`);
      const type = (modifier ? ` ${rest}`.slice(0, modifier.index) : rest).trim();
      columns.set(columnName, { name: columnName, type, notNull: /\bNOT NULL\b/i.test(rest) });
    }
    tables.set(table, columns);
  }
  return tables;
}

/** The text from `start` to the parenthesis that closes the one just before it. */
function parenthesized(text: string, start: number): string {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return text.slice(start, i);
  }
  throw new Error("unbalanced parentheses in the head schema");
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(body.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(body.slice(from));
  return parts;
}
