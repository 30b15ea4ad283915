/**
 * The web UI's charts in a real headless Chromium against a real fml server, on SQLite and
 * PostgreSQL: zooming a long history shows every step of the range, 100 runs keep compact
 * legends and distinct colours, single values are bars, wall-time labels do not overlap, the
 * experiment's chart view (add, remove, move, grouping, scatter, parallel coordinates) lives in
 * the URL, the run page has a system metrics tab, and a phone-wide screen does not overflow.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { browserTimeout, hasChromium, openBrowser, outputDir, type TestBrowser } from "../helpers/browser.ts";
import { backends, startFml, type Backend, type FmlServer } from "../helpers/server.ts";

const RUNS = 100;
const LONG_STEPS = 30_000;

interface Seeded {
  experimentId: string;
  runIds: string[];
  adam: string[];
  long: string;
  system: string;
}

async function seed(server: FmlServer): Promise<Seeded> {
  const ok = async (method: string, endpoint: string, body: unknown) => {
    const r = await server.api<any>(method, endpoint, body);
    if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const experimentId = (await ok("POST", "experiments/create", { name: "chart-sweep" })).experiment_id as string;
  const t0 = Date.UTC(2026, 10, 20, 9, 0, 0);
  const runIds: string[] = [];
  const adam: string[] = [];
  for (let r = 0; r < RUNS; r++) {
    const run = (await ok("POST", "runs/create", { experiment_id: experimentId, run_name: `run-${String(r).padStart(3, "0")}`, start_time: t0 + r * 1000 })).run;
    const id = run.info.run_id as string;
    runIds.push(id);
    const optimizer = r % 3 === 0 ? "adam" : "sgd";
    if (optimizer === "adam") adam.push(id);
    const lr = 0.001 * (1 + r);
    const metrics = [];
    for (let step = 0; step < 20; step++) {
      const timestamp = t0 + r * 1000 + step * 60_000;
      metrics.push({ key: "loss", value: 1 / (1 + step * lr * 10), timestamp, step });
      metrics.push({ key: "accuracy", value: 1 - 1 / (2 + step + r / 50), timestamp, step });
    }
    metrics.push({ key: "final_score", value: r / 100, timestamp: t0, step: 0 });
    await ok("POST", "runs/log-batch", {
      run_id: id,
      params: [
        { key: "lr", value: String(lr) },
        { key: "optimizer", value: optimizer },
      ],
      tags: [{ key: "team", value: r % 2 ? "vision" : "speech" }],
      metrics,
    });
  }
  const long = (await ok("POST", "runs/create", { experiment_id: "0", run_name: "long", start_time: t0 })).run.info.run_id as string;
  for (let b = 0; b < LONG_STEPS; b += 1000) {
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: "loss", value: Math.sin((b + i) / 500) + 2, timestamp: t0 + (b + i) * 1000, step: b + i }));
    await ok("POST", "runs/log-batch", { run_id: long, metrics });
  }
  const system = (await ok("POST", "runs/create", { experiment_id: "0", run_name: "with-system-metrics", start_time: t0 })).run.info.run_id as string;
  const sys = [];
  for (let step = 0; step < 10; step++) {
    const timestamp = t0 + step * 10_000;
    sys.push({ key: "system/cpu_utilization_percentage", value: 20 + step, timestamp, step });
    sys.push({ key: "system/system_memory_usage_megabytes", value: 1000 + step * 10, timestamp, step });
    sys.push({ key: "train_loss", value: 1 / (1 + step), timestamp, step });
  }
  await ok("POST", "runs/log-batch", { run_id: system, metrics: sys });
  return { experimentId, runIds, adam, long, system };
}

/** What the uPlot of a chart draws: its series' colours and its x values. */
async function plotOf(page: Page, metric: string) {
  return page.evaluate((key) => {
    const el = document.querySelector(`.chart[data-metric="${key}"] .plot`) as (HTMLElement & { uplot?: any }) | null;
    const u = el?.uplot;
    if (!u) return undefined;
    return {
      series: u.series.length - 1,
      colors: u.series.slice(1).map((s: any, i: number) => (typeof s.stroke === "function" ? s.stroke(u, i + 1) : s.stroke)) as string[],
      xs: Array.from(u.data[0] as ArrayLike<number>),
      min: u.scales.x.min as number,
      max: u.scales.x.max as number,
    };
  }, metric);
}

