/**
 * MySQL and MariaDB below the HTTP suite: the URIs MLflow users write (every scheme, charset, TLS,
 * socket), failures as MLflow errors, and the schema. A schema fml creates on an empty database
 * equals the one real MLflow 3.11 created (the fixture's mysqldump, loaded with the mysql client),
 * serving that fixture leaves its schema as MLflow made it, and an older schema is refused
 * untouched unless migrating (the upgrade itself: mysql-migrations.test.ts). The HTTP behaviour on
 * MySQL is the shared API suite's (test/api, backend "mysql").
 */

import { afterAll, describe, expect, test } from "bun:test";
import mysql from "mysql2/promise";
import { parseDatabaseUri } from "../../src/config.ts";
import { MlflowError } from "../../src/errors.ts";
import { poolOptions, sslOptions } from "../../src/store/db/mysql-connect.ts";
import { translateError } from "../../src/store/db/mysql-errors.ts";
import { openDatabase } from "../../src/store/db/open.ts";
import { openStores } from "../../src/store/open.ts";
import { headSchemaSql } from "../../src/store/schema/migrations.ts";
import {
  createMysqlTestDatabase,
  fixturesAvailable,
  fixturesMissing,
  mysqlAvailable,
  mysqlClient,
  readManifest,
  restoreMysqlFixture,
  type TestDatabase,
} from "../helpers/fixtures.ts";
import { mysqlSnapshot, type SchemaSnapshot } from "../helpers/schema-compare.ts";

describe("MySQL URIs", () => {
  test("mysql://, mysql+pymysql://, mysql+mysqldb:// and mariadb:// all name a MySQL database", () => {
    for (const scheme of ["mysql", "mysql+pymysql", "mysql+mysqldb", "mariadb", "mariadb+mariadbconnector"]) {
      const target = parseDatabaseUri(`${scheme}://u:p%40ss@db.example:3307/mlflow?charset=utf8mb4`, "/");
      expect(target).toEqual({
        kind: "mysql",
        url: "mysql://u:p%40ss@db.example:3307/mlflow?charset=utf8mb4",
        uri: `${scheme}://u:p%40ss@db.example:3307/mlflow?charset=utf8mb4`,
      });
    }
    expect(() => parseDatabaseUri("mysql://[bad/x", "/")).toThrow("is not a valid URL");
  });

  test("user, decoded password, host, port, database, charset and a unix socket reach the pool", () => {
    const tcp = poolOptions("mysql://u:p%40ss@db.example:3307/mlflow?charset=utf8mb4", { max: 3 });
    expect(tcp).toMatchObject({
      host: "db.example",
      port: 3307,
      user: "u",
      password: "p@ss",
      database: "mlflow",
      charset: "UTF8MB4",
      connectionLimit: 3,
    });
    expect(tcp.ssl).toBeUndefined();
    const socket = poolOptions("mysql://root@localhost/mlflow?unix_socket=/run/mysqld/mysqld.sock", { max: 1 });
    expect(socket.socketPath).toBe("/run/mysqld/mysqld.sock");
    expect(socket.host).toBeUndefined();
    expect(() => poolOptions("mysql://root@localhost/", { max: 1 })).toThrow("names no database");
    expect(() => poolOptions("mysql://root@localhost/x?charset=utf8;drop", { max: 1 })).toThrow("is not a character set name");
  });

  test("TLS from ssl_mode or PyMySQL's ssl_* parameters; none without them", () => {
    const ssl = (query: string) => sslOptions(new URLSearchParams(query));
    expect(ssl("")).toBeUndefined();
    expect(ssl("ssl_mode=DISABLED")).toBeUndefined();
    expect(ssl("ssl_mode=PREFERRED")).toBeUndefined();
    expect(ssl("ssl_mode=REQUIRED")).toEqual({ rejectUnauthorized: false });
    expect(ssl("ssl_mode=verify_identity")).toEqual({ rejectUnauthorized: true });
    const verifyCa = ssl("ssl_mode=VERIFY_CA") as Record<string, unknown>;
    expect(verifyCa.rejectUnauthorized).toBe(true);
    expect(typeof verifyCa.checkServerIdentity).toBe("function");
    expect(ssl("ssl=true&ssl_verify_cert=false")).toEqual({ rejectUnauthorized: false });
    expect(() => ssl("ssl_mode=SOMETIMES")).toThrow("ssl_mode 'SOMETIMES' is not one of");
    expect(() => ssl("ssl_ca=/nonexistent/ca.pem")).toThrow("cannot read ssl_ca /nonexistent/ca.pem");
  });

  test("the password never appears in what fml prints about the URI", async () => {
    const error = await openDatabase(parseDatabaseUri("mysql://u:secret@127.0.0.1:1/x", "/"), { schema: "inspect" }).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toContain("cannot connect to MySQL at mysql://u:***@127.0.0.1:1/x");
    expect(String((error as Error).message)).not.toContain("secret");
  });
});

