/**
 * Starting fml on a MySQL/MariaDB server that it cannot use: a wrong password, an unreachable
 * host, a user without the privileges, a server too old, a database that is not MLflow's. Each
 * ends the real fml process at start with exit status 2 and one line that says what to do, and
 * leaves the database as it was. `/ready` answers 200 while the server answers, 503 once not.
 */

import { afterAll, describe, expect, test } from "bun:test";
import mysql from "mysql2/promise";
import { join } from "node:path";
import { parseServerVersion, tooOld } from "../../src/store/db/mysql-checks.ts";
import { createMysqlTestDatabase, mysqlAdminUrl, mysqlAvailable, type TestDatabase } from "../helpers/fixtures.ts";
import { repoRoot, startFml } from "../helpers/server.ts";

const main = join(repoRoot, "src/cli/main.ts");

describe("MySQL server versions", () => {
  test("MySQL before 8.0 and MariaDB before 10.5 are too old, later ones are not", () => {
    const old = ["5.7.44-log", "5.6.51", "10.4.32-MariaDB", "5.5.5-10.3.39-MariaDB-0+deb10u1", "10.1.48-MariaDB"];
    const recent = ["8.0.36", "8.4.0-log", "9.1.0", "10.5.0-MariaDB", "10.11.19-MariaDB-0+deb12u1", "11.4.2-MariaDB"];
    for (const text of old) expect(tooOld(parseServerVersion(text)!)).toContain("fml needs MySQL 8.0 or later, or MariaDB 10.5 or later");
    for (const text of recent) expect(tooOld(parseServerVersion(text)!)).toBeUndefined();
    expect(tooOld(parseServerVersion("10.4.32-MariaDB")!)).toStartWith("the server is MariaDB 10.4 (10.4.32-MariaDB)");
    expect(tooOld(parseServerVersion("5.7.44-log")!)).toStartWith("the server is MySQL 5.7 (5.7.44-log)");
    expect(parseServerVersion("unknown")).toBeUndefined();
  });
});

const reachable = await mysqlAvailable();
if (!reachable && process.env.CI) throw new Error("CI needs the MySQL start-up tests: no MySQL/MariaDB server");

function admin(): Promise<mysql.Connection> {
  return mysql.createConnection({ uri: mysqlAdminUrl, multipleStatements: true });
}

async function adminQuery(text: string): Promise<unknown[]> {
  const conn = await admin();
  try {
    return (await conn.query(text))[0] as unknown[];
  } finally {
    await conn.end();
  }
}

/** The server's URI with another user, password and database. */
function uriFor(database: string, user: string, password = "", port?: number): string {
  const url = new URL(mysqlAdminUrl);
  url.username = user;
  url.password = password;
  url.pathname = `/${database}`;
  if (port !== undefined) url.port = String(port);
  return url.toString();
}

function fml(args: string[]) {
  const r = Bun.spawnSync([process.execPath, main, ...args], { stdout: "pipe", stderr: "pipe", timeout: 60_000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString().trim() };
}

const serve = (uri: string) => fml(["server", "--database-uri", uri, "--listen-address", "127.0.0.1:0"]);

async function tablesOf(db: TestDatabase): Promise<string[]> {
  const rows = (await adminQuery(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db.name}' ORDER BY 1`,
  )) as { name: string }[];
  return rows.map((r) => r.name);
}

