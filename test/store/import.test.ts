/**
 * `fml import` on real MLflow databases: every fixture's SQLite file copied into a fresh
 * PostgreSQL database is then served by fml (tracking and registry) exactly as the manifest says
 * MLflow served the file;
 * the input is never changed, ids survive, a non-empty output is refused unless asked to skip.
 */

import { describe, expect, test } from "bun:test";
import { Database as SqliteFile } from "bun:sqlite";
import postgres from "postgres";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  copySqliteFixture,
  createTestDatabase,
  fixtureVersions,
  postgresAvailable,
  describeWithFixtures,
  readManifest,
  restorePostgresFixture,
} from "../helpers/fixtures.ts";
import {
  expectedContents,
  registryMismatches,
  trackingMismatches,
  type ExpectedContents,
} from "../helpers/manifest-check.ts";
import { loggedModelMismatches } from "../helpers/logged-model-check.ts";
import { traceMismatches, type ExpectedTraces } from "../helpers/manifest-traces.ts";
import { repoRoot, startFml, type FmlServer } from "../helpers/server.ts";

const TIMEOUT = 120_000;

async function fmlImport(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([process.execPath, join(repoRoot, "src/cli/main.ts"), "import", ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code, stdout, stderr };
}

/** Tracking, registry, logged models and traces (without their files), as the manifest lists them. */
async function mismatches(fml: FmlServer, expected: ExpectedContents): Promise<string[]> {
  return [
    ...(await trackingMismatches(fml, expected)),
    ...(await registryMismatches(fml, expected)),
    ...(await loggedModelMismatches(fml, expected, { artifacts: false })),
    // The import copies databases, not artifacts: spans kept as traces.json are not there.
    ...(await traceMismatches(fml, expected as unknown as ExpectedTraces, { artifactSpans: false })),
  ];
}

/** Every span's nanosecond times as text, in one order: they must survive the copy digit for digit. */
const SPAN_TIMES = `SELECT trace_id || ' ' || span_id || ' ' || CAST(start_time_unix_nano AS TEXT) || ' ' ||
  COALESCE(CAST(end_time_unix_nano AS TEXT), '-') AS t FROM spans ORDER BY trace_id, span_id`;

async function spanTimes(uri: { sqlitePath?: string; postgresUrl?: string }): Promise<string[]> {
  if (uri.sqlitePath) {
    const db = new SqliteFile(uri.sqlitePath, { readonly: true });
    try {
      return (db.prepare(SPAN_TIMES).all() as { t: string }[]).map((r) => r.t);
    } finally {
      db.close();
    }
  }
  const sql = postgres(uri.postgresUrl ?? "", { max: 1, onnotice: () => {} });
  try {
    return (await sql.unsafe(SPAN_TIMES.replace("ORDER BY trace_id, span_id", 'ORDER BY trace_id COLLATE "C", span_id COLLATE "C"'))).map((r) => String(r.t));
  } finally {
    await sql.end();
  }
}

const sha256 = (path: string): string => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");

const versions = fixtureVersions();
const withPostgres = await postgresAvailable();
if (!withPostgres && process.env.CI) throw new Error("PostgreSQL is required in CI");

(withPostgres ? describeWithFixtures : describe.skip)("fml import", () => {
  for (const version of versions) {
    test(
      `MLflow ${version} SQLite → fresh PostgreSQL: fml serves the manifest from the copy`,
      async () => {
        const input = copySqliteFixture(version);
        const output = await createTestDatabase();
        try {
          const before = sha256(input.path);
          const started = performance.now();
          const result = await fmlImport("--input-database-uri", `sqlite:///${input.path}`, "--output-database-uri", output.url);
          const importMs = Math.round(performance.now() - started);
          expect({ code: result.code, stderr: result.code ? result.stderr : "" }).toEqual({ code: 0, stderr: "" });
          expect(result.stdout).toContain("row counts check out");
          expect(sha256(input.path)).toBe(before);
          if (readManifest(version).features?.traces) {
            const times = await spanTimes({ sqlitePath: input.path });
            expect(times.length).toBeGreaterThan(0);
            expect(await spanTimes({ postgresUrl: output.url })).toEqual(times);
          }

          const fml = await startFml({ backend: "postgresql", databaseUri: output.url });
          try {
            const checkStarted = performance.now();
            expect(await mismatches(fml, expectedContents(readManifest(version), "sqlite"))).toEqual([]);
            console.log(
              `import ${version}: import ${importMs} ms, serve check ${Math.round(performance.now() - checkStarted)} ms`,
            );
            // Ids were kept and the id sequence moved past them: a new experiment gets the next id.
            const maxId = Math.max(...Object.values(readManifest(version).backends.sqlite.experiment_ids_by_name).map(Number));
            const created = await fml.api("POST", "experiments/create", { name: "after-import" });
            expect(created.body).toEqual({ experiment_id: String(maxId + 1) });
          } finally {
            await fml.stop();
          }
        } finally {
          await output.drop();
          input.remove();
        }
      },
      TIMEOUT,
    );
  }

  const newest = versions.at(-1) as string;

  test(
    "a non-empty output is refused; --on-conflict skip keeps its rows and adds nothing twice",
    async () => {
      const input = copySqliteFixture(newest);
      const output = await createTestDatabase();
      try {
        const args = ["--input-database-uri", `sqlite:///${input.path}`, "--output-database-uri", output.url];
        expect((await fmlImport(...args)).code).toBe(0);
        const again = await fmlImport(...args);
        expect(again.code).toBe(2);
        expect(again.stderr).toContain("is not empty");
        expect(again.stderr).toContain("--on-conflict skip");
        const skipped = await fmlImport(...args, "--on-conflict", "skip");
        expect(skipped.code).toBe(0);
        expect(skipped.stdout).toMatch(/imported 0 rows/);
      } finally {
        await output.drop();
        input.remove();
      }
    },
    TIMEOUT,
  );

  test(
    `MLflow ${newest} PostgreSQL → SQLite: fml serves the manifest from the copy`,
    async () => {
      const input = await restorePostgresFixture(newest);
      const output = copySqliteFixture(newest); // only for its temp directory
      const target = join(output.dir, "imported.db");
      try {
        const result = await fmlImport("--input-database-uri", input.url, "--output-database-uri", `sqlite:///${target}`);
        expect({ code: result.code, stderr: result.code ? result.stderr : "" }).toEqual({ code: 0, stderr: "" });
        if (readManifest(newest).features?.traces) {
          expect(await spanTimes({ sqlitePath: target })).toEqual(await spanTimes({ postgresUrl: input.url }));
        }
        const fml = await startFml({ databaseUri: `sqlite:///${target}` });
        try {
          expect(await mismatches(fml, expectedContents(readManifest(newest), "postgresql"))).toEqual([]);
        } finally {
          await fml.stop();
        }
      } finally {
        await input.drop();
        output.remove();
      }
    },
    TIMEOUT,
  );

  test(
    "a PostgreSQL input at an older MLflow revision is refused and left unchanged",
    async () => {
      const oldest = versions[0] as string;
      const input = await restorePostgresFixture(oldest);
      const output = await createTestDatabase();
      try {
        const result = await fmlImport("--input-database-uri", input.url, "--output-database-uri", output.url);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(`revision ${readManifest(oldest).backends.postgresql.alembic_revision}`);
        expect(result.stderr).toContain("never changes its input");
      } finally {
        await input.drop();
        await output.drop();
      }
    },
    TIMEOUT,
  );
});
