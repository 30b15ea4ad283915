/**
 * MLflow's error model: every failure a client can see carries one of MLflow's error codes, and the
 * code alone decides the HTTP status (spec §1.6). Stores and validators throw MlflowError; the
 * HTTP layer renders it as `{"error_code", "message"}`.
 */

export type ErrorCode =
  | "INTERNAL_ERROR"
  | "TEMPORARILY_UNAVAILABLE"
  | "BAD_REQUEST"
  | "INVALID_PARAMETER_VALUE"
  | "ENDPOINT_NOT_FOUND"
  | "INVALID_STATE"
  | "PERMISSION_DENIED"
  | "REQUEST_LIMIT_EXCEEDED"
  | "RESOURCE_CONFLICT"
  | "NOT_IMPLEMENTED"
  | "RESOURCE_ALREADY_EXISTS"
  | "RESOURCE_DOES_NOT_EXIST";

const statusByCode: Record<ErrorCode, number> = {
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  ENDPOINT_NOT_FOUND: 404,
  INVALID_STATE: 500,
  PERMISSION_DENIED: 403,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_CONFLICT: 409,
  NOT_IMPLEMENTED: 501,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
};

export class MlflowError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Overrides the code's usual status, e.g. 413 for an oversized body. */
    readonly statusOverride?: number,
  ) {
    super(message);
    this.name = "MlflowError";
  }

  get status(): number {
    return this.statusOverride ?? statusByCode[this.code];
  }
}

export const invalidParameter = (message: string): MlflowError =>
  new MlflowError("INVALID_PARAMETER_VALUE", message);

export const notFound = (message: string): MlflowError =>
  new MlflowError("RESOURCE_DOES_NOT_EXIST", message);
