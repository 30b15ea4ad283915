/**
 * PostgreSQL failures as MLflow errors: a lost connection or a database that went away is
 * TEMPORARILY_UNAVAILABLE (503, which MLflow clients retry), a lost race on an experiment or
 * registered model name is RESOURCE_ALREADY_EXISTS; anything else goes up as it is.
 */

import { MlflowError } from "../../errors.ts";
import { log } from "../../log.ts";
import { socketErrorCodes } from "./database.ts";

export interface DriverError {
  code?: unknown;
  table_name?: unknown;
  constraint_name?: unknown;
  detail?: unknown;
  message?: unknown;
}

/** Socket and postgres.js codes for a connection that failed or went away. */
export const connectionCodes = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  ...socketErrorCodes,
]);

/**
 * SQLSTATEs after which the same request can succeed a moment later: connection exceptions (08),
 * server shutting down or starting (57P01-57P03), too many connections, serialization failure,
 * deadlock.
 */
function isTransient(code: string): boolean {
  return (
    connectionCodes.has(code) ||
    code.startsWith("08") ||
    // Insufficient resources (disk full, out of memory, too many connections), and a database or
    // login that went away under a running server: all "come back later" for the client.
    code.startsWith("53") ||
    code.startsWith("28") ||
    ["57P01", "57P02", "57P03", "3D000", "40001", "40P01"].includes(code)
  );
}

export const READ_ATTEMPTS = 3;

export function isLostConnection(error: unknown): boolean {
  const code = (error as DriverError | null)?.code;
  return typeof code === "string" && (connectionCodes.has(code) || code === "57P01" || code.startsWith("08"));
}

/** `Key (workspace, name)=(default, my-exp) already exists.` → `my-exp` */
function duplicateExperimentName(detail: string): string | undefined {
  const match = /^Key \((?:workspace, )?name\)=\((?:[^,]*, )?(.*)\) already exists\.?$/s.exec(detail);
  return match?.[1];
}

/** `Key (workspace, name)=(default, my-model) already exists.` → `my-model` */
function duplicateModelName(detail: string): string | undefined {
  return /^Key \(workspace, name\)=\([^,]*, (.*)\) already exists\.?$/s.exec(detail)?.[1];
}

export function translateError(error: unknown): unknown {
  if (error instanceof MlflowError || typeof error !== "object" || error === null) return error;
  const e = error as DriverError;
  const code = typeof e.code === "string" ? e.code : "";
  const message = String(e.message ?? error);
  if (isTransient(code)) {
    const reason = connectionCodes.has(code) ? `connection lost: ${code}` : `${message} (${code})`;
    log.warn(`database temporarily unavailable: ${reason}`);
    // The reason may name the host, the database or a user: the log has it, the client a code.
    return new MlflowError(
      "TEMPORARILY_UNAVAILABLE",
      `The tracking database is temporarily unavailable (${code}); retry the request.`,
    );
  }
  if (code === "23505" && e.table_name === "experiments" && e.constraint_name !== "experiment_pk") {
    const name = duplicateExperimentName(String(e.detail ?? "")) ?? "?";
    return new MlflowError(
      "RESOURCE_ALREADY_EXISTS",
      `Experiment(name=${name}) already exists. Error: ${message}`,
    );
  }
  // Two models renamed to one new name at once: the second UPDATE meets the first's key.
  if (code === "23505" && e.constraint_name === "registered_model_pk") {
    const name = duplicateModelName(String(e.detail ?? "")) ?? "?";
    return new MlflowError("RESOURCE_ALREADY_EXISTS", `Registered Model (name=${name}) already exists.`);
  }
  return error;
}
