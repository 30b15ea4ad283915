/**
 * Response compression: the payload and time of a runs-table page (1,000 runs with 10 params,
 * 10 metrics and 5 tags each) and of a 200,000-point metric history, as identity, gzip and br,
 * next to the rate of small requests (log-metric) with and without `Accept-Encoding`. The
 * baseline is identity in the same run.
 *
 *   npx bun scripts/bench/compression.ts [--binary dist/fml] [--repeats 7]
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "./server.ts";

const { values } = parseArgs({
  options: { binary: { type: "string", default: "dist/fml" }, repeats: { type: "string", default: "7" } },
});
const repeats = Number(values.repeats);
const dir = mkdtempSync(join(tmpdir(), "fml-bench-compression-"));
const server = await startServer(values.binary as string, `sqlite:///${join(dir, "fml.db")}`, dir);

async function post(path: string, body: unknown): Promise<unknown> {
  const r = await fetch(`${server.url}/api/2.0/mlflow/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return r.json();
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

try {
  const runIds: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const run = (await post("runs/create", { experiment_id: "0", run_name: `run-${i}` })) as { run: { info: { run_id: string } } };
    const runId = run.run.info.run_id;
    runIds.push(runId);
    await post("runs/log-batch", {
      run_id: runId,
      params: Array.from({ length: 10 }, (_, k) => ({ key: `p${k}`, value: `v${(i * 7 + k) % 13}` })),
      metrics: Array.from({ length: 10 }, (_, k) => ({ key: `m${k}`, value: Math.sin(i + k), timestamp: Date.now(), step: 9 })),
      tags: Array.from({ length: 5 }, (_, k) => ({ key: `t${k}`, value: `tag-${i % (k + 2)}` })),
    });
  }
  const first = runIds[0] as string;
  for (let start = 0; start < 200_000; start += 1000) {
    const metrics = Array.from({ length: 1000 }, (_, j) => ({ key: "loss", value: Math.sin((start + j) / 1000), timestamp: 1_700_000_000_000 + start + j, step: start + j }));
    await post("runs/log-batch", { run_id: first, metrics });
  }

  const workloads: [string, () => Request][] = [
    ["runs/search, 1,000 runs", () => new Request(`${server.url}/api/2.0/mlflow/runs/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ experiment_ids: ["0"], max_results: 1000 }),
    })],
    ["get-history, 200,000 points", () => new Request(`${server.url}/api/2.0/mlflow/metrics/get-history?run_id=${first}&metric_key=loss&max_results=25000000`)],
  ];
  console.log("| answer | encoding | bytes | ratio | p50 ms (fetch + read) |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const [name, request] of workloads) {
    let identityBytes = 0;
    for (const encoding of ["identity", "gzip", "br"]) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < repeats; i++) {
        const req = request();
        req.headers.set("accept-encoding", encoding);
        const started = performance.now();
        const r = await fetch(req, { decompress: false } as RequestInit);
        bytes = (await r.arrayBuffer()).byteLength;
        times.push(performance.now() - started);
      }
      if (encoding === "identity") identityBytes = bytes;
      console.log(`| ${name} | ${encoding} | ${bytes.toLocaleString("en")} | ${(identityBytes / bytes).toFixed(1)}x | ${median(times).toFixed(1)} |`);
    }
  }

  // Small requests: 4 clients, log-metric for 3 s each way; the answer is `{}` either way.
  for (const encoding of ["identity", "gzip, deflate"]) {
    let count = 0;
    const until = performance.now() + 3000;
    await Promise.all(
      Array.from({ length: 4 }, async (_, client) => {
        for (let step = 0; performance.now() < until; step++) {
          const r = await fetch(`${server.url}/api/2.0/mlflow/runs/log-metric`, {
            method: "POST",
            headers: { "content-type": "application/json", "accept-encoding": encoding },
            body: JSON.stringify({ run_id: runIds[client + 1], key: "rate", value: step, timestamp: step, step }),
          });
          await r.text();
          count++;
        }
      }),
    );
    console.log(`log-metric, 4 clients, Accept-Encoding ${encoding}: ${Math.round(count / 3)} req/s`);
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
