/**
 * What fml checks on a MySQL/MariaDB server before serving from it, so that an unusable server
 * fails at start in one line that says what to do rather than on the first request: the server's
 * version (MLflow's MySQL schema needs CHECK constraints, stored generated columns and JSON,
 * which MySQL has from 8.0 and MariaDB from 10.5), and the privileges that serving needs (those
 * that changing the schema needs are told when a change is refused: schema/mysql-steps.ts).
 */

import type { Database } from "./database.ts";
import { MysqlConnectError } from "./mysql-connect.ts";
import { sql } from "./sql.ts";
import { isPrivilegeError } from "../schema/mysql-steps.ts";

export interface ServerVersion {
  product: "MySQL" | "MariaDB";
  major: number;
  minor: number;
  text: string;
}

/** `8.0.36`, `8.4.0-log`, `10.11.19-MariaDB-0+deb12u1`, `5.5.5-10.4.3-MariaDB` (old handshake prefix). */
export function parseServerVersion(text: string): ServerVersion | undefined {
  const mariadb = /mariadb/i.test(text);
  const numbers = text.replace(/^5\.5\.5-/, "").match(/^(\d+)\.(\d+)/);
  if (!numbers) return undefined;
  return { product: mariadb ? "MariaDB" : "MySQL", major: Number(numbers[1]), minor: Number(numbers[2]), text };
}

const OLDEST = { MySQL: [8, 0], MariaDB: [10, 5] } as const;

/** Why this server is too old for fml, or undefined when it is recent enough. */
export function tooOld(version: ServerVersion): string | undefined {
  const [major, minor] = OLDEST[version.product];
  if (version.major > major || (version.major === major && version.minor >= minor)) return undefined;
  return (
    `the server is ${version.product} ${version.major}.${version.minor} (${version.text}); fml needs MySQL 8.0 or ` +
    "later, or MariaDB 10.5 or later (MLflow's schema uses CHECK constraints, JSON and generated columns)"
  );
}

export async function checkServerVersion(db: Database, where: string): Promise<void> {
  const [row] = await db.all<{ version: string }>(sql`SELECT VERSION() AS version`);
  const version = parseServerVersion(String(row?.version ?? ""));
  if (!version) throw new MysqlConnectError(`cannot tell the version of the MySQL server at ${where} ('${row?.version}')`);
  const reason = tooOld(version);
  if (reason) throw new MysqlConnectError(`cannot use the MySQL server at ${where}: ${reason}`);
}

/**
 * Serving writes to every MLflow table. MySQL checks a statement's privileges before it runs, so
 * statements that touch no row tell whether they are granted without changing anything.
 */
export async function checkServingPrivileges(db: Database, where: string): Promise<void> {
  const probes = [
    sql`INSERT INTO alembic_version (version_num) SELECT version_num FROM alembic_version WHERE 1 = 0`,
    sql`UPDATE alembic_version SET version_num = version_num WHERE 1 = 0`,
    sql`DELETE FROM alembic_version WHERE 1 = 0`,
  ];
  for (const probe of probes) {
    try {
      await db.run(probe);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!isPrivilegeError(message)) throw error;
      throw new MysqlConnectError(
        `the MySQL user at ${where} may read but not write the MLflow tables (${message.split("\n")[0]}); ` +
          "grant it SELECT, INSERT, UPDATE and DELETE on the database (MLflow needs them too)",
      );
    }
  }
}
