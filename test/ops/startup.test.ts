/**
 * Start-up and operation as an operator meets them: a failed start changes nothing on disk and
 * says why in one line with exit status 2, a 5xx leaves its cause in the log, and `npm start`
 * stops when npm is told to.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, startFml } from "../helpers/server.ts";

const main = join(repoRoot, "src/cli/main.ts");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "fml-startup-"));
  dirs.push(dir);
  return dir;
}

function fml(args: string[], env: Record<string, string> = {}) {
  const cwd = scratch();
  const result = Bun.spawnSync([process.execPath, main, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 20000,
  });
  return { code: result.exitCode, stderr: result.stderr.toString(), files: readdirSync(cwd) };
}

describe("a start that fails changes nothing and says why", () => {
  test("a port in use: exit 2, the address and the cause, and no fml.db left behind", () => {
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const r = fml(["server", "-p", String(taken.port)]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `fml: cannot listen on 127.0.0.1:${taken.port}: the port is already in use by another process (EADDRINUSE)`,
      );
      expect(r.files).toEqual([]);
    } finally {
      taken.stop(true);
    }
  });

  test("an address that is not this machine's is named with the cause", () => {
    const r = fml(["server", "--listen-address", "192.0.2.1:5000"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("fml: cannot listen on 192.0.2.1:5000: the address is not one of this machine's (EADDRNOTAVAIL)");
    expect(r.files).toEqual([]);
  });

  const badRoots: [string, string][] = [
    ["s3://", "--default-artifact-root 's3://' names no bucket: write s3://<bucket>/<path>"],
    ["s3:/x", "--default-artifact-root 's3:/x' names no bucket: write s3://<bucket>/<path>"],
    ["s3://my bucket/x", "'my bucket' is not a valid S3 bucket name"],
    ["gs://bucket/x", "fml cannot serve 'gs:' artifacts; use a local path, file://, s3:// or mlflow-artifacts:/"],
    ["wasbs://c@acct.blob.core.windows.net/x", "fml cannot serve 'wasbs:' artifacts"],
  ];
  for (const [root, message] of badRoots) {
    test(`a default artifact root '${root}' is refused at start-up in one line`, () => {
      const r = fml(["server", "--default-artifact-root", root]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(message);
      expect(r.files).toEqual([]);
    });
  }

  test("a bad root from MLflow's variable is refused naming the variable", () => {
    const r = fml(["server"], { MLFLOW_DEFAULT_ARTIFACT_ROOT: "s3://" });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("fml: MLFLOW_DEFAULT_ARTIFACT_ROOT 's3://' names no bucket: write s3://<bucket>/<path>");
  });

  test("a proxied URI cannot be the artifacts destination", () => {
    const r = fml(["server", "--artifacts-destination", "mlflow-artifacts:/x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--artifacts-destination 'mlflow-artifacts:/x': fml cannot serve 'mlflow-artifacts:' artifacts");
  });
});

describe("operation", () => {
  test("a 5xx logs its cause at warn with the request id, and no secret", async () => {
    const server = await startFml({
      args: ["--default-artifact-root", "s3://bucket/root", "--s3-endpoint-uri", "http://user:hunter2@127.0.0.1:1"],
      env: { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "supersecretkey", AWS_MAX_ATTEMPTS: "1" },
    });
    try {
      const exp = await server.api<{ experiment_id: string }>("POST", "experiments/create", { name: "s3" });
      const run = await server.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
        experiment_id: exp.body.experiment_id,
      });
      const response = await fetch(
        `${server.url}/api/2.0/mlflow/artifacts/list?run_id=${run.body.run.info.run_id}`,
        { headers: { "x-request-id": "req-5xx-check" } },
      );
      expect(response.status).toBeGreaterThanOrEqual(500);
      await Bun.sleep(100);
      const line = server.logs().split("\n").find((l) => l.includes("WARN request req-5xx-check"));
      expect(line).toContain("GET /api/2.0/mlflow/artifacts/list answered");
      expect(line).toContain("127.0.0.1:1");
      expect(server.logs()).not.toContain("hunter2");
      expect(server.logs()).not.toContain("supersecretkey");
    } finally {
      await server.stop();
    }
  }, 30000);

  test("SIGTERM logs that it was received and that fml stopped", async () => {
    const server = await startFml();
    expect(await server.kill("SIGTERM")).toBe(0);
    expect(server.logs()).toMatch(/INFO SIGTERM received: finishing in-flight requests\n.*INFO stopped\n/);
    await server.stop();
  });

  test("kill <npm pid> after `npm start` stops the server", async () => {
    const dir = scratch();
    const npm = Bun.spawn(
      ["npm", "start", "--", "-p", "0", "--database-uri", `sqlite:///${join(dir, "fml.db")}`, "--artifacts-destination", join(dir, "art")],
      { cwd: repoRoot, stdout: "pipe", stderr: "pipe", env: { ...process.env, npm_config_update_notifier: "false" } },
    );
    let logs = "";
    const decoder = new TextDecoder();
    for await (const chunk of npm.stderr) {
      logs += decoder.decode(chunk);
      if (/listening on http:\/\/[^ ]+:\d+/.test(logs)) break;
    }
    const url = /listening on (http:\/\/[^ ]+:\d+)/.exec(logs)?.[1] as string;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    npm.kill("SIGTERM");
    await npm.exited;
    // The server went with npm: nothing answers on its port.
    let answered = true;
    for (let i = 0; i < 50 && answered; i++) {
      answered = await fetch(`${url}/health`).then(() => true, () => false);
      if (answered) await Bun.sleep(100);
    }
    expect(answered).toBe(false);
    expect(existsSync(join(dir, "fml.db"))).toBe(true);
  }, 30000);
});
