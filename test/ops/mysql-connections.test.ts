/**
 * fml on a MySQL server that misbehaves: connections killed under a running server are replaced
 * (reads retried, /ready back at once), an unreachable server is one clear line at start-up, and
 * `fml db check` / `fml db upgrade` speak about a MySQL database as about the others.
 */

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createMysqlTestDatabase, mysqlAdminUrl, mysqlAvailable, mysqlQuery } from "../helpers/fixtures.ts";
import { repoRoot, startFml } from "../helpers/server.ts";

const reachable = await mysqlAvailable();
if (!reachable && process.env.CI) throw new Error("CI needs MySQL/MariaDB");

function fml(args: string[]): { code: number; stdout: string; stderr: string } {
  const result = Bun.spawnSync([process.execPath, join(repoRoot, "src/cli/main.ts"), ...args], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 30_000,
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

test("an unreachable MySQL is one clear line, without the password, and a non-zero exit", () => {
  const r = fml(["server", "--database-uri", "mysql+pymysql://nobody:secret@127.0.0.1:1/nodb"]);
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain("cannot connect to MySQL at mysql://nobody:***@127.0.0.1:1/nodb");
  expect(r.stderr).not.toContain("secret");
});

describe.skipIf(!reachable)(`MySQL connections${reachable ? "" : " (skipped: no MySQL/MariaDB server)"}`, () => {
  test("connections killed by the server are replaced: reads are retried, writes and /ready work again", async () => {
    const server = await startFml({ backend: "mysql", args: ["--database-pool-max", "3"] });
    try {
      const exp = await server.api<{ experiment_id: string }>("POST", "experiments/create", { name: "killed" });
      expect(exp.status).toBe(200);
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      const name = new URL(server.databaseUri).pathname.slice(1);
      const killed = async (): Promise<number> => {
        const ids = await mysqlQuery(mysqlAdminUrl, "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ?", [name]);
        for (const { id } of ids) await mysqlQuery(mysqlAdminUrl, `KILL CONNECTION ${Number(id)}`);
        return ids.length;
      };
      expect(await killed()).toBeGreaterThan(0);
      // Every pooled connection is dead now; the read goes again on a new one.
      const got = await server.api("GET", "experiments/get", { experiment_id: exp.body.experiment_id });
      expect(got.status).toBe(200);
      await killed();
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      await killed();
      // A transaction whose connection turns out dead before it began starts again on another.
      const run = await server.api("POST", "runs/create", { experiment_id: exp.body.experiment_id });
      expect(run.status).toBe(200);
    } finally {
      await server.stop();
    }
  }, 60_000);

  test("/ready turns 503 when the database is dropped, /health stays 200, the API answers a retryable 503", async () => {
    const server = await startFml({ backend: "mysql" });
    try {
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      const name = new URL(server.databaseUri).pathname.slice(1);
      await mysqlQuery(mysqlAdminUrl, `DROP DATABASE ${name}`);
      const ready = await fetch(`${server.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).not.toContain(name);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const search = await server.api<{ error_code: string; message: string }>("POST", "experiments/search", { max_results: 1 });
      expect([search.status, search.body.error_code]).toEqual([503, "TEMPORARILY_UNAVAILABLE"]);
      expect(search.body.message).not.toContain(name);
    } finally {
      await server.stop();
    }
  }, 60_000);

  test("fml db check and fml db upgrade on an empty MySQL database", async () => {
    const db = await createMysqlTestDatabase();
    try {
      const check = fml(["db", "check", "--database-uri", db.url]);
      expect(check.stdout).toContain("empty database: fml will create the MLflow schema at 7d34483879f0");
      const upgrade = fml(["db", "upgrade", "--database-uri", db.url]);
      expect({ code: upgrade.code, stderr: upgrade.stderr }).toMatchObject({ code: 0 });
      const again = fml(["db", "check", "--database-uri", db.url]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("MLflow schema at 7d34483879f0, the revision fml serves");
    } finally {
      await db.drop();
    }
  }, 60_000);
});
