/**
 * `fml import` refusals with MySQL at either end (the copies themselves: import-mysql.test.ts): a
 * non-empty MySQL output is refused unless conflicts are skipped, and then nothing is added twice;
 * a MySQL input at an older MLflow revision is refused, since fml import never changes its input.
 */

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  copySqliteFixture,
  createMysqlTestDatabase,
  describeWithFixtures,
  mysqlAvailable,
  mysqlClient,
  mysqlQuery,
  restoreMysqlFixture,
} from "../helpers/fixtures.ts";
import { repoRoot } from "../helpers/server.ts";

const TIMEOUT = 120_000;
const FIXTURE = "3.11.2.dev0-mlflow3";

async function fmlImport(input: string, output: string, ...more: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(
    [process.execPath, join(repoRoot, "src/cli/main.ts"), "import", "--input-database-uri", input, "--output-database-uri", output, ...more],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code, stdout, stderr };
}

const ready = (await mysqlAvailable()) && mysqlClient() !== undefined;
if (!ready && process.env.CI) throw new Error("CI needs MySQL (server and client) for the import refusal tests");

(ready ? describeWithFixtures : describe.skip)(`fml import refusals with MySQL${ready ? "" : " (skipped: no MySQL)"}`, () => {
  test("a non-empty MySQL output is refused; --on-conflict skip keeps its rows and adds nothing twice", async () => {
    const input = copySqliteFixture(FIXTURE);
    const output = await createMysqlTestDatabase();
    try {
      expect((await fmlImport(`sqlite://${input.path}`, output.url)).code).toBe(0);
      const again = await fmlImport(`sqlite://${input.path}`, output.url);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain("is not empty");
      expect(again.stderr).toContain("--on-conflict skip");
      const skipped = await fmlImport(`sqlite://${input.path}`, output.url, "--on-conflict", "skip");
      expect({ code: skipped.code, stderr: skipped.code ? skipped.stderr : "" }).toEqual({ code: 0, stderr: "" });
      expect(skipped.stdout).toMatch(/imported 0 rows/);
    } finally {
      await output.drop();
      input.remove();
    }
  }, TIMEOUT);

  test("a MySQL input at an older MLflow revision is refused and left unchanged", async () => {
    const input = await restoreMysqlFixture(FIXTURE);
    const output = await createMysqlTestDatabase();
    try {
      await mysqlQuery(input.url, "UPDATE alembic_version SET version_num = 'c8d9e0f1a2b3'");
      const result = await fmlImport(input.url, output.url);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("revision c8d9e0f1a2b3");
      expect(result.stderr).toContain("never changes its input");
      expect(await mysqlQuery(input.url, "SELECT version_num FROM alembic_version")).toEqual([{ version_num: "c8d9e0f1a2b3" }]);
    } finally {
      await Promise.all([input.drop(), output.drop()]);
    }
  }, TIMEOUT);
});
