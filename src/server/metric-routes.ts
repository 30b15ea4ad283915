/**
 * MLflow's metric history endpoints (spec §7.1): one run's history, whole (streamed) or paged,
 * and the histories of up to 100 runs at once, sampled over a step interval or not.
 */

import { invalidParameter } from "../errors.ts";
import type { Metric, TrackingStore } from "../store/types.ts";
import type { Endpoint } from "./endpoint.ts";
import { metricJson, metricWithRunIdJson, repeated } from "./json.ts";
import { pageJson, pageOffset } from "./paging.ts";
import type { Params } from "./request.ts";

/**
 * `{"metrics": [...]}` written batch by batch as the database yields rows, so a million-point
 * history never sits in memory; an empty history is `{}` like every empty MLflow response.
 */
async function streamHistory(batches: AsyncIterable<Metric[]>): Promise<Response> {
  const iterator = batches[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return Response.json({});
  const encoder = new TextEncoder();
  let separator = '{"metrics":[';
  const encode = (metrics: Metric[]): Uint8Array => {
    const text = separator + metrics.map((m) => JSON.stringify(metricJson(m))).join(",");
    separator = ",";
    return encoder.encode(text);
  };
  let pending: Metric[] | undefined = first.value;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending) {
        controller.enqueue(encode(pending));
        pending = undefined;
        return;
      }
      const next = await iterator.next();
      if (next.done) {
        controller.enqueue(encoder.encode("]}"));
        controller.close();
      } else {
        controller.enqueue(encode(next.value));
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(body, { headers: { "content-type": "application/json" } });
}

/** 1..100 run ids, as the bulk history endpoints require. */
function bulkRunIds(p: Params, name: string): string[] {
  const ids = p.stringList(name);
  if (ids.length === 0) {
    throw invalidParameter(`GetMetricHistoryBulk request must specify at least one ${name}.`);
  }
  if (ids.length > 100) {
    throw invalidParameter(
      `GetMetricHistoryBulk request cannot specify more than 100 ${name}s. Received ${ids.length} ${name}s.`,
    );
  }
  return ids;
}

export function metricEndpoints(store: TrackingStore): Endpoint[] {
  return [
    {
      methods: ["GET"],
      path: "/mlflow/metrics/get-history",
      async handle(p) {
        const key = p.string("metric_key");
        const limit = p.optionalInt("max_results");
        const token = p.optionalString("page_token");
        // Without paging MLflow returns the whole history: stream it, however long it is.
        if (limit === undefined && !token) {
          return streamHistory(await store.streamMetricHistory(p.runId(), key));
        }
        if (limit !== undefined && limit < 1) {
          throw invalidParameter(
            `Invalid value for request parameter max_results. It must be a positive integer, but got value ${limit}`,
          );
        }
        const page = await store.getMetricHistory({
          runId: p.runId(),
          key,
          maxResults: limit,
          offset: pageOffset(p),
        });
        return pageJson("metrics", page, metricJson);
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/metrics/get-history-bulk",
      async handle(p) {
        const runIds = bulkRunIds(p, "run_id");
        const key = p.string("metric_key");
        const limit = Math.min(p.optionalInt("max_results") ?? 25000, 25000);
        const metrics = await store.getMetricHistoryBulk(runIds, key, Math.max(limit, 1));
        return { metrics: metrics.map(metricWithRunIdJson) };
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/metrics/get-history-bulk-interval",
      async handle(p) {
        const runIds = bulkRunIds(p, "run_ids");
        const key = p.string("metric_key");
        const startStep = p.optionalInt("start_step");
        const endStep = p.optionalInt("end_step");
        if ((startStep === undefined) !== (endStep === undefined)) {
          throw invalidParameter("If either start step or end step are specified, both must be specified.");
        }
        if (startStep !== undefined && endStep !== undefined && startStep > endStep) {
          throw invalidParameter("end_step must be greater than start_step. ");
        }
        const maxResults = p.optionalInt("max_results") ?? 2500;
        if (maxResults < 1 || maxResults > 2500) {
          throw invalidParameter(`max_results must be between 1 and 2500, got ${maxResults}.`);
        }
        const metrics = await store.getMetricHistoryBulkInterval({ runIds, key, startStep, endStep, maxResults });
        return { metrics: repeated(metrics, metricWithRunIdJson) };
      },
    },
  ];
}
