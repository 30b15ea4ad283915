/**
 * An `mlflow server` deployment moved over unchanged: MLflow's short flags, its environment
 * variables (below the FML_* names), and every `server` option it documents, each with the
 * meaning it can have in fml. Each test starts the real CLI.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers/server.ts";

const main = join(repoRoot, "src/cli/main.ts");
const dirs: string[] = [];
const children: { kill(): void }[] = [];
afterAll(() => {
  // A failed expectation skips a test's stop(): no server may outlive the file.
  for (const child of children) child.kill();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "fml-mlflow-cli-"));
  dirs.push(dir);
  return dir;
}

/** Env without the MLFLOW_ and FML_ variables the outer shell may carry, so each test sets its own. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(FML|MLFLOW)_/.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

function fml(args: string[], env: Record<string, string> = {}, cwd = scratch()) {
  const result = Bun.spawnSync([process.execPath, main, ...args], {
    cwd,
    env: cleanEnv(env),
    stdout: "pipe",
    stderr: "pipe",
    timeout: 20000,
  });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString(), cwd };
}

/** Every variable of MLflow 3.11's `mlflow server` options (mlflow/cli/__init__.py, mlflow/utils/cli_args.py). */
const mlflowServerVariables = [
  "MLFLOW_BACKEND_STORE_URI",
  "MLFLOW_REGISTRY_STORE_URI",
  "MLFLOW_DEFAULT_ARTIFACT_ROOT",
  "MLFLOW_SERVE_ARTIFACTS",
  "MLFLOW_ARTIFACTS_ONLY",
  "MLFLOW_ARTIFACTS_DESTINATION",
  "MLFLOW_HOST",
  "MLFLOW_PORT",
  "MLFLOW_WORKERS",
  "MLFLOW_SERVER_ALLOWED_HOSTS",
  "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS",
  "MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE",
  "MLFLOW_SERVER_X_FRAME_OPTIONS",
  "MLFLOW_STATIC_PREFIX",
  "MLFLOW_GUNICORN_OPTS",
  "MLFLOW_UVICORN_OPTS",
  "MLFLOW_EXPOSE_PROMETHEUS",
  "MLFLOW_WORKSPACE_STORE_URI",
  "MLFLOW_ENABLE_WORKSPACES",
];

interface Launched {
  url: string;
  port: number;
  logs(): string;
  get(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<number>;
}

/** Starts `fml server <args>` as a user would (no harness flags) and waits for it to listen. */
async function launch(args: string[], env: Record<string, string> = {}, cwd = scratch()): Promise<Launched> {
  const child = Bun.spawn([process.execPath, main, "server", ...args], {
    cwd,
    env: cleanEnv(env),
    stdout: "pipe",
    stderr: "pipe",
  });
  children.push(child);
  let logs = "";
  const decoder = new TextDecoder();
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`fml did not start:\n${logs}`)), 20000);
    (async () => {
      for await (const chunk of child.stderr) {
        logs += decoder.decode(chunk);
        const match = /listening on http:\/\/[^ ]+?:(\d+)/.exec(logs);
        if (match) {
          clearTimeout(timer);
          done(Number(match[1]));
        }
      }
      clearTimeout(timer);
      fail(new Error(`fml exited before listening:\n${logs}`));
    })().catch(fail);
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    logs: () => logs,
    get: (path, init) => fetch(url + path, init),
    async stop() {
      child.kill("SIGTERM");
      return child.exited;
    },
  };
}

async function experimentLocation(server: Launched, prefix = ""): Promise<string> {
  const created = await server.get(`${prefix}/api/2.0/mlflow/experiments/create`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: `e${Math.random()}` }),
  });
  const { experiment_id } = (await created.json()) as { experiment_id: string };
  const got = await server.get(`${prefix}/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`);
  const body = (await got.json()) as { experiment: { artifact_location: string } };
  return body.experiment.artifact_location.replace(new RegExp(`/${experiment_id}$`), "");
}

