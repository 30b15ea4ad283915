/**
 * Measures the web UI on a large experiment in headless Chromium: 10,000 runs of 20 metrics
 * (time to the first rows, to every run loaded, frame times while scrolling) and a run with a
 * 1,000,000-point metric (time to a drawn chart).
 *
 *   bun scripts/bench/ui.ts [--runs 10000] [--points 1000000] [--db /tmp/fml-ui-bench.db]
 *
 * With --db the seeded SQLite file is kept and reused by the next run (seeding takes minutes).
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startFml } from "../../test/helpers/server.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const runCount = option("--runs", 10_000);
const pointCount = option("--points", 1_000_000);

const dbIndex = args.indexOf("--db");
const dbFile = dbIndex === -1 ? undefined : args[dbIndex + 1]!;
const reuse = dbFile !== undefined && existsSync(dbFile);
const server = await startFml(dbFile ? { databaseUri: `sqlite:///${dbFile}` } : {});
const call = async (endpoint: string, body: unknown) => {
  const response = await fetch(`${server.url}/api/2.0/mlflow/${endpoint}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${endpoint}: ${response.status} ${await response.text()}`);
  return (await response.json()) as any;
};
async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

let browserProfile = "";
try {
  let started = performance.now();
  let experimentId: string;
  let long: string;
  if (reuse) {
    experimentId = (await (await fetch(`${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=bench`)).json()).experiment.experiment_id;
    long = (await call("runs/search", { experiment_ids: [experimentId], filter: "attributes.run_name = 'long-history'" })).runs[0].info.run_id;
  } else {
  experimentId = (await call("experiments/create", { name: "bench" })).experiment_id as string;
  const t0 = Date.now() - runCount * 1000;
  await pool(Array.from({ length: runCount }, (_, i) => i), 8, async (i) => {
    const tags = i % 10 ? [{ key: "mlflow.parentRunId", value: "" }] : [];
    const run = (await call("runs/create", { experiment_id: experimentId, run_name: `run-${i}`, start_time: t0 + i * 1000, tags: tags.filter((t) => t.value) })).run;
    await call("runs/log-batch", {
      run_id: run.info.run_id,
      params: Array.from({ length: 5 }, (_, p) => ({ key: `param_${p}`, value: String((i * (p + 1)) % 97) })),
      metrics: Array.from({ length: 20 }, (_, m) => ({ key: `metric_${m}`, value: Math.sin(i + m), timestamp: t0 + i * 1000, step: 0 })),
    });
    await call("runs/update", { run_id: run.info.run_id, status: "FINISHED", end_time: t0 + i * 1000 + 500 });
  });
  console.log(`seeded ${runCount} runs x 20 metrics in ${((performance.now() - started) / 1000).toFixed(1)}s`);

  started = performance.now();
  long = (await call("runs/create", { experiment_id: experimentId, run_name: "long-history", start_time: t0 })).run.info.run_id as string;
  const batches = Array.from({ length: Math.ceil(pointCount / 1000) }, (_, b) => b);
  await pool(batches, 8, async (b) => {
    const metrics = [];
    for (let i = b * 1000; i < Math.min(pointCount, (b + 1) * 1000); i++) {
      metrics.push({ key: "loss", value: Math.exp(-i / 200_000) + Math.sin(i / 5000) * 0.05, timestamp: t0 + i, step: i });
    }
    await call("runs/log-batch", { run_id: long, metrics });
  });
  console.log(`seeded a ${pointCount}-point metric in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  }

  for (const size of [100, 1000]) {
    const t = performance.now();
    await call("runs/search", { experiment_ids: [experimentId], max_results: size });
    console.log(`server: runs/search of ${size} runs answers in ${(performance.now() - t).toFixed(0)} ms`);
  }
  for (const size of [25000]) {
    const t = performance.now();
    await fetch(`${server.url}/api/2.0/mlflow/metrics/get-history?run_id=${long}&metric_key=loss&max_results=${size}`).then((r) => r.text());
    console.log(`server: get-history page of ${size} points answers in ${(performance.now() - t).toFixed(0)} ms`);
  }

  {
    const t = performance.now();
    await fetch(`${server.url}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=${long}&metric_key=loss&max_results=2500`).then((r) => r.text());
    console.log(`server: get-history-bulk-interval of the ${pointCount}-point metric answers in ${(performance.now() - t).toFixed(0)} ms`);
  }

  browserProfile = mkdtempSync(join(tmpdir(), "fml-bench-chromium-"));
  const context = await chromium.launchPersistentContext(browserProfile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1440, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(server.url + "/");
  await page.getByRole("link", { name: "bench" }).waitFor();

  started = performance.now();
  await page.goto(`${server.url}/#/experiments/${experimentId}`);
  await page.locator(".run-row").first().waitFor();
  const firstRows = performance.now() - started;
  await page.waitForFunction((n) => document.querySelector("[data-testid=run-count]")?.textContent === `${n.toLocaleString("en-US")} runs`, runCount + 1, { timeout: 120_000 });
  const allRows = performance.now() - started;
  const rendered = await page.locator(".run-row").count();

  // Scroll through the table for 2 seconds and record frame intervals, and the main thread's
  // busy time (script, style, layout) from the DevTools protocol, which load on a shared machine
  // disturbs less than frame intervals.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const metric = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    return Object.fromEntries(metrics.map((m: { name: string; value: number }) => [m.name, m.value]));
  };
  const before = await metric();
  const frames = await page.evaluate(async () => {
    const el = document.querySelector(".vtable") as HTMLElement;
    const times: number[] = [];
    const end = performance.now() + 2000;
    let last = performance.now();
    await new Promise<void>((resolve) => {
      const step = () => {
        const now = performance.now();
        times.push(now - last);
        last = now;
        el.scrollTop += 400;
        if (now < end) requestAnimationFrame(step);
        else resolve();
      };
      requestAnimationFrame(step);
    });
    return times.slice(1);
  });
  const after = await metric();
  const busy = (name: string) => (((after[name] ?? 0) - (before[name] ?? 0)) * 1000) / frames.length;
  frames.sort((a, b) => a - b);
  const p = (q: number) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))]!.toFixed(1);

  // A fresh page, so the 10,000 loaded runs are not part of this measurement.
  await page.goto("about:blank");
  started = performance.now();
  await page.goto(`${server.url}/#/runs/${long}?tab=charts`);
  await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor({ timeout: 60_000 });
  const chartMs = performance.now() - started;
  const drawn = await page.locator('.chart[data-metric="loss"]').getAttribute("data-points");
  await page.screenshot({ path: join(import.meta.dir, "../../test/output/bench-chart.png") });

  console.log(`runs page: first rows ${firstRows.toFixed(0)} ms, all ${runCount + 1} runs loaded ${allRows.toFixed(0)} ms, ${rendered} row elements in the DOM`);
  console.log(`scrolling: ${frames.length} frames in 2 s, frame interval median ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${p(0.999)} ms; main thread per frame: task ${busy("TaskDuration").toFixed(1)} ms (script ${busy("ScriptDuration").toFixed(1)}, style ${busy("RecalcStyleDuration").toFixed(1)}, layout ${busy("LayoutDuration").toFixed(1)})`);
  console.log(`${pointCount}-point metric: chart drawn in ${chartMs.toFixed(0)} ms with ${drawn} points`);
  await context.close();
} finally {
  await server.stop();
  if (browserProfile) rmSync(browserProfile, { recursive: true, force: true });
}
