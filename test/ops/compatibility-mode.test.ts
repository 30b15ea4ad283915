/**
 * Compatibility mode through the real fml process, on a database real MLflow 3.11 made and then
 * changed the way MLflow 3.12-3.17 migrate it (helpers/newer-mlflow.ts): fml serves it as it is,
 * says so in one log line and in `fml db check`, writes to it (experiment tag values up to
 * 20,000 characters), deletes an experiment whose rows in the newer tables follow by cascade, and
 * leaves its schema and revision as they were. One column fml writes missing, or a NOT NULL column
 * fml cannot fill: refused, naming it, nothing changed. `/version` stays the MLflow release whose API
 * fml serves.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { openSqlite } from "../../src/runtime.ts";
import { mlflowVersion } from "../../src/version.ts";
import { copySqliteFixture, describeWithFixtures, postgresAvailable, restorePostgresFixture } from "../helpers/fixtures.ts";
import { NEWER_REVISION, childRowsSql, migratePostgresToNewer, migrateSqliteToNewer } from "../helpers/newer-mlflow.ts";
import { type SchemaSnapshot, postgresSnapshot, sqliteSnapshot } from "../helpers/schema-compare.ts";
import { type Backend, repoRoot, startFml } from "../helpers/server.ts";
import { hexId, otlpJson, pipelineSpans, postOtlp } from "../helpers/traces.ts";

const FIXTURE = "3.11.2.dev0-mlflow3";
const main = join(repoRoot, "src/cli/main.ts");

function fml(args: string[]) {
  const r = Bun.spawnSync([process.execPath, main, ...args], { stdout: "pipe", stderr: "pipe", timeout: 60000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

type Row = Record<string, unknown>;

/** A copy of the fixture at a newer MLflow revision, with a way to look inside it. */
interface NewerDatabase {
  uri: string;
  falseValue: string;
  exec(script: string): Promise<void>;
  query(text: string): Promise<Row[]>;
  snapshot(): Promise<SchemaSnapshot>;
  remove(): Promise<void>;
}

async function newerDatabase(backend: Backend, change = ""): Promise<NewerDatabase> {
  if (backend === "sqlite") {
    const copy = copySqliteFixture(FIXTURE);
    const withDb = async <T>(fn: (db: Awaited<ReturnType<typeof openSqlite>>) => T): Promise<T> => {
      const db = await openSqlite(copy.path);
      try {
        db.exec("PRAGMA foreign_keys = ON");
        return fn(db);
      } finally {
        db.close();
      }
    };
    await withDb((db) => {
      migrateSqliteToNewer(db);
      if (change) db.exec(change);
    });
    return {
      uri: `sqlite:///${copy.path}`,
      falseValue: "0",
      exec: (script) => withDb((db) => db.exec(script)),
      query: (text) => withDb((db) => db.all<Row>(text)),
      snapshot: () => withDb((db) => sqliteSnapshot(db)),
      remove: async () => copy.remove(),
    };
  }
  const restored = await restorePostgresFixture(FIXTURE);
  const client = postgres(restored.url, { max: 1, onnotice: () => {} });
  await migratePostgresToNewer(client);
  if (change) await client.unsafe(change);
  return {
    uri: restored.url,
    falseValue: "false",
    exec: async (script) => void (await client.unsafe(script)),
    query: async (text) => [...(await client.unsafe(text))] as Row[],
    snapshot: () => postgresSnapshot(client),
    remove: async () => {
      await client.end();
      await restored.drop();
    },
  };
}

/** fml adds its own fml_… indexes to every database it serves; nothing else may differ. */
function withoutFmlIndexes(snapshot: SchemaSnapshot): SchemaSnapshot {
  const tables = Object.fromEntries(
    Object.entries(snapshot.tables).map(([name, table]) => [
      name,
      { ...table, indexes: table.indexes.filter((index) => !index.startsWith("fml_")) },
    ]),
  );
  return { ...snapshot, tables };
}

// MySQL: not yet (the newer-MLflow changes are written for SQLite and PostgreSQL only).
const backends: ("sqlite" | "postgresql")[] = ["sqlite", ...((await postgresAvailable()) ? (["postgresql"] as const) : [])];
if (process.env.CI && !backends.includes("postgresql")) throw new Error("CI needs PostgreSQL for these tests");

