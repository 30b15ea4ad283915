/**
 * The web UI: the embedded bundle is fresh and typechecks, `/` serves it, and, in a real headless
 * Chromium against a real fml server seeded through the API, the main pages work: experiments
 * list, runs filtered by a search expression, a run with its params and a chart, comparing two
 * runs, and an artifact preview. Screenshots land in test/output/.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildUiModule, generatedPath } from "../../scripts/build-ui.ts";
import { renderMarkdown } from "../../src/ui/app/markdown.ts";
import { repoRoot, startFml, type FmlServer } from "../helpers/server.ts";

const chromiumPath = "/usr/bin/chromium";
const hasChromium = existsSync(chromiumPath);
const outputDir = join(repoRoot, "test/output");
/** Browser steps on a busy 2-core machine can be slow; a timed-out test would kill the shared server. */
const browserTimeout = 30000;

test("src/ui/assets.generated.ts is up to date with src/ui (run `bun scripts/build-ui.ts`)", async () => {
  expect(readFileSync(generatedPath, "utf8") === (await buildUiModule())).toBe(true);
}, 60000);

test("the UI typechecks with src/ui/tsconfig.json", () => {
  const result = Bun.spawnSync([join(repoRoot, "node_modules/.bin/tsc"), "--noEmit", "-p", join(repoRoot, "src/ui")], { cwd: repoRoot });
  expect(result.stdout.toString() + result.stderr.toString()).toBe("");
  expect(result.exitCode).toBe(0);
}, 60000);

describe("description markdown", () => {
  test("HTML in the source is shown as text, never markup", () => {
    expect(renderMarkdown(`<img src=x onerror="alert(1)"> & <b>`)).toBe("<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;</p>");
  });

  test("only http(s), mailto and relative links become anchors", () => {
    expect(renderMarkdown("[docs](https://mlflow.org)")).toBe('<p><a href="https://mlflow.org" target="_blank" rel="noopener noreferrer">docs</a></p>');
    expect(renderMarkdown("[x](javascript:alert(1))")).not.toContain("<a");
    expect(renderMarkdown("[x](data:text/html,hi)")).not.toContain("<a");
  });

  test("headings, emphasis, code, lists and fenced code", () => {
    expect(renderMarkdown("# Title\n**bold** *it* `a<b`\n\n- one\n- two\n\n```\n<x>\n```")).toBe(
      "<h1>Title</h1>\n<p><strong>bold</strong> <em>it</em> <code>a&lt;b</code></p>\n<ul><li>one</li><li>two</li></ul>\n<pre><code>&lt;x&gt;</code></pre>",
    );
  });
});