(reachable ? describe : describe.skip)(`fml on a MySQL server it cannot use${reachable ? "" : " (skipped: no server)"}`, () => {
  const tag = crypto.randomUUID().replace(/-/g, "").slice(0, 10);
  const users: string[] = [];
  const databases: TestDatabase[] = [];
  const newDatabase = async (): Promise<TestDatabase> => {
    const db = await createMysqlTestDatabase();
    databases.push(db);
    return db;
  };
  /** A user of this test run, with `grants` on the given databases. */
  const newUser = async (role: string, password: string, grants: [string, string][]): Promise<string> => {
    const user = `fml_${role}_${tag}`;
    users.push(user);
    await adminQuery(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    for (const [privileges, database] of grants) await adminQuery(`GRANT ${privileges} ON \`${database}\`.* TO '${user}'@'%'`);
    return user;
  };
  afterAll(async () => {
    for (const user of users) await adminQuery(`DROP USER IF EXISTS '${user}'@'%'`);
    for (const db of databases) await db.drop();
  });

  test("a wrong password: exit 2, one line naming the server and the cause, the password masked", async () => {
    const db = await newDatabase();
    const user = await newUser("pw", "right-secret", [["ALL PRIVILEGES", db.name]]);
    const r = serve(uriFor(db.name, user, "wrong-secret"));
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")).toHaveLength(1);
    expect(r.stderr).toStartWith(`fml: cannot connect to MySQL at mysql://${user}:***@`);
    expect(r.stderr).toContain("Access denied for user");
    expect(r.stderr).not.toContain("secret");
  }, 60_000);

  test("an unreachable server: exit 2, one line with where fml tried and the cause", () => {
    const r = serve(uriFor("mlflow", "root", "", 1));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`fml: cannot connect to MySQL at ${uriFor("mlflow", "root", "", 1)}: connect ECONNREFUSED 127.0.0.1:1`);
  }, 60_000);

  test("a user with no privilege on the database: exit 2, one line", async () => {
    const db = await newDatabase();
    const user = await newUser("none", "pw", []);
    const r = serve(uriFor(db.name, user, "pw"));
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`Access denied for user '${user}'@'%' to database '${db.name}'`);
  }, 60_000);

  test("a user who may only read an empty database: the schema cannot be created, said in one line, nothing created", async () => {
    const db = await newDatabase();
    const user = await newUser("ro", "pw", [["SELECT", db.name]]);
    const r = serve(uriFor(db.name, user, "pw"));
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("the MySQL user may not change the schema, so fml cannot create or upgrade the MLflow schema");
    expect(r.stderr).toContain("CREATE command denied");
    expect(r.stderr).toContain("grant the user ALL PRIVILEGES");
    expect(await tablesOf(db)).toEqual([]);
  }, 60_000);

  test("a user who may only read an MLflow database: refused at start, not on the first write", async () => {
    const db = await newDatabase();
    expect(fml(["db", "upgrade", "--database-uri", db.url]).code).toBe(0);
    const user = await newUser("reader", "pw", [["SELECT", db.name]]);
    const r = serve(uriFor(db.name, user, "pw"));
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("may read but not write the MLflow tables");
    expect(r.stderr).toContain("grant it SELECT, INSERT, UPDATE and DELETE");
  }, 60_000);

  test("a database that is not MLflow's is refused and left unchanged", async () => {
    const db = await newDatabase();
    await adminQuery(`CREATE TABLE \`${db.name}\`.orders (id INT PRIMARY KEY, item VARCHAR(20)); INSERT INTO \`${db.name}\`.orders VALUES (1, 'tea')`);
    const r = serve(db.url);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("not an MLflow database; fml left it unchanged");
    expect(await tablesOf(db)).toEqual(["orders"]);
    expect(await adminQuery(`SELECT * FROM \`${db.name}\`.orders`)).toEqual([{ id: 1, item: "tea" }]);
  }, 60_000);

  test("/ready is 200 while MySQL answers and 503 once fml's user can no longer connect", async () => {
    const db = await newDatabase();
    const user = await newUser("ready", "pw", [["ALL PRIVILEGES", db.name]]);
    const server = await startFml({ backend: "mysql", databaseUri: uriFor(db.name, user, "pw") });
    try {
      const ok = await fetch(`${server.url}/ready`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe("OK");
      // Take the user away and end its sessions: every new connection is refused.
      await adminQuery(`DROP USER '${user}'@'%'`);
      const sessions = (await adminQuery(
        `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = '${user}'`,
      )) as { id: number }[];
      for (const { id } of sessions) await adminQuery(`KILL ${id}`).catch(() => undefined);
      const down = await fetch(`${server.url}/ready`);
      expect(down.status).toBe(503);
      expect(await down.text()).toBe("database not ready: unavailable (see the server log)");
    } finally {
      await server.kill();
    }
  }, 60_000);
});
