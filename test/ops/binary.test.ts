/**
 * The shipped artifact: `bun build --compile` produces one executable that starts from an empty
 * directory, with no node_modules and no source tree, and serves the API with its embedded schema.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, startFml } from "../helpers/server.ts";

describe("compiled binary", () => {
  const buildDir = mkdtempSync(join(tmpdir(), "fml-build-"));
  const emptyDir = mkdtempSync(join(tmpdir(), "fml-empty-"));
  const binary = join(emptyDir, "fml");

  beforeAll(() => {
    const build = Bun.spawnSync(
      [process.execPath, join(repoRoot, "scripts/build.ts"), "--outfile", join(buildDir, "fml")],
      { cwd: repoRoot, stdout: "pipe", stderr: "pipe" },
    );
    if (build.exitCode !== 0) throw new Error(build.stderr.toString());
    copyFileSync(join(buildDir, "fml"), binary);
    Bun.spawnSync(["chmod", "+x", binary]);
  }, 120000);

  afterAll(() => {
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(emptyDir, { recursive: true, force: true });
  });

  test("reports its version", () => {
    const r = Bun.spawnSync([binary, "--version"], { cwd: emptyDir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toMatch(/^fml \d+\.\d+\.\d+ \(commit [0-9a-f]{7,}|unknown/);
    console.log(`binary size: ${(statSync(binary).size / 1e6).toFixed(1)} MB`);
  });

  test("starts from an empty directory and answers /health and the API", async () => {
    const server = await startFml({ command: [binary], cwd: emptyDir, env: { PATH: "/usr/bin:/bin", NODE_PATH: "" } });
    const health = await fetch(`${server.url}/health`);
    expect(await health.text()).toBe("OK");
    const exp = await server.api<{ experiment_id: string }>("POST", "experiments/create", { name: "from-binary" });
    expect(exp.status).toBe(200);
    const tables = await server.api<{ experiment: { name: string } }>("GET", "experiments/get", { experiment_id: exp.body.experiment_id });
    expect(tables.body.experiment.name).toBe("from-binary");
    await server.stop();
  });
});