async function dragAcross(page: Page, selector: string, from: number, to: number) {
  await page.locator(selector).scrollIntoViewIfNeeded();
  const box = (await page.locator(selector).boundingBox())!;
  await page.mouse.move(box.x + box.width * from, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * to, box.y + box.height / 2, { steps: 6 });
  await page.mouse.up();
}

const chartIds = (page: Page) => page.locator(".chart-cell").evaluateAll((cells) => cells.map((c) => c.getAttribute("data-chart")));

for (const backend of hasChromium ? await backends() : ["sqlite" as Backend]) {
  describe.skipIf(!hasChromium)(`charts in the web UI on ${backend} (Chromium)`, () => {
    let server: FmlServer;
    let seeded: Seeded;
    let browser: TestBrowser;
    let page: Page;

    beforeAll(async () => {
      server = await startFml({ backend });
      seeded = await seed(server);
      browser = await openBrowser();
      page = browser.page;
    }, 120000);

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    }, browserTimeout);

    test("zooming a wide range of a long history shows every step of the range", async () => {
      const requests: string[] = [];
      page.on("request", (r) => r.url().includes("get-history-bulk-interval") && requests.push(r.url()));
      await page.goto(`${server.url}/#/runs/${seeded.long}?tab=charts`);
      await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor();
      expect(Number(await page.locator('.chart[data-metric="loss"]').getAttribute("data-points"))).toBeLessThanOrEqual(2501);
      // 40% to 90% of 30,000 steps: MLflow's sampling of that range alone answers a few hundred.
      await dragAcross(page, '.chart[data-metric="loss"] .u-over', 0.4, 0.9);
      await page.locator('.chart[data-metric="loss"][data-zoom-points]').waitFor();
      const plot = (await plotOf(page, "loss"))!;
      const expected = Math.floor(plot.max) - Math.ceil(plot.min) + 1;
      expect(expected).toBeGreaterThan(12000);
      expect(Number(await page.locator('.chart[data-metric="loss"]').getAttribute("data-zoom-points"))).toBe(expected);
      // The drawn data holds every step of the range.
      expect(plot.xs.filter((x) => x >= plot.min && x <= plot.max).length).toBe(expected);
      // Each piece asked covers at most 2,500 steps, which the server answers unsampled.
      const pieces = requests.filter((u) => u.includes("start_step")).map((u) => new URL(u).searchParams);
      expect(pieces.length).toBeGreaterThan(1);
      for (const p of pieces) expect(Number(p.get("end_step")) - Number(p.get("start_step"))).toBeLessThan(2500);
      await page.locator('.chart[data-metric="loss"] .u-over').dblclick();
      await page.waitForFunction(() => !document.querySelector('.chart[data-metric="loss"]')?.hasAttribute("data-zoom-points"));
    }, browserTimeout);

    test("comparing 100 runs keeps each chart's legend compact and every run's colour distinct", async () => {
      await page.goto(`${server.url}/#/compare?runs=${seeded.runIds.join(",")}&exp=${seeded.experimentId}`);
      await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor();
      expect(await page.locator('.chart[data-metric="loss"]').getAttribute("data-points")).toBe(String(RUNS * 20));
      const plot = (await plotOf(page, "loss"))!;
      expect(plot.series).toBe(RUNS);
      expect(new Set(plot.colors).size).toBe(RUNS);
      const chart = (await page.locator('.chart[data-metric="loss"]').boundingBox())!;
      expect(chart.height).toBeLessThan(360);
      expect(await page.locator('.chart[data-metric="loss"] .legend-item').count()).toBeLessThanOrEqual(8);
      expect(await page.locator('.chart[data-metric="loss"] .chart-legend').getAttribute("data-series")).toBe(String(RUNS));
      // Hovering shows the values at the cursor, a bounded list of them.
      await page.locator('.chart[data-metric="loss"] .u-over').scrollIntoViewIfNeeded();
      const over = (await page.locator('.chart[data-metric="loss"] .u-over').boundingBox())!;
      await page.mouse.move(over.x + over.width / 2, over.y + over.height / 2);
      const tooltip = page.locator('.chart[data-metric="loss"] .chart-tooltip');
      await tooltip.waitFor();
      expect(await tooltip.textContent()).toContain("run-");
      expect(await tooltip.locator(".swatch").count()).toBeLessThanOrEqual(12);
      await page.screenshot({ path: join(outputDir, `compare-100-${backend}.png`) });
    }, browserTimeout);

    test("a metric with one value per run is drawn as bars", async () => {
      await page.goto(`${server.url}/#/compare?runs=${seeded.runIds.slice(0, 5).join(",")}&exp=${seeded.experimentId}`);
      const chart = page.locator('.chart[data-metric="final_score"][data-kind="bar"]');
      await chart.locator('.bar-chart[data-bars="5"]').waitFor();
      expect(await chart.locator(".bar-row").count()).toBe(5);
      expect(await chart.locator("canvas").count()).toBe(0);
      expect(await page.locator('.chart[data-metric="loss"][data-kind="line"]').count()).toBe(1);
    }, browserTimeout);

    test("wall-time axis labels do not overlap, even on a narrow chart", async () => {
      await page.setViewportSize({ width: 520, height: 900 });
      try {
        await page.goto(`${server.url}/#/runs/${seeded.runIds[0]}?tab=charts`);
        await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor();
        await page.locator(".chart-controls select").selectOption("wall");
        await page.waitForFunction(() => (document.querySelector('.chart[data-metric="loss"] .plot') as any)?.uplot?.scales.x.time === true);
        const gaps = await page.evaluate(() => {
          const u = (document.querySelector('.chart[data-metric="loss"] .plot') as any).uplot;
          const axis = u.axes[0];
          const ctx = document.createElement("canvas").getContext("2d")!;
          ctx.font = u.ctx.font;
          const splits: number[] = axis._splits;
          const labels: string[] = axis._values.map(String);
          const at = splits.map((s) => u.valToPos(s, "x"));
          const widths = labels.map((l) => Math.max(...l.split("\n").map((line) => ctx.measureText(line).width)));
          return { labels, gaps: at.slice(1).map((x, i) => x - at[i]! - (widths[i]! + widths[i + 1]!) / 2) };
        });
        expect(gaps.labels.length).toBeGreaterThan(1);
        for (const gap of gaps.gaps) expect(gap).toBeGreaterThan(4);
      } finally {
        await page.locator(".chart-controls select").selectOption("step");
        await page.setViewportSize({ width: 1440, height: 900 });
      }
    }, browserTimeout);

    test("the chart view's charts are added, removed and moved, and a reload keeps them", async () => {
      await page.goto(`${server.url}/#/experiments/${seeded.experimentId}`);
      await page.getByRole("button", { name: "Chart", exact: true }).click();
      await page.locator('[data-testid="chart-view"]').waitFor();
      expect(await chartIds(page)).toEqual(["line:accuracy", "line:final_score", "line:loss"]);
      await page.locator('.chart-cell[data-chart="line:accuracy"]').getByRole("button", { name: "Remove chart" }).click();
      await page.locator('.chart-cell[data-chart="line:loss"]').getByRole("button", { name: "Move left" }).click();
      await page.getByRole("button", { name: "Add chart" }).click();
      await page.getByLabel("Chart type").selectOption("scatter");
      await page.getByLabel("Scatter X").selectOption("p:lr");
      await page.getByLabel("Scatter Y").selectOption("m:loss");
      await page.getByRole("button", { name: "Add", exact: true }).click();
      const expected = ["line:loss", "line:final_score", "scatter:p%3Alr:m%3Aloss"];
      expect(await chartIds(page)).toEqual(expected);
      expect(new URLSearchParams(page.url().split("?")[1]).get("charts")).toBe(expected.join(","));
      await page.reload();
      await page.locator('.chart-cell[data-chart="scatter:p%3Alr:m%3Aloss"] svg.scatter').waitFor();
      expect(await chartIds(page)).toEqual(expected);
      // 100 runs x a chart drawn, the single-value metric as bars.
      await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor();
      expect((await plotOf(page, "loss"))!.series).toBe(RUNS);
      await page.locator('.chart[data-metric="final_score"][data-kind="bar"]').waitFor();
      await page.screenshot({ path: join(outputDir, `chart-view-${backend}.png`) });
    }, browserTimeout);

    test("grouping by a param draws one series per group, coloured alike in every chart", async () => {
      await page.goto(`${server.url}/#/experiments/${seeded.experimentId}?mode=chart&charts=line:loss,scatter:p%253Alr:m%253Aloss&group=p:optimizer`);
      await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor();
      const plot = (await plotOf(page, "loss"))!;
      expect(plot.series).toBe(2);
      expect(await page.locator(".chart-view > .chart-legend .legend-item").allTextContents()).toEqual([`optimizer: adam (${seeded.adam.length})`, `optimizer: sgd (${RUNS - seeded.adam.length})`]);
      const fills = await page.locator("svg.scatter circle").evaluateAll((dots) => [...new Set(dots.map((d) => d.getAttribute("fill")))]);
      expect(fills.sort()).toEqual([...plot.colors].sort());
      await page.getByLabel("Group by").selectOption("t:team");
      await page.waitForFunction(() => (document.querySelector('.chart[data-metric="loss"] .plot') as any)?.uplot?.series.length === 3);
      expect(new URLSearchParams(page.url().split("?")[1]).get("group")).toBe("t:team");
    }, browserTimeout);

    test("scatter and parallel coordinates draw exactly the runs the filter keeps", async () => {
      const filter = encodeURIComponent("params.optimizer = 'adam'");
      const charts = encodeURIComponent("scatter:p%3Alr:m%3Aloss,parallel:p%3Alr:p%3Aoptimizer:m%3Aloss:m%3Aaccuracy");
      await page.goto(`${server.url}/#/experiments/${seeded.experimentId}?mode=chart&filter=${filter}&charts=${charts}`);
      await page.locator(`svg.scatter[data-dots="${seeded.adam.length}"]`).waitFor();
      const dots = await page.locator("svg.scatter circle").evaluateAll((c) => c.map((d) => d.getAttribute("data-run-id")));
      expect(dots.sort()).toEqual([...seeded.adam].sort());
      const lines = await page.locator("svg.parallel path.pc-line").evaluateAll((c) => c.map((d) => d.getAttribute("data-run-id")));
      expect(lines.sort()).toEqual([...seeded.adam].sort());
      expect(await page.locator("svg.parallel .pc-axis").count()).toBe(4);
    }, browserTimeout);

    test("the run page shows system metrics in their own tab", async () => {
      await page.goto(`${server.url}/#/runs/${seeded.system}?tab=system`);
      await page.locator('[data-testid="system-metrics"] .chart[data-metric="system/cpu_utilization_percentage"][data-points="10"] canvas').waitFor();
      expect(await page.locator('[data-testid="system-metrics"] .chart').count()).toBe(2);
      await page.goto(`${server.url}/#/runs/${seeded.system}?tab=charts`);
      await page.locator('.chart[data-metric="train_loss"][data-points] canvas').waitFor();
      expect(await page.locator('.chart[data-metric^="system/"]').count()).toBe(0);
    }, browserTimeout);

    test("on a phone-wide screen the chart view and run charts fit without horizontal overflow", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        await page.goto(`${server.url}/#/experiments/${seeded.experimentId}?mode=chart&charts=line:loss,line:final_score,scatter:p%253Alr:m%253Aloss,parallel:p%253Alr:m%253Aloss`);
        await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor();
        await page.locator("svg.scatter").waitFor();
        const widths = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          charts: [...document.querySelectorAll(".chart")].map((c) => c.getBoundingClientRect().right),
        }));
        expect(widths.page).toBeLessThanOrEqual(390);
        for (const right of widths.charts) expect(right).toBeLessThanOrEqual(390);
        await page.screenshot({ path: join(outputDir, `chart-view-phone-${backend}.png`) });
        await page.goto(`${server.url}/#/runs/${seeded.long}?tab=charts`);
        await page.locator('.chart[data-metric="loss"][data-points] canvas').waitFor();
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      } finally {
        await page.setViewportSize({ width: 1440, height: 900 });
      }
    }, browserTimeout);

    test("no page threw an uncaught error", () => {
      expect(browser.pageErrors).toEqual([]);
    });
  });
}
