/**
 * The trace pages in a real headless Chromium against a real fml server, with traces seeded
 * through StartTraceV3 and OTLP/JSON `POST /v1/traces`: the Traces tab (previews, state, tags,
 * filter with the trace grammar), a trace's span tree with inputs, outputs, attributes, events
 * and assessments, and a 30,000-span trace that opens in seconds with a bounded number of rows
 * in the DOM. Screenshots land in test/output/.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { browserTimeout, hasChromium, openBrowser, outputDir, type TestBrowser } from "../helpers/browser.ts";
import { startFml, type FmlServer } from "../helpers/server.ts";
import { hexId, otlpJson, pipelineSpans, postOtlp, startTraceBody, type SpanSpec } from "../helpers/traces.ts";

const BIG = 30_000;

interface Seeded {
  experimentId: string;
  pipeline: string;
  failing: string;
  big: string;
  childSpanHex: string;
}

/**
 * `n` spans 1 µs apart, each 0.5 ms long, in chains of ten: span 10k+j (j > 0) is the child of
 * 10k+j-1 and span 10k the child of 10(k-1), so the tree is 3,000 levels deep and its rows come
 * in index order.
 */
function bigTraceSpans(traceHex: string, n: number): SpanSpec[] {
  const ids = Array.from({ length: n }, () => hexId(8));
  const t0 = 1796060000000000000n;
  return ids.map((spanId, i) => ({
    traceId: traceHex,
    spanId,
    parentSpanId: i === 0 ? undefined : ids[i % 10 === 0 ? i - 10 : i - 1],
    name: i === 0 ? "agent" : `step-${i}`,
    start: String(t0 + BigInt(i) * 1000n),
    end: String(t0 + BigInt(i) * 1000n + (i === 0 ? BigInt(n) * 1000n + 500_000n : 500_000n)),
    attributes: {
      "mlflow.spanType": { stringValue: i === 0 ? "AGENT" : "TOOL" },
      "mlflow.spanInputs": { stringValue: `{"query": "question ${i}"}` },
    },
  }));
}

