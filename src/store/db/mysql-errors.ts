/**
 * MySQL and MariaDB failures as MLflow errors: a lost connection, a deadlock or a lock wait that
 * timed out is TEMPORARILY_UNAVAILABLE (503, which MLflow clients retry; the client sees only the
 * error code, the log the server's message), a lost race on an experiment name is
 * RESOURCE_ALREADY_EXISTS; anything else goes up as it is.
 */

import { MlflowError } from "../../errors.ts";
import { log } from "../../log.ts";
import { socketErrorCodes } from "./database.ts";

export interface MysqlDriverError {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  sqlMessage?: unknown;
  message?: unknown;
  fatal?: unknown;
}

/** Socket and mysql2 codes for a connection that failed or went away. */
const connectionCodes = new Set([
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  ...socketErrorCodes,
]);

/** Server errors of a connection that is gone: server gone away, lost, shut down, killed, idle. */
const lostErrnos = new Set([2006, 2013, 1053, 1927, 4031]);

/** Deadlock and lock wait timeout: the transaction can run again and succeed. */
export const DEADLOCK_ERRNOS = new Set([1213, 1205]);

/**
 * Too many connections, access denied, or the database (1049) or its tables (1146) gone under a
 * running server, which checked the schema at start-up: come back later, as PostgreSQL's 3D000.
 */
const unavailableErrnos = new Set([1040, 1049, 1045, 1044, 1146, 1203, 1226]);

export const READ_ATTEMPTS = 3;
export const TRANSACTION_ATTEMPTS = 3;

/** The driver's error, also when it is already an MLflow error that keeps it as its cause. */
function driverError(error: unknown): MysqlDriverError | null {
  if (error instanceof MlflowError) return (error.cause as MysqlDriverError | undefined) ?? null;
  return error as MysqlDriverError | null;
}

const errnoOf = (error: unknown): number | undefined => {
  const errno = driverError(error)?.errno;
  return typeof errno === "number" ? errno : undefined;
};

export function isLostConnection(error: unknown): boolean {
  const e = driverError(error);
  if (typeof e?.code === "string" && connectionCodes.has(e.code)) return true;
  const errno = errnoOf(error);
  if (errno !== undefined && lostErrnos.has(errno)) return true;
  // mysql2 refuses a statement on a connection it already knows is closed.
  return e?.fatal === true || /closed state/i.test(String(e?.message ?? ""));
}

export function isDeadlock(error: unknown): boolean {
  const errno = errnoOf(error);
  return errno !== undefined && DEADLOCK_ERRNOS.has(errno);
}

/** `Duplicate entry 'default-my-exp' for key 'uq_experiments_workspace_name'` → `my-exp` */
function duplicateExperimentName(message: string): string | undefined {
  return /Duplicate entry '(?:default-)?(.*)' for key '(?:experiments\.)?uq_experiments_workspace_name'/s.exec(message)?.[1];
}

/**
 * `Duplicate entry 'default-my-model' for key 'PRIMARY'` (MySQL 8: `'registered_models.PRIMARY'`)
 * → `my-model`. MariaDB does not name the table; the only statement that can meet a workspace-first
 * primary key taken by another transaction is a rename of registered models (others lock first).
 */
function duplicateModelName(message: string): string | undefined {
  return /Duplicate entry 'default-(.*)' for key '(?:registered_models\.)?PRIMARY'/s.exec(message)?.[1];
}

export function translateError(error: unknown): unknown {
  if (error instanceof MlflowError || typeof error !== "object" || error === null) return error;
  const e = error as MysqlDriverError;
  const errno = errnoOf(error);
  const code = typeof e.code === "string" ? e.code : String(errno ?? "");
  const message = String(e.sqlMessage ?? e.message ?? error);
  if (isLostConnection(error) || isDeadlock(error) || (errno !== undefined && unavailableErrnos.has(errno))) {
    if (!isDeadlock(error)) log.warn(`database temporarily unavailable: ${message} (${code})`);
    // The message may name the host, the database or a user: the log has it, the client a code.
    const unavailable = new MlflowError(
      "TEMPORARILY_UNAVAILABLE",
      `The tracking database is temporarily unavailable (${code}); retry the request.`,
    );
    // Kept, so that a transaction that failed on a deadlock deep inside can still be run again.
    unavailable.cause = error;
    return unavailable;
  }
  if (errno === 1062) {
    const name = duplicateExperimentName(message);
    if (name !== undefined) {
      return new MlflowError("RESOURCE_ALREADY_EXISTS", `Experiment(name=${name}) already exists. Error: ${message}`);
    }
    const model = duplicateModelName(message);
    if (model !== undefined) return new MlflowError("RESOURCE_ALREADY_EXISTS", `Registered Model (name=${model}) already exists.`);
  }
  return error;
}
