/**
 * `fml import`: copies MLflow's tracking and registry tables from one database to another, keeping
 * every id, in bulk (multi-row INSERTs, one transaction per chunk), then checks each table's row
 * count. Works between any two dialects; both ends speak fml's `Database`.
 */

import type { DatabaseTarget } from "../config.ts";
import { toBoolean, type Database, type Row } from "../store/db/database.ts";
import {
  insertIgnoring,
  join,
  onConflictDoNothing,
  onConflictUpdate,
  raw,
  Sql,
  sql,
  type Dialect,
  type SqlValue,
} from "../store/db/sql.ts";
import { refreshStatistics } from "../store/db/statistics.ts";
import { chunks, WORKSPACE } from "../store/common.ts";
import {
  identifier,
  ImportError,
  openSource,
  openTarget,
  targetColumns,
  type ImportSource,
  type SourceSnapshot,
} from "./databases.ts";

export type OnConflict = "fail" | "skip";

/** Parents before children, so that every foreign key finds its row. */
export const IMPORTED_TABLES = [
  "workspaces",
  "experiments",
  "experiment_tags",
  "runs",
  "params",
  "tags",
  "metrics",
  "latest_metrics",
  "datasets",
  "inputs",
  "input_tags",
  "logged_models",
  "logged_model_tags",
  "logged_model_params",
  "logged_model_metrics",
  "registered_models",
  "registered_model_tags",
  "model_versions",
  "model_version_tags",
  "registered_model_aliases",
  "trace_info",
  "trace_tags",
  "trace_request_metadata",
  "trace_metrics",
  "spans",
  "span_metrics",
  "assessments",
  "entity_associations",
] as const;

/** Nanosecond span times exceed 2^53: they travel as text, never as a JavaScript number. */
const EXACT_INTEGERS: Record<string, ReadonlySet<string>> = {
  spans: new Set(["start_time_unix_nano", "end_time_unix_nano"]),
};

/** Tables whose rows are schema bookkeeping rather than user data, and that fml never imports. */
const NOT_DATA = new Set(["alembic_version"]);

/** Rows read from the input per target transaction. */
const READ_CHUNK = 10_000;
/** Bound parameters per INSERT: below SQLite's 32766 and PostgreSQL's 65535. */
const MAX_PARAMETERS = 30_000;
const MAX_ROWS_PER_INSERT = 1_000;

export interface ImportOptions {
  input: DatabaseTarget;
  output: DatabaseTarget;
  onConflict: OnConflict;
  /** Progress and notes for the person running it (stderr). */
  log: (line: string) => void;
  /** Called often while copying; a TTY shows it as one self-updating line. */
  progress?: (copied: number, total: number, table: string) => void;
}

export interface TableReport {
  table: string;
  /** Rows in the input. */
  source: number;
  /** Rows in the output before the import. */
  before: number;
  /** Rows the import wrote (inserted, or the Default experiment replaced). */
  written: number;
  /** Rows in the output after the import. */
  after: number;
}

export interface ImportReport {
  tables: TableReport[];
  /** Non-empty input tables fml does not import (prompts, ...), with row counts. */
  notImported: { table: string; rows: number }[];
}

async function countRows(db: Database, table: string, where: Sql = sql`1 = 1`): Promise<number> {
  const rows = await db.all(sql`SELECT COUNT(*) AS n FROM ${identifier(table)} WHERE ${where}`);
  return Number(rows[0]?.n ?? 0);
}

/**
 * The output must hold nothing but what a fresh schema and a first `fml server` start put there
 * (the Default experiment, the default workspace), unless conflicts are to be skipped.
 */
async function refuseNonEmptyTarget(db: Database, tables: readonly string[], description: string): Promise<void> {
  const found: string[] = [];
  for (const table of tables) {
    if (table === "workspaces") continue;
    const where =
      table === "experiments" || table === "experiment_tags" ? sql`experiment_id <> 0` : sql`1 = 1`;
    const n = await countRows(db, table, where);
    if (n > 0) found.push(`${n} ${table}${table === "experiments" ? " besides Default" : ""}`);
  }
  if (found.length > 0) {
    throw new ImportError(
      `the output database ${description} is not empty (${found.join(", ")}); fml import will not mix ` +
        "two databases into one. Import into an empty database, or pass --on-conflict skip to keep " +
        "the rows already there and add the missing ones.",
    );
  }
}

