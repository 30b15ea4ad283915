/**
 * Transport-level behaviour every client relies on: health and version, MLflow's error shape for
 * unknown endpoints, wrong methods, wrong content types, malformed and oversized bodies.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFml, type FmlServer } from "../helpers/server.ts";

describe("http", () => {
  let fml: FmlServer;
  beforeAll(async () => {
    fml = await startFml();
  });
  afterAll(async () => {
    await fml.stop();
  });

  test("GET /health answers OK", async () => {
    const r = await fetch(`${fml.url}/health`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("OK");
  });

  test("GET /version answers the MLflow version fml serves, and fml's own in a header", async () => {
    const r = await fetch(`${fml.url}/version`);
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.headers.get("x-fml-version")).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("an unknown endpoint is 404 ENDPOINT_NOT_FOUND in MLflow's error shape", async () => {
    const r = await fml.api("GET", "no/such/endpoint");
    expect(r.status).toBe(404);
    expect(r.body.error_code).toBe("ENDPOINT_NOT_FOUND");
    expect(r.body.message).toBeString();
    const outside = await fetch(`${fml.url}/api/2.0/other`);
    expect(outside.status).toBe(404);
  });

  test("a known path with the wrong method is 405 with a JSON error", async () => {
    const r = await fml.api("GET", "runs/log-batch");
    expect(r.status).toBe(405);
    expect(r.body.error_code).toBe("BAD_REQUEST");
  });

  test("POST bodies must be application/json", async () => {
    const r = await fetch(`${fml.url}/api/2.0/mlflow/experiments/create`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ name: "x" }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error_code: string }).error_code).toBe("INVALID_PARAMETER_VALUE");
  });

  test("malformed JSON is 400 and creates nothing", async () => {
    const r = await fml.api("POST", "runs/create", "{not json");
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe("BAD_REQUEST");
    const runs = await fml.api("POST", "runs/search", { experiment_ids: ["0"] });
    expect(runs.body).toEqual({});
  });

  test("a JSON body that is a string holding JSON is accepted, as MLflow does", async () => {
    const r = await fml.api("POST", "experiments/create", JSON.stringify(JSON.stringify({ name: "double-encoded" })));
    expect(r.status).toBe(200);
    expect(r.body.experiment_id).toBeString();
  });

  test("an oversized JSON body is refused with 413", async () => {
    const big = JSON.stringify({ name: "x".repeat(17 * 1024 * 1024) });
    const r = await fml.api("POST", "experiments/create", big);
    expect(r.status).toBe(413);
    expect(r.body.error_code).toBe("REQUEST_LIMIT_EXCEEDED");
    expect((await fetch(`${fml.url}/health`)).status).toBe(200);
  });

  test("an empty body on an endpoint with required fields is a missing-parameter error", async () => {
    const r = await fetch(`${fml.url}/api/2.0/mlflow/runs/log-metric`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toContain("Missing value for required parameter");
  });
});

describe("graceful stop", () => {
  test("SIGTERM during a stream of writes loses no acknowledged write and exits 0", async () => {
    const fml = await startFml();
    const exp = await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "drain" });
    const run = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
      experiment_id: exp.body.experiment_id,
    });
    const runId = run.body.run.info.run_id;
    const acknowledged: number[] = [];
    const writer = async (offset: number) => {
      for (let i = offset; i < offset + 100000; i++) {
        try {
          const r = await fml.api("POST", "runs/log-metric", { run_id: runId, key: "m", value: i, timestamp: i, step: i });
          if (r.status === 200) acknowledged.push(i);
        } catch {
          return; // connection refused once the listener is gone
        }
      }
    };
    const writers = [0, 1, 2, 3].map((w) => writer(w * 100000));
    await Bun.sleep(500);
    const code = await fml.kill("SIGTERM");
    await Promise.all(writers);
    expect(code).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(10);

    const again = await startFml({ databaseUri: fml.databaseUri });
    const history = await again.api<{ metrics: { step: number }[] }>("GET", "metrics/get-history", {
      run_id: runId,
      metric_key: "m",
    });
    const stored = new Set(history.body.metrics.map((m) => m.step));
    expect(acknowledged.filter((i) => !stored.has(i))).toEqual([]);
    await again.stop();
    await fml.stop();
  });
});
