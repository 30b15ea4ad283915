/**
 * A phone-sized viewport (390 x 844) in a real headless Chromium: no page scrolls sideways, on
 * every backend. Each page is seeded with the long values that used to push it wider: long run
 * names, params and dataset digests, a wide CSV artifact, registry versions with long sources,
 * logged models and a trace. Wide tables scroll inside themselves, never the page.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { browserTimeout, hasChromium, openBrowser, outputDir, type TestBrowser } from "../helpers/browser.ts";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";
import { hexId, otlpJson, pipelineSpans, postOtlp, startTraceBody } from "../helpers/traces.ts";

const PHONE = { width: 390, height: 844 };

interface Seeded {
  experimentId: string;
  runs: string[];
  modelId: string;
  traceId: string;
}

async function seed(server: FmlServer): Promise<Seeded> {
  const ok = async (method: string, endpoint: string, body: unknown) => {
    const r = await server.api<any>(method, endpoint, body);
    if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const experimentId = (await ok("POST", "experiments/create", { name: "phone-check-with-a-rather-long-experiment-name" })).experiment_id as string;
  const long = "s3://training-data-bucket/datasets/imagenet/2026-11-30/preprocessed/shard-00042-of-01024.tfrecord";
  const runs: string[] = [];
  const t0 = Date.UTC(2026, 10, 30, 9, 0, 0);
  for (const [i, name] of ["resnet50-finetune-lr-0.001-batch-256-augment-strong", "baseline"].entries()) {
    const id = (await ok("POST", "runs/create", { experiment_id: experimentId, run_name: name, start_time: t0 + i * 1000, tags: [{ key: "mlflow.source.name", value: "/home/ada/projects/vision/train_with_a_long_script_name.py" }] })).run.info.run_id as string;
    runs.push(id);
    await ok("POST", "runs/log-batch", {
      run_id: id,
      params: [
        { key: "train_data_path", value: long },
        { key: "a_parameter_with_a_long_descriptive_name", value: "0.001" },
      ],
      metrics: Array.from({ length: 20 }, (_, step) => ({ key: "validation_top5_accuracy_per_epoch", value: 1 - 1 / (step + 2), timestamp: t0 + step, step })),
      tags: [{ key: "team", value: "vision" }],
    });
    await ok("POST", "runs/log-inputs", {
      run_id: id,
      datasets: [{ dataset: { name: "imagenet-train-preprocessed", digest: "8f2a9c1be4d7a6f0", source_type: "s3", source: JSON.stringify({ uri: long }) }, tags: [{ key: "mlflow.data.context", value: "training" }] }],
    });
    await ok("POST", "runs/update", { run_id: id, status: "FINISHED", end_time: t0 + 60_000 });
  }
  const wide = Array.from({ length: 12 }, (_, c) => `column_${c}`).join(",") + "\n" + Array.from({ length: 12 }, (_, c) => `value-${c}-${"x".repeat(10)}`).join(",") + "\n";
  const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runs[0]}/artifacts/eval/predictions_with_a_long_file_name.csv`, { method: "PUT", body: wide });
  if (put.status !== 200) throw new Error(`artifact upload: ${put.status}`);

  await ok("POST", "registered-models/create", { name: "phone-classifier", description: "A model with a long description: " + long });
  for (const id of runs) await ok("POST", "model-versions/create", { name: "phone-classifier", source: `${long}/${id}/artifacts/model`, run_id: id });
  const modelId = (await ok("POST", "logged-models", { experiment_id: experimentId, name: "resnet50-finetuned-with-a-long-model-name", source_run_id: runs[0], params: [{ key: "train_data_path", value: long }] })).model.info.model_id as string;
  await ok("POST", "runs/log-batch", { run_id: runs[0], metrics: [{ key: "validation_top5_accuracy", value: 0.93, timestamp: t0, step: 0, model_id: modelId, dataset_name: "imagenet-validation", dataset_digest: "d1" }] });

  const traceHex = hexId(16);
  const traceId = `tr-${traceHex}`;
  await ok("POST", "/api/3.0/mlflow/traces", startTraceBody(traceId, experimentId, { request_preview: JSON.stringify({ question: long }) }));
  const otlp = await postOtlp(server, experimentId, otlpJson(pipelineSpans(traceHex)));
  if (otlp.status !== 200) throw new Error(`OTLP: ${otlp.status} ${otlp.text}`);
  return { experimentId, runs, modelId, traceId };
}

/** How far the page scrolls sideways, and the elements reaching past the viewport's right edge. */
async function overflow(page: Page): Promise<{ scrollWidth: number; wide: string[] }> {
  return page.evaluate((width) => {
    const wide: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>("main *")) {
      const right = el.getBoundingClientRect().right + window.scrollX;
      if (right <= width + 0.5) continue;
      // only the outermost offender, not each of its children
      if (el.parentElement && el.parentElement.getBoundingClientRect().right + window.scrollX > width + 0.5) continue;
      // content a scrolling or clipping box holds inside itself is fine
      let clipped = false;
      for (let up = el.parentElement; up && up.tagName !== "MAIN"; up = up.parentElement) clipped ||= getComputedStyle(up).overflowX !== "visible";
      if (clipped) continue;
      wide.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")} (${Math.round(right)} px)`);
    }
    return { scrollWidth: document.scrollingElement!.scrollWidth, wide: wide.slice(0, 5) };
  }, PHONE.width);
}