/**
 * With --on-conflict skip an experiment id must mean the same experiment on both sides, or the
 * input's runs would land in an unrelated experiment of the output.
 */
async function refuseUnrelatedExperiments(
  snapshot: SourceSnapshot,
  db: Database,
  sourceColumns: readonly string[],
): Promise<void> {
  const hasWorkspace = sourceColumns.includes("workspace");
  const input = new Map<string, string>();
  for await (const rows of snapshot.chunks("experiments", ["experiment_id", "name", ...(hasWorkspace ? ["workspace"] : [])], READ_CHUNK)) {
    for (const r of rows) input.set(String(r.experiment_id), `${r.workspace ?? WORKSPACE}/${r.name}`);
  }
  const output = await db.all(sql`SELECT experiment_id, name, workspace FROM experiments`);
  const byName = new Map<string, string>();
  for (const r of output) {
    const id = String(r.experiment_id);
    const key = `${r.workspace ?? WORKSPACE}/${r.name}`;
    byName.set(key, id);
    const theirs = input.get(id);
    if (id !== "0" && theirs !== undefined && theirs !== key) {
      throw new ImportError(
        `experiment ${id} is '${r.name}' in the output but '${theirs.split("/").slice(1).join("/")}' in ` +
          "the input: these databases are unrelated, and --on-conflict skip would put the input's runs " +
          "into the wrong experiment. Import into an empty database instead.",
      );
    }
  }
  for (const [id, key] of input) {
    const other = byName.get(key);
    if (other !== undefined && other !== id) {
      throw new ImportError(
        `experiment '${key.split("/").slice(1).join("/")}' has id ${id} in the input but ${other} in the ` +
          "output: these databases are unrelated. Import into an empty database instead.",
      );
    }
  }
}

interface TablePlan {
  table: string;
  columns: string[];
  booleanColumns: Set<string>;
  /** `INSERT INTO`, or MySQL's `INSERT IGNORE INTO` where existing keys are skipped. */
  insert: Sql;
  /** What to do when a row's key already exists in the output. */
  conflict: Sql;
  rowsPerInsert: number;
}

function planTable(dialect: Dialect, table: string, columns: string[], booleans: Set<string>, onConflict: OnConflict): TablePlan {
  let insert = insertIgnoring(dialect);
  let conflict = onConflictDoNothing(dialect);
  if (onConflict === "fail" && table === "experiments") {
    // The output's Default experiment (a fresh schema or first start made it) becomes the input's.
    const updated = columns.filter((c) => c !== "experiment_id").map((c) => identifier(c).strings.join(""));
    insert = raw("INSERT INTO");
    conflict = onConflictUpdate(dialect, "experiment_id", updated);
  } else if (onConflict === "fail" && table !== "workspaces") {
    insert = raw("INSERT INTO");
    conflict = sql``;
  }
  return {
    table,
    columns,
    booleanColumns: booleans,
    insert,
    conflict,
    rowsPerInsert: Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / columns.length))),
  };
}

function bindValue(value: unknown, isBoolean: boolean): SqlValue {
  if (value === null || value === undefined) return null;
  if (isBoolean) return toBoolean(value);
  if (value instanceof Date) return value.getTime();
  if (typeof value === "object" && !(value instanceof Uint8Array)) return JSON.stringify(value);
  return value as SqlValue;
}

/**
 * One multi-row INSERT per `rowsPerInsert` rows. The statement is assembled as text pieces plus a
 * flat value list rather than one fragment per value: a million rows are seven million values.
 */
