/**
 * Authentication (off by default): basic auth with one username and password, bearer tokens from
 * a file of SHA-256 hashes, probes left open, 401 with a Basic challenge, no secret in the logs.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, startFml, type FmlServer } from "../helpers/server.ts";

const PASSWORD = "pa55-w0rd-never-logged";
const TOKEN = "tok-4f1c9e0b7d2a-never-logged";
const sha256hex = (text: string): string => createHash("sha256").update(text).digest("hex");
const basic = (user: string, password: string): string => `Basic ${btoa(`${user}:${password}`)}`;

describe("authentication", () => {
  let fml: FmlServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "fml-auth-"));
    const tokens = join(dir, "tokens");
    writeFileSync(tokens, `# ci tokens\nci-bot:${sha256hex(TOKEN)}\n\n${sha256hex("other-token")}\n`);
    fml = await startFml({
      args: ["--auth-username", "alice", "--auth-password", PASSWORD, "--auth-tokens-file", tokens],
    });
  }, 60_000);
  afterAll(async () => {
    await fml.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const search = (authorization?: string) =>
    fetch(`${fml.url}/api/2.0/mlflow/experiments/search?max_results=1`, {
      headers: authorization ? { authorization } : {},
    });

  test("/health and /ready stay open", async () => {
    expect((await fetch(`${fml.url}/health`)).status).toBe(200);
    expect((await fetch(`${fml.url}/ready`)).status).toBe(200);
  }, 60_000);

  test("missing credentials get 401 with WWW-Authenticate: Basic realm=\"fml\"", async () => {
    const response = await search();
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Basic realm="fml"');
    expect(await response.text()).toContain("You are not authenticated");
    expect((await fetch(`${fml.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${fml.url}/`)).status).toBe(401);
  }, 60_000);

  test("a wrong password, a wrong user, a wrong token or a malformed header get 401", async () => {
    for (const header of [
      basic("alice", "wrong"),
      basic("bob", PASSWORD),
      basic("alice", PASSWORD + "x"),
      "Bearer not-a-token",
      `Bearer ${sha256hex(TOKEN)}`, // the hash itself is not a token
      "Basic !!!",
      "Basic",
      `Token ${TOKEN}`,
    ]) {
      const response = await search(header);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Basic realm="fml"');
    }
  }, 60_000);

  test("basic auth as MLflow clients send it is accepted", async () => {
    const response = await search(basic("alice", PASSWORD));
    expect(response.status).toBe(200);
    const created = await fetch(`${fml.url}/api/2.0/mlflow/experiments/create`, {
      method: "POST",
      headers: { authorization: basic("alice", PASSWORD), "content-type": "application/json" },
      body: JSON.stringify({ name: "with-auth" }),
    });
    expect(created.status).toBe(200);
  }, 60_000);

  test("bearer tokens whose hash is listed (with or without a name) are accepted", async () => {
    expect((await search(`Bearer ${TOKEN}`)).status).toBe(200);
    expect((await search("Bearer other-token")).status).toBe(200);
  }, 60_000);

  test("neither the password nor a token appears in the logs", async () => {
    await Bun.sleep(100);
    expect(fml.logs()).toContain("auth=basic+bearer(2 tokens)");
    expect(fml.logs()).not.toContain(PASSWORD);
    expect(fml.logs()).not.toContain(TOKEN);
    expect(fml.logs()).not.toContain(btoa(`alice:${PASSWORD}`));
  }, 60_000);
});

describe("authentication configuration errors", () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    Bun.spawnSync([process.execPath, join(repoRoot, "src/cli/main.ts"), "server", "--database-uri", "sqlite://:memory:", ...args], {
      env: { ...process.env, ...env },
    });

  test("a username without a password is refused at start-up, exit 2", () => {
    const result = run(["--auth-username", "alice"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.toString()).toContain("--auth-username and --auth-password go together");
  }, 60_000);

  test("a tokens file line that is not a SHA-256 digest is refused with its line number", () => {
    const dir = mkdtempSync(join(tmpdir(), "fml-auth-"));
    try {
      writeFileSync(join(dir, "tokens"), `${sha256hex("a")}\nname:plaintext-token\n`);
      const result = run([], { FML_AUTH_TOKENS_FILE: join(dir, "tokens") });
      expect(result.exitCode).toBe(2);
      expect(result.stderr.toString()).toContain("tokens:2: expected a SHA-256 hex digest");
      expect(result.stderr.toString()).not.toContain("plaintext-token");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("shutdown timeout", () => {
  test("after SIGTERM, a request that never finishes does not keep fml alive past --shutdown-timeout", async () => {
    const fml = await startFml({ args: ["--shutdown-timeout", "1s"] });
    try {
      // An upload whose body never ends keeps one request in flight.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(10));
        },
      });
      const pending = fetch(`${fml.url}/api/2.0/mlflow-artifacts/artifacts/stuck.bin`, {
        method: "PUT",
        body,
        duplex: "half",
      } as RequestInit).catch(() => undefined);
      await Bun.sleep(200);
      const started = performance.now();
      const code = await fml.kill("SIGTERM");
      const took = performance.now() - started;
      expect(code).toBe(1);
      expect(took).toBeGreaterThan(800);
      expect(took).toBeLessThan(5000);
      expect(fml.logs()).toContain("shutdown did not finish within 1000 ms: exiting anyway");
      await pending;
    } finally {
      await fml.stop();
    }
  }, 60_000);
});
