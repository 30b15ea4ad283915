/**
 * The runs table in a real headless Chromium against a real fml server, on every backend:
 * headers that show their whole label and sort from the keyboard, Esc closing the column picker,
 * pinned and resized columns, the visible runs as CSV, autocomplete of search keys, the scroll
 * position kept when coming back from a run, and live refresh that backs off and stops while the
 * tab is hidden (on Playwright's fake clock, counting requests).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { browserTimeout, hasChromium, openBrowser, outputDir, type TestBrowser } from "../helpers/browser.ts";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

const RUNS = 60;

interface Seeded {
  experimentId: string;
  running: string;
  /** run name -> id */
  runs: Map<string, string>;
}

async function seed(server: FmlServer): Promise<Seeded> {
  const ok = async (endpoint: string, body: unknown) => {
    const r = await server.api<any>("POST", endpoint, body);
    if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const experimentId = (await ok("experiments/create", { name: "table-check" })).experiment_id as string;
  const runs = new Map<string, string>();
  const t0 = Date.UTC(2026, 10, 1, 8, 0, 0);
  for (let i = 0; i < RUNS; i++) {
    const name = `run-${String(i).padStart(2, "0")}`;
    const id = (await ok("runs/create", { experiment_id: experimentId, run_name: name, start_time: t0 + i * 60_000 })).run.info.run_id as string;
    runs.set(name, id);
    await ok("runs/log-batch", {
      run_id: id,
      metrics: [
        { key: "loss", value: 1 / (i + 1), timestamp: t0, step: 0 },
        { key: "validation_accuracy_top5", value: i / 100, timestamp: t0, step: 0 },
      ],
      params: [
        { key: "lr", value: String(0.001 * (i + 1)) },
        { key: "optimizer", value: i % 3 ? "adam" : "sgd" },
        { key: "note", value: i === 3 ? 'say "hi", bye' : `plain ${i}` },
      ],
      tags: [{ key: "team", value: i % 2 ? "vision" : "speech" }],
    });
    // durations: run-00 is the longest, run-59 the shortest
    await ok("runs/update", { run_id: id, status: "FINISHED", end_time: t0 + i * 60_000 + (RUNS - i) * 1000 });
  }
  const running = (await ok("runs/create", { experiment_id: experimentId, run_name: "still-running", start_time: t0 + RUNS * 60_000 })).run.info.run_id as string;
  runs.set("still-running", running);
  return { experimentId, running, runs };
}

for (const backend of await backends()) {
  describe.skipIf(!hasChromium)(`runs table in Chromium [${backend}]`, () => {
    let server: FmlServer;
    let seeded: Seeded;
    let browser: TestBrowser;
    let page: Page;
    const tableUrl = (query = "") => `${server.url}/#/experiments/${seeded.experimentId}${query ? "?" + query : ""}`;
    const open = async (query = "") => {
      await page.goto("about:blank");
      await page.goto(tableUrl(query));
      await page.locator(".run-row").first().waitFor();
      await page.waitForFunction(() => !document.querySelector("[data-testid=run-count]")?.textContent?.includes("loading"));
    };

    beforeAll(async () => {
      server = await startFml({ backend });
      seeded = await seed(server);
      browser = await openBrowser();
      page = browser.page;
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    }, browserTimeout);

    test("every header shows its whole label next to the sort arrow", async () => {
      await open("cols=m:loss,m:validation_accuracy_top5,p:lr,p:optimizer,t:team&sort=duration:asc");
      const cut = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>(".vhead .th")]
          .filter((th) => {
            const label = th.querySelector<HTMLElement>(".th-label")!;
            return label.scrollWidth > label.clientWidth || th.scrollWidth > th.clientWidth;
          })
          .map((th) => th.dataset.column),
      );
      expect(cut).toEqual([]);
      expect(await page.locator('.th[data-column="duration"] .th-arrow').textContent()).toBe("▲");
      expect(await page.locator('.th[data-column="duration"]').getAttribute("aria-sort")).toBe("ascending");
      await page.screenshot({ path: join(outputDir, `runs-table-${backend}.png`) });
    }, browserTimeout);

    test("a header sorts from the keyboard: Tab to it, Enter", async () => {
      await open("cols=m:loss");
      await page.getByLabel("Select all").focus();
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press("Tab");
        if (await page.evaluate(() => document.activeElement?.closest(".th")?.getAttribute("data-column") === "duration")) break;
      }
      expect(await page.evaluate(() => document.activeElement?.className)).toBe("th-sort");
      expect(await page.evaluate(() => document.activeElement?.closest(".th")?.getAttribute("data-column"))).toBe("duration");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => location.hash.includes("sort=duration%3Aasc") || location.hash.includes("sort=duration:asc"));
      // run-59 ran shortest; the RUNNING run has no end and sorts by its time so far
      await page.waitForFunction(() => document.querySelector(".run-row a")?.textContent === "run-59");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.querySelector('.th[data-column="duration"]')?.getAttribute("aria-sort") === "descending");
    }, browserTimeout);

    test("Esc closes the column picker and gives focus back to its button", async () => {
      await open();
      await page.getByRole("button", { name: "Columns ▾" }).click();
      await page.locator(".picker-panel").waitFor();
      await page.keyboard.press("Escape");
      await page.locator(".picker-panel").waitFor({ state: "detached" });
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Columns ▾");
    }, browserTimeout);

    test("a pinned column and the run name stay in view when scrolling right", async () => {
      await page.setViewportSize({ width: 700, height: 900 });
      try {
        await open("cols=m:loss,m:validation_accuracy_top5,p:lr,p:optimizer,p:note,t:team");
        await page.locator('.th[data-column="m:loss"]').hover();
        await page.getByRole("button", { name: "Pin metric loss" }).click();
        await page.waitForFunction(() => location.hash.includes("pin=m%3Aloss") || location.hash.includes("pin=m:loss"));
        // pinned columns come first, after the run name
        expect(await page.locator(".vhead .th").evaluateAll((ths) => ths.slice(0, 3).map((th) => th.getAttribute("data-column")))).toEqual(["name", "m:loss", "status"]);
        await page.locator(".vtable").evaluate((el) => (el.scrollLeft = el.scrollWidth));
        await page.waitForFunction(() => (document.querySelector(".vtable") as HTMLElement).scrollLeft > 300);
        const table = (await page.locator(".vtable").boundingBox())!;
        const row = page.locator(".run-row").first();
        const name = (await row.locator(".run-name").boundingBox())!;
        const loss = (await row.locator('[data-column="m:loss"]').boundingBox())!;
        const status = (await row.locator('[data-column="status"]').boundingBox())!;
        expect(name.x).toBeGreaterThanOrEqual(table.x);
        expect(name.x).toBeLessThan(table.x + 60);
        expect(loss.x).toBeGreaterThanOrEqual(name.x + name.width - 1);
        expect(loss.x + loss.width).toBeLessThanOrEqual(table.x + table.width);
        // an unpinned column scrolled out under the pinned ones
        expect(status.x).toBeLessThan(loss.x);
        await page.screenshot({ path: join(outputDir, `runs-table-pinned-${backend}.png`) });
      } finally {
        await page.setViewportSize({ width: 1440, height: 900 });
      }
    }, browserTimeout);

    test("dragging a header's edge resizes the column, kept across reloads; double-click resets it", async () => {
      await open("cols=p:lr");
      const header = page.locator('.th[data-column="p:lr"]');
      const before = (await header.boundingBox())!.width;
      const handle = (await header.locator(".th-resize").boundingBox())!;
      await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
      await page.mouse.down();
      await page.mouse.move(handle.x + 40, handle.y + handle.height / 2, { steps: 4 });
      await page.mouse.move(handle.x + 83, handle.y + handle.height / 2, { steps: 4 });
      await page.mouse.up();
      const after = (await header.boundingBox())!.width;
      expect(Math.round(after - before)).toBe(80);
      expect(Math.round((await page.locator('.run-row [data-column="p:lr"]').first().boundingBox())!.width)).toBe(Math.round(after));
      await page.reload();
      await page.locator(".run-row").first().waitFor();
      expect(Math.round((await header.boundingBox())!.width)).toBe(Math.round(after));
      await header.locator(".th-resize").dblclick();
      await page.waitForFunction((w) => Math.round(document.querySelector('.th[data-column="p:lr"]')!.getBoundingClientRect().width) === w, Math.round(before));
    }, browserTimeout);

    test("Download CSV saves the visible runs in their order, values quoted where needed", async () => {
      await open(`cols=m:loss,p:note&sort=name:asc&filter=${encodeURIComponent("params.optimizer = 'sgd' and metrics.loss > 0.05")}`);
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
      expect(download.suggestedFilename()).toBe("table-check-runs.csv");
      const text = readFileSync((await download.path())!, "utf8");
      const lines = text.split("\r\n");
      expect(lines[0]).toBe("Run ID,Run name,Status,Start time,Duration (ms),User,Source,metrics.loss,params.note");
      // sgd runs are every third one; loss 1/(i+1) > 0.05 keeps i < 19
      const expected = [0, 3, 6, 9, 12, 15, 18].map((i) => {
        const name = `run-${String(i).padStart(2, "0")}`;
        const start = new Date(Date.UTC(2026, 10, 1, 8, 0, 0) + i * 60_000).toISOString();
        const note = i === 3 ? '"say ""hi"", bye"' : `plain ${i}`;
        return `${seeded.runs.get(name)},${name},FINISHED,${start},${(RUNS - i) * 1000},,,${1 / (i + 1)},${note}`;
      });
      const user = (await server.api<any>("GET", "runs/get", { run_id: seeded.runs.get("run-00") })).body.run.info.user_id ?? "";
      expect(lines.slice(1, -1)).toEqual(expected.map((line) => line.replace(",,,", `,${user},,`)));
      expect(lines.at(-1)).toBe("");
      const shown = await page.locator(".run-row a").allTextContents();
      expect(shown).toEqual([0, 3, 6, 9, 12, 15, 18].map((i) => `run-${String(i).padStart(2, "0")}`));
    }, browserTimeout);

    test("the search box suggests metric, param, tag and attribute keys", async () => {
      await open();
      const box = page.locator("input[name=filter]");
      const options = page.locator("#filter-suggestions [role=option]");
      await box.fill("");
      await box.pressSequentially("lo");
      await options.first().waitFor();
      expect(await options.allTextContents()).toContain("metrics.loss");
      await box.fill("");
      await box.pressSequentially("params.");
      await page.waitForFunction(() => document.querySelectorAll("#filter-suggestions [role=option]").length === 3);
      expect(await options.allTextContents()).toEqual(["params.lr", "params.note", "params.optimizer"]);
      await box.fill("");
      await box.pressSequentially("metrics.loss < 0.5 and tags.te");
      await page.waitForFunction(() => document.querySelector("#filter-suggestions [role=option]")?.textContent === "tags.team");
      await box.press("ArrowDown");
      await box.press("Enter");
      expect(await box.inputValue()).toBe("metrics.loss < 0.5 and tags.team ");
      expect(await options.count()).toBe(0);
      await box.pressSequentially("= 'vis");
      expect(await options.count()).toBe(0); // not inside a quoted value
      await box.fill("");
      await box.pressSequentially("attributes.st");
      await options.first().waitFor();
      expect(await options.allTextContents()).toEqual(["attributes.status", "attributes.start_time"]);
      await box.press("Escape");
      expect(await options.count()).toBe(0);
      await box.fill("");
    }, browserTimeout);

    test("back from a run returns the table to where it was scrolled", async () => {
      await open("sort=name:asc");
      await page.locator(".vtable").evaluate((el) => (el.scrollTop = 900));
      await page.locator(".run-row", { hasText: "run-35" }).waitFor();
      await page.waitForTimeout(100); // the scroll position is recorded on the scroll event
      await page.locator(".run-row", { hasText: "run-35" }).getByRole("link", { name: "run-35" }).click();
      await page.getByTestId("run-name").waitFor();
      expect(await page.getByTestId("run-name").textContent()).toBe("run-35");
      await page.goBack();
      await page.locator(".run-row", { hasText: "run-35" }).waitFor();
      await page.waitForFunction(() => (document.querySelector(".vtable") as HTMLElement | null)?.scrollTop === 900);
      expect(await page.locator(".vtable").evaluate((el) => el.scrollTop)).toBe(900);
    }, browserTimeout);

    test("live refresh backs off while nothing changes, stops while the tab is hidden, and resumes when shown", async () => {
      let searches = 0;
      page.on("request", (request) => void (request.url().includes("runs/search") && searches++));
      await page.clock.install();
      await open();
      const delay = () => page.evaluate(() => document.querySelector(".runs-page")?.getAttribute("data-poll-ms") ?? null);
      const waitDelay = (ms: string | null) => page.waitForFunction((ms) => (document.querySelector(".runs-page")?.getAttribute("data-poll-ms") ?? null) === ms, ms);
      await waitDelay("5000");
      const start = searches;
      // 5 + 10 + 20 + 40 + 60 s of an idle page: five polls instead of the 27 of a fixed 5 s poll.
      for (const [wait, next] of [[5000, "10000"], [10_000, "20000"], [20_000, "40000"], [40_000, "60000"], [60_000, "60000"]] as const) {
        const before = searches;
        await page.clock.fastForward(wait);
        await page.waitForFunction(() => true);
        await (async () => {
          for (let i = 0; i < 200 && searches < before + 2; i++) await Bun.sleep(25);
        })();
        await waitDelay(next);
      }
      // each poll: runs newer than the newest shown, and the one RUNNING run
      expect(searches - start).toBe(10);

      // A change brings the fast poll back.
      await server.api("POST", "runs/log-metric", { run_id: seeded.running, key: "loss", value: 0.125, timestamp: Date.now(), step: 1 });
      await page.clock.fastForward(60_000);
      await waitDelay("5000");

      // Hidden: no timer, no request.
      await page.evaluate(() => {
        Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
        Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
        document.dispatchEvent(new Event("visibilitychange"));
      });
      await waitDelay(null);
      const hidden = searches;
      for (let i = 0; i < 5; i++) await page.clock.fastForward(60_000);
      await Bun.sleep(300);
      expect(searches).toBe(hidden);

      // Shown again: refreshes at once, then polls quickly again.
      await page.evaluate(() => {
        Object.defineProperty(document, "hidden", { configurable: true, get: () => false });
        Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
        document.dispatchEvent(new Event("visibilitychange"));
      });
      await waitDelay("5000").catch(async (e) => {
        throw new Error(`${e}: delay ${await delay()}, searches ${searches} (hidden at ${hidden})`);
      });
      expect(searches).toBeGreaterThan(hidden);
      expect(await delay()).toBe("5000");
    }, 60_000);

    test("no page threw an uncaught error", () => {
      expect(browser.pageErrors).toEqual([]);
    });
  });
}
