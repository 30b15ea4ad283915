/**
 * Drop-in: fml started on a database that real MLflow created and filled (every fixture version,
 * SQLite file and PostgreSQL dump) serves through its HTTP API what MLflow served from it, as
 * recorded in the fixture's manifest.json.
 */

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  copySqliteFixture,
  fixtureVersions,
  readManifest,
  restorePostgresFixture,
} from "./helpers/fixtures.ts";
import { copyFixtureArtifacts, expectedContents, trackingMismatches } from "./helpers/manifest-check.ts";
import { backends, startFml, type Backend } from "./helpers/server.ts";

const versions = fixtureVersions();
const available = await backends();
/** Restoring, migrating and reading back ~1500 values takes a few seconds per database. */
const TIMEOUT = 120_000;

async function serveFixture(version: string, backend: Backend): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), `fml-fixture-${version}-`));
  const timings: string[] = [];
  let started = performance.now();
  const lap = (what: string): void => {
    timings.push(`${what} ${Math.round(performance.now() - started)} ms`);
    started = performance.now();
  };
  const restored = backend === "postgresql" ? await restorePostgresFixture(version) : undefined;
  const sqlite = backend === "sqlite" ? copySqliteFixture(version) : undefined;
  const databaseUri = restored?.url ?? `sqlite:///${sqlite?.path}`;
  const artifacts = copyFixtureArtifacts(version, dir);
  lap("restore");
  const fml = await startFml({ backend, databaseUri, args: ["--artifacts-destination", artifacts] });
  try {
    lap("start (with schema upgrade)");
    const mismatches = await trackingMismatches(fml, expectedContents(readManifest(version), backend));
    lap("check");
    console.log(`fixture ${version} [${backend}]: ${timings.join(", ")}`);
    return mismatches;
  } finally {
    await fml.stop();
    await restored?.drop();
    sqlite?.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("real MLflow databases", () => {
  test("the fixture folder is there", () => {
    expect(versions.length).toBeGreaterThan(0);
  });

  for (const version of versions) {
    describe(`MLflow ${version}`, () => {
      for (const backend of available) {
        test(
          `[${backend}] fml serves the manifest's experiments, runs, metric histories and search order`,
          async () => {
            expect(await serveFixture(version, backend)).toEqual([]);
          },
          TIMEOUT,
        );
      }
      test.todo(`registered models, model versions and aliases: fml has no model registry endpoints yet`);
    });
  }
});
