/**
 * Running one MLflow migration step on MySQL/MariaDB. There every DDL statement commits on its
 * own, so a step cut short (a crash, a lost connection) leaves part of it applied while
 * alembic_version still names the step before. The step files are written so that running the
 * whole step again finishes it: each table changes in one ALTER (atomic on InnoDB), names MySQL
 * chose are looked up, data statements are INSERT IGNORE; and here a statement that fails only
 * because its change is already there (a duplicate column, index, key, table or trigger, or a key
 * already dropped) is taken as done. Statements run one at a time for that reason. A failure is
 * told as such: MySQL cannot roll a schema change back.
 */

import type { Database } from "../db/database.ts";

/**
 * MySQL/MariaDB error numbers that mean "this change is already applied": ER_TABLE_EXISTS_ERROR,
 * ER_DUP_FIELDNAME, ER_DUP_KEYNAME, ER_MULTIPLE_PRI_KEY, ER_CANT_DROP_FIELD_OR_KEY,
 * ER_TRG_ALREADY_EXISTS, ER_FK_DUP_NAME (MySQL; MariaDB: duplicate CHECK name).
 */
const ALREADY_APPLIED = new Set([1050, 1060, 1061, 1068, 1091, 1359, 1826]);

/** The statements of a step file: `;` at a line's end closes one, except inside BEGIN … END. */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  let depth = 0;
  for (const line of script.split("\n")) {
    if (current.length === 0 && (/^\s*--/.test(line) || line.trim() === "")) continue;
    current.push(line);
    if (/\bBEGIN\s*$/i.test(line)) depth++;
    if (depth > 0 && /^\s*END\s*;\s*$/i.test(line)) depth--;
    if (depth === 0 && /;\s*$/.test(line)) {
      statements.push(current.join("\n").replace(/;\s*$/, ""));
      current = [];
    }
  }
  if (current.join("").trim() !== "") statements.push(current.join("\n"));
  return statements;
}

/** The server's error number behind a driver error, if any. */
function errorNumber(error: unknown): number | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno === "number") return errno;
  }
  return undefined;
}

/** MariaDB reports a duplicate foreign key name as errno 121 inside ER_CANT_CREATE_TABLE. */
function isAlreadyApplied(error: unknown): boolean {
  const errno = errorNumber(error);
  if (errno !== undefined && ALREADY_APPLIED.has(errno)) return true;
  const message = error instanceof Error ? error.message : String(error);
  return errno === 1005 && /errno: 121\b/.test(message);
}

export async function runMysqlStep(db: Database, script: string): Promise<void> {
  for (const statement of splitStatements(script)) {
    try {
      await db.exec(statement);
    } catch (error) {
      if (!isAlreadyApplied(error)) throw error;
    }
  }
}

const DENIED = /\b(command denied|access denied)/i;

/** A statement refused for want of a privilege (ER_TABLEACCESS_DENIED_ERROR and its kin). */
export function isPrivilegeError(message: string): boolean {
  return DENIED.test(message);
}

const GRANT_HINT = "grant the user ALL PRIVILEGES ON `<database>`.* (as MLflow needs), or run `fml db upgrade` once as one who has them";

/** The one line for a schema change that failed on MySQL (create or upgrade). */
export function mysqlSchemaFailure(message: string): string {
  const first = message.split("\n")[0] ?? message;
  if (isPrivilegeError(first)) {
    return `the MySQL user may not change the schema, so fml cannot create or upgrade the MLflow schema (${first}); ${GRANT_HINT}`;
  }
  return (
    `schema change failed: ${first}. MySQL commits schema changes as they go, so part of the step may be ` +
    "in place; the revision was not moved on, and starting fml again runs the step again from its start"
  );
}
