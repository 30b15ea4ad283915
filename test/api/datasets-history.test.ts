/**
 * Dataset inputs and the chart-oriented history endpoints, on every backend: runs/log-inputs,
 * experiments/search-datasets, metrics/get-history-bulk and get-history-bulk-interval with
 * MLflow's step sampling (spec §5.11, §6.1, §7.2, §7.3).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { intervalUnion, sampleSteps } from "../../src/store/step-sampling.ts";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

type MetricRow = { key: string; value: number | string; timestamp: number; step: number; run_id: string };

const iris = {
  name: "iris-train",
  digest: "a1b2c3d4",
  source_type: "local",
  source: '{"uri": "/data/iris.csv"}',
  schema: '{"mlflow_colspec": []}',
};

describe("sampleSteps (MLflow's rule)", () => {
  test("keeps every step when there are few enough", () => {
    expect(sampleSteps([0, 1, 2, 5], 0, 5, 10)).toEqual([0, 1, 2, 5]);
  });
  test("spreads samples by position and keeps the last step in range", () => {
    const steps = Array.from({ length: 100 }, (_, i) => i * 2);
    expect(sampleSteps(steps, 0, 198, 4)).toEqual([0, 50, 100, 150, 198]);
  });
  test("a union of dense runs samples exactly like the list of its steps", () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let trial = 0; trial < 200; trial++) {
      const intervals = Array.from({ length: 1 + rand(4) }, () => {
        const lo = rand(300);
        return [lo, lo + rand(200)] as [number, number];
      });
      const listed = [...new Set(intervals.flatMap(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)))].sort(
        (a, b) => a - b,
      );
      const start = rand(100);
      const end = start + rand(500);
      const max = 1 + rand(50);
      expect(sampleSteps(intervalUnion(intervals), start, end, max)).toEqual(sampleSteps(listed, start, end, max));
    }
  });

  test("restricts to the range", () => {
    expect(sampleSteps([1, 2, 3, 4, 5, 6], 2, 4, 10)).toEqual([2, 3, 4]);
    expect(sampleSteps([1, 2, 3], 10, 20, 10)).toEqual([]);
  });
});

for (const backend of await backends()) {
  describe(`datasets and bulk history [${backend}]`, () => {
    let fml: FmlServer;
    let experimentId: string;
    const runs: string[] = [];
    beforeAll(async () => {
      fml = await startFml({ backend });
      experimentId = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "charts" })).body
        .experiment_id;
      for (let i = 0; i < 3; i++) {
        const r = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
          experiment_id: experimentId,
          start_time: i,
        });
        runs.push(r.body.run.info.run_id);
      }
      // run 0: steps 0..999 (dense); run 1: even steps 0..1998; run 2: steps 0..999 but 500
      // (its range is 1000 steps long, only 999 are there)
      const log = async (runId: string, steps: number[]) => {
        for (let i = 0; i < steps.length; i += 1000) {
          const metrics = steps.slice(i, i + 1000).map((step) => ({ key: "loss", value: step / 10, timestamp: 1000 + step, step }));
          expect((await fml.api("POST", "runs/log-batch", { run_id: runId, metrics })).status).toBe(200);
        }
      };
      await log(runs[0] as string, Array.from({ length: 1000 }, (_, i) => i));
      await log(runs[1] as string, Array.from({ length: 1000 }, (_, i) => i * 2));
      await log(runs[2] as string, Array.from({ length: 1000 }, (_, i) => (i === 500 ? 0 : i)));
    });
    afterAll(async () => {
      await fml.stop();
    });

    test("log-inputs links a dataset once and runs/get returns it with its tags", async () => {
      const runId = runs[0] as string;
      const body = { run_id: runId, datasets: [{ tags: [{ key: "mlflow.data.context", value: "training" }], dataset: iris }] };
      expect((await fml.api("POST", "runs/log-inputs", body)).status).toBe(200);
      expect((await fml.api("POST", "runs/log-inputs", body)).status).toBe(200);
      const run = await fml.api<{ run: { inputs: { dataset_inputs: unknown[] } } }>("GET", "runs/get", { run_id: runId });
      expect(run.body.run.inputs.dataset_inputs).toEqual([
        { tags: [{ key: "mlflow.data.context", value: "training" }], dataset: iris },
      ]);
    });

    test("a dataset is reused by (name, digest) within the experiment", async () => {
      const runId = runs[1] as string;
      await fml.api("POST", "runs/log-inputs", {
        run_id: runId,
        datasets: [{ tags: [{ key: "mlflow.data.context", value: "eval" }], dataset: iris }],
      });
      const summaries = await fml.api<{ dataset_summaries: unknown[] }>("POST", "experiments/search-datasets", {
        experiment_ids: [experimentId],
      });
      expect(summaries.body.dataset_summaries).toEqual([
        { experiment_id: experimentId, name: "iris-train", digest: "a1b2c3d4", context: "eval" },
        { experiment_id: experimentId, name: "iris-train", digest: "a1b2c3d4", context: "training" },
      ]);
    });

    test("log-inputs validates datasets", async () => {
      const missing = await fml.api("POST", "runs/log-inputs", {
        run_id: runs[0],
        datasets: [{ dataset: { name: "x", digest: "d", source_type: "local" } }],
      });
      expect(missing.status).toBe(400);
      const long = await fml.api("POST", "runs/log-inputs", {
        run_id: runs[0],
        datasets: [{ dataset: { ...iris, digest: "x".repeat(37) } }],
      });
      expect(long.status).toBe(400);
      const ajax = await fml.api("POST", "/ajax-api/2.0/mlflow/experiments/search-datasets", { experiment_ids: [] });
      expect(ajax.status).toBe(400);
    });

    test("get-history-bulk returns runs in id order, each sorted, capped in total", async () => {
      const r = await fml.api<{ metrics: MetricRow[] }>("GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk", {
        run_id: [...runs],
        metric_key: "loss",
        max_results: 1500,
      });
      expect(r.status).toBe(200);
      expect(r.body.metrics).toHaveLength(1500);
      const sorted = [...runs].sort();
      expect(r.body.metrics[0]?.run_id).toBe(sorted[0] as string);
      expect(r.body.metrics[1499]?.run_id).toBe(sorted[1] as string);
    });

    test("get-history-bulk-interval samples the union of steps, each run capped at max_results", async () => {
      const both = await fml.api<{ metrics: MetricRow[] }>("GET", "metrics/get-history-bulk-interval", {
        run_ids: [...runs],
        metric_key: "loss",
        max_results: 10,
      });
      expect(both.status).toBe(200);
      const byRun = (rows: MetricRow[], id: string) => rows.filter((m) => m.run_id === id).map((m) => m.step);
      // The union has 1500 distinct steps: 0..999 and the even steps up to 1998; sampling every
      // 150th position gives 0, 150, ..., 1700, plus the last step and each run's first and last.
      expect(byRun(both.body.metrics, runs[0] as string)).toEqual([0, 150, 300, 450, 600, 750, 900, 999]);
      // MLflow sorts each run's points by step and keeps the first max_results of them.
      expect(byRun(both.body.metrics, runs[1] as string)).toEqual([0, 150, 300, 450, 600, 750, 900, 1100, 1400, 1700]);
      const all = await fml.api<{ metrics: MetricRow[] }>("GET", "metrics/get-history-bulk-interval", {
        run_ids: [runs[1]],
        metric_key: "loss",
      });
      expect(all.body.metrics).toHaveLength(1000);
      expect(all.body.metrics[999]).toEqual({ key: "loss", value: 199.8, timestamp: 2998, step: 1998, run_id: runs[1] as string });
    });

    test("a run with a gap is sampled from its real steps, not its range", async () => {
      const r = await fml.api<{ metrics: MetricRow[] }>("GET", "metrics/get-history-bulk-interval", {
        run_ids: [runs[2]],
        metric_key: "loss",
        start_step: 495,
        end_step: 505,
      });
      expect([...new Set(r.body.metrics.map((m) => m.step))]).toEqual([495, 496, 497, 498, 499, 501, 502, 503, 504, 505]);
      const sampled = await fml.api<{ metrics: MetricRow[] }>("GET", "metrics/get-history-bulk-interval", {
        run_ids: [runs[2]],
        metric_key: "loss",
        max_results: 4,
      });
      // 999 distinct steps (0..999 without 500): positions 0, 249, 499, 749 are steps 0, 249, 499, 750
      expect(sampled.body.metrics.map((m) => m.step)).toEqual([0, 249, 499, 750]);
    });

    test("a history that grows between requests is sampled from its current steps", async () => {
      // fml remembers which histories were dense; new points, gaps and steps before the first
      // one must all show in the next answer.
      const run = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: experimentId });
      const runId = run.body.run.info.run_id;
      const logged = new Set<number>();
      const log = async (steps: number[]) => {
        const metrics = steps.map((step) => ({ key: "acc", value: step, timestamp: 5000 + step, step }));
        expect((await fml.api("POST", "runs/log-batch", { run_id: runId, metrics })).status).toBe(200);
        for (const step of steps) logged.add(step);
      };
      const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
      const expectSampled = async (maxResults: number) => {
        const steps = [...logged].sort((a, b) => a - b);
        const expected = [...new Set([...sampleSteps(steps, 0, steps.at(-1) as number, maxResults), steps[0] as number, steps.at(-1) as number])];
        const r = await fml.api<{ metrics: MetricRow[] }>("GET", "metrics/get-history-bulk-interval", {
          run_ids: [runId],
          metric_key: "acc",
          max_results: maxResults,
        });
        expect(r.body.metrics.map((m) => m.step)).toEqual(expected.sort((a, b) => a - b).slice(0, maxResults));
      };
      await log(range(5, 40)); // dense
      await expectSampled(7);
      await log([45]); // a gap after the known range
      await expectSampled(7);
      await log(range(41, 44)); // the gap filled
      await expectSampled(7);
      await log(range(0, 4)); // steps before the first one
      await expectSampled(7);
      await log([60, 20]); // a gap and a step logged twice
      await expectSampled(9);
    });

    test("get-history-bulk-interval honours a step range and validates its parameters", async () => {
      const r = await fml.api<{ metrics: MetricRow[] }>("GET", "metrics/get-history-bulk-interval", {
        run_ids: [runs[0]],
        metric_key: "loss",
        start_step: 100,
        end_step: 109,
      });
      expect(r.body.metrics.map((m) => m.step)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
      const half = await fml.api("GET", "metrics/get-history-bulk-interval", { run_ids: [runs[0]], metric_key: "loss", start_step: 1 });
      expect(half.status).toBe(400);
      const tooMany = await fml.api("GET", "metrics/get-history-bulk-interval", {
        run_ids: Array.from({ length: 101 }, (_, i) => `r${i}`),
        metric_key: "loss",
      });
      expect(tooMany.status).toBe(400);
      const big = await fml.api("GET", "metrics/get-history-bulk-interval", { run_ids: [runs[0]], metric_key: "loss", max_results: 2501 });
      expect(big.status).toBe(400);
      const none = await fml.api("GET", "metrics/get-history-bulk-interval", { run_ids: [runs[0]], metric_key: "nope" });
      expect(none.body).toEqual({});
    });
  });
}
