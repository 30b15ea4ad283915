/**
 * Run endpoints and logging against a real fml server, on every backend: MLflow's shapes,
 * limits, NaN/Infinity, latest-metric rule, write-once params, atomic log-batch (spec §5, §7, §8).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

type Kv = { key: string; value: string };
type MetricJson = { key: string; value: number | string; timestamp: number; step: number };
type RunJson = {
  info: {
    run_id: string;
    run_uuid: string;
    run_name: string;
    experiment_id: string;
    user_id: string;
    status: string;
    start_time?: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  data: { metrics?: MetricJson[]; params?: Kv[]; tags?: Kv[] };
  inputs?: object;
};

const MAX_DOUBLE = 1.7976931348623157e308;
const docs = " See the API docs for more information about request parameters.";

for (const backend of await backends()) {
  describe(`runs [${backend}]`, () => {
    let fml: FmlServer;
    let experimentId: string;
    beforeAll(async () => {
      fml = await startFml({ backend });
      const r = await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "runs" });
      experimentId = r.body.experiment_id;
    });
    afterAll(async () => {
      await fml.stop();
    });

    const newRun = async (extra: object = {}): Promise<RunJson> => {
      const r = await fml.api<{ run: RunJson }>("POST", "runs/create", {
        experiment_id: experimentId,
        start_time: 1700000000000,
        ...extra,
      });
      expect(r.status).toBe(200);
      return r.body.run;
    };
    const getRun = async (runId: string): Promise<RunJson> => {
      const r = await fml.api<{ run: RunJson }>("GET", "runs/get", { run_id: runId });
      expect(r.status).toBe(200);
      return r.body.run;
    };
    const batch = (runId: string, body: object) => fml.api("POST", "runs/log-batch", { run_id: runId, ...body });

    test("create returns the run with MLflow's info fields and the runName tag", async () => {
      const run = await newRun({ user_id: "ana", run_name: "first", tags: [{ key: "mlflow.user", value: "ana" }] });
      expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
      expect(run.info.run_uuid).toBe(run.info.run_id);
      expect(run.info).toMatchObject({
        run_name: "first",
        experiment_id: experimentId,
        user_id: "ana",
        status: "RUNNING",
        start_time: 1700000000000,
        lifecycle_stage: "active",
        artifact_uri: `mlflow-artifacts:/${experimentId}/${run.info.run_id}/artifacts`,
      });
      expect(run.info.end_time).toBeUndefined();
      expect(run.data.tags).toEqual(
        expect.arrayContaining([
          { key: "mlflow.user", value: "ana" },
          { key: "mlflow.runName", value: "first" },
        ]),
      );
    });

    test("a run without a name gets a generated adjective-noun-number name", async () => {
      const run = await newRun();
      expect(run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
      expect(run.data.tags).toContainEqual({ key: "mlflow.runName", value: run.info.run_name });
    });

    test("the mlflow.runName tag names the run; a conflicting run_name is 400", async () => {
      const run = await newRun({ tags: [{ key: "mlflow.runName", value: "from-tag" }] });
      expect(run.info.run_name).toBe("from-tag");
      const r = await fml.api("POST", "runs/create", {
        experiment_id: experimentId,
        run_name: "a",
        tags: [{ key: "mlflow.runName", value: "b" }],
      });
      expect(r.status).toBe(400);
    });

    test("create without experiment_id uses the Default experiment; unknown experiment is 404", async () => {
      const r = await fml.api<{ run: RunJson }>("POST", "runs/create", {});
      expect(r.status).toBe(200);
      expect(r.body.run.info.experiment_id).toBe("0");
      const missing = await fml.api("POST", "runs/create", { experiment_id: "99999" });
      expect(missing.status).toBe(404);
      expect(missing.body.error_code).toBe("RESOURCE_DOES_NOT_EXIST");
    });

    test("get of an unknown run is 404 with MLflow's message", async () => {
      const r = await fml.api("GET", "runs/get", { run_id: "0000" });
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "Run with id=0000 not found" });
    });

    test("runs/get accepts the legacy run_uuid parameter", async () => {
      const run = await newRun();
      const r = await fml.api<{ run: RunJson }>("GET", "runs/get", { run_uuid: run.info.run_id });
      expect(r.body.run.info.run_id).toBe(run.info.run_id);
    });

    test("update sets status, end_time and run_name, keeping the tag in sync", async () => {
      const run = await newRun();
      const r = await fml.api<{ run_info: RunJson["info"] }>("POST", "runs/update", {
        run_id: run.info.run_id,
        status: "FINISHED",
        end_time: 1700000005000,
        run_name: "renamed",
      });
      expect(r.status).toBe(200);
      expect(r.body.run_info).toMatchObject({ status: "FINISHED", end_time: 1700000005000, run_name: "renamed" });
      const got = await getRun(run.info.run_id);
      expect(got.data.tags).toContainEqual({ key: "mlflow.runName", value: "renamed" });
    });

    test("update with an unknown status is 400", async () => {
      const run = await newRun();
      const r = await fml.api("POST", "runs/update", { run_id: run.info.run_id, status: "DONE" });
      expect(r.status).toBe(400);
    });

    test("setting the mlflow.runName tag renames the run", async () => {
      const run = await newRun();
      await fml.api("POST", "runs/set-tag", { run_id: run.info.run_id, key: "mlflow.runName", value: "via-tag" });
      expect((await getRun(run.info.run_id)).info.run_name).toBe("via-tag");
    });

    test("lengths count characters as MLflow does: 6,000 emoji are a param value of 6,000 characters", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      const fits = "😀".repeat(6000);
      const logged = await fml.api("POST", "runs/log-parameter", { run_id: id, key: "emoji", value: fits });
      expect([logged.status, logged.body]).toEqual([200, {}]);
      expect((await getRun(id)).data.params).toContainEqual({ key: "emoji", value: fits });
      const over = await fml.api("POST", "runs/log-parameter", { run_id: id, key: "more", value: fits + "😀" });
      expect([over.status, over.body]).toEqual([
        400,
        { error_code: "INVALID_PARAMETER_VALUE", message: "'Param value' exceeds the maximum length of 6000 characters" },
      ]);
    });

    test("delete and restore flip lifecycle_stage; a deleted run refuses writes", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      expect((await fml.api("POST", "runs/delete", { run_id: id })).body).toEqual({});
      expect((await getRun(id)).info.lifecycle_stage).toBe("deleted");
      const write = await fml.api("POST", "runs/log-metric", { run_id: id, key: "m", value: 1, timestamp: 1 });
      expect(write.status).toBe(400);
      expect(write.body).toEqual({
        error_code: "INVALID_PARAMETER_VALUE",
        message: `The run ${id} must be in the 'active' state. Current state is deleted.`,
      });
      await fml.api("POST", "runs/restore", { run_id: id });
      expect((await getRun(id)).info.lifecycle_stage).toBe("active");
      expect((await fml.api("POST", "runs/delete", { run_id: "nope" })).status).toBe(404);
    });

    test("set-tag overwrites, delete-tag removes and 404s on a missing tag", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      await fml.api("POST", "runs/set-tag", { run_id: id, key: "env", value: "dev" });
      await fml.api("POST", "runs/set-tag", { run_id: id, key: "env", value: "prod" });
      await fml.api("POST", "runs/set-tag", { run_id: id, key: "empty", value: "" });
      let tags = (await getRun(id)).data.tags ?? [];
      expect(tags).toContainEqual({ key: "env", value: "prod" });
      expect(tags).toContainEqual({ key: "empty", value: "" });
      expect((await fml.api("POST", "runs/delete-tag", { run_id: id, key: "env" })).status).toBe(200);
      tags = (await getRun(id)).data.tags ?? [];
      expect(tags.find((t) => t.key === "env")).toBeUndefined();
      const missing = await fml.api("POST", "runs/delete-tag", { run_id: id, key: "env" });
      expect(missing.status).toBe(404);
      expect(missing.body.message).toBe(`No tag with name: env in run with id ${id}`);
    });

    test("params are write-once: same value is fine, a different value is 400", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      expect((await fml.api("POST", "runs/log-parameter", { run_id: id, key: "lr", value: "0.01" })).status).toBe(200);
      expect((await fml.api("POST", "runs/log-parameter", { run_id: id, key: "lr", value: "0.01" })).status).toBe(200);
      const changed = await fml.api("POST", "runs/log-parameter", { run_id: id, key: "lr", value: "0.02" });
      expect(changed.status).toBe(400);
      expect(changed.body.error_code).toBe("INVALID_PARAMETER_VALUE");
      expect(String(changed.body.message)).toStartWith("Changing param values is not allowed.");
      expect((await getRun(id)).data.params).toEqual([{ key: "lr", value: "0.01" }]);
      expect((await fml.api("POST", "runs/log-parameter", { run_id: id, key: "empty" })).status).toBe(200);
      expect((await getRun(id)).data.params).toContainEqual({ key: "empty", value: "" });
    });

    test("NaN and ±Infinity are stored and returned as MLflow does", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      for (const [key, value] of [["nan", "NaN"], ["pinf", "Infinity"], ["ninf", "-Infinity"]] as const) {
        const r = await fml.api("POST", "runs/log-metric", { run_id: id, key, value, timestamp: 10, step: 0 });
        expect(r.status).toBe(200);
      }
      const metrics = Object.fromEntries(((await getRun(id)).data.metrics ?? []).map((m) => [m.key, m.value]));
      expect(metrics).toEqual({ nan: "NaN", pinf: MAX_DOUBLE, ninf: -MAX_DOUBLE });
      const history = await fml.api<{ metrics: MetricJson[] }>("GET", "metrics/get-history", { run_id: id, metric_key: "nan" });
      expect(history.body.metrics).toEqual([{ key: "nan", value: "NaN", timestamp: 10, step: 0 }]);
    });

    test("latest metric is the largest step, then timestamp, then value, whatever the order logged", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      const points = [
        { step: 5, timestamp: 100, value: 50 },
        { step: 2, timestamp: 200, value: 20 }, // older step, later time: not latest
        { step: 5, timestamp: 100, value: 40 }, // same step and time, smaller value
        { step: 5, timestamp: 90, value: 99 }, // same step, earlier time
      ];
      for (const p of points) {
        await fml.api("POST", "runs/log-metric", { run_id: id, key: "loss", ...p });
      }
      await batch(id, { metrics: [{ key: "acc", value: 1, timestamp: 5, step: 3 }, { key: "acc", value: 2, timestamp: 4, step: 3 }] });
      const metrics = (await getRun(id)).data.metrics ?? [];
      expect(metrics).toContainEqual({ key: "loss", value: 50, timestamp: 100, step: 5 });
      expect(metrics).toContainEqual({ key: "acc", value: 1, timestamp: 5, step: 3 });
    });

    test("an identical metric point is stored once", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      const point = { run_id: id, key: "m", value: 1.5, timestamp: 7, step: 1 };
      await fml.api("POST", "runs/log-metric", point);
      await fml.api("POST", "runs/log-metric", point);
      const h = await fml.api<{ metrics: MetricJson[] }>("GET", "metrics/get-history", { run_id: id, metric_key: "m" });
      expect(h.body.metrics).toHaveLength(1);
    });

    test("log-metric validates its fields", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      const noTs = await fml.api("POST", "runs/log-metric", { run_id: id, key: "m", value: 1 });
      expect(noTs.status).toBe(400);
      expect(String(noTs.body.message)).toContain("'timestamp'");
      const boolValue = await fml.api("POST", "runs/log-metric", { run_id: id, key: "m", value: true, timestamp: 1 });
      expect(boolValue.status).toBe(400);
      const badKey = await fml.api("POST", "runs/log-metric", { run_id: id, key: "../x", value: 1, timestamp: 1 });
      expect(badKey.status).toBe(400);
      expect(badKey.body.message).toBe(
        `Invalid value "../x" for parameter 'name' supplied: Names may be treated as files in certain cases, ` +
          "and must not resolve to other names when treated as such. This name would resolve to '../x'",
      );
      const negative = await fml.api("POST", "runs/log-metric", { run_id: id, key: "m", value: 1, timestamp: -1 });
      expect([negative.status, negative.body.message]).toEqual([
        400,
        "Invalid value -1 for parameter 'timestamp' supplied: metric 'm' (value=1.0). " +
          "Timestamp must be a nonnegative long (64-bit integer) ",
      ]);
      const strings = await fml.api("POST", "runs/log-metric", { run_id: id, key: "s", value: "2.5", timestamp: "12", step: "3" });
      expect(strings.status).toBe(200);
    });

    test("each run endpoint checks its fields in the order of MLflow's request schema, run_id first", async () => {
      const runIdType = `Invalid value 123 for parameter 'run_id' supplied:  Hint: Value was of type 'int'.${docs}`;
      const noRunId = `Missing value for required parameter 'run_id'.${docs}`;
      const cases: [string, object, string][] = [
        ["runs/log-parameter", { run_id: 123, key: "k", value: 1.5 }, runIdType],
        ["runs/set-tag", { run_id: 123, key: "k", value: 1.5 }, runIdType],
        ["runs/log-metric", { run_id: 123, key: "k", value: "x", timestamp: "y" }, runIdType],
        ["runs/log-parameter", { key: "k", value: 1.5 }, noRunId],
        ["runs/set-tag", { key: 7, value: 1.5 }, noRunId],
        ["runs/log-metric", { key: "k" }, noRunId],
        ["metrics/get-history", {}, noRunId],
        [
          "runs/create",
          { start_time: "soon", tags: [{ key: "../bad", value: "v" }] },
          `Invalid value "soon" for parameter 'start_time' supplied:  Hint: Value was of type 'str'.${docs}`,
        ],
        [
          "runs/update",
          { run_id: "0".repeat(32), end_time: 1.5, status: "BOGUS" },
          `Invalid value 1.5 for parameter 'end_time' supplied:  Hint: Value was of type 'float'.${docs}`,
        ],
      ];
      for (const [endpoint, body, message] of cases) {
        const r = endpoint.startsWith("metrics/") ? await fml.api("GET", endpoint, body) : await fml.api("POST", endpoint, body);
        expect({ endpoint, body, status: r.status, response: r.body }).toEqual({
          endpoint,
          body,
          status: 400,
          response: { error_code: "INVALID_PARAMETER_VALUE", message },
        });
      }
      const run = await newRun();
      // Sent as written: Python's json keeps 9.0 a float, and MLflow prints it so.
      const floatValue = await fetch(`${fml.url}/api/2.0/mlflow/runs/log-parameter`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"run_id": "${run.info.run_id}", "key": "k", "value": 9.0}`,
      });
      expect(floatValue.status).toBe(400);
      expect(await floatValue.json()).toEqual({
        error_code: "INVALID_PARAMETER_VALUE",
        message: `Invalid value 9.0 for parameter 'value' supplied:  Hint: Value was of type 'float'.${docs}`,
      });
    });

    test("log-batch checks every entity before the batch limits, naming each by its path", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      const many = Array.from({ length: 1001 }, (_, i) => ({ key: "m", value: 1, timestamp: 1, step: i }));
      const cases: [object, string][] = [
        [
          { metrics: [...many.slice(0, 1000), { key: "./m", value: 1, timestamp: 1 }] },
          `Invalid value "./m" for parameter 'metrics[1000].name' supplied: Names may be treated as files in ` +
            "certain cases, and must not resolve to other names when treated as such. This name would resolve to 'm'",
        ],
        [
          { metrics: many },
          "A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics " +
            "across multiple requests and try again.",
        ],
        [
          { metrics: many.slice(0, 950), params: Array.from({ length: 51 }, (_, i) => ({ key: `p${i}`, value: "v" })) },
          "A batch logging request can contain at most 1000 metrics, params, and tags. Got 1001 metrics, params, " +
            "and tags. Please split up metrics, params, and tags across multiple requests and try again.",
        ],
        [{ params: [{ key: "p", value: "v".repeat(6001) }] }, "'Param value' exceeds the maximum length of 6000 characters"],
        [{ tags: [{ key: "t", value: "v".repeat(8001) }] }, "'tags[0].value' exceeds the maximum length of 8000 characters"],
        [{ tags: [{ key: "t".repeat(251), value: "v" }] }, "'tags[0].key' exceeds the maximum length of 250 characters"],
        [{ metrics: [{ key: "m".repeat(251), value: 1, timestamp: 1 }] }, "'Metric name' exceeds the maximum length of 250 characters"],
        [
          { params: [{ key: "a", value: "1" }, { key: "a", value: "2" }] },
          "Duplicate parameter keys have been submitted: ['a']. Please ensure the request contains only one param " +
            "value per param key.",
        ],
      ];
      for (const [body, message] of cases) {
        const r = await fml.api("POST", "runs/log-batch", { run_id: id, ...body });
        expect([r.status, r.body]).toEqual([400, { error_code: "INVALID_PARAMETER_VALUE", message }]);
      }
    });

    test("log-batch and log-inputs refuse a malformed run_id before looking for the run", async () => {
      for (const path of ["runs/log-batch", "runs/log-inputs"]) {
        const r = await fml.api("POST", path, { run_id: "bad/id", params: [{ key: "../x", value: "v" }] });
        expect([path, r.status, r.body]).toEqual([
          path,
          400,
          { error_code: "INVALID_PARAMETER_VALUE", message: `Invalid value "bad/id" for parameter 'run_id' supplied.` },
        ]);
      }
    });

    test("log-batch names a missing or mistyped field by its path, as MLflow does", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      const cases: [object, string][] = [
        [
          { metrics: [{ key: "m", value: 1, timestamp: 1 }, { key: "m", value: 1 }] },
          `Missing value for required parameter 'metrics[1].timestamp'.${docs}`,
        ],
        [{ metrics: [{ value: 1, timestamp: 1 }] }, `Missing value for required parameter 'metrics[0].key'.${docs}`],
        [{ params: [{ value: "v" }] }, `Missing value for required parameter 'params[0].key'.${docs}`],
        [{ tags: [{ key: "", value: "v" }] }, `Missing value for required parameter 'tags[0].key'.${docs}`],
        [
          { tags: [{ key: "t", value: { "é": [1.50, 2] } }] },
          `Invalid value {"\\u00e9":[1.5,2]} for parameter 'tags[0].value' supplied:  Hint: Value was of type 'dict'.${docs}`,
        ],
      ];
      for (const [body, message] of cases) {
        const r = await fml.api("POST", "runs/log-batch", { run_id: id, ...body });
        expect({ body, status: r.status, response: r.body }).toEqual({
          body,
          status: 400,
          response: { error_code: "INVALID_PARAMETER_VALUE", message },
        });
      }
    });

    test("log-batch stores params, metrics and tags together", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      const r = await batch(id, {
        metrics: [
          { key: "loss", value: 0.25, timestamp: 1, step: 1 },
          { key: "loss", value: "NaN", timestamp: 2, step: 2 },
        ],
        params: [{ key: "lr", value: "0.01" }],
        tags: [{ key: "stage", value: "dev" }, { key: "stage", value: "prod" }],
      });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({});
      const got = await getRun(id);
      expect(got.data.metrics).toEqual([{ key: "loss", value: "NaN", timestamp: 2, step: 2 }]);
      expect(got.data.params).toEqual([{ key: "lr", value: "0.01" }]);
      expect(got.data.tags).toContainEqual({ key: "stage", value: "prod" });
    });

    test("log-batch is atomic: a changed param rolls back the metrics and tags", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      await batch(id, { params: [{ key: "p", value: "1" }] });
      const r = await batch(id, {
        metrics: [{ key: "never", value: 1, timestamp: 1, step: 0 }],
        params: [{ key: "p", value: "2" }],
        tags: [{ key: "never", value: "x" }],
      });
      expect(r.status).toBe(400);
      const got = await getRun(id);
      expect(got.data.metrics).toBeUndefined();
      expect((got.data.tags ?? []).find((t) => t.key === "never")).toBeUndefined();
    });

    test("log-batch limits: 1000 metrics pass, 1001 fail; 100 params and 100 tags; 1000 entities", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      const metrics = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `m${i % 10}`, value: i, timestamp: i, step: i }));
      const kvs = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ key: `${p}${i}`, value: "v" }));
      expect((await batch(id, { metrics: metrics(1000) })).status).toBe(200);
      const tooMany = await batch(id, { metrics: metrics(1001) });
      expect(tooMany.status).toBe(400);
      expect(String(tooMany.body.message)).toContain("at most 1000 metrics");
      expect((await batch(id, { params: kvs(100, "p") })).status).toBe(200);
      expect((await batch(id, { params: kvs(101, "q") })).status).toBe(400);
      expect((await batch(id, { tags: kvs(100, "t") })).status).toBe(200);
      expect((await batch(id, { tags: kvs(101, "u") })).status).toBe(400);
      const total = await batch(id, { metrics: metrics(950), params: kvs(60, "r") });
      expect(total.status).toBe(400);
      const h = await fml.api<{ metrics: MetricJson[] }>("GET", "metrics/get-history", { run_id: id, metric_key: "m3" });
      expect(h.body.metrics).toHaveLength(100);
    });

    test("key and value length limits", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      const longKey = "k".repeat(251);
      expect((await fml.api("POST", "runs/set-tag", { run_id: id, key: longKey, value: "v" })).status).toBe(400);
      expect((await fml.api("POST", "runs/set-tag", { run_id: id, key: "k".repeat(250), value: "v" })).status).toBe(200);
      expect((await fml.api("POST", "runs/log-parameter", { run_id: id, key: "p", value: "x".repeat(6000) })).status).toBe(200);
      expect((await fml.api("POST", "runs/log-parameter", { run_id: id, key: "p2", value: "x".repeat(6001) })).status).toBe(400);
      expect((await fml.api("POST", "runs/set-tag", { run_id: id, key: "t", value: "x".repeat(8000) })).status).toBe(200);
      expect((await fml.api("POST", "runs/set-tag", { run_id: id, key: "t2", value: "x".repeat(8001) })).status).toBe(400);
    });

    test("duplicate param keys in one batch are refused", async () => {
      const run = await newRun();
      const r = await batch(run.info.run_id, { params: [{ key: "a", value: "1" }, { key: "a", value: "2" }] });
      expect(r.status).toBe(400);
      expect(String(r.body.message)).toContain("Duplicate parameter keys");
    });

    test("get-history pages with max_results and page_token and orders by timestamp", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      await batch(id, { metrics: Array.from({ length: 25 }, (_, i) => ({ key: "h", value: i, timestamp: 1000 - i, step: i })) });
      const all: MetricJson[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const r = await fml.api<{ metrics?: MetricJson[]; next_page_token?: string }>("GET", "metrics/get-history", {
          run_id: id,
          metric_key: "h",
          max_results: 10,
          ...(token ? { page_token: token } : {}),
        });
        expect(r.status).toBe(200);
        all.push(...(r.body.metrics ?? []));
        token = r.body.next_page_token;
        pages++;
      } while (token);
      expect(pages).toBe(3);
      expect(all.map((m) => m.timestamp)).toEqual(Array.from({ length: 25 }, (_, i) => 976 + i));
      const unknown = await fml.api("GET", "metrics/get-history", { run_id: id, metric_key: "nope" });
      expect(unknown.body).toEqual({});
      const missingRun = await fml.api("GET", "metrics/get-history", { run_id: "abc", metric_key: "h" });
      expect(missingRun.status).toBe(404);
    });

    test("get-history without paging streams a long history whole and in order", async () => {
      const run = await newRun();
      const id = run.info.run_id;
      const total = 12000; // more than two of the server's streaming batches
      for (let i = 0; i < total; i += 1000) {
        const metrics = Array.from({ length: 1000 }, (_, j) => ({ key: "long", value: i + j, timestamp: total - (i + j), step: i + j }));
        expect((await batch(id, { metrics })).status).toBe(200);
      }
      const r = await fml.api<{ metrics: MetricJson[] }>("GET", "metrics/get-history", { run_id: id, metric_key: "long" });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toContain("application/json");
      expect(r.body.metrics).toHaveLength(total);
      expect(r.body.metrics[0]).toEqual({ key: "long", value: total - 1, timestamp: 1, step: total - 1 });
      const timestamps = r.body.metrics.map((m) => m.timestamp);
      expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    });

    test("search returns runs in start_time DESC order and pages with tokens", async () => {
      const exp = await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "search-basics" });
      const eid = exp.body.experiment_id;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await fml.api<{ run: RunJson }>("POST", "runs/create", { experiment_id: eid, start_time: 1000 + i });
        ids.push(r.body.run.info.run_id);
        await batch(r.body.run.info.run_id, {
          metrics: [{ key: "acc", value: i / 10, timestamp: 1, step: 0 }],
          params: [{ key: "model", value: i % 2 ? "odd" : "even" }],
        });
      }
      const first = await fml.api<{ runs: RunJson[]; next_page_token?: string }>("POST", "runs/search", {
        experiment_ids: [eid],
        max_results: 3,
      });
      expect(first.body.runs.map((r) => r.info.run_id)).toEqual(ids.slice(2).reverse());
      expect(first.body.next_page_token).toBeString();
      const second = await fml.api<{ runs: RunJson[]; next_page_token?: string }>("POST", "runs/search", {
        experiment_ids: [eid],
        max_results: 3,
        page_token: first.body.next_page_token,
      });
      expect(second.body.runs.map((r) => r.info.run_id)).toEqual(ids.slice(0, 2).reverse());
      expect(second.body.next_page_token).toBeUndefined();
      const filtered = await fml.api<{ runs: RunJson[] }>("POST", "runs/search", {
        experiment_ids: [eid],
        filter: "metrics.acc > 0.15 and params.model = 'even'",
        order_by: ["metrics.acc ASC"],
      });
      expect(filtered.body.runs.map((r) => r.info.run_id)).toEqual([ids[2] as string, ids[4] as string]);
      expect(filtered.body.runs[0]?.data.params).toEqual([{ key: "model", value: "even" }]);
      const none = await fml.api("POST", "runs/search", { experiment_ids: [eid], filter: "params.model = 'none'" });
      expect(none.body).toEqual({});
      const bad = await fml.api("POST", "runs/search", { experiment_ids: [eid], filter: "metrics.acc >" });
      expect(bad.status).toBe(400);
      expect(bad.body.error_code).toBe("INVALID_PARAMETER_VALUE");
      const tooMany = await fml.api("POST", "runs/search", { experiment_ids: [eid], max_results: 123456789 });
      expect([tooMany.status, tooMany.body]).toEqual([
        400,
        {
          error_code: "INVALID_PARAMETER_VALUE",
          message: `Invalid value 123456789 for parameter 'max_results' supplied:  Hint: Value was of type 'int'.${docs}`,
        },
      ]);
      const zero = await fml.api("POST", "runs/search", { experiment_ids: [eid], max_results: 0 });
      expect([zero.status, zero.body]).toEqual([
        400,
        {
          error_code: "INVALID_PARAMETER_VALUE",
          message: "Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer",
        },
      ]);
    });

    test("search run_view_type selects deleted runs", async () => {
      const exp = await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "search-view" });
      const eid = exp.body.experiment_id;
      const a = await fml.api<{ run: RunJson }>("POST", "runs/create", { experiment_id: eid, start_time: 1 });
      const b = await fml.api<{ run: RunJson }>("POST", "runs/create", { experiment_id: eid, start_time: 2 });
      await fml.api("POST", "runs/delete", { run_id: a.body.run.info.run_id });
      const ids = async (view: string) =>
        ((await fml.api<{ runs?: RunJson[] }>("POST", "runs/search", { experiment_ids: [eid], run_view_type: view })).body.runs ?? []).map(
          (r) => r.info.run_id,
        );
      expect(await ids("ACTIVE_ONLY")).toEqual([b.body.run.info.run_id]);
      expect(await ids("DELETED_ONLY")).toEqual([a.body.run.info.run_id]);
      expect(await ids("ALL")).toEqual([b.body.run.info.run_id, a.body.run.info.run_id]);
    });
  });
}
