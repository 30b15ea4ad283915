/**
 * Running fml as a service, over HTTP against real processes: /ready, /metrics in Prometheus text
 * format, per-request log lines with request ids, authentication, the shutdown timeout and SIGHUP.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { isPostgresReachable, postgresAdminUrl, startFml, type FmlServer } from "../helpers/server.ts";

/** Parses the text exposition format strictly enough to catch a malformed line. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      if (comment[1] === "TYPE") {
        expect(["counter", "gauge", "histogram", "summary", "untyped"]).toContain(comment[3] as string);
        typed.add(comment[2] as string);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus sample line: ${line}`);
    const family = (sample[1] as string).replace(/_(bucket|sum|count)$/, "");
    expect(typed.has(family) || typed.has(sample[1] as string)).toBe(true);
    samples.set(`${sample[1]}${sample[2] ?? ""}`, Number(sample[3]));
  }
  return samples;
}

describe("metrics, readiness and request logs", () => {
  let fml: FmlServer;
  beforeAll(async () => {
    fml = await startFml({ args: ["--log-format", "json"] });
  }, 60_000);
  afterAll(async () => {
    await fml.stop();
  }, 60_000);

  test("/ready answers 200 OK on a reachable database at head", async () => {
    const response = await fetch(`${fml.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("OK");
  }, 60_000);

  test("/metrics parses as Prometheus text and counts requests, metric points and artifact bytes", async () => {
    const created = await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "metrics" });
    expect(created.status).toBe(200);
    const run = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
      experiment_id: created.body.experiment_id,
    });
    const runId = run.body.run.info.run_id;
    const batch = await fml.api("POST", "runs/log-batch", {
      run_id: runId,
      metrics: [1, 2, 3].map((step) => ({ key: "loss", value: 1 / step, timestamp: 1, step })),
    });
    expect(batch.status).toBe(200);
    await fml.api("POST", "runs/log-metric", { run_id: runId, key: "acc", value: 0.5, timestamp: 1, step: 0 });
    await fml.api("GET", "experiments/get", { experiment_id: "424242" }); // 404

    const payload = new Uint8Array(100_000).fill(7);
    const put = await fetch(`${fml.url}/api/2.0/mlflow-artifacts/artifacts/m/blob.bin`, { method: "PUT", body: payload });
    expect(put.status).toBe(200);
    const got = await fetch(`${fml.url}/api/2.0/mlflow-artifacts/artifacts/m/blob.bin`);
    expect((await got.arrayBuffer()).byteLength).toBe(payload.length);

    const response = await fetch(`${fml.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const samples = parsePrometheus(await response.text());
    const route = "/api/2.0/mlflow/experiments/create";
    expect(samples.get(`fml_http_requests_total{method="POST",route="${route}",status="200"}`)).toBe(1);
    expect(
      samples.get(`fml_http_requests_total{method="GET",route="/api/2.0/mlflow/experiments/get",status="404"}`),
    ).toBe(1);
    expect(samples.get(`fml_http_request_duration_seconds_count{method="POST",route="${route}"}`)).toBe(1);
    expect(samples.get(`fml_http_request_duration_seconds_bucket{method="POST",route="${route}",le="+Inf"}`)).toBe(1);
    expect(samples.get("fml_metric_points_ingested_total")).toBe(4);
    expect(samples.get(`fml_artifact_bytes_total{direction="in"}`)).toBe(payload.length);
    expect(samples.get(`fml_artifact_bytes_total{direction="out"}`)).toBe(payload.length);
    const artifactRoute = [...samples.keys()].find((k) => k.startsWith('fml_http_requests_total{method="PUT"'));
    expect(artifactRoute).toContain('route="/api/2.0/mlflow-artifacts/artifacts/*"'); // the pattern, not the path
    expect([...samples.keys()].some((k) => k.startsWith("fml_build_info{"))).toBe(true);
  }, 60_000);

  test("every response carries X-Request-Id; a sane client id is kept and logged as one JSON line", async () => {
    const fresh = await fetch(`${fml.url}/health`);
    expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const mine = await fetch(`${fml.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, {
      headers: { "x-request-id": "client-abc.123" },
    });
    expect(mine.headers.get("x-request-id")).toBe("client-abc.123");
    const hostile = await fetch(`${fml.url}/health`, { headers: { "x-request-id": "a b\"c" } });
    expect(hostile.headers.get("x-request-id")).not.toBe('a b"c');
    await Bun.sleep(100);
    const line = fml
      .logs()
      .split("\n")
      .find((l) => l.includes("client-abc.123"));
    expect(line).toBeDefined();
    const entry = JSON.parse(line as string);
    expect(entry).toMatchObject({
      level: "info",
      msg: "request",
      request_id: "client-abc.123",
      method: "GET",
      route: "/api/2.0/mlflow/experiments/get",
      status: 200,
    });
    expect(typeof entry.duration_ms).toBe("number");
  }, 60_000);
});

describe("text request log and SIGHUP", () => {
  test("text lines name request id, method, route, status and latency; SIGHUP does not stop the server", async () => {
    const fml = await startFml();
    try {
      await fetch(`${fml.url}/api/2.0/mlflow/experiments/search?max_results=1`, { headers: { "x-request-id": "t-1" } });
      await Bun.sleep(100);
      const line = fml.logs().split("\n").find((l) => l.includes("request_id=t-1")) ?? "";
      expect(line).toMatch(
        /INFO request request_id=t-1 method=GET route=\/api\/2\.0\/mlflow\/experiments\/search path=\S+ status=200 duration_ms=[\d.]+$/,
      );
      // kill() resolves on exit, which SIGHUP must not cause: do not wait for it.
      void fml.kill("SIGHUP");
      await Bun.sleep(200);
      expect(fml.logs()).toContain("SIGHUP received");
      expect((await fetch(`${fml.url}/health`)).status).toBe(200);
    } finally {
      expect(await fml.stop()).toBe(0);
    }
  }, 60_000);
});

describe.skipIf(!(await isPostgresReachable()))(
  `/ready on PostgreSQL${(await isPostgresReachable()) ? "" : " (skipped: PostgreSQL not reachable)"}`,
  () => {
    test("/ready turns 503 with the reason when the database goes away, while /health stays 200", async () => {
      const fml = await startFml({ backend: "postgresql" });
      try {
        expect((await fetch(`${fml.url}/ready`)).status).toBe(200);
        const name = new URL(fml.databaseUri).pathname.slice(1);
        const admin = postgres(postgresAdminUrl, { max: 1, onnotice: () => {} });
        await admin.unsafe(`DROP DATABASE ${name} WITH (FORCE)`);
        await admin.end();
        const ready = await fetch(`${fml.url}/ready`);
        expect(ready.status).toBe(503);
        const reason = await ready.text();
        expect(reason).toStartWith("database not ready: ");
        expect(reason).not.toContain(name);
        expect((await fetch(`${fml.url}/health`)).status).toBe(200);
        // API calls answer MLflow's retryable 503, naming neither the database nor its host.
        const search = await fml.api<{ error_code: string; message: string }>("POST", "experiments/search", { max_results: 1 });
        expect([search.status, search.body.error_code]).toEqual([503, "TEMPORARILY_UNAVAILABLE"]);
        expect(search.body.message).not.toContain(name);
        expect(search.body.message).not.toContain("127.0.0.1");
      } finally {
        await fml.stop();
      }
    }, 60_000);
  },
);
