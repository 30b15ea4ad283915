/**
 * Connecting to MySQL or MariaDB through mysql2: the URI read the way SQLAlchemy's PyMySQL and
 * mysqlclient dialects (and so MLflow) read it, TLS from their `ssl_*` parameters, the session
 * settings fml's SQL relies on, and a bounded first check that says in one line where it tried
 * and why it failed.
 */

import { readFileSync } from "node:fs";
import mysql from "mysql2/promise";
import { maskPassword } from "../../config.ts";
import { log } from "../../log.ts";
import type { MysqlDriverError } from "./mysql-errors.ts";

export class MysqlConnectError extends Error {
  override name = "MysqlConnectError";
}

export type MysqlPool = mysql.Pool;
export type MysqlPoolConnection = mysql.PoolConnection;

/**
 * What every session runs first. ANSI_QUOTES and PIPES_AS_CONCAT make `"key"` an identifier and
 * `||` a concatenation, as in the SQL fml writes for every database; NO_AUTO_VALUE_ON_ZERO lets the
 * Default experiment keep id 0 (MLflow sets it for the same reason); strict mode refuses a value
 * that does not fit instead of truncating it. Times are epoch numbers, never server-local.
 * READ COMMITTED, as PostgreSQL's default: a statement sees what committed before it, and InnoDB
 * takes no gap locks, so concurrent writers deadlock far less.
 */
export const SESSION_SETUP = [
  "SET SESSION sql_mode = 'ANSI_QUOTES,PIPES_AS_CONCAT,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO'",
  "SET SESSION time_zone = '+00:00'",
  "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
].join("; ");

function readPemFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new MysqlConnectError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

const truthy = (value: string | null): boolean | undefined =>
  value === null ? undefined : ["1", "true", "yes", "on"].includes(value.toLowerCase());

type SslMode = "DISABLED" | "PREFERRED" | "REQUIRED" | "VERIFY_CA" | "VERIFY_IDENTITY";
const sslModes: readonly SslMode[] = ["DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"];

/**
 * TLS as the Python drivers take it: `ssl_mode` (mysqlclient: DISABLED, PREFERRED, REQUIRED,
 * VERIFY_CA, VERIFY_IDENTITY), or PyMySQL's `ssl_ca`/`ssl_cert`/`ssl_key` files with
 * `ssl_verify_cert`, `ssl_verify_identity` (`ssl_check_hostname`) and `ssl_disabled`. Without any
 * of them the connection is plain, as with PyMySQL.
 */
export function sslOptions(params: URLSearchParams): mysql.SslOptions | undefined {
  const modeText = params.get("ssl_mode")?.toUpperCase();
  if (modeText !== undefined && !sslModes.includes(modeText as SslMode)) {
    throw new MysqlConnectError(`ssl_mode '${params.get("ssl_mode")}' is not one of ${sslModes.join(", ")}`);
  }
  const ca = params.get("ssl_ca");
  const cert = params.get("ssl_cert");
  const key = params.get("ssl_key");
  const mode = modeText as SslMode | undefined;
  if (mode === "DISABLED" || truthy(params.get("ssl_disabled")) === true) return undefined;
  const wanted = mode !== undefined || ca !== null || cert !== null || key !== null || truthy(params.get("ssl")) === true;
  if (!wanted || mode === "PREFERRED") return undefined;
  const verifyCert = mode ? mode === "VERIFY_CA" || mode === "VERIFY_IDENTITY" : (truthy(params.get("ssl_verify_cert")) ?? ca !== null);
  const verifyIdentity = mode
    ? mode === "VERIFY_IDENTITY"
    : (truthy(params.get("ssl_verify_identity")) ?? truthy(params.get("ssl_check_hostname")) ?? verifyCert);
  const tls: mysql.SslOptions = { rejectUnauthorized: verifyCert };
  if (ca) tls.ca = readPemFile(ca, "ssl_ca");
  if (cert) tls.cert = readPemFile(cert, "ssl_cert");
  if (key) tls.key = readPemFile(key, "ssl_key");
  if (verifyCert && !verifyIdentity) (tls as Record<string, unknown>).checkServerIdentity = () => undefined;
  return tls;
}

export interface MysqlConnectOptions {
  /** Most connections in the pool. */
  max: number;
}

/** The pool's settings for a `mysql://` URL (config.ts has normalized the scheme). */
export function poolOptions(url: string, options: MysqlConnectOptions): mysql.PoolOptions {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const charset = (params.get("charset") ?? "utf8mb4").toLowerCase();
  if (!/^[a-z0-9_]+$/.test(charset)) throw new MysqlConnectError(`charset '${charset}' is not a character set name`);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!database) throw new MysqlConnectError(`the MySQL URI names no database: write mysql://user@host/<database>`);
  const socket = params.get("unix_socket");
  return {
    ...(socket ? { socketPath: socket } : { host: parsed.hostname || "localhost", port: Number(parsed.port || 3306) }),
    user: decodeURIComponent(parsed.username || "root"),
    password: decodeURIComponent(parsed.password || params.get("password") || ""),
    database,
    charset: charset.toUpperCase(),
    ssl: sslOptions(params),
    connectionLimit: options.max,
    maxIdle: options.max,
    idleTimeout: 600_000,
    enableKeepAlive: true,
    connectTimeout: (Number(params.get("connect_timeout")) || 10) * 1000,
    // Schema scripts (the head schema, its trigger) are sent as one multi-statement text; every
    // value fml binds is escaped by the driver, never spliced.
    multipleStatements: true,
    // BIGINT within 2^53 as numbers (epoch ms, steps); beyond it as exact strings, never rounded.
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    dateStrings: true,
    timezone: "Z",
  };
}

/** A mysql2 pool whose every new connection first runs `SESSION_SETUP`. Nothing connects yet. */
export function connectMysql(url: string, options: MysqlConnectOptions): MysqlPool {
  const pool = mysql.createPool(poolOptions(url, options));
  // Queued on the new connection before any statement of fml's: the driver runs a connection's
  // commands in order.
  pool.pool.on("connection", (connection) => {
    connection.query(SESSION_SETUP, (error) => {
      if (!error) return;
      // Without ANSI_QUOTES fml's SQL would not parse on it: the connection is not used.
      log.error(`MySQL session setup failed (${String((error as MysqlDriverError).code ?? "")}): ${error.message}`);
      connection.destroy();
    });
  });
  return pool;
}

/** Where a URL points, for messages: `mysql://user:***@host:3306/db`. */
export function describeTarget(url: string): string {
  const parsed = new URL(url);
  const socket = parsed.searchParams.get("unix_socket");
  parsed.search = "";
  return maskPassword(parsed.toString()) + (socket ? ` (socket ${socket})` : "");
}

/** Checks that the server answers, or says in one line where it tried and why it failed. */
export async function checkConnection(pool: MysqlPool, url: string): Promise<void> {
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => undefined);
    const e = error as MysqlDriverError;
    const cause = String(e.sqlMessage ?? e.message ?? error).split("\n")[0] ?? "";
    const code = typeof e.code === "string" && !cause.includes(e.code) ? ` (${e.code})` : "";
    throw new MysqlConnectError(`cannot connect to MySQL at ${describeTarget(url)}: ${cause}${code}`);
  }
}
