/**
 * JSON answers are compressed for clients that accept it (Brotli first, then gzip), streamed
 * ones included; small answers and artifact downloads go out as they are.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { pickEncoding } from "../../src/server/compression.ts";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

describe("pickEncoding", () => {
  test("prefers br, then gzip, and honours q=0", () => {
    expect(pickEncoding("gzip, deflate")).toBe("gzip");
    expect(pickEncoding("gzip, deflate, br")).toBe("br");
    expect(pickEncoding("br;q=0, gzip")).toBe("gzip");
    expect(pickEncoding("identity")).toBeUndefined();
    expect(pickEncoding("*")).toBe("br");
    expect(pickEncoding(undefined)).toBeUndefined();
  });
});

for (const backend of await backends()) {
  describe(`compressed answers [${backend}]`, () => {
    let server: FmlServer;
    let runId: string;
    beforeAll(async () => {
      server = await startFml({ backend });
      const run = await server.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: "0" });
      runId = run.body.run.info.run_id;
      const metrics = Array.from({ length: 1000 }, (_, step) => ({ key: "loss", value: 1 / (step + 1), timestamp: 1000 + step, step }));
      await server.api("POST", "runs/log-batch", { run_id: runId, metrics });
    });
    afterAll(async () => {
      await server.stop();
    });

    const raw = (path: string, acceptEncoding?: string) =>
      fetch(`${server.url}${path}`, {
        headers: acceptEncoding ? { "accept-encoding": acceptEncoding } : {},
        decompress: false,
      } as RequestInit);

    const history = `/api/2.0/mlflow/metrics/get-history?run_id=${"RUN"}&metric_key=loss&max_results=1000`;

    test("a large answer is gzip for gzip clients and Brotli for br clients, with the same JSON", async () => {
      const path = history.replace("RUN", runId);
      const plain = await raw(path, "identity");
      expect(plain.headers.get("content-encoding")).toBeNull();
      const text = await plain.text();
      expect(JSON.parse(text).metrics).toHaveLength(1000);

      const gz = await raw(path, "gzip, deflate");
      expect(gz.headers.get("content-encoding")).toBe("gzip");
      expect(gz.headers.get("vary")).toContain("Accept-Encoding");
      const gzBytes = new Uint8Array(await gz.arrayBuffer());
      expect(gunzipSync(gzBytes).toString()).toBe(text);
      expect(gzBytes.byteLength * 5).toBeLessThan(text.length);

      const br = await raw(path, "gzip, deflate, br");
      expect(br.headers.get("content-encoding")).toBe("br");
      expect(brotliDecompressSync(new Uint8Array(await br.arrayBuffer())).toString()).toBe(text);
    });

    test("a client that goes away in the middle of a compressed answer does not end the server", async () => {
      const run = await server.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: "0" });
      const id = run.body.run.info.run_id;
      for (let b = 0; b < 25; b++) {
        const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: "loss", value: Math.random(), timestamp: 1000 + b * 1000 + i, step: b * 1000 + i }));
        await server.api("POST", "runs/log-batch", { run_id: id, metrics });
      }
      for (let i = 0; i < 10; i++) {
        const abort = new AbortController();
        const response = await fetch(`${server.url}/api/2.0/mlflow/metrics/get-history?run_id=${id}&metric_key=loss&max_results=25000`, {
          headers: { "accept-encoding": i % 2 ? "gzip" : "br" },
          decompress: false,
          signal: abort.signal,
        } as RequestInit);
        await response.body!.getReader().read();
        abort.abort();
      }
      await Bun.sleep(200);
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
    });

    test("small answers are not compressed", async () => {
      const r = await fetch(`${server.url}/api/2.0/mlflow/runs/log-metric`, {
        method: "POST",
        headers: { "content-type": "application/json", "accept-encoding": "gzip, br" },
        body: JSON.stringify({ run_id: runId, key: "m", value: 1, timestamp: 1, step: 0 }),
        decompress: false,
      } as RequestInit);
      expect([r.status, r.headers.get("content-encoding"), await r.text()]).toEqual([200, null, "{}"]);
    });

    test("artifact downloads go out as stored, uncompressed", async () => {
      const body = "x".repeat(5000);
      await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/a.txt`, { method: "PUT", body });
      const r = await raw(`/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/a.txt`, "gzip, br");
      expect([r.headers.get("content-encoding"), await r.text()]).toEqual([null, body]);
    });
  });
}
