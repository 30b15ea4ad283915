/**
 * Drop-in: fml started on a database that real MLflow created and filled (every fixture version,
 * SQLite file and PostgreSQL dump; MySQL dump where the version has one) serves through its HTTP
 * API what MLflow served from it, as recorded in the fixture's manifest.json.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  copySqliteFixture,
  fixtureVersions,
  describeWithFixtures,
  mysqlClient,
  readManifest,
  restoreMysqlFixture,
  restorePostgresFixture,
} from "../helpers/fixtures.ts";
import {
  artifactMismatches,
  copyFixtureArtifacts,
  expectedContents,
  provideOriginalArtifactRoot,
  registryMismatches,
  trackingMismatches,
  type ExpectedContents,
} from "../helpers/manifest-check.ts";
import { loggedModelMismatches } from "../helpers/logged-model-check.ts";
import { traceMismatches, type ExpectedTraces } from "../helpers/manifest-traces.ts";
import { backends, startFml, type Backend, type FmlServer } from "../helpers/server.ts";

const versions = fixtureVersions();
const available = await backends();
/** Restoring, migrating and reading back ~1500 values takes seconds on a busy machine. */
const TIMEOUT = 120_000;

/** fml on a working copy of one fixture database; `stop` removes the copy. */
async function serveFixture(version: string, backend: Backend): Promise<{ fml: FmlServer; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `fml-fixture-${version}-`));
  let started = performance.now();
  const restored =
    backend === "postgresql"
      ? await restorePostgresFixture(version)
      : backend === "mysql"
        ? await restoreMysqlFixture(version)
        : undefined;
  const sqlite = backend === "sqlite" ? copySqliteFixture(version) : undefined;
  const databaseUri = restored?.url ?? `sqlite:///${sqlite?.path}`;
  const artifacts = copyFixtureArtifacts(version, dir);
  const restoreMs = Math.round(performance.now() - started);
  started = performance.now();
  const fml = await startFml({ backend, databaseUri, args: ["--artifacts-destination", artifacts] });
  console.log(
    `fixture ${version} [${backend}]: restore ${restoreMs} ms, ` +
      `start with schema upgrade ${Math.round(performance.now() - started)} ms`,
  );
  return {
    fml,
    async stop() {
      await fml.stop();
      await restored?.drop();
      sqlite?.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`${what}: ${Math.round(performance.now() - started)} ms`);
  return result;
}

describeWithFixtures("real MLflow databases", () => {
  test("the fixture folder is there", () => {
    expect(versions.length).toBeGreaterThan(0);
  });

  for (const version of versions) {
    // MySQL dumps exist for some versions only, and load only through the mysql client.
    const made = available.filter((b) => readManifest(version).backends[b] !== undefined);
    if (readManifest(version).backends.mysql && !available.includes("mysql")) {
      test.skip(`MLflow ${version} [mysql] (skipped: no MySQL/MariaDB server reachable)`, () => {});
    }
    if (made.includes("mysql") && !mysqlClient()) {
      if (process.env.CI) throw new Error("CI needs the mysql command-line client to load the MySQL fixtures");
      test.skip(`MLflow ${version} [mysql] (skipped: no mysql command-line client to load the dump)`, () => {});
    }
    for (const backend of made.filter((b) => b !== "mysql" || mysqlClient())) {
      describe(`MLflow ${version} [${backend}]`, () => {
        let served: Awaited<ReturnType<typeof serveFixture>>;
        let expected: ExpectedContents;
        beforeAll(async () => {
          expected = expectedContents(readManifest(version), backend);
          served = await serveFixture(version, backend);
        }, TIMEOUT);
        afterAll(async () => {
          await served?.stop();
        }, TIMEOUT);

        test(
          "experiments (every view type), runs, latest metrics, metric histories and search order",
          async () => {
            const mismatches = await timed(`  tracking check ${version} [${backend}]`, () =>
              trackingMismatches(served.fml, expected),
            );
            expect(mismatches).toEqual([]);
          },
          TIMEOUT,
        );

        test(
          "run artifacts: recursive listing, sizes and contents",
          async () => {
            const removeRoot = provideOriginalArtifactRoot(version, readManifest(version));
            try {
              const mismatches = await timed(`  artifact check ${version} [${backend}]`, () =>
                artifactMismatches(served.fml, expected),
              );
              expect(mismatches).toEqual([]);
            } finally {
              removeRoot();
            }
          },
          TIMEOUT,
        );

        test(
          "registered models (tags, latest versions, aliases) and model versions",
          async () => {
            const mismatches = await timed(`  registry check ${version} [${backend}]`, () =>
              registryMismatches(served.fml, expected),
            );
            expect(mismatches).toEqual([]);
          },
          TIMEOUT,
        );

        test(
          "MLflow 3 logged models: fields, params, tags, model metrics, artifacts and search order",
          async () => {
            const mismatches = await timed(`  logged-model check ${version} [${backend}]`, () =>
              loggedModelMismatches(served.fml, expected),
            );
            expect(mismatches).toEqual([]);
          },
          TIMEOUT,
        );

        // Only fixtures whose workload wrote traces record them.
        if (readManifest(version).features?.traces === true) test(
          "traces: info, tags, metadata, assessments, spans (database and traces.json) and search order",
          async () => {
            const mismatches = await timed(`  trace check ${version} [${backend}]`, () =>
              traceMismatches(served.fml, expected as unknown as ExpectedTraces),
            );
            expect(mismatches).toEqual([]);
          },
          TIMEOUT,
        );
      });
    }
  }
});