describe("MLflow's command line", () => {
  test("fml server -h 127.0.0.1 -p <port> listens there, and the log names the flags", async () => {
    const server = await launch(["-h", "127.0.0.1", "-p", "0"]);
    expect(await (await server.get("/health")).text()).toBe("OK");
    expect(server.logs()).toContain("settings: host from -h, port from -p");
    expect(await server.stop()).toBe(0);
    expect(server.logs()).toMatch(/SIGTERM received.*\n.*INFO stopped/);
  });

  test("a short flag's value may be attached, as click allows: -p5000 -h127.0.0.1", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const server = await launch([`-p${port}`, "-h127.0.0.1", "--no-serve-artifacts"]);
    expect(server.port).toBe(port);
    expect(server.logs()).toContain("settings: host from -h, port from -p, serve-artifacts from --no-serve-artifacts");
    await server.stop();
  });

  test("MLflow's boolean spellings in variables: MLFLOW_SERVE_ARTIFACTS=f", async () => {
    const cwd = scratch();
    const server = await launch(["-p", "0"], { MLFLOW_SERVE_ARTIFACTS: "f" }, cwd);
    expect(await experimentLocation(server)).toBe(join(cwd, "mlruns"));
    await server.stop();
    const bad = fml(["server"], { MLFLOW_SERVE_ARTIFACTS: "maybe" });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("fml: MLFLOW_SERVE_ARTIFACTS must be true or false, got 'maybe'");
  });

  test("-h alone still asks for help outside `server`; --help does everywhere", () => {
    expect(fml(["-h"]).stdout).toContain("Usage: fml <command>");
    expect(fml(["server", "--help"]).stdout).toContain("Usage: fml server [options]");
  });

  test("-h or -p without a value is refused, not taken as help or the default", () => {
    for (const flag of ["-h", "-p", "--backend-store-uri"]) {
      const r = fml(["server", flag]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`fml: flag '${flag}' needs a value (see --help)`);
    }
  });

  test("a single-dash long flag is refused with the two-dash spelling, exit 2", () => {
    const r = fml(["server", "-backend-store-uri", "sqlite:///x.db"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      "fml: unknown flag '-backend-store-uri': long flags take two dashes; did you mean '--backend-store-uri'? (see --help)",
    );
    expect(existsSync(join(r.cwd, "x.db"))).toBe(false);
  });

  test("--help prints every spelling as typed, the --no- forms, no colour, within 80 columns", () => {
    const r = fml(["server", "--help"]);
    expect(r.code).toBe(0);
    for (const spelling of [
      "-h, --host <value>",
      "-p, --port <value>",
      "--database-uri, --backend-store-uri <value>",
      "--artifact-root, --default-artifact-root <value>",
      "--serve-artifacts, --no-serve-artifacts",
      "--database-migrate, --no-database-migrate",
      "-w, --workers <value>",
    ]) {
      expect(r.stdout).toContain(spelling);
    }
    for (const variable of mlflowServerVariables) expect(r.stdout).toContain(variable);
    expect(r.stdout).not.toMatch(/(^|[ ,])-[a-z]{2,}/m);
    expect(r.stdout).not.toContain("\u001b[");
    for (const line of r.stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  });
});

describe.skipIf(!Bun.which("script"))(`--help on a terminal${Bun.which("script") ? "" : " (skipped: util-linux script is not installed)"}`, () => {
  test("is coloured and wrapped to the terminal's width", () => {
    const command = `stty cols 60; ${process.execPath} ${main} server --help`;
    const result = Bun.spawnSync(["script", "-qec", command, "/dev/null"], { stdout: "pipe", stderr: "pipe", env: cleanEnv({}) });
    const text = result.stdout.toString().replaceAll("\r", "");
    expect(text).toContain("\u001b[1mOptions:\u001b[0m");
    const plain = text.replace(/\u001b\[[0-9;]*m/g, "");
    expect(plain).toContain("--serve-artifacts, --no-serve-artifacts");
    for (const line of plain.split("\n")) expect(line.length).toBeLessThanOrEqual(60);
  });
});

describe("MLflow's environment variables", () => {
  test("MLFLOW_BACKEND_STORE_URI, _DEFAULT_ARTIFACT_ROOT, _HOST and _PORT configure the server", async () => {
    const cwd = scratch();
    const server = await launch(
      [],
      {
        MLFLOW_BACKEND_STORE_URI: "sqlite:///mlflow.db",
        MLFLOW_DEFAULT_ARTIFACT_ROOT: "s3://mlflow-env/root",
        MLFLOW_HOST: "127.0.0.1",
        MLFLOW_PORT: "0",
      },
      cwd,
    );
    expect(await experimentLocation(server)).toBe("s3://mlflow-env/root");
    expect(existsSync(join(cwd, "mlflow.db"))).toBe(true);
    expect(existsSync(join(cwd, "fml.db"))).toBe(false);
    expect(server.logs()).toContain(
      "settings: host from MLFLOW_HOST, port from MLFLOW_PORT, database-uri from MLFLOW_BACKEND_STORE_URI, artifact-root from MLFLOW_DEFAULT_ARTIFACT_ROOT",
    );
    await server.stop();
  });

  test("a flag beats FML_*, which beats MLFLOW_*, which beats the default", async () => {
    const env = { MLFLOW_DEFAULT_ARTIFACT_ROOT: "s3://from-mlflow/r", MLFLOW_PORT: "1", FML_LISTEN_ADDRESS: "127.0.0.1:0" };
    const mlflowOnly = await launch([], { MLFLOW_DEFAULT_ARTIFACT_ROOT: "s3://from-mlflow/r", MLFLOW_PORT: "0" });
    expect(await experimentLocation(mlflowOnly)).toBe("s3://from-mlflow/r");
    await mlflowOnly.stop();
    // FML_LISTEN_ADDRESS (port 0) beat MLFLOW_PORT=1, which would fail to bind.
    const fmlWins = await launch([], { ...env, FML_ARTIFACT_ROOT: "s3://from-fml/r" });
    expect(await experimentLocation(fmlWins)).toBe("s3://from-fml/r");
    expect(fmlWins.logs()).toContain("port from FML_LISTEN_ADDRESS");
    expect(fmlWins.logs()).toContain("artifact-root from FML_ARTIFACT_ROOT");
    await fmlWins.stop();
    const flagWins = await launch(["--default-artifact-root", "s3://from-flag/r"], { ...env, FML_ARTIFACT_ROOT: "s3://from-fml/r" });
    expect(await experimentLocation(flagWins)).toBe("s3://from-flag/r");
    expect(flagWins.logs()).toContain("artifact-root from --default-artifact-root");
    await flagWins.stop();
    const byDefault = await launch(["-p", "0"]);
    expect(await experimentLocation(byDefault)).toBe("mlflow-artifacts:");
    expect(byDefault.logs()).not.toContain("artifact-root from");
    await byDefault.stop();
  });

  test("MLFLOW_SERVE_ARTIFACTS=false falls back to ./mlruns; MLFLOW_ARTIFACTS_DESTINATION stores proxied files", async () => {
    const cwd = scratch();
    const off = await launch(["-p", "0"], { MLFLOW_SERVE_ARTIFACTS: "false" }, cwd);
    expect(await experimentLocation(off)).toBe(join(cwd, "mlruns"));
    await off.stop();
    const destination = join(scratch(), "dest");
    const on = await launch(["-p", "0"], { MLFLOW_ARTIFACTS_DESTINATION: destination });
    const put = await on.get("/api/2.0/mlflow-artifacts/artifacts/a/b.txt", { method: "PUT", body: "hello" });
    expect(put.status).toBe(200);
    expect(await Bun.file(join(destination, "a/b.txt")).text()).toBe("hello");
    expect(on.logs()).toContain("artifacts-destination from MLFLOW_ARTIFACTS_DESTINATION");
    await on.stop();
  });

  test("MLFLOW_ARTIFACTS_ONLY serves the artifact proxy and refuses tracking with MLflow's 503", async () => {
    const server = await launch(["-p", "0"], { MLFLOW_ARTIFACTS_ONLY: "true" });
    const put = await server.get("/api/2.0/mlflow-artifacts/artifacts/x.txt", { method: "PUT", body: "x" });
    expect(put.status).toBe(200);
    expect(await (await server.get("/api/2.0/mlflow-artifacts/artifacts/x.txt")).text()).toBe("x");
    const tracking = await server.get("/api/2.0/mlflow/experiments/search?max_results=1");
    expect(tracking.status).toBe(503);
    expect(await tracking.text()).toContain("disabled due to the mlflow server running in `--artifacts-only` mode");
    expect((await server.get("/health")).status).toBe(200);
    await server.stop();
  });
});

describe("MLflow's other server options", () => {
  test("process-model options are accepted and logged as not needed", async () => {
    const server = await launch(
      ["-p", "0", "--workers", "4", "--gunicorn-opts", "-w 4 --timeout 60", "--uvicorn-opts", "--reload", "--waitress-opts", "--threads=8"],
      { MLFLOW_WORKERS: "8" },
    );
    for (const flag of ["--workers", "--gunicorn-opts", "--uvicorn-opts", "--waitress-opts"]) {
      expect(server.logs()).toContain(`INFO ${flag}: not needed`);
    }
    expect(server.logs()).toContain("workers from --workers");
    await server.stop();
  });

  test("--expose-prometheus keeps /metrics; --dev turns on debug logging", async () => {
    const server = await launch(["-p", "0", "--expose-prometheus", join(scratch(), "prom"), "--dev"]);
    const metrics = await server.get("/metrics");
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("# TYPE");
    expect(server.logs()).toContain("--expose-prometheus: not needed");
    expect(server.logs()).toContain("--dev: debug logging");
    await server.stop();
  });

  test("--static-prefix serves the UI, the API and the probes under the prefix only", async () => {
    const server = await launch(["-p", "0", "--static-prefix", "/mlflow"]);
    expect(await (await server.get("/mlflow/health")).text()).toBe("OK");
    expect((await server.get("/mlflow/")).headers.get("content-type")).toContain("text/html");
    expect(await experimentLocation(server, "/mlflow")).toBe("mlflow-artifacts:");
    expect((await server.get("/mlflow/ajax-api/2.0/mlflow/experiments/search?max_results=1")).status).toBe(200);
    expect((await server.get("/api/2.0/mlflow/experiments/search?max_results=1")).status).toBe(404);
    const bare = await server.get("/mlflow", { redirect: "manual" });
    expect(bare.status).toBe(308);
    expect(bare.headers.get("location")).toBe(`${server.url}/mlflow/`);
    expect(server.logs()).toContain(`listening on http://127.0.0.1:${server.port}/mlflow `);
    await server.stop();
    expect(fml(["server", "--static-prefix", "mlflow"]).stderr).toContain("--static-prefix must begin with a '/'.");
    expect(fml(["server", "--static-prefix", "/mlflow/"]).code).toBe(2);
  });

  test("--x-frame-options is sent on every response, SAMEORIGIN by default as in MLflow", async () => {
    const server = await launch(["-p", "0"]);
    expect((await server.get("/health")).headers.get("x-frame-options")).toBe("SAMEORIGIN");
    await server.stop();
    const none = await launch(["-p", "0"], { MLFLOW_SERVER_X_FRAME_OPTIONS: "NONE" });
    expect((await none.get("/health")).headers.get("x-frame-options")).toBeNull();
    await none.stop();
  });

  test("--registry-store-uri equal to the tracking database is fine; another is refused", async () => {
    const cwd = scratch();
    const same = await launch(["-p", "0", "--backend-store-uri", "sqlite:///m.db", "--registry-store-uri", `sqlite:////${join(cwd, "m.db").slice(1)}`], {}, cwd);
    expect(same.logs()).toContain("registry-store-uri from --registry-store-uri");
    await same.stop();
    const other = fml(["server", "--backend-store-uri", "sqlite:///m.db"], { MLFLOW_REGISTRY_STORE_URI: "sqlite:///r.db" });
    expect(other.code).toBe(2);
    expect(other.stderr.trim()).toBe(
      "fml: --registry-store-uri must be the tracking database (--backend-store-uri): fml keeps registered models in the same database",
    );
    expect(existsSync(join(other.cwd, "m.db"))).toBe(false);
  });

  test("--app-name, workspaces and the security options get an answer, never 'unknown flag'", async () => {
    const plugin = fml(["server", "--app-name", "basic-auth"]);
    expect(plugin.code).toBe(2);
    expect(plugin.stderr).toContain("for basic auth set --auth-username and --auth-password");
    const workspaces = fml(["server", "--enable-workspaces"]);
    expect(workspaces.code).toBe(2);
    expect(workspaces.stderr).toContain("fml does not support MLflow workspaces");
    const server = await launch(
      ["-p", "0", "--app-name", "basic-auth", "--disable-workspaces", "--allowed-hosts", "a.example", "--cors-allowed-origins", "*", "--disable-security-middleware", "--secrets-cache-ttl", "60"],
      { FML_AUTH_USERNAME: "u", FML_AUTH_PASSWORD: "p", MLFLOW_ENABLE_WORKSPACES: "false", MLFLOW_WORKSPACE_STORE_URI: "sqlite:///w.db" },
    );
    expect(server.logs()).toContain("--app-name basic-auth: served by fml's own");
    expect(server.logs()).toContain("WARN --allowed-hosts: fml does not check the Host header");
    expect(server.logs()).toContain("WARN --cors-allowed-origins");
    expect(server.logs()).toContain("--workspace-store-uri: not needed");
    expect(server.logs()).toContain("--secrets-cache-ttl: not needed");
    expect((await server.get("/api/2.0/mlflow/experiments/search?max_results=1")).status).toBe(401);
    await server.stop();
  });
});