describe("MySQL failures as MLflow errors", () => {
  test("deadlock, lock wait and a lost connection are 503s naming only the error code", () => {
    for (const [errno, code] of [
      [1213, "ER_LOCK_DEADLOCK"],
      [1205, "ER_LOCK_WAIT_TIMEOUT"],
      [2013, "PROTOCOL_CONNECTION_LOST"],
    ] as const) {
      const translated = translateError({ errno, code, sqlMessage: "secret host db.internal, table runs" });
      expect(translated).toBeInstanceOf(MlflowError);
      expect((translated as MlflowError).code).toBe("TEMPORARILY_UNAVAILABLE");
      expect((translated as MlflowError).message).toBe(
        `The tracking database is temporarily unavailable (${code}); retry the request.`,
      );
    }
  });

  test("a lost race on an experiment name is RESOURCE_ALREADY_EXISTS; other errors pass through", () => {
    const taken = translateError({ errno: 1062, code: "ER_DUP_ENTRY", sqlMessage: "Duplicate entry 'default-exp-1' for key 'uq_experiments_workspace_name'" });
    expect((taken as MlflowError).code).toBe("RESOURCE_ALREADY_EXISTS");
    expect((taken as MlflowError).message).toStartWith("Experiment(name=exp-1) already exists.");
    const other = { errno: 1064, code: "ER_PARSE_ERROR" };
    expect(translateError(other)).toBe(other);
  });
});

const reachable = await mysqlAvailable();
const client = mysqlClient() !== undefined;
const why = !reachable
  ? "no MySQL/MariaDB server at FML_TEST_MYSQL_URL"
  : !client
    ? "no mysql command-line client to load the fixture dump"
    : !fixturesAvailable
      ? fixturesMissing.replace(/^skipped: /, "")
      : undefined;
if (why && process.env.CI) throw new Error(`CI needs the MySQL schema tests: ${why}`);
const FIXTURE = "3.11.2.dev0";

async function snapshotOf(db: TestDatabase): Promise<SchemaSnapshot> {
  const conn = await mysql.createConnection(db.url);
  try {
    return await mysqlSnapshot(conn);
  } finally {
    await conn.end();
  }
}

async function query<T>(db: TestDatabase, text: string): Promise<T[]> {
  const conn = await mysql.createConnection({ uri: db.url, multipleStatements: true });
  try {
    return (await conn.query(text))[0] as T[];
  } finally {
    await conn.end();
  }
}

(why ? describe.skip : describe)(`MySQL schema${why ? ` (skipped: ${why})` : ""}`, () => {
  const databases: TestDatabase[] = [];
  const track = async (db: Promise<TestDatabase>): Promise<TestDatabase> => {
    const d = await db;
    databases.push(d);
    return d;
  };
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  test("a schema fml creates equals the one MLflow 3.11 created (information_schema, triggers included)", async () => {
    const mlflowMade = await track(restoreMysqlFixture(FIXTURE));
    const fresh = await track(createMysqlTestDatabase());
    const stores = await openStores({
      database: parseDatabaseUri(fresh.url, "/"),
      defaultArtifactRoot: "/tmp/fml-mysql-schema",
      migrate: false,
      poolMax: 2,
    });
    await stores.tracking.close();
    const [made, expected] = await Promise.all([snapshotOf(fresh), snapshotOf(mlflowMade)]);
    expect(Object.keys(made.tables)).toEqual(Object.keys(expected.tables));
    for (const table of Object.keys(expected.tables)) expect({ table, ...made.tables[table] }).toEqual({ table, ...expected.tables[table] });
    expect(made.triggers).toEqual(expected.triggers);
    const [revision] = await query<{ version_num: string }>(fresh, "SELECT version_num FROM alembic_version");
    expect(revision?.version_num).toBe(readManifest(FIXTURE).alembic_revision);
    const workspaces = await query<{ name: string }>(fresh, "SELECT name FROM workspaces");
    expect(workspaces.map((w) => w.name)).toEqual(["default"]);
  }, 60_000);

  test("serving an MLflow-made database leaves its schema and revision as MLflow made them", async () => {
    const db = await track(restoreMysqlFixture(FIXTURE));
    const before = await snapshotOf(db);
    const stores = await openStores({
      database: parseDatabaseUri(db.url, "/"),
      defaultArtifactRoot: "/tmp/fml-mysql-schema",
      migrate: false,
      poolMax: 2,
    });
    await stores.tracking.close();
    expect(await snapshotOf(db)).toEqual(before);
    const indexes = await query<{ name: string }>(
      db,
      "SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME LIKE 'fml%' ORDER BY 1",
    );
    // fml's own indexes are the only addition, each under its fml_ name.
    expect(indexes.map((i) => i.name)).toEqual([
      "fml_latest_metrics_key_value",
      "fml_logged_model_metrics_latest",
      "fml_runs_experiment_stage_start",
    ]);
    const [revision] = await query<{ version_num: string }>(db, "SELECT version_num FROM alembic_version");
    expect(revision?.version_num).toBe("7d34483879f0");
  }, 60_000);

  test("an older MLflow schema is refused without --database-migrate, with the command, and left unchanged", async () => {
    const db = await track(createMysqlTestDatabase());
    await query(db, headSchemaSql("mysql"));
    await query(db, "UPDATE alembic_version SET version_num = '0584bdc529eb'");
    const before = await snapshotOf(db);
    const refused = await openDatabase(parseDatabaseUri(db.url, "/"), { schema: "prepare", migrate: false }).catch(
      (e: unknown) => e as Error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).name).toBe("SchemaError");
    expect((refused as Error).message).toContain("alembic revision 0584bdc529eb");
    expect((refused as Error).message).toContain("fml db upgrade --database-uri mysql://");
    expect(await snapshotOf(db)).toEqual(before);
  }, 60_000);
});
