/**
 * The links MLflow clients print and people share (`View run at http://host/#/experiments/1/runs/
 * <id>`) open the matching fml page: the mapping itself, then each link in a real Chromium
 * against a real fml server seeded through the API.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { fromMlflowLink, idList } from "../../src/ui/app/mlflow-links.ts";
import type { Route } from "../../src/ui/app/router.ts";
import { startFml, type FmlServer } from "../helpers/server.ts";

const chromiumPath = "/usr/bin/chromium";
const hasChromium = existsSync(chromiumPath);
const browserTimeout = 30000;

function route(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#\/?/, "").split("?", 2) as [string?, string?];
  return { path: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

describe("MLflow link -> fml route", () => {
  const cases: [string, string | undefined][] = [
    ["#/experiments/3/runs/abc123", "#/runs/abc123"],
    ["#/experiments/3/runs/abc123/artifacts/model/MLmodel", "#/runs/abc123?tab=artifacts&path=model%2FMLmodel"],
    ["#/experiments/3/runs/abc123/artifacts", "#/runs/abc123?tab=artifacts"],
    ['#/compare-runs?runs=["a1","b2"]&experiments=["3"]', "#/compare?runs=a1%2Cb2&exp=3"],
    ["#/compare-runs?runs=%5B%22a1%22%2C%22b2%22%5D&experiments=%5B%223%22%5D", "#/compare?runs=a1%2Cb2&exp=3"],
    ['#/metric/loss?runs=["a1","b2"]&experiments=["3"]', "#/compare?runs=a1%2Cb2&exp=3&y=m%3Aloss"],
    ['#/metric/loss?runs=["a1"]&experiments=["3"]', "#/runs/a1?tab=charts"],
    // model version, MLflow 3 logged-model and trace pages have the same address in fml
    ["#/models/my%20model/versions/4", undefined],
    ["#/experiments/3/models/m-0123", undefined],
    ["#/experiments/3/models", undefined],
    ["#/experiments/3/traces", undefined],
    ["#/experiments/3/runs", "#/experiments/3"],
    // fml's own routes stay as they are
    ["#/experiments/3", undefined],
    ["#/runs/abc123?tab=charts", undefined],
    ["#/models/my%20model", undefined],
    ["#/compare?runs=a1,b2&exp=3", undefined],
  ];
  for (const [mlflow, fml] of cases) {
    test(`${mlflow} -> ${fml ?? "unchanged"}`, () => {
      expect(fromMlflowLink(route(mlflow))).toBe(fml);
    });
  }

  test("id lists are read as MLflow's JSON or as a comma list", () => {
    expect(idList('["a","b"]')).toEqual(["a", "b"]);
    expect(idList("a, b")).toEqual(["a", "b"]);
    expect(idList(null)).toEqual([]);
  });
});

describe.skipIf(!hasChromium)(`MLflow links in Chromium${hasChromium ? "" : " (skipped: /usr/bin/chromium is not installed)"}`, () => {
  let server: FmlServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let experimentId: string;
  const runs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startFml();
    const ok = async <T>(method: string, endpoint: string, body: unknown): Promise<T> => {
      const r = await server.api<T>(method, endpoint, body);
      if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    experimentId = (await ok<{ experiment_id: string }>("POST", "experiments/create", { name: "links" })).experiment_id;
    for (const [name, lr] of [["first", "0.1"], ["second", "0.2"]] as const) {
      const run = await ok<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: experimentId, run_name: name });
      const id = run.run.info.run_id;
      runs.push(id);
      await ok("POST", "runs/log-batch", {
        run_id: id,
        params: [{ key: "lr", value: lr }],
        metrics: [1, 2, 3].map((step) => ({ key: "loss", value: 1 / step, timestamp: step, step })),
      });
    }
    await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runs[0]}/artifacts/model/MLmodel`, {
      method: "PUT",
      body: "flavors:\n  python_function: {}\n",
    });
    await ok("POST", "registered-models/create", { name: "link model" });
    for (const run of runs) {
      await ok("POST", "model-versions/create", { name: "link model", source: `runs:/${run}/model`, run_id: run });
    }
    const { chromium } = await import("playwright-core");
    profile = mkdtempSync(join(tmpdir(), "fml-chromium-links-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1280, height: 800 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10000);
    page.on("pageerror", (error) => pageErrors.push(String(error)));
  }, 60000);

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  }, browserTimeout);

  const open = async (hash: string): Promise<void> => {
    // A fresh load each time, as when a link is pasted into a new tab.
    await page.goto("about:blank");
    await page.goto(`${server.url}/${hash}`);
  };
  const hash = () => page.evaluate(() => location.hash);

  test("a run link printed by mlflow.start_run opens that run", async () => {
    await open(`#/experiments/${experimentId}/runs/${runs[0]}`);
    await page.getByRole("heading", { name: /first/ }).waitFor();
    expect(await hash()).toBe(`#/runs/${runs[0]}`);
  }, browserTimeout);

  test("a run artifact link opens the artifact browser on that file", async () => {
    await open(`#/experiments/${experimentId}/runs/${runs[0]}/artifacts/model/MLmodel`);
    await page.locator(".artifact-text").waitFor();
    expect(await page.locator(".artifact-text").textContent()).toContain("python_function");
    expect(await page.locator('.artifact-entry.active[data-path="model/MLmodel"]').count()).toBe(1);
  }, browserTimeout);

  test("MLflow's compare link opens fml's comparison of those runs", async () => {
    await open(`#/compare-runs?runs=${encodeURIComponent(JSON.stringify(runs))}&experiments=${encodeURIComponent(JSON.stringify([experimentId]))}`);
    await page.getByTestId("diff").waitFor();
    expect(await page.locator("table.diff tr.differs th").allTextContents()).toContain("p lr");
    expect(await hash()).toBe(`#/compare?runs=${encodeURIComponent(runs.join(","))}&exp=${experimentId}`);
  }, browserTimeout);

  test("registered model and model version links open the model page and the version's page", async () => {
    await open("#/models/link%20model");
    await page.locator('tr[data-version="2"]').waitFor();
    await open("#/models/link%20model/versions/1");
    await page.getByTestId("version-title").getByText("Version 1").waitFor();
    expect(await hash()).toBe("#/models/link%20model/versions/1");
  }, browserTimeout);

  test("a logged model link opens fml's logged model page at the same address", async () => {
    await open(`#/experiments/${experimentId}/models/m-0123456789`);
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("not found");
    expect(await hash()).toBe(`#/experiments/${experimentId}/models/m-0123456789`);
  }, browserTimeout);

  test("an experiment's traces link opens its Traces tab at the same address", async () => {
    await open(`#/experiments/${experimentId}/traces`);
    await page.locator('[data-testid="trace-count"]').waitFor();
    expect(await hash()).toBe(`#/experiments/${experimentId}/traces`);
  }, browserTimeout);

  test("no page threw an uncaught error", () => {
    expect(pageErrors).toEqual([]);
  });
});
