/**
 * Bad input is refused at the HTTP edge with a 4xx naming the field, the same on every database,
 * and never reaches the database or the file system: NUL characters, integers a JavaScript number
 * cannot carry exactly, over-long filters and names, bodies nested without end.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

interface ErrorBody {
  error_code?: string;
  message?: string;
}

const proxy = "/api/2.0/mlflow-artifacts/artifacts";

for (const backend of await backends()) {
  describe(`hostile input [${backend}]`, () => {
    let server: FmlServer;
    let runId: string;
    beforeAll(async () => {
      server = await startFml({ backend });
      const run = await server.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: "0" });
      runId = run.body.run.info.run_id;
    });
    afterAll(async () => {
      await server.stop();
    });

    const expectRefused = (r: { status: number; body: unknown }, field: string): void => {
      const body = r.body as ErrorBody;
      expect([r.status, body.error_code]).toEqual([400, "INVALID_PARAMETER_VALUE"]);
      expect(body.message).toContain(`'${field}'`);
    };

    test("NUL characters are refused in JSON fields, nested fields and query parameters", async () => {
      expectRefused(await server.api("POST", "experiments/create", { name: "a\u0000b" }), "name");
      expectRefused(
        await server.api("POST", "runs/log-batch", { run_id: runId, params: [{ key: "k", value: "v\u0000" }] }),
        "value",
      );
      expectRefused(await server.api("GET", "experiments/get-by-name", { experiment_name: "x\u0000y" }), "experiment_name");
      const run = await server.api<{ run: { data: { params?: unknown[] } } }>("GET", "runs/get", { run_id: runId });
      expect(run.body.run.data.params).toBeUndefined();
      const found = await server.api<{ experiments?: unknown[] }>("POST", "experiments/search", { max_results: 10 });
      expect(found.body.experiments).toHaveLength(1);
    });

    test("integers beyond 2^53 are refused rather than rounded", async () => {
      expectRefused(await server.api("POST", "runs/update", { run_id: runId, end_time: 1e308 }), "end_time");
      expectRefused(
        await server.api("POST", "runs/log-metric", { run_id: runId, key: "m", value: 1, timestamp: 1, step: "9223372036854775807" }),
        "step",
      );
      expectRefused(
        await server.api("POST", "runs/log-metric", { run_id: runId, key: "m", value: 1, timestamp: 2 ** 53, step: 0 }),
        "timestamp",
      );
      expectRefused(await server.api("POST", "runs/search", { experiment_ids: ["0"], max_results: 1e20 }), "max_results");
      const history = await server.api<{ metrics?: unknown[] }>("GET", "metrics/get-history", { run_id: runId, metric_key: "m" });
      expect(history.body.metrics).toBeUndefined();
      const exact = await server.api("POST", "runs/log-metric", {
        run_id: runId,
        key: "m",
        value: 1,
        timestamp: Number.MAX_SAFE_INTEGER,
        step: Number.MAX_SAFE_INTEGER,
      });
      expect(exact.status).toBe(200);
      const stored = await server.api<{ metrics: { step: number; timestamp: number }[] }>("GET", "metrics/get-history", {
        run_id: runId,
        metric_key: "m",
      });
      expect(stored.body.metrics.map((m) => [m.step, m.timestamp])).toEqual([[Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]]);
    });

    test("experiment ids beyond the schema's 32-bit INTEGER are refused, not sent to the database", async () => {
      for (const [method, endpoint, body] of [
        ["GET", "experiments/get", { experiment_id: "2147483648" }],
        ["POST", "runs/create", { experiment_id: "99999999999" }],
        ["POST", "runs/search", { experiment_ids: ["0", "2147483648"] }],
      ] as const) {
        const r = await server.api<ErrorBody>(method, endpoint, body);
        expect([endpoint, r.status, r.body.error_code]).toEqual([endpoint, 400, "INVALID_PARAMETER_VALUE"]);
        expect(r.body.message).toContain("Invalid experiment ID");
      }
      const largest = await server.api<ErrorBody>("GET", "experiments/get", { experiment_id: "2147483647" });
      expect([largest.status, largest.body.error_code]).toEqual([404, "RESOURCE_DOES_NOT_EXIST"]);
    });

    test("runs/search over more than 10,000 experiment ids is refused (PostgreSQL binds at most 65,535 values)", async () => {
      const ids = Array.from({ length: 70_000 }, (_, i) => String(i));
      expectRefused(await server.api("POST", "runs/search", { experiment_ids: ids }), "experiment_ids");
      const many = await server.api<{ runs?: unknown[] }>("POST", "runs/search", { experiment_ids: ids.slice(0, 10_000) });
      expect(many.status).toBe(200);
    });

    test("an over-long filter or order_by clause is refused before it is parsed", async () => {
      const filter = `params.p = '${"x".repeat(300 * 1024)}'`;
      const started = performance.now();
      const r = await server.api<ErrorBody>("POST", "runs/search", { experiment_ids: ["0"], filter });
      expect([r.status, r.body.error_code]).toEqual([400, "INVALID_PARAMETER_VALUE"]);
      expect(r.body.message).toContain("longer than");
      expect(performance.now() - started).toBeLessThan(2000);
      const order = await server.api<ErrorBody>("POST", "runs/search", {
        experiment_ids: ["0"],
        order_by: [`params.${"p".repeat(2000)} DESC`],
      });
      expect([order.status, order.body.error_code]).toEqual([400, "INVALID_PARAMETER_VALUE"]);
    });

    test("a large body nested without end is refused as malformed", async () => {
      const depth = 200_000;
      const body = `{"experiment_ids": ${"[".repeat(depth)}${"]".repeat(depth)}}`;
      const r = await server.api<ErrorBody>("POST", "runs/search", body);
      expect([r.status, r.body.error_code]).toEqual([400, "BAD_REQUEST"]);
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
    });

    test("an artifact name over 255 bytes is a 400 that shows no server path", async () => {
      const name = `${"é".repeat(130)}.txt`;
      const r = await fetch(`${server.url}${proxy}/0/${runId}/artifacts/${encodeURIComponent(name)}`, { method: "PUT", body: "x" });
      const body = (await r.json()) as ErrorBody;
      expect([r.status, body.error_code]).toEqual([400, "INVALID_PARAMETER_VALUE"]);
      expect(body.message).not.toContain(server.dir);
      const listed = await server.api<{ files?: unknown[] }>("GET", "artifacts/list", { run_id: runId });
      expect(listed.body.files).toBeUndefined();
    });

    test("partial uploads are never listed, and a stale one is cleaned up", async () => {
      const ok = await fetch(`${server.url}${proxy}/0/${runId}/artifacts/done.txt`, { method: "PUT", body: "done" });
      expect(ok.status).toBe(200);
      const dir = join(server.dir, "mlartifacts", "0", runId, "artifacts");
      mkdirSync(dir, { recursive: true });
      const stale = join(dir, ".fml-upload-00000000-0000-0000-0000-000000000000");
      writeFileSync(stale, "half a file");
      const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
      utimesSync(stale, old, old);
      const fresh = join(dir, ".fml-upload-11111111-1111-1111-1111-111111111111");
      writeFileSync(fresh, "still uploading");
      const listed = await server.api<{ files?: { path: string }[] }>("GET", "artifacts/list", { run_id: runId });
      expect(listed.body.files?.map((f) => f.path)).toEqual(["done.txt"]);
      const proxied = await fetch(`${server.url}${proxy}?path=0/${runId}/artifacts`);
      expect(((await proxied.json()) as { files: { path: string }[] }).files.map((f) => f.path)).toEqual(["done.txt"]);
      for (let i = 0; i < 50 && readdirSync(dir).includes(".fml-upload-00000000-0000-0000-0000-000000000000"); i++) {
        await Bun.sleep(20);
      }
      expect(readdirSync(dir).sort()).toEqual([".fml-upload-11111111-1111-1111-1111-111111111111", "done.txt"]);
    });
  });
}
