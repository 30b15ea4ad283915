/**
 * MLflow's metric history endpoints (spec §7.1): one run's history, whole (streamed) or paged,
 * and the histories of up to 100 runs at once, sampled over a step interval or not.
 */

import { invalidParameter } from "../errors.ts";
import type { Metric, TrackingStore } from "../store/types.ts";
import type { Endpoint } from "./endpoint.ts";
import { metricJson, metricWithRunIdJson, repeated } from "./json.ts";
import { pageJson, pageOffset } from "./paging.ts";
import { missing } from "./request.ts";

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

/** The bulk history endpoints take at most this many runs. */
const MAX_BULK_RUN_IDS = 100;
/** get-history-bulk's cap on points, whatever `max_results` asks. */
const MAX_BULK_HISTORY_RESULTS = 25000;
/** get-history-bulk-interval's largest `max_results` (MLflow's MAX_RESULTS_PER_RUN). */
const MAX_INTERVAL_RESULTS = 2500;
const SEE_DOCS = " See the API docs for more information about request parameters.";

export function metricEndpoints(store: TrackingStore): Endpoint[] {
  return [
    {
      methods: ["GET"],
      path: "/mlflow/metrics/get-history",
      async handle(p) {
        const runId = p.runId();
        const key = p.string("metric_key");
        const limit = p.optionalInt("max_results");
        const token = p.optionalString("page_token");
        // Without paging MLflow returns the whole history: stream it, however long it is.
        if (limit === undefined && !token) {
          return streamHistory(await store.streamMetricHistory(runId, key));
        }
        if (limit !== undefined && limit < 1) {
          throw invalidParameter(
            `Invalid value for request parameter max_results. It must be a positive integer, but got value ${limit}`,
          );
        }
        const page = await store.getMetricHistory({
          runId,
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
        // MLflow's handler reads the query string itself, with its own messages.
        const runIds = p.stringList("run_id");
        if (runIds.length === 0) {
          throw invalidParameter("GetMetricHistoryBulk request must specify at least one run_id.");
        }
        if (runIds.length > MAX_BULK_RUN_IDS) {
          throw invalidParameter(
            `GetMetricHistoryBulk request cannot specify more than ${MAX_BULK_RUN_IDS} run_ids. ` +
              `Received ${runIds.length} run_ids.`,
          );
        }
        const key = p.optionalString("metric_key");
        if (key === undefined) throw invalidParameter("GetMetricHistoryBulk request must specify a metric_key.");
        const limit = Math.min(p.optionalInt("max_results") ?? MAX_BULK_HISTORY_RESULTS, MAX_BULK_HISTORY_RESULTS);
        const metrics = limit < 1 ? [] : await store.getMetricHistoryBulk(runIds, key, limit);
        return { metrics: metrics.map(metricWithRunIdJson) };
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/metrics/get-history-bulk-interval",
      async handle(p) {
        // Checked in the order of MLflow's request schema, then the step range.
        const runIds = p.stringList("run_ids");
        if (runIds.length === 0) throw missing("run_ids");
        if (runIds.length > MAX_BULK_RUN_IDS) {
          throw invalidParameter(
            `GetMetricHistoryBulkInterval request must specify at most ${MAX_BULK_RUN_IDS} run_ids. ` +
              `Received ${runIds.length} run_ids.${SEE_DOCS}`,
          );
        }
        const key = p.string("metric_key");
        const startStep = p.optionalInt("start_step");
        const endStep = p.optionalInt("end_step");
        const maxResults = p.optionalInt("max_results") ?? MAX_INTERVAL_RESULTS;
        if (maxResults < 1 || maxResults > MAX_INTERVAL_RESULTS) {
          throw invalidParameter(`max_results must be between 1 and ${MAX_INTERVAL_RESULTS}.${SEE_DOCS}`);
        }
        if ((startStep === undefined) !== (endStep === undefined)) {
          throw invalidParameter("If either start step or end step are specified, both must be specified.");
        }
        if (startStep !== undefined && endStep !== undefined && startStep > endStep) {
          throw invalidParameter(
            `end_step must be greater than start_step. Found start_step=${startStep} and end_step=${endStep}.`,
          );
        }
        const metrics = await store.getMetricHistoryBulkInterval({ runIds, key, startStep, endStep, maxResults });
        return { metrics: repeated(metrics, metricWithRunIdJson) };
      },
    },
  ];
}
