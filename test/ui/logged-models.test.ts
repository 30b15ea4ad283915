/**
 * The MLflow 3 logged-model pages in a real headless Chromium against a real fml server seeded
 * over HTTP: an experiment's Models tab (listing, sort by a metric, filter with the logged-model
 * grammar), a logged model's page (params, metrics, MLmodel, source run, registered version,
 * artifacts) and the logged models on a run's page. Screenshots land in test/output/.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { browserTimeout, hasChromium, openBrowser, outputDir, type TestBrowser } from "../helpers/browser.ts";
import { startFml, type FmlServer } from "../helpers/server.ts";

const mlmodel = (name: string) =>
  `artifact_path: ${name}\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    python_version: 3.12.3\n  sklearn:\n    code: null\n    pickled_model: model.pkl\n    sklearn_version: 1.7.2\nmlflow_version: 3.11.2\nmodel_id: m-x\nutc_time_created: '2026-11-30 10:00:00.000000'\n`;

interface Seeded {
  experimentId: string;
  runId: string;
  models: Record<string, string>;
}

async function seed(server: FmlServer): Promise<Seeded> {
  const ok = async (method: string, endpoint: string, body: unknown) => {
    const r = await server.api<any>(method, endpoint, body);
    if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const experimentId = (await ok("POST", "experiments/create", { name: "iris-models" })).experiment_id as string;
  const runId = (await ok("POST", "runs/create", { experiment_id: experimentId, run_name: "train-iris", start_time: Date.now() })).run.info.run_id as string;
  const models: Record<string, string> = {};
  const accuracy: Record<string, number> = { "logreg": 0.91, "tree": 0.85, "forest": 0.97 };
  let t = Date.UTC(2026, 10, 30, 10, 0, 0);
  for (const [name, acc] of Object.entries(accuracy)) {
    const model = (
      await ok("POST", "logged-models", {
        experiment_id: experimentId,
        name,
        model_type: "classifier",
        source_run_id: runId,
        params: [{ key: "max_depth", value: String(Math.round(acc * 10)) }],
        tags: [{ key: "team", value: "vision" }],
      })
    ).model;
    const id = model.info.model_id as string;
    models[name] = id;
    await ok("POST", "runs/log-batch", {
      run_id: runId,
      metrics: [
        { key: "accuracy", value: acc, timestamp: t++, step: 0, model_id: id, dataset_name: "eval", dataset_digest: "d1" },
        { key: "f1", value: acc - 0.05, timestamp: t++, step: 0, model_id: id, dataset_name: "eval", dataset_digest: "d1" },
      ],
    });
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/models/${id}/artifacts/MLmodel`, { method: "PUT", body: mlmodel(name) });
    if (put.status !== 200) throw new Error(`MLmodel upload: ${put.status}`);
    await ok("PATCH", `logged-models/${id}`, { model_id: id, status: "LOGGED_MODEL_READY" });
  }
  await ok("POST", "runs/outputs", { run_id: runId, models: Object.values(models).map((model_id) => ({ model_id, step: 0 })) });
  await ok("POST", "registered-models/create", { name: "iris-classifier" });
  await ok("POST", "model-versions/create", { name: "iris-classifier", source: `models:/${models.forest}`, model_id: models.forest, run_id: runId });
  return { experimentId, runId, models };
}

describe.skipIf(!hasChromium)("logged models in the web UI (Chromium)", () => {
  let server: FmlServer;
  let seeded: Seeded;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startFml();
    seeded = await seed(server);
    browser = await openBrowser();
  }, 60000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, browserTimeout);

  test("the Models tab lists the experiment's logged models and sorts them by a metric", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}`);
    await page.getByRole("link", { name: "Models", exact: true }).last().click();
    await page.waitForFunction(() => document.querySelectorAll(".model-row").length === 3);
    expect(page.url()).toEndWith(`#/experiments/${seeded.experimentId}/models`);
    // newest first by default
    expect(await page.locator(".model-row td:first-child a").allTextContents()).toEqual(["forest", "tree", "logreg"]);
    await page.locator('th[data-sort="m:accuracy"]').click();
    await page.waitForFunction(() => location.hash.includes("sort=m%3Aaccuracy%3Adesc"));
    await page.waitForFunction(() => [...document.querySelectorAll(".model-row td:first-child a")].map((a) => a.textContent).join() === "forest,logreg,tree");
    await page.locator('th[data-sort="m:accuracy"]').click();
    await page.waitForFunction(() => [...document.querySelectorAll(".model-row td:first-child a")].map((a) => a.textContent).join() === "tree,logreg,forest");
    expect(await page.locator(".model-row").first().textContent()).toContain("0.85");
    await page.screenshot({ path: join(outputDir, "logged-models.png") });
  }, browserTimeout);

  test("the Models tab filters with the logged-model grammar and shows a bad filter's message", async () => {
    const { page } = browser;
    await page.locator("input[name=filter]").fill("metrics.accuracy > 0.9 AND params.max_depth = '10'");
    await page.locator("input[name=filter]").press("Enter");
    await page.waitForFunction(() => document.querySelectorAll(".model-row").length === 1);
    expect(await page.locator(".model-row td:first-child a").textContent()).toBe("forest");
    await page.locator("input[name=filter]").fill("params.max_depth > 3");
    await page.locator("input[name=filter]").press("Enter");
    await page.getByTestId("filter-error").waitFor();
    expect(await page.getByTestId("filter-error").textContent()).toContain("Invalid comparison operator");
  }, browserTimeout);

  test("a logged model's page shows params, metrics, MLmodel, flavors, source run and registered version", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}/models`);
    await page.getByRole("link", { name: "forest" }).click();
    await page.getByTestId("model-params").waitFor();
    expect(page.url()).toEndWith(`#/experiments/${seeded.experimentId}/models/${seeded.models.forest}`);
    expect(await page.getByTestId("model-name").textContent()).toBe("forest");
    expect(await page.getByTestId("model-params").textContent()).toBe("max_depth10");
    const metrics = await page.getByTestId("model-metrics").locator("tbody tr").allTextContents();
    expect(metrics.length).toBe(2);
    expect(metrics[0]).toContain("accuracy0.97");
    expect(metrics[0]).toContain("eval");
    await page.getByTestId("mlmodel").waitFor();
    expect(await page.getByTestId("mlmodel").textContent()).toContain("pickled_model: model.pkl");
    expect(await page.getByTestId("flavors").textContent()).toBe("python_functionsklearn");
    await page.getByTestId("source-run").getByRole("link", { name: "train-iris" }).waitFor();
    await page.getByTestId("model-versions").waitFor();
    expect(await page.getByTestId("model-versions").textContent()).toContain("iris-classifierv1");
    await page.screenshot({ path: join(outputDir, "logged-model.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(outputDir, "logged-model-dark.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });

    await page.getByRole("link", { name: "Artifacts" }).click();
    await page.locator('.artifact-entry[data-path="MLmodel"]').waitFor();
    await page.locator(".artifact-text").waitFor();
    expect(await page.locator(".artifact-text").textContent()).toContain("sklearn_version: 1.7.2");
  }, browserTimeout);

  test("a run's page lists its logged models with status and flavors", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/runs/${seeded.runId}`);
    await page.getByTestId("run-models").waitFor();
    const rows = await page.getByTestId("run-models").locator("tbody tr").allTextContents();
    expect(rows.length).toBe(3);
    for (const row of rows) expect(row).toContain("Readypython_functionsklearn");
    await page.getByTestId("run-models").getByRole("link", { name: "tree" }).click();
    await page.getByTestId("model-params").waitFor();
    expect(page.url()).toContain(`/models/${seeded.models.tree}`);
    await page.goto(`${server.url}/#/runs/${seeded.runId}`);
    await page.getByTestId("run-models").waitFor();
    await page.screenshot({ path: join(outputDir, "run-models.png"), fullPage: true });
  }, browserTimeout);

  test("MLflow's /artifacts link form opens the model's artifacts tab", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}/models/${seeded.models.logreg}/artifacts`);
    await page.locator('.artifact-entry[data-path="MLmodel"]').waitFor();
    await page.locator(".artifact-text").waitFor();
    expect(await page.locator(".artifact-text").textContent()).toContain("artifact_path: logreg");
  }, browserTimeout);

  test("an unknown model id says so", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}/models/m-00000000000000000000000000000000`);
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("not found");
  }, browserTimeout);

  test("no page threw an uncaught error", () => {
    expect(browser.pageErrors).toEqual([]);
  });
});
