/**
 * A small Prometheus metrics registry (counters, gauges, histograms with labels) rendered in the
 * text exposition format 0.0.4, and the middleware that feeds fml's HTTP metrics: requests by
 * route pattern and status, latency, metric points ingested and artifact bytes in and out.
 */

import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { commit, version } from "../version.ts";

type Labels = Record<string, string>;

const escapeLabel = (value: string): string =>
  value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

const keyOf = (labels: Labels): string => JSON.stringify(Object.entries(labels));

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

interface Metric {
  readonly name: string;
  render(): string[];
}

export class Counter implements Metric {
  private readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = keyOf(labels);
    const entry = this.series.get(key);
    if (entry) entry.value += by;
    else this.series.set(key, { labels, value: by });
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.series.values()) {
      lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    }
    return lines;
  }
}

/** A gauge read when scraped, so it costs nothing between scrapes. */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number | undefined,
    private readonly labels: Labels = {},
  ) {}

  render(): string[] {
    const value = this.read();
    if (value === undefined) return [];
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      `${this.name}${labelText(this.labels)} ${formatNumber(value)}`,
    ];
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = keyOf(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    // Counts are per bucket here and made cumulative when rendered.
    const index = this.buckets.findIndex((bound) => value <= bound);
    if (index >= 0) entry.counts[index] = (entry.counts[index] as number) + 1;
    entry.sum += value;
    entry.count += 1;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += counts[i] as number;
        lines.push(`${this.name}_bucket${labelText(labels, ["le", formatNumber(bound)])} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${labelText(labels, ["le", "+Inf"])} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string, read: () => number | undefined, labels: Labels = {}): Gauge {
    return this.add(new Gauge(name, help, read, labels));
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  private add<T extends Metric>(metric: T): T {
    this.metrics.push(metric);
    return metric;
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  render(): string {
    return this.metrics.flatMap((m) => m.render()).join("\n") + "\n";
  }
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** fml's own metrics on one registry. */
export class FmlMetrics {
  readonly registry = new MetricsRegistry();
  readonly requests = this.registry.counter(
    "fml_http_requests_total",
    "HTTP requests by method, route pattern and status code.",
  );
  readonly latency = this.registry.histogram(
    "fml_http_request_duration_seconds",
    "HTTP request latency by method and route pattern, until the response headers.",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly metricPoints = this.registry.counter(
    "fml_metric_points_ingested_total",
    "Metric points accepted by log-metric and log-batch.",
  );
  readonly artifactBytes = this.registry.counter(
    "fml_artifact_bytes_total",
    "Artifact bytes through the artifact proxy and UI artifact routes: direction in (uploads) or out (downloads).",
  );

  constructor() {
    const started = Date.now() / 1000;
    this.registry.gauge("fml_build_info", "fml's version and commit (always 1).", () => 1, { version, commit });
    this.registry.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.", () => started);
    this.registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => process.memoryUsage().rss);
  }
}

/** Paths registered by `app.use` ("*", any method) are middlewares, not the route a request hit. */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c).filter((r) => !(r.path === "/*" || r.path === "*") || r.method !== "ALL");
  return routes.at(-1)?.path ?? "unmatched";
}

const INGEST_ROUTE = /\/mlflow\/runs\/log-(batch|metric)$/;
const ARTIFACT_IN = /^\/(api|ajax-api)\/2\.0\/mlflow-artifacts\/artifacts\/|^\/ajax-api\/2\.0\/mlflow\/upload-artifact$/;
const ARTIFACT_OUT = /^\/(api|ajax-api)\/2\.0\/mlflow-artifacts\/artifacts\/|^\/(model-versions\/)?get-artifact$/;

/** Passes a stream through, adding each chunk's size to `count` as it goes. */
function counted(stream: ReadableStream<Uint8Array>, count: (bytes: number) => void): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        count(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
}

/** Label values come from fixed sets, so a client cannot grow the series without bound. */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function metricsMiddleware(metrics: FmlMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : "OTHER";
    const path = c.req.path;
    if ((method === "PUT" || method === "POST") && ARTIFACT_IN.test(path) && c.req.raw.body) {
      const body = counted(c.req.raw.body, (n) => metrics.artifactBytes.inc({ direction: "in" }, n));
      // Built from its parts: copying the Request would read request.signal, which Deno warns about.
      const { url, method: verb, headers } = c.req.raw;
      c.req.raw = new Request(url, { method: verb, headers, body, duplex: "half" } as RequestInit);
    }
    await next();
    const route = routeLabel(c);
    const status = c.res.status;
    metrics.requests.inc({ method, route, status: String(status) });
    metrics.latency.observe({ method, route }, (performance.now() - started) / 1000);
    if (status === 200 && INGEST_ROUTE.test(route)) {
      metrics.metricPoints.inc({}, await metricPointsIn(c, route));
    }
    if (method === "GET" && status === 200 && ARTIFACT_OUT.test(path) && c.res.body) {
      const response = c.res;
      c.res = undefined;
      c.res = new Response(
        counted(response.body as ReadableStream<Uint8Array>, (n) => metrics.artifactBytes.inc({ direction: "out" }, n)),
        response,
      );
    }
  };
}

/** log-metric logs one point; log-batch as many as its `metrics` list holds (its body is cached by then). */
async function metricPointsIn(c: Context, route: string): Promise<number> {
  if (route.endsWith("log-metric")) return 1;
  try {
    const body = JSON.parse(await c.req.text()) as { metrics?: unknown };
    return Array.isArray(body.metrics) ? body.metrics.length : 0;
  } catch {
    return 0;
  }
}