async function insertRows(tx: Database, plan: TablePlan, rows: readonly Row[]): Promise<number> {
  let written = 0;
  const head = sql`${plan.insert} ${identifier(plan.table)} (${join(plan.columns.map((c) => identifier(c)), ", ")}) VALUES `;
  const tail = sql` ${plan.conflict}`;
  for (const part of chunks(rows, plan.rowsPerInsert)) {
    const values: SqlValue[] = [];
    for (const row of part) {
      for (const c of plan.columns) values.push(bindValue(row[c], plan.booleanColumns.has(c)));
    }
    written += await tx.run(sql`${head}${valuesList(part.length, plan.columns.length, values)}${tail}`);
  }
  return written;
}

const valuesTemplates = new Map<string, string[]>();

/** `(?, ?), (?, ?)` for `rows` × `columns` values, its text pieces cached per shape. */
function valuesList(rows: number, columns: number, values: SqlValue[]): Sql {
  const shape = `${rows}x${columns}`;
  let strings = valuesTemplates.get(shape);
  if (!strings) {
    strings = ["("];
    for (let r = 0; r < rows; r++) {
      for (let c = 1; c < columns; c++) strings.push(", ");
      strings.push(r === rows - 1 ? ")" : "), (");
    }
    valuesTemplates.set(shape, strings);
  }
  return new Sql(strings, values);
}

/** Database errors while writing, as one line a user can act on. */
function writeFailure(table: string, error: unknown): ImportError {
  const e = error as { code?: unknown; errno?: unknown; message?: unknown; detail?: unknown };
  const detail = typeof e.detail === "string" && e.detail ? ` (${e.detail})` : "";
  const message = `${String(e.message ?? error)}${detail}`;
  // PostgreSQL's SQLSTATE, SQLite's message, MySQL's error number (1062 duplicate, 1452 missing parent).
  if (e.code === "23505" || e.errno === 1062 || /UNIQUE constraint failed/.test(message)) {
    return new ImportError(
      `copying ${table}: a row already exists in the output: ${message}. Pass --on-conflict skip to keep ` +
        "existing rows.",
    );
  }
  if (e.code === "23503" || e.errno === 1452 || /FOREIGN KEY constraint failed/.test(message)) {
    return new ImportError(
      `copying ${table}: a row refers to one the output does not have (it was skipped as a conflict, or ` +
        `the input is inconsistent): ${message}`,
    );
  }
  return new ImportError(`copying ${table} failed: ${message}`);
}

async function sourceTablesNotImported(
  source: ImportSource,
  snapshot: SourceSnapshot,
): Promise<{ table: string; rows: number }[]> {
  const imported = new Set<string>(IMPORTED_TABLES);
  const out: { table: string; rows: number }[] = [];
  for (const table of source.tables) {
    if (imported.has(table) || NOT_DATA.has(table)) continue;
    const rows = await snapshot.count(table);
    if (rows > 0) out.push({ table, rows });
  }
  return out;
}

/** PostgreSQL hands out experiment ids from a sequence: move it past the ids just copied. */
async function advanceExperimentSequence(db: Database): Promise<void> {
  if (db.dialect !== "postgresql") return; // SQLite's next rowid already follows the largest id
  await db.all(sql`
    SELECT setval(seq, COALESCE((SELECT MAX(experiment_id) FROM experiments), 0) + 1, false)
    FROM (SELECT pg_get_serial_sequence('experiments', 'experiment_id') AS seq) s
    WHERE seq IS NOT NULL`);
}

function checkCounts(reports: readonly TableReport[], onConflict: OnConflict, defaultReplaced: boolean): string[] {
  const problems: string[] = [];
  for (const r of reports) {
    if (r.after !== r.before + r.written - (r.table === "experiments" && defaultReplaced ? 1 : 0)) {
      problems.push(
        `${r.table}: the output holds ${r.after} rows, expected ${r.before} before + ${r.written} written ` +
          "(did something else write to it during the import?)",
      );
    }
    if (onConflict === "fail" && r.table !== "workspaces" && r.written !== r.source) {
      problems.push(`${r.table}: ${r.source} rows in the input but ${r.written} written`);
    }
  }
  return problems;
}

