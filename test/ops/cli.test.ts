/**
 * The command line as a user meets it: help and version, flags and their FML_* twins (a flag
 * beats its variable), and one clear line plus a non-zero exit for every mistake.
 */

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, startFml } from "../helpers/server.ts";

const main = join(repoRoot, "src/cli/main.ts");

function fml(args: string[], env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), "fml-cli-"));
  const result = Bun.spawnSync([process.execPath, main, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 20000,
  });
  rmSync(cwd, { recursive: true, force: true });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe("cli", () => {
  test("--version prints fml's version", () => {
    const r = fml(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fml \d+\.\d+\.\d+/);
  });

  test("--help lists the server command; server --help documents flags and variables", () => {
    const top = fml(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("server");
    const server = fml(["server", "--help"]);
    expect(server.code).toBe(0);
    for (const flag of ["--listen-address", "--database-uri", "--artifact-root", "FML_DATABASE_URI", "--log-level"]) {
      expect(server.stdout).toContain(flag);
    }
  });

  test("an unknown flag is one line on stderr and exit 2", () => {
    const r = fml(["server", "--no-such-flag"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("unknown flag '--no-such-flag'");
  });

  test("a malformed database URI is one clear line, no stack trace", () => {
    const r = fml(["server", "--database-uri", "mssql://x"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("unsupported database URI");
    const noDatabase = fml(["server", "--database-uri", "mysql://x"]);
    expect(noDatabase.code).toBe(2);
    expect(noDatabase.stderr.trim()).toBe("fml: the MySQL URI names no database: write mysql://user@host/<database>");
  });

  test("a database cache size that is not megabytes is refused, by flag or variable", () => {
    const flag = fml(["server", "--database-cache-size", "lots"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--database-cache-size must be megabytes, got 'lots'");
    const variable = fml(["server"], { FML_DATABASE_CACHE_SIZE: "-5" });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain("got '-5'");
  });

  test("a bad listen address is refused", () => {
    const r = fml(["server", "--listen-address", "127.0.0.1:99999"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not a valid port");
  });

  test("an unreachable PostgreSQL is one clear line and a non-zero exit", () => {
    const r = fml(["server", "--database-uri", "postgresql://nobody:secret@127.0.0.1:1/nodb"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toContain("secret");
  });

  test("an SQLite file in a missing directory is one clear line", () => {
    const r = fml(["server", "--database-uri", "sqlite:////nonexistent-dir/x/fml.db"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot open SQLite database");
  });

  test("FML_* variables configure the server and a flag beats its variable", async () => {
    const server = await startFml({
      env: { FML_ARTIFACT_ROOT: "s3://from-env/root", FML_LISTEN_ADDRESS: "127.0.0.1:1" },
    });
    // --listen-address 127.0.0.1:0 from the harness beat FML_LISTEN_ADDRESS (port 1 would fail).
    const exp = await server.api<{ experiment_id: string }>("POST", "experiments/create", { name: "env" });
    const got = await server.api<{ experiment: { artifact_location: string } }>("GET", "experiments/get", {
      experiment_id: exp.body.experiment_id,
    });
    expect(got.body.experiment.artifact_location).toBe(`s3://from-env/root/${exp.body.experiment_id}`);
    await server.stop();
    const flagWins = await startFml({
      env: { FML_ARTIFACT_ROOT: "s3://from-env/root" },
      args: ["--default-artifact-root", "s3://from-flag/root"],
    });
    const exp2 = await flagWins.api<{ experiment_id: string }>("POST", "experiments/create", { name: "flag" });
    const got2 = await flagWins.api<{ experiment: { artifact_location: string } }>("GET", "experiments/get", {
      experiment_id: exp2.body.experiment_id,
    });
    expect(got2.body.experiment.artifact_location).toBe(`s3://from-flag/root/${exp2.body.experiment_id}`);
    await flagWins.stop();
  });

  test("MLflow's --backend-store-uri, --host and --port are accepted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fml-alias-"));
    const server = await startFml({
      databaseUri: `sqlite:///${join(dir, "mlflow.db")}`,
      args: ["--no-serve-artifacts"],
    });
    const exp = await server.api<{ experiment: { artifact_location: string } }>("GET", "experiments/get", { experiment_id: "0" });
    // Without the proxy MLflow falls back to ./mlruns, made absolute.
    expect(exp.body.experiment.artifact_location).toBe(join(server.dir, "mlruns", "0"));
    await server.stop();
    const r = Bun.spawn([process.execPath, main, "server", "--backend-store-uri", `sqlite:///${join(dir, "b.db")}`, "--host", "127.0.0.1", "--port", "0"], {
      stderr: "pipe",
    });
    let text = "";
    for await (const chunk of r.stderr) {
      text += new TextDecoder().decode(chunk);
      if (text.includes("listening")) break;
    }
    expect(text).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    r.kill();
    await r.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  test("with no configuration it creates fml.db in the current directory", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "fml-default-"));
    const child = Bun.spawn([process.execPath, main, "server", "--listen-address", "127.0.0.1:0"], { cwd, stderr: "pipe" });
    let text = "";
    for await (const chunk of child.stderr) {
      text += new TextDecoder().decode(chunk);
      if (text.includes("listening")) break;
    }
    expect(text).toContain("database=sqlite://fml.db");
    expect(await Bun.file(join(cwd, "fml.db")).exists()).toBe(true);
    child.kill();
    await child.exited;
    rmSync(cwd, { recursive: true, force: true });
  });
});