for (const backend of await backends()) {
  describe.skipIf(!hasChromium)(`phone-sized viewport in Chromium [${backend}]`, () => {
    let server: FmlServer;
    let seeded: Seeded;
    let browser: TestBrowser;

    beforeAll(async () => {
      server = await startFml({ backend });
      seeded = await seed(server);
      browser = await openBrowser();
      await browser.page.setViewportSize(PHONE);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    }, browserTimeout);

    const pages: [string, () => string, string][] = [
      ["experiments list", () => "#/experiments", "table.experiments"],
      ["runs", () => `#/experiments/${seeded.experimentId}`, ".run-row"],
      ["run overview with datasets", () => `#/runs/${seeded.runs[0]}`, "[data-testid=params]"],
      ["run charts", () => `#/runs/${seeded.runs[0]}?tab=charts`, ".chart[data-points] canvas"],
      ["run artifacts with a CSV preview", () => `#/runs/${seeded.runs[0]}?tab=artifacts&path=eval/predictions_with_a_long_file_name.csv`, "table.csv"],
      ["compare", () => `#/compare?runs=${seeded.runs.join(",")}`, "[data-testid=diff]"],
      ["registry list", () => "#/models", "text=phone-classifier"],
      ["registered model", () => "#/models/phone-classifier", "table.grid tbody tr"],
      ["model version", () => "#/models/phone-classifier?version=1", "main .page"],
      ["logged models", () => `#/experiments/${seeded.experimentId}/models`, "table.logged-models"],
      ["logged model", () => `#/experiments/${seeded.experimentId}/models/${seeded.modelId}`, "main .page"],
      ["traces", () => `#/experiments/${seeded.experimentId}/traces`, ".trace-row"],
      ["trace view", () => `#/experiments/${seeded.experimentId}/traces/${seeded.traceId}`, ".span-row"],
    ];

    for (const [name, url, ready] of pages) {
      test(`${name}: the page does not scroll sideways at 390 px`, async () => {
        const page = browser.page;
        await page.goto("about:blank");
        await page.goto(server.url + "/" + url());
        await page.locator(ready).first().waitFor();
        // charts and previews size themselves a frame or two after their data
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
        const found = await overflow(page);
        await page.screenshot({ path: join(outputDir, `phone-${name.replaceAll(" ", "-")}-${backend}.png`), fullPage: true });
        expect({ name, ...found }).toEqual({ name, scrollWidth: PHONE.width, wide: [] });
      }, browserTimeout);
    }

    test("no page threw an uncaught error", () => {
      expect(browser.pageErrors).toEqual([]);
    });
  });
}
