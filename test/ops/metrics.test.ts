/**
 * The metrics registry's text exposition: escaping, cumulative histogram buckets, gauges read at
 * scrape time, and label values a client cannot multiply.
 */

import { expect, test } from "bun:test";
import { FmlMetrics, MetricsRegistry } from "../../src/server/metrics.ts";

test("counters escape label values; histograms render cumulative buckets, +Inf, _sum and _count", () => {
  const registry = new MetricsRegistry();
  const counter = registry.counter("demo_total", "A counter.");
  counter.inc({ path: 'a"b\\c\nd' });
  counter.inc({ path: 'a"b\\c\nd' }, 2);
  const histogram = registry.histogram("demo_seconds", "A histogram.", [0.1, 1]);
  histogram.observe({ route: "/x" }, 0.05);
  histogram.observe({ route: "/x" }, 0.5);
  histogram.observe({ route: "/x" }, 5);
  let reads = 0;
  registry.gauge("demo_gauge", "A gauge.", () => ++reads);
  expect(registry.render()).toBe(
    [
      "# HELP demo_total A counter.",
      "# TYPE demo_total counter",
      'demo_total{path="a\\"b\\\\c\\nd"} 3',
      "# HELP demo_seconds A histogram.",
      "# TYPE demo_seconds histogram",
      'demo_seconds_bucket{route="/x",le="0.1"} 1',
      'demo_seconds_bucket{route="/x",le="1"} 2',
      'demo_seconds_bucket{route="/x",le="+Inf"} 3',
      'demo_seconds_sum{route="/x"} 5.55',
      'demo_seconds_count{route="/x"} 3',
      "# HELP demo_gauge A gauge.",
      "# TYPE demo_gauge gauge",
      "demo_gauge 1",
      "",
    ].join("\n"),
  );
  expect(registry.render()).toContain("demo_gauge 2");
});

test("an unknown HTTP method and an unknown path are counted as OTHER and unmatched", async () => {
  const { Hono } = await import("hono");
  const { metricsMiddleware } = await import("../../src/server/metrics.ts");
  const metrics = new FmlMetrics();
  const app = new Hono();
  app.use(metricsMiddleware(metrics));
  app.get("/known/:id", (c) => c.text("ok"));
  for (const method of ["PROPFIND", "MKCOL"]) await app.request("/nowhere", { method });
  await app.request("/known/1");
  await app.request("/known/2");
  const text = metrics.registry.render();
  expect(text).toContain('fml_http_requests_total{method="OTHER",route="unmatched",status="404"} 2');
  expect(text).toContain('fml_http_requests_total{method="GET",route="/known/:id",status="200"} 2');
});