describeWithFixtures("compatibility mode with a newer MLflow database", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  for (const backend of backends) {
    test(`[${backend}] served as it is: one log line, db check, writes, cascading experiment gc, schema unchanged`, async () => {
      const db = await newerDatabase(backend);
      cleanups.push(db.remove);
      const before = await db.snapshot();

      const check = fml(["db", "check", "--database-uri", db.uri]);
      expect(check.code).toBe(0);
      expect(check.stdout).toContain(`alembic revision ${NEWER_REVISION}`);
      expect(check.stdout).toContain("served in compatibility mode");

      const server = await startFml({ backend, databaseUri: db.uri });
      cleanups.push(() => server.stop());
      const lines = server.logs().split("\n").filter((line) => line.includes("compatibility mode"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(NEWER_REVISION);
      expect(lines[0]).toContain("experiment tag values up to 20000 characters");

      // What real MLflow logged is served.
      const models = await server.api<{ experiment: { name: string } }>("GET", "experiments/get-by-name", {
        experiment_name: "mlflow3-models",
      });
      expect(models.status).toBe(200);

      // MLflow 3.17's experiment tag limit, now that experiment_tags.value is TEXT.
      const long = "x".repeat(20000);
      const created = await server.api<{ experiment_id: string }>("POST", "experiments/create", {
        name: "compat-new",
        tags: [{ key: "long", value: long }],
      });
      expect(created.status).toBe(200);
      const exp = created.body.experiment_id;
      const tooLong = await server.api("POST", "experiments/set-experiment-tag", {
        experiment_id: exp,
        key: "longer",
        value: `${long}x`,
      });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body).toEqual({
        error_code: "INVALID_PARAMETER_VALUE",
        message: "'value' exceeds the maximum length of 20000 characters",
      });
      const got = await server.api<{ experiment: { tags: { key: string; value: string }[] } }>("GET", "experiments/get", {
        experiment_id: exp,
      });
      expect(got.body.experiment.tags).toEqual([{ key: "long", value: long }]);

      // Runs, metrics, params, registry and traces write into the newer tables' old columns.
      const run = await server.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
        experiment_id: exp,
        run_name: "compat-run",
        start_time: 1,
      });
      expect(run.status).toBe(200);
      const runId = run.body.run.info.run_id;
      const batch = await server.api("POST", "runs/log-batch", {
        run_id: runId,
        metrics: [{ key: "loss", value: 0.5, timestamp: 1, step: 0 }],
        params: [{ key: "lr", value: "0.1" }],
        tags: [{ key: "team", value: "a" }],
      });
      expect(batch.status).toBe(200);
      expect((await server.api("POST", "registered-models/create", { name: "compat-model" })).status).toBe(200);
      const version = await server.api("POST", "model-versions/create", {
        name: "compat-model",
        source: `mlflow-artifacts:/${exp}/${runId}/artifacts/model`,
        run_id: runId,
      });
      expect(version.status).toBe(200);
      const traceHex = hexId(16);
      expect((await postOtlp(server, exp, otlpJson(pipelineSpans(traceHex)))).status).toBe(200);
      const trace = await server.api<{ trace: { spans: unknown[] } }>("GET", "/api/3.0/mlflow/traces/get", {
        trace_id: `tr-${traceHex}`,
      });
      expect(trace.status).toBe(200);
      expect(trace.body.trace.spans).toHaveLength(2);
      // The newer NOT NULL columns took their defaults.
      expect(await db.query(`SELECT trace_version, db_payload_generation FROM trace_info WHERE request_id = 'tr-${traceHex}'`)).toEqual([
        { trace_version: backend === "sqlite" ? 0 : "0", db_payload_generation: 0 },
      ]);

      // /version is the MLflow API fml serves, whatever revision the database is at: 3.4 or newer,
      // so MLflow clients send spans by OTLP, which fml takes (above).
      const served = await fetch(`${server.url}/version`);
      expect(await served.text()).toBe(mlflowVersion);

      // Deleting the experiment and gc: the newer tables' rows go by their cascades.
      await server.api("POST", "runs/delete", { run_id: runId });
      expect((await server.api("POST", "experiments/delete", { experiment_id: exp })).status).toBe(200);
      expect(await server.kill()).toBe(0);
      await db.exec(childRowsSql(exp, db.falseValue));
      const gc = fml(["gc", "--database-uri", db.uri, "--artifacts-destination", join(server.dir, "mlartifacts"), "--experiment-ids", exp]);
      expect(gc.stderr).not.toContain("error");
      expect(gc.code).toBe(0);
      for (const table of ["experiments", "label_schemas", "review_queues", "trace_info"]) {
        expect(await db.query(`SELECT experiment_id FROM ${table} WHERE experiment_id = ${exp}`)).toEqual([]);
      }
      expect(await db.query("SELECT queue_id FROM review_queue_users")).toEqual([]);

      // `fml db upgrade` has nothing to do.
      const upgrade = fml(["db", "upgrade", "--database-uri", db.uri]);
      expect(upgrade.code).toBe(0);
      expect(upgrade.stdout).toContain(`at ${NEWER_REVISION}, newer than 7d34483879f0`);
      expect(upgrade.stdout).toContain("compatibility mode");

      const after = await db.snapshot();
      expect(withoutFmlIndexes(after)).toEqual(withoutFmlIndexes(before));
      expect(await db.query("SELECT version_num FROM alembic_version")).toEqual([{ version_num: NEWER_REVISION }]);
    }, 120000);

    test(`[${backend}] a column fml writes missing: refused, naming it, nothing changed`, async () => {
      const db = await newerDatabase(backend, "ALTER TABLE runs DROP COLUMN deleted_time");
      cleanups.push(db.remove);
      const before = await db.snapshot();

      const server = fml(["server", "--database-uri", db.uri, "--listen-address", "127.0.0.1:0"]);
      expect(server.code).toBe(2);
      expect(server.stderr).toContain(`alembic revision ${NEWER_REVISION}`);
      expect(server.stderr).toContain("column runs.deleted_time is missing");

      const check = fml(["db", "check", "--database-uri", db.uri]);
      expect(check.code).toBe(1);
      expect(check.stdout).toContain("column runs.deleted_time is missing");

      const upgrade = fml(["db", "upgrade", "--database-uri", db.uri]);
      expect(upgrade.code).not.toBe(0);
      expect(upgrade.stderr).toContain("column runs.deleted_time is missing");

      expect(await db.snapshot()).toEqual(before);
      expect(await db.query("SELECT version_num FROM alembic_version")).toEqual([{ version_num: NEWER_REVISION }]);
    }, 120000);
  }

  test("[sqlite] fml import reads a newer database in compatibility mode and leaves it as it was", async () => {
    const db = await newerDatabase("sqlite");
    cleanups.push(db.remove);
    const before = await db.snapshot();
    const output = join(mkdtempSync(join(tmpdir(), "fml-import-")), "out.db");
    cleanups.push(async () => rmSync(dirname(output), { recursive: true, force: true }));
    const r = fml(["import", "--input-database-uri", db.uri, "--output-database-uri", `sqlite:///${output}`]);
    expect(r.stderr).toContain("compatibility mode");
    expect(r.code).toBe(0);
    const copied = await openSqlite(output, { readonly: true });
    const count = (table: string) => copied.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)?.n;
    const source = await db.query("SELECT (SELECT COUNT(*) FROM runs) AS runs, (SELECT COUNT(*) FROM spans) AS spans");
    expect({ runs: count("runs"), spans: count("spans") }).toEqual(source[0] as { runs: number; spans: number });
    copied.close();
    expect(await db.snapshot()).toEqual(before);
  }, 120000);

  // A column added by a newer MLflow that fml would have to fill and cannot (alembic's batch mode on SQLite).
  const unfilledColumn: Record<"sqlite" | "postgresql", string> = {
    sqlite: `
      CREATE TABLE _alembic_tmp_registered_model_aliases (
        alias VARCHAR(256) NOT NULL, version INTEGER NOT NULL, name VARCHAR(256) NOT NULL,
        workspace VARCHAR(63) DEFAULT 'default' NOT NULL, created_by VARCHAR(255) NOT NULL,
        CONSTRAINT registered_model_alias_pk PRIMARY KEY (workspace, name, alias),
        CONSTRAINT fk_registered_model_aliases_registered_models FOREIGN KEY(workspace, name)
          REFERENCES registered_models (workspace, name) ON DELETE CASCADE ON UPDATE CASCADE);
      INSERT INTO _alembic_tmp_registered_model_aliases SELECT alias, version, name, workspace, 'mlflow' FROM registered_model_aliases;
      DROP TABLE registered_model_aliases;
      ALTER TABLE _alembic_tmp_registered_model_aliases RENAME TO registered_model_aliases;`,
    postgresql:
      "ALTER TABLE registered_model_aliases ADD COLUMN created_by VARCHAR(255) DEFAULT 'mlflow' NOT NULL; " +
      "ALTER TABLE registered_model_aliases ALTER COLUMN created_by DROP DEFAULT",
  };
  for (const backend of backends) {
    test(`[${backend}] a NOT NULL column without a default in a table fml inserts into: refused, naming it`, async () => {
      const db = await newerDatabase(backend, unfilledColumn[backend]);
      cleanups.push(db.remove);
      const before = await db.snapshot();
      const server = fml(["server", "--database-uri", db.uri, "--listen-address", "127.0.0.1:0"]);
      expect(server.code).toBe(2);
      expect(server.stderr).toContain(
        "column registered_model_aliases.created_by is NOT NULL without a default, and fml does not fill it",
      );
      expect(await db.snapshot()).toEqual(before);
    }, 120000);
  }
});

describe("/version", () => {
  test("is a release MLflow clients parse, at or past 3.4 (spans by OTLP), the one fml's API follows", () => {
    const [major, minor] = mlflowVersion.split(".").map(Number);
    expect(mlflowVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect((major ?? 0) * 100 + (minor ?? 0)).toBeGreaterThanOrEqual(304);
  });
});