export async function importDatabase(options: ImportOptions): Promise<ImportReport> {
  const { input, output, onConflict, log } = options;
  if (input.kind === output.kind && (input.kind === "sqlite" ? input.path : input.url) === (output.kind === "sqlite" ? output.path : output.url)) {
    throw new ImportError("the input and output databases are the same");
  }
  const source = await openSource(input, (line) => log(`input: ${line}`));
  try {
    const target = await openTarget(output, (line) => log(`output: ${line}`));
    try {
      return await source.read((snapshot) => copyAll(source, snapshot, target.db, target.description, options));
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function copyAll(
  source: ImportSource,
  snapshot: SourceSnapshot,
  db: Database,
  targetDescription: string,
  options: ImportOptions,
): Promise<ImportReport> {
  const { onConflict, log } = options;
  const tables = IMPORTED_TABLES.filter((t) => source.tables.includes(t));
  const plans: TablePlan[] = [];
  const sourceCounts = new Map<string, number>();
  for (const table of tables) {
    const theirs = new Map((await snapshot.columns(table)).map((c) => [c.name, c]));
    const ours = await targetColumns(db, table);
    const columns = ours.filter((c) => theirs.has(c.name));
    const dropped = [...theirs.keys()].filter((name) => !ours.some((c) => c.name === name));
    if (dropped.length > 0) log(`${table}: the output has no column ${dropped.join(", ")}; not copied`);
    const booleans = new Set(columns.filter((c) => /^bool/i.test(c.type)).map((c) => c.name));
    plans.push(planTable(db.dialect, table, columns.map((c) => c.name), booleans, onConflict));
    sourceCounts.set(table, await snapshot.count(table));
  }

  if (onConflict === "fail") await refuseNonEmptyTarget(db, tables, targetDescription);
  else {
    const experimentColumns = plans.find((p) => p.table === "experiments")?.columns ?? [];
    await refuseUnrelatedExperiments(snapshot, db, experimentColumns);
  }

  const notImported = await sourceTablesNotImported(source, snapshot);
  const total = [...sourceCounts.values()].reduce((a, b) => a + b, 0);
  let copied = 0;
  let outputHadDefault = false;
  let inputHasDefault = false;
  const reports: TableReport[] = [];
  for (const plan of plans) {
    const before = await countRows(db, plan.table);
    const report: TableReport = { table: plan.table, source: sourceCounts.get(plan.table) ?? 0, before, written: 0, after: 0 };
    if (plan.table === "experiments" && onConflict === "fail") {
      outputHadDefault = (await countRows(db, "experiments", sql`experiment_id = 0`)) > 0;
    }
    if (plan.table === "experiment_tags" && onConflict === "fail" && inputHasDefault) {
      // The Default experiment was replaced by the input's; so are its tags.
      report.before -= await db.run(sql`DELETE FROM experiment_tags WHERE experiment_id = 0`);
    }
    options.progress?.(copied, total, plan.table);
    for await (const rows of snapshot.chunks(plan.table, plan.columns, READ_CHUNK, EXACT_INTEGERS[plan.table])) {
      try {
        report.written += await db.transaction((tx) => insertRows(tx, plan, rows));
      } catch (error) {
        throw writeFailure(plan.table, error);
      }
      if (plan.table === "experiments") {
        inputHasDefault ||= rows.some((r) => Number(r.experiment_id) === 0);
      }
      copied += rows.length;
      options.progress?.(copied, total, plan.table);
    }
    if (plan.table === "experiments") await advanceExperimentSequence(db);
    report.after = await countRows(db, plan.table);
    reports.push(report);
  }
  const problems = checkCounts(reports, onConflict, outputHadDefault && inputHasDefault);
  if (problems.length > 0) {
    throw new ImportError(`row counts do not match after the import: ${problems.join("; ")}`);
  }
  // The planner's picture of the output predates every row just written.
  await refreshStatistics(db);
  return { tables: reports, notImported };
}

export { ImportError };
