/**
 * Connecting to PostgreSQL through postgres.js: the URI read the way libpq (and so MLflow) reads
 * it, TLS from `sslmode` and its files, int8 columns as numbers, and a bounded first check that
 * says in one line where it tried and why it failed.
 */

import { readFileSync } from "node:fs";
import postgres from "postgres";
import { maskPassword } from "../../config.ts";
import { log } from "../../log.ts";
import type { DriverError } from "./postgres-errors.ts";

export class PostgresConnectError extends Error {
  override name = "PostgresConnectError";
}

export type PostgresSql = postgres.Sql<{ bigint: number }>;
type PostgresOptions = postgres.Options<{ bigint: postgres.PostgresType<number> }>;

/** int8 (bigint) arrives as text; MLflow's int8 columns are epoch milliseconds and steps. */
const int8AsNumber: postgres.PostgresType<number> = {
  to: 20,
  from: [20],
  serialize: (value: number) => String(value),
  parse: (value: string) => Number(value),
};

/**
 * libpq's URI parameters that are settings of the client, not of the server: postgres.js would
 * send them to the server as run-time parameters, which the server rejects.
 */
const clientOnlyParameters = new Set([
  "sslmode",
  "sslrootcert",
  "sslcert",
  "sslkey",
  "sslpassword",
  "sslcrl",
  "sslcrldir",
  "sslsni",
  "sslcompression",
  "ssl_min_protocol_version",
  "ssl_max_protocol_version",
  "requiressl",
  "gssencmode",
  "gsslib",
  "krbsrvname",
  "channel_binding",
  "requirepeer",
  "keepalives",
  "keepalives_idle",
  "keepalives_interval",
  "keepalives_count",
  "tcp_user_timeout",
  "passfile",
  "service",
  "hostaddr",
  "load_balance_hosts",
  "fallback_application_name",
  "target_session_attrs",
  "connect_timeout",
  "host",
  "port",
  "user",
  "password",
  "dbname",
]);

type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
const sslModes: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

function readPemFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new PostgresConnectError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

/**
 * TLS as libpq does it: `sslmode` defaults to `prefer` (TLS when the server offers it, as MLflow's
 * psycopg2 does), `require` encrypts without verifying, `verify-ca` checks the chain, `verify-full`
 * also the host name; `sslrootcert`, `sslcert`, `sslkey` name PEM files.
 */
function sslOptions(params: URLSearchParams, env: Record<string, string | undefined>): PostgresOptions["ssl"] {
  const requested = params.get("sslmode") ?? env.PGSSLMODE ?? "prefer";
  if (!sslModes.includes(requested as SslMode)) {
    throw new PostgresConnectError(
      `sslmode '${requested}' is not one of ${sslModes.join(", ")}`,
    );
  }
  const mode = requested as SslMode;
  if (mode === "disable") return false;
  const rootCert = params.get("sslrootcert") ?? env.PGSSLROOTCERT;
  const cert = params.get("sslcert") ?? env.PGSSLCERT;
  const key = params.get("sslkey") ?? env.PGSSLKEY;
  const verify = mode === "verify-ca" || mode === "verify-full";
  if (!verify && !cert && !key) return mode;
  const tls: Record<string, unknown> = { rejectUnauthorized: verify };
  if (rootCert && rootCert !== "system" && verify) tls.ca = readPemFile(rootCert, "sslrootcert");
  if (cert) tls.cert = readPemFile(cert, "sslcert");
  if (key) tls.key = readPemFile(key, "sslkey");
  const password = params.get("sslpassword");
  if (password) tls.passphrase = password;
  if (mode === "verify-ca") tls.checkServerIdentity = () => undefined;
  return tls as PostgresOptions["ssl"];
}

export interface PostgresConnectOptions {
  /** Most connections in the pool. */
  max: number;
  env?: Record<string, string | undefined>;
}

/**
 * A postgres.js pool for a `postgres://` URL (config.ts has normalized `postgresql+psycopg2://`
 * and friends). Nothing connects until the first query.
 */
export function connectPostgres(url: string, options: PostgresConnectOptions): PostgresSql {
  const env = options.env ?? process.env;
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const config: PostgresOptions = {
    max: options.max,
    prepare: true,
    ssl: sslOptions(params, env),
    types: { bigint: int8AsNumber },
    // An idle pool gives its connections back; the next request opens them again.
    idle_timeout: 600,
    connect_timeout: Number(params.get("connect_timeout") ?? env.PGCONNECT_TIMEOUT ?? 10) || 10,
    onnotice: (notice) => log.debug(`postgres: ${notice.message ?? JSON.stringify(notice)}`),
    connection: { application_name: params.get("application_name") ?? "fml" },
  };
  // libpq's query-string spellings of the connection target (`?host=/var/run/postgresql`).
  const host = params.get("host");
  if (host) config.host = host;
  const port = params.get("port");
  if (port) config.port = Number(port);
  const user = params.get("user");
  if (user) config.user = user;
  const password = params.get("password");
  if (password) config.password = password;
  const dbname = params.get("dbname");
  if (dbname) config.database = dbname;
  const sessionAttrs = params.get("target_session_attrs");
  if (sessionAttrs) config.target_session_attrs = sessionAttrs as PostgresOptions["target_session_attrs"];
  for (const name of [...params.keys()]) {
    if (clientOnlyParameters.has(name)) params.delete(name);
  }
  return postgres(parsed.toString(), config);
}

/** Where a URL points, for messages: `postgres://user:***@host:5432/db`. */
export function describeTarget(url: string): string {
  const parsed = new URL(url);
  parsed.search = "";
  return maskPassword(parsed.toString());
}

/**
 * Checks that the server answers, or says in one line where it tried and why it failed. The wait
 * is bounded here too: postgres.js does not fail a query whose first connection attempt times out
 * (an unroutable host), it retries forever.
 */
export async function checkConnection(pool: PostgresSql, url: string): Promise<void> {
  const seconds = Number(pool.options.connect_timeout) || 10;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${seconds} s`), { code: "CONNECT_TIMEOUT" })),
      seconds * 1000 + 500,
    );
  });
  try {
    await Promise.race([pool`SELECT 1`, timedOut]);
  } catch (error) {
    await pool.end({ timeout: 0 }).catch(() => undefined);
    const e = error as DriverError;
    let cause = String(e.message ?? error).split("\n")[0] ?? "";
    if (/before secure TLS connection/i.test(cause)) {
      cause = "the server does not accept TLS connections, but sslmode asks for TLS";
    }
    const code =
      typeof e.code === "string" && !/^[0-9A-Z]{5}$/.test(e.code) && !cause.includes(e.code)
        ? ` (${e.code})`
        : "";
    throw new PostgresConnectError(`cannot connect to PostgreSQL at ${describeTarget(url)}: ${cause}${code}`);
  } finally {
    clearTimeout(timer);
  }
}