async function seed(server: FmlServer): Promise<Seeded> {
  const ok = async (method: string, endpoint: string, body: unknown) => {
    const r = await server.api<any>(method, endpoint, body);
    if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const experimentId = (await ok("POST", "experiments/create", { name: "agent-traces" })).experiment_id as string;
  const otlp = async (spans: SpanSpec[]) => {
    const r = await postOtlp(server, experimentId, otlpJson(spans));
    if (r.status !== 200) throw new Error(`OTLP: ${r.status} ${r.text}`);
  };

  // As the Python client does: StartTraceV3, then the spans over OTLP.
  const pipelineHex = hexId(16);
  const pipeline = `tr-${pipelineHex}`;
  const spans = pipelineSpans(pipelineHex);
  const childSpanHex = spans[1]!.spanId;
  await ok("POST", "/api/3.0/mlflow/traces", startTraceBody(pipeline, experimentId, { tags: { "mlflow.traceName": "pipeline", env: "prod" }, request_time: "2026-11-30T17:26:34.170Z" }));
  await otlp(spans);
  await ok("POST", `/api/3.0/mlflow/traces/${pipeline}/assessments`, {
    assessment: { trace_id: pipeline, assessment_name: "correct", source: { source_type: "HUMAN", source_id: "ada" }, feedback: { value: true }, rationale: "3 + 1 is 4", span_id: childSpanHex },
  });

  // A failing trace, spans only (OTLP creates the trace), with an exception event.
  const failingHex = hexId(16);
  const root = hexId(8);
  await otlp([
    { traceId: failingHex, spanId: root, name: "chat", start: "1796050000000000000", end: "1796050001500000000", status: "STATUS_CODE_ERROR", attributes: { "mlflow.spanType": { stringValue: "CHAT_MODEL" }, "mlflow.spanInputs": { stringValue: '{"messages": [{"role": "user", "content": "hi"}]}' } } },
    {
      traceId: failingHex,
      spanId: hexId(8),
      parentSpanId: root,
      name: "call_llm",
      start: "1796050000100000000",
      end: "1796050001400000000",
      status: "STATUS_CODE_ERROR",
      attributes: { "mlflow.spanType": { stringValue: "LLM" }, "llm.model": { stringValue: "gpt-x" } },
      events: [{ name: "exception", timeUnixNano: "1796050001390000000", attributes: { "exception.message": { stringValue: "rate limited" } } }],
    },
  ]);
  await ok("PATCH", `/api/3.0/mlflow/traces/tr-${failingHex}/tags`, { key: "env", value: "dev" });

  const bigHex = hexId(16);
  const big = bigTraceSpans(bigHex, BIG);
  for (let i = 0; i < big.length; i += 5000) await otlp(big.slice(i, i + 5000));
  return { experimentId, pipeline, failing: `tr-${failingHex}`, big: `tr-${bigHex}`, childSpanHex };
}

describe.skipIf(!hasChromium)("traces in the web UI (Chromium)", () => {
  let server: FmlServer;
  let seeded: Seeded;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startFml();
    seeded = await seed(server);
    browser = await openBrowser();
  }, 120000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, browserTimeout);

  test("the Traces tab lists the experiment's traces with previews, state, latency and tags", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}`);
    await page.getByRole("link", { name: "Traces", exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll(".trace-row").length === 3);
    expect(page.url()).toEndWith(`#/experiments/${seeded.experimentId}/traces`);
    const row = page.locator(`.trace-row[data-trace-id="${seeded.pipeline}"]`);
    const cells = await row.locator("td").allTextContents();
    expect(cells).toEqual(["pipeline", '{"x": 3}', "8", "OK", "233ms", "env=prod", expect.stringMatching(/^2026-11-30 /)]);
    expect(await page.locator(`.trace-row[data-trace-id="${seeded.failing}"] td`).nth(3).textContent()).toBe("ERROR");
    await page.screenshot({ path: join(outputDir, "traces.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(outputDir, "traces-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });
  }, browserTimeout);

  test("the Traces tab filters with the trace grammar and shows a bad filter's message", async () => {
    const { page } = browser;
    await page.locator("input[name=filter]").fill("tags.env = 'prod'");
    await page.locator("input[name=filter]").press("Enter");
    await page.waitForFunction(() => document.querySelectorAll(".trace-row").length === 1);
    expect(await page.locator(".trace-row").getAttribute("data-trace-id")).toBe(seeded.pipeline);
    await page.locator("input[name=filter]").fill("status = 'ERROR'");
    await page.locator("input[name=filter]").press("Enter");
    await page.waitForFunction((id) => document.querySelectorAll(".trace-row").length === 1 && document.querySelector(".trace-row")?.getAttribute("data-trace-id") === id, seeded.failing);
    await page.locator("input[name=filter]").fill("tags.env = 'prod' OR status = 'OK'");
    await page.locator("input[name=filter]").press("Enter");
    await page.getByTestId("filter-error").waitFor();
    expect(await page.getByTestId("filter-error").textContent()).toContain("Invalid clause(s) in filter string: 'OR'");
  }, browserTimeout);

  test("a trace opens from its row: the span tree, a span's inputs, outputs and attributes, and the assessments", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}/traces`);
    await page.locator(`.trace-row[data-trace-id="${seeded.pipeline}"] td`).nth(1).click();
    await page.getByTestId("trace-body").waitFor();
    expect(page.url()).toContain(`selectedTraceId=${seeded.pipeline}`);
    expect(await page.locator(".span-row .span-label").allTextContents()).toEqual(["pipeline", "add"]);
    // the root is selected first
    expect(await page.getByTestId("span-title").textContent()).toBe("pipeline");
    expect(await page.getByTestId("span-inputs").textContent()).toBe('{\n  "x": 3\n}');
    await page.locator(".span-row", { hasText: "add" }).click();
    await page.getByTestId("span-title").getByText("add").waitFor();
    expect(await page.getByTestId("span-inputs").textContent()).toBe('{\n  "a": 3,\n  "b": 1\n}');
    expect(await page.getByTestId("span-outputs").textContent()).toBe("4");
    expect(await page.getByTestId("span-attributes").textContent()).toContain(`mlflow.traceRequestId${seeded.pipeline}`);
    const assessment = await page.getByTestId("assessments").locator("tbody tr").textContent();
    expect(assessment).toBe("correctfeedbacktrueHUMAN ada3 + 1 is 4add");
    expect(await page.getByTestId("span-detail").textContent()).toContain("Assessments on this span");
    await page.screenshot({ path: join(outputDir, "trace.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(outputDir, "trace-dark.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });
    await page.getByRole("button", { name: "← All traces" }).click();
    await page.waitForFunction(() => document.querySelectorAll(".trace-row").length === 3);
  }, browserTimeout);

  test("MLflow's trace link forms open the trace: /traces/<id> and ?selectedEvaluationId=", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}/traces/${seeded.failing}`);
    await page.getByTestId("trace-body").waitFor();
    await page.locator(".span-row", { hasText: "call_llm" }).click();
    await page.getByTestId("span-event").waitFor();
    expect(await page.getByTestId("span-event").textContent()).toContain("exception");
    expect(await page.getByTestId("span-event").textContent()).toContain("rate limited");
    expect(await page.getByTestId("span-detail").locator(".status").textContent()).toBe("ERROR");
    await page.screenshot({ path: join(outputDir, "trace-error.png"), fullPage: true });
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}/traces?selectedEvaluationId=${seeded.pipeline}`);
    await page.locator(".span-row", { hasText: "add" }).waitFor();
  }, browserTimeout);

  test("a 30,000-span trace opens within seconds, keeps few rows in the DOM and stays responsive", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/experiments/${seeded.experimentId}/traces`);
    await page.locator(".trace-row").first().waitFor();
    // The longest stretch the page's main thread was busy while the trace opened.
    await page.evaluate(() => {
      const w = window as unknown as { longestTaskMs: number };
      w.longestTaskMs = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.longestTaskMs = Math.max(w.longestTaskMs, entry.duration);
      }).observe({ type: "longtask" });
    });
    const started = Date.now();
    await page.evaluate((id) => (location.hash = `#/experiments/${location.hash.split("/")[2]}/traces?selectedTraceId=${id}`), seeded.big);
    await page.locator(`[data-testid="trace-body"][data-span-count="${BIG}"]`).waitFor({ timeout: 15000 });
    const openMs = Date.now() - started;
    const body = page.getByTestId("trace-body");
    console.log(`30,000-span trace: open ${openMs} ms (fetch ${await body.getAttribute("data-fetch-ms")} ms, tree ${await body.getAttribute("data-parse-ms")} ms)`);
    const longestTaskMs = await page.evaluate(() => (window as unknown as { longestTaskMs: number }).longestTaskMs);
    console.log(`30,000-span trace: longest main-thread task ${Math.round(longestTaskMs)} ms`);
    expect(openMs).toBeLessThan(5000);
    expect(longestTaskMs).toBeLessThan(1000);
    const rendered = await page.locator(".span-row").count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(120);

    // A frame comes promptly while scrolling to the end, and the last span is drawn there.
    const frameMs = await page.evaluate(async () => {
      const el = document.querySelector('[data-testid="span-scroll"]') as HTMLElement;
      const t = performance.now();
      el.scrollTop = el.scrollHeight;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t;
    });
    expect(frameMs).toBeLessThan(1000);
    await page.locator(".span-row .span-label", { hasText: /^step-29999$/ }).waitFor();
    expect(await page.locator(".span-row").count()).toBeLessThan(120);
    await page.locator(".span-row", { hasText: /^TOOLstep-29999/ }).click();
    expect(await page.getByTestId("span-inputs").textContent()).toBe('{\n  "query": "question 29999"\n}');

    // Collapsing the root leaves one row; the keyboard expands it again.
    await page.evaluate(() => ((document.querySelector('[data-testid="span-scroll"]') as HTMLElement).scrollTop = 0));
    await page.getByRole("button", { name: "Collapse agent" }).click();
    await page.waitForFunction(() => document.querySelectorAll(".span-row").length === 1);
    await page.locator(".span-row").click();
    await page.getByTestId("span-scroll").press("ArrowRight");
    await page.waitForFunction(() => document.querySelectorAll(".span-row").length > 10);
    await page.getByTestId("span-scroll").press("ArrowDown");
    expect(await page.getByTestId("span-title").textContent()).toBe("step-1");
    await page.screenshot({ path: join(outputDir, "trace-30k.png") });
  }, browserTimeout);

  test("no page threw an uncaught error", () => {
    expect(browser.pageErrors).toEqual([]);
  });
});
