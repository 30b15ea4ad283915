/**
 * `fml db check` and `fml db upgrade` on real MLflow databases, and a server started with
 * `--no-database-migrate` on an old one refusing with the command that upgrades it.
 */

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openSqlite } from "../../src/runtime.ts";
import { copySqliteFixture, describeWithFixtures, restorePostgresFixture } from "../helpers/fixtures.ts";
import { repoRoot } from "../helpers/server.ts";

const main = join(repoRoot, "src/cli/main.ts");

function fml(args: string[]) {
  const r = Bun.spawnSync([process.execPath, main, ...args], { stdout: "pipe", stderr: "pipe", timeout: 60000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

async function revision(path: string): Promise<string> {
  const db = await openSqlite(path, { readonly: true });
  const row = db.get<{ version_num: string }>("SELECT version_num FROM alembic_version");
  db.close();
  return row?.version_num ?? "";
}

describeWithFixtures("fml db", () => {
  test("check names the revision and the steps, and changes nothing", async () => {
    const copy = copySqliteFixture("2.2.2");
    try {
      const r = fml(["db", "check", "--database-uri", `sqlite:///${copy.path}`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("MLflow schema at 97727af70f4d: 36 migration steps to 7d34483879f0");
      expect(r.stdout).toContain("3500859a5d39");
      expect(await revision(copy.path)).toBe("97727af70f4d");
    } finally {
      copy.remove();
    }
  });

  test("upgrade brings an old SQLite database to head; check then says it is current", async () => {
    const copy = copySqliteFixture("1.21.0");
    try {
      const r = fml(["db", "upgrade", "--database-uri", `sqlite:///${copy.path}`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("at 7d34483879f0");
      expect(await revision(copy.path)).toBe("7d34483879f0");
      const again = fml(["db", "check", "--database-uri", `sqlite:///${copy.path}`]);
      expect(again.stdout).toContain("the revision fml serves");
    } finally {
      copy.remove();
    }
  });

  test("upgrade works on PostgreSQL too", async () => {
    const db = await restorePostgresFixture("2.17.2");
    try {
      const r = fml(["db", "upgrade", "--database-uri", db.url]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("at 7d34483879f0");
    } finally {
      await db.drop();
    }
  });

  test("a server with --no-database-migrate refuses an old database and says how to upgrade", async () => {
    const copy = copySqliteFixture("2.17.2");
    try {
      const r = fml(["server", "--database-uri", `sqlite:///${copy.path}`, "--no-database-migrate", "--listen-address", "127.0.0.1:0"]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("f5a4f2784254");
      expect(r.stderr).toContain("fml db upgrade --database-uri");
      expect(await revision(copy.path)).toBe("f5a4f2784254");
    } finally {
      copy.remove();
    }
  });

  test("check on a database that is not MLflow's exits non-zero", async () => {
    const copy = copySqliteFixture("2.2.2");
    try {
      const db = await openSqlite(copy.path);
      db.exec("DROP TABLE alembic_version");
      db.close();
      const r = fml(["db", "check", "--database-uri", `sqlite:///${copy.path}`]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("not an MLflow database");
    } finally {
      copy.remove();
    }
  });
});