describe("serving", () => {
  let server: FmlServer;
  beforeAll(async () => {
    server = await startFml();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("/ serves the page, revalidated on every load", async () => {
    const response = await fetch(server.url + "/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(await response.text()).toContain('<div id="app">');
  });

  test("the page's assets are served with content types and a one-year immutable cache", async () => {
    const html = await (await fetch(server.url + "/")).text();
    const names = [...html.matchAll(/static-files\/([\w.-]+)/g)].map((m) => m[1]!);
    expect(names.some((n) => n.endsWith(".js"))).toBe(true);
    expect(names.some((n) => n.endsWith(".css"))).toBe(true);
    for (const name of names) {
      const response = await fetch(`${server.url}/static-files/${name}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toStartWith(name.endsWith(".js") ? "text/javascript" : "text/css");
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    }
  });

  test("an unknown asset is 404 and API routes still answer JSON", async () => {
    expect((await fetch(server.url + "/static-files/nope.js")).status).toBe(404);
    const api = await server.api("GET", "/ajax-api/2.0/mlflow/experiments/get", { experiment_id: "0" });
    expect(api.status).toBe(200);
  });
});

/** A 1x1 PNG, for the image preview. */
const onePixelPng = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));

interface Seeded {
  experimentId: string;
  runs: Record<string, string>;
}

async function seed(server: FmlServer): Promise<Seeded> {
  const ok = async (method: string, endpoint: string, body: unknown) => {
    const r = await server.api(method, endpoint, body);
    if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as any;
  };
  const experimentId = (await ok("POST", "experiments/create", { name: "mnist-sweep" })).experiment_id as string;
  await ok("POST", "experiments/create", { name: "empty-experiment" });
  const runs: Record<string, string> = {};
  const t0 = Date.UTC(2026, 10, 20, 9, 0, 0);
  const create = async (name: string, lr: string, tags: { key: string; value: string }[] = [], offset = 0) => {
    const run = (await ok("POST", "runs/create", { experiment_id: experimentId, run_name: name, start_time: t0 + offset, user_id: "ada", tags: [{ key: "mlflow.source.name", value: "train.py" }, ...tags] })).run;
    const id = run.info.run_id as string;
    runs[name] = id;
    const final = 1 / (1 + Number(lr) * 100);
    const metrics = Array.from({ length: 50 }, (_, step) => ({ key: "loss", value: final + Math.exp(-step / 10), timestamp: t0 + offset + step * 1000, step }));
    metrics.push(...Array.from({ length: 50 }, (_, step) => ({ key: "accuracy", value: 1 - final * Math.exp(-step / 15), timestamp: t0 + offset + step * 1000, step })));
    await ok("POST", "runs/log-batch", { run_id: id, params: [{ key: "lr", value: lr }, { key: "optimizer", value: Number(lr) > 0.05 ? "sgd" : "adam" }], metrics });
    await ok("POST", "runs/update", { run_id: id, status: "FINISHED", end_time: t0 + offset + 50_000 });
    return id;
  };
  const parent = await create("sweep-parent", "0.1", [{ key: "mlflow.note.content", value: "# Sweep\nA **learning-rate** sweep. <script>alert(1)</script>\n- three children\n- `lr` varies" }], 0);
  await create("lr-0.01", "0.01", [{ key: "mlflow.parentRunId", value: parent }], 60_000);
  await create("lr-0.03", "0.03", [{ key: "mlflow.parentRunId", value: parent }], 120_000);
  await create("lr-0.3", "0.3", [{ key: "mlflow.parentRunId", value: parent }], 180_000);
  await create("baseline", "0.001", [], 240_000);
  // Artifacts through the proxy, where the run's mlflow-artifacts: URI points.
  const put = (path: string, body: string) =>
    fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runs.baseline}/artifacts/${path}`, { method: "PUT", body });
  await put("metrics.csv", "epoch,loss,accuracy\n1,0.9,0.5\n2,0.5,0.8\n3,0.3,0.9\n");
  await put("config/params.json", JSON.stringify({ lr: 0.001, layers: [64, 32] }));
  await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runs.baseline}/artifacts/plots/dot.png`, { method: "PUT", body: onePixelPng });
  return { experimentId, runs };
}

describe.skipIf(!hasChromium)(`web UI in Chromium${hasChromium ? "" : " (skipped: /usr/bin/chromium is not installed; apt-get install -y chromium)"}`, () => {
  let server: FmlServer;
  let seeded: Seeded;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let artifactsServed = false;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(outputDir, { recursive: true });
    server = await startFml();
    seeded = await seed(server);
    artifactsServed = (await server.api("GET", "artifacts/list", { run_id: seeded.runs.baseline })).status === 200;
    const { chromium } = await import("playwright-core");
    profile = mkdtempSync(join(tmpdir(), "fml-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1440, height: 900 },
    });
    browser = context.browser()!;
    page = context.pages()[0] ?? (await context.newPage());
    // Fail a step well before the test's own timeout, which would also end the shared server.
    page.setDefaultTimeout(10000);
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    page.on("dialog", (dialog) => void dialog.accept());
  }, 60000);

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  }, browserTimeout);

  test("the experiments list shows every experiment and links to its runs", async () => {
    await page.goto(server.url + "/");
    await page.getByRole("link", { name: "mnist-sweep" }).waitFor();
    expect(await page.getByRole("link", { name: "empty-experiment" }).count()).toBe(1);
    expect(await page.getByRole("link", { name: "Default" }).count()).toBe(1);
    await page.screenshot({ path: join(outputDir, "experiments.png") });
    await page.getByPlaceholder("Search by name").fill("MNIST");
    await page.getByRole("link", { name: "Default" }).waitFor({ state: "detached" });
    expect(await page.locator("table.experiments tbody tr").count()).toBe(1);
    await page.getByPlaceholder("Search by name").fill("");
    await page.getByRole("link", { name: "Default" }).waitFor();
  }, browserTimeout);

  test("an empty experiment says how to point the MLflow client here", async () => {
    await page.getByRole("link", { name: "empty-experiment" }).click();
    await page.getByText("mlflow.set_tracking_uri").waitFor();
    expect(await page.getByText(`mlflow.set_tracking_uri("${server.url}")`).count()).toBe(1);
    await page.goBack();
    await page.getByRole("link", { name: "mnist-sweep" }).waitFor();
  }, browserTimeout);

  test("the runs table nests children under their parent and filters with MLflow search syntax", async () => {
    await page.getByRole("link", { name: "mnist-sweep" }).click();
    await page.locator(".run-row").first().waitFor();
    const names = await page.locator(".run-row a").allTextContents();
    expect(names).toEqual(["baseline", "sweep-parent", "lr-0.3", "lr-0.03", "lr-0.01"]);
    await page.screenshot({ path: join(outputDir, "runs.png") });

    await page.locator("input[name=filter]").fill("metrics.loss < 0.4 and params.optimizer = 'sgd'");
    await page.locator("input[name=filter]").press("Enter");
    await page.waitForFunction(() => document.querySelectorAll(".run-row").length === 2);
    expect((await page.locator(".run-row a").allTextContents()).sort()).toEqual(["lr-0.3", "sweep-parent"]);
    expect(page.url()).toContain("filter=");

    await page.locator("input[name=filter]").fill("metrics.loss < 'x'");
    await page.locator("input[name=filter]").press("Enter");
    await page.getByTestId("filter-error").waitFor();
    await page.screenshot({ path: join(outputDir, "runs-filter-error.png") });

    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll(".run-row").length === 2);
  }, browserTimeout);

  test("sorting by a metric column asks the server for that order", async () => {
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}?sort=m:loss:asc&cols=m:loss,p:lr`);
    await page.locator(".run-row").first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll(".run-row").length === 5);
    // loss falls with lr; children stay under their parent
    expect(await page.locator(".run-row a").allTextContents()).toEqual(["sweep-parent", "lr-0.3", "lr-0.03", "lr-0.01", "baseline"]);
  }, browserTimeout);

  test("a run page shows overview, rendered description, params and a chart with every point", async () => {
    await page.goto(`${server.url}/#/runs/${seeded.runs["sweep-parent"]}`);
    await page.getByTestId("params").waitFor();
    expect(await page.getByTestId("run-name").textContent()).toBe("sweep-parent");
    expect(await page.getByTestId("params").textContent()).toContain("lr0.1");
    expect(await page.locator(".markdown strong").textContent()).toBe("learning-rate");
    expect(await page.locator(".markdown script").count()).toBe(0);
    expect(await page.locator(".markdown").textContent()).toContain("<script>alert(1)</script>");
    expect(await page.locator("dl.overview").textContent()).toContain(seeded.runs["sweep-parent"]!);
    await page.screenshot({ path: join(outputDir, "run.png"), fullPage: true });

    await page.getByRole("link", { name: /^Charts/ }).click();
    await page.locator('.chart[data-metric="loss"][data-points]').waitFor();
    expect(await page.locator('.chart[data-metric="loss"]').getAttribute("data-points")).toBe("50");
    // uPlot adds its canvas a frame after the points are known; under load that frame comes late.
    await page.locator('.chart[data-metric="loss"] canvas').first().waitFor();
    expect(await page.locator('.chart[data-metric="loss"] canvas').count()).toBe(1);
    await page.screenshot({ path: join(outputDir, "run-charts.png") });
  }, browserTimeout);

  test("a long history is drawn sampled, and zooming into steps fetches that range in full detail", async () => {
    const run = (await server.api<any>("POST", "runs/create", { experiment_id: seeded.experimentId, run_name: "long", start_time: Date.now() })).body.run;
    for (let b = 0; b < 6; b++) {
      const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: "loss", value: 1 / (1 + b * 1000 + i), timestamp: 1_700_000_000_000 + b * 1000 + i, step: b * 1000 + i }));
      await server.api("POST", "runs/log-batch", { run_id: run.info.run_id, metrics });
    }
    await page.goto(`${server.url}/#/runs/${run.info.run_id}?tab=charts`);
    const chart = page.locator('.chart[data-metric="loss"]');
    await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor();
    // 2,500 sampled steps plus the last one, as MLflow samples.
    expect(Number(await chart.getAttribute("data-points"))).toBeLessThanOrEqual(2501);
    const box = (await chart.locator(".u-over").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.locator('.chart[data-metric="loss"][data-zoom-points]').waitFor();
    // about a tenth of 6000 steps, every one of them
    const detail = Number(await chart.getAttribute("data-zoom-points"));
    expect(detail).toBeGreaterThan(400);
    expect(detail).toBeLessThan(800);
    await chart.locator(".u-over").dblclick();
    await page.waitForFunction(() => !document.querySelector('.chart[data-metric="loss"]')?.hasAttribute("data-zoom-points"));
  }, browserTimeout);

  test("the description can be edited and is stored as mlflow.note.content", async () => {
    await page.goto(`${server.url}/#/runs/${seeded.runs.baseline}`);
    await page.getByRole("button", { name: "Edit" }).click();
    await page.locator(".note-editor textarea").fill("Baseline with *tiny* lr");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator(".markdown em").waitFor();
    const run = await server.api<any>("GET", "runs/get", { run_id: seeded.runs.baseline });
    expect(run.body.run.data.tags.find((t: any) => t.key === "mlflow.note.content").value).toBe("Baseline with *tiny* lr");
  }, browserTimeout);

  test("comparing two runs overlays their charts and highlights differing params", async () => {
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}`);
    await page.locator(".run-row").first().waitFor();
    await page.getByLabel("Select baseline").check();
    await page.getByLabel("Select lr-0.3").check();
    await page.getByRole("button", { name: "Compare (2)" }).click();
    await page.getByTestId("diff").waitFor();
    const differing = await page.locator("table.diff tr.differs th").allTextContents();
    expect(differing).toContain("p lr");
    expect(differing).toContain("p optimizer");
    await page.locator('.chart[data-metric="loss"][data-points]').waitFor();
    expect(await page.locator('.chart[data-metric="loss"]').getAttribute("data-points")).toBe("100");
    await page.screenshot({ path: join(outputDir, "compare.png"), fullPage: true });
  }, browserTimeout);

  test("the artifact browser previews CSV as a table and JSON pretty-printed", async () => {
    if (!artifactsServed) {
      console.warn("artifact endpoints not served: artifact preview not checked");
      return;
    }
    await page.goto(`${server.url}/#/runs/${seeded.runs.baseline}?tab=artifacts`);
    await page.locator('.artifact-entry[data-path="metrics.csv"]').click();
    await page.locator("table.csv").waitFor();
    expect(await page.locator("table.csv tbody tr").count()).toBe(3);
    expect(await page.locator("table.csv thead th").allTextContents()).toEqual(["epoch", "loss", "accuracy"]);
    await page.screenshot({ path: join(outputDir, "artifacts.png") });
    await page.locator('.artifact-entry[data-path="config"]').click();
    await page.locator('.artifact-entry[data-path="config/params.json"]').click();
    await page.locator(".artifact-text").waitFor();
    expect(await page.locator(".artifact-text").textContent()).toContain('"layers": [\n    64,');
    await page.getByRole("button", { name: "artifacts", exact: true }).click();
    await page.locator('.artifact-entry[data-path="plots"]').click();
    await page.locator('.artifact-entry[data-path="plots/dot.png"]').click();
    await page.waitForFunction(() => (document.querySelector(".artifact-image") as HTMLImageElement | null)?.naturalWidth === 1);
    expect(await page.getByRole("link", { name: "Download" }).getAttribute("href")).toBe(`get-artifact?run_id=${seeded.runs.baseline}&path=plots%2Fdot.png`);
  }, browserTimeout);

  test("experiments can be created, renamed, deleted and restored", async () => {
    await page.goto(`${server.url}/#/experiments`);
    await page.getByPlaceholder("New experiment name").fill("scratch");
    await page.getByRole("button", { name: "Create" }).click();
    const row = page.locator("table.experiments tr", { hasText: "scratch" });
    await row.waitFor();
    await row.getByRole("button", { name: "Rename" }).click();
    const editing = page.locator("table.experiments tr:has(input)");
    await editing.locator("input").fill("scratch-2");
    await editing.getByRole("button", { name: "Save" }).click();
    await page.getByRole("link", { name: "scratch-2" }).waitFor();
    await page.locator("table.experiments tr", { hasText: "scratch-2" }).getByRole("button", { name: "Delete" }).click();
    await page.getByRole("link", { name: "scratch-2" }).waitFor({ state: "detached" });
    await page.getByLabel("Lifecycle").selectOption("DELETED_ONLY");
    await page.locator("table.experiments tr", { hasText: "scratch-2" }).getByRole("button", { name: "Restore" }).click();
    await page.getByText("No deleted experiments.").waitFor();
    const found = await server.api<any>("GET", "experiments/get-by-name", { experiment_name: "scratch-2" });
    expect(found.body.experiment.lifecycle_stage).toBe("active");
  }, browserTimeout);

  test("runs are deleted and restored from the table, and the selection lives in the URL", async () => {
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}`);
    await page.getByLabel("Select baseline").check();
    await page.waitForFunction((id) => location.hash.includes(`sel=${id}`), seeded.runs.baseline);
    await page.reload();
    await page.locator(".run-row").first().waitFor();
    expect(await page.getByLabel("Select baseline").isChecked()).toBe(true);
    const before = await page.locator(".run-row").count();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.waitForFunction((n) => document.querySelectorAll(".run-row").length === n, before - 1);
    expect((await server.api<any>("GET", "runs/get", { run_id: seeded.runs.baseline })).body.run.info.lifecycle_stage).toBe("deleted");
    await page.getByLabel("Lifecycle").selectOption("DELETED_ONLY");
    await page.getByLabel("Select baseline").check();
    await page.getByRole("button", { name: "Restore" }).click();
    await page.getByText("No deleted runs in this experiment.").waitFor();
    expect((await server.api<any>("GET", "runs/get", { run_id: seeded.runs.baseline })).body.run.info.lifecycle_stage).toBe("active");
  }, browserTimeout);

  test("the runs table picks up a run started after the page loaded", async () => {
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}`);
    await page.locator(".run-row").first().waitFor();
    await server.api("POST", "runs/create", { experiment_id: seeded.experimentId, run_name: "late-arrival", start_time: Date.now() });
    await page.locator(".run-row", { hasText: "late-arrival" }).waitFor({ timeout: 12000 });
    expect(await page.locator(".run-row a").first().textContent()).toBe("late-arrival");
  }, browserTimeout);

  test("a running run refreshes itself: a metric logged later appears without reload", async () => {
    const run = (await server.api<any>("POST", "runs/create", { experiment_id: seeded.experimentId, run_name: "live", start_time: Date.now() })).body.run;
    await page.goto(`${server.url}/#/runs/${run.info.run_id}`);
    await page.getByText("No metrics logged.").waitFor();
    await server.api("POST", "runs/log-metric", { run_id: run.info.run_id, key: "live_loss", value: 0.25, timestamp: Date.now(), step: 1 });
    await page.getByTestId("metrics").getByText("live_loss").waitFor({ timeout: 10000 });
  }, browserTimeout);

  test("the registry pages list models with versions, stages and aliases", async () => {
    const created = await server.api("POST", "registered-models/create", { name: "digits-classifier" });
    if (created.status === 404) {
      await page.goto(`${server.url}/#/models`);
      await page.getByText("not available").waitFor();
      return;
    }
    await server.api("POST", "model-versions/create", { name: "digits-classifier", source: `runs:/${seeded.runs["lr-0.3"]}/model`, run_id: seeded.runs["lr-0.3"] });
    await server.api("POST", "model-versions/create", { name: "digits-classifier", source: `runs:/${seeded.runs.baseline}/model`, run_id: seeded.runs.baseline });
    await server.api("POST", "model-versions/transition-stage", { name: "digits-classifier", version: "1", stage: "Production", archive_existing_versions: false });
    await server.api("POST", "registered-models/alias", { name: "digits-classifier", alias: "champion", version: "1" });
    await page.goto(`${server.url}/#/models`);
    await page.getByRole("link", { name: "digits-classifier" }).click();
    await page.locator("table.grid tbody tr").nth(1).waitFor();
    const rows = await page.locator("table.grid tbody tr").allTextContents();
    expect(rows[0]).toStartWith("v2None");
    expect(rows[1]).toContain("Production");
    expect(rows[1]).toContain("@champion");
    await page.getByLabel("Stage of version 2").selectOption("Staging");
    await page.getByTestId("stage-dialog").getByRole("button", { name: "Transition" }).click();
    await page.getByTestId("stage-dialog").waitFor({ state: "detached" });
    await page.getByLabel("Alias", { exact: true }).fill("challenger");
    await page.getByLabel("Alias version").selectOption("2");
    await page.getByRole("button", { name: "Set", exact: true }).click();
    await page.getByText("@challenger").waitFor();
    const v2 = await server.api<any>("GET", "model-versions/get", { name: "digits-classifier", version: "2" });
    expect(v2.body.model_version.current_stage).toBe("Staging");
    expect(v2.body.model_version.aliases).toEqual(["challenger"]);
    await page.screenshot({ path: join(outputDir, "model.png") });
  }, browserTimeout);

  test("chart controls switch the x axis, smoothing and log scale and redraw", async () => {
    await page.goto(`${server.url}/#/runs/${seeded.runs["lr-0.03"]}?tab=charts`);
    await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor();
    for (const x of ["wall", "relative", "step"]) {
      await page.getByLabel("X axis").selectOption(x);
      await page.locator('.chart[data-metric="loss"] canvas').waitFor();
    }
    await page.getByLabel("Log scale").check();
    await page.locator(".chart-controls input[type=range]").fill("0.9");
    await page.locator('.chart[data-metric="loss"] canvas').waitFor();
    expect(await page.locator(".chart-controls").textContent()).toContain("0.90");
    await page.getByLabel("Log scale").uncheck();
    await page.locator(".chart-controls input[type=range]").fill("0");
  }, browserTimeout);

  test("no page threw an uncaught error", () => {
    expect(pageErrors).toEqual([]);
  });

  test("dark mode is readable", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${server.url}/#/compare?runs=${seeded.runs.baseline},${seeded.runs["lr-0.3"]}`);
    await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor();
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe("rgb(15, 17, 21)");
    await page.screenshot({ path: join(outputDir, "compare-dark.png"), fullPage: true });
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}`);
    await page.locator(".run-row").first().waitFor();
    await page.screenshot({ path: join(outputDir, "runs-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });
  }, browserTimeout);
});
