/**
 * POST logged-models/search against a real fml server, on every backend: the filter grammar on
 * attributes, metrics (with datasets), params and tags; order_by on attributes and on a model's
 * latest metric with NULLs last; paging with tokens; MLflow's 400s (spec mlflow3-models-traces §2.3).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

type ModelJson = { info: { model_id: string; name: string; creation_timestamp_ms: number } };
type SearchJson = { models?: ModelJson[]; next_page_token?: string };
type ErrorJson = { error_code: string; message: string };

for (const backend of await backends()) {
  describe(`logged-models/search [${backend}]`, () => {
    let fml: FmlServer;
    let experimentId: string;
    let otherExperiment: string;
    const ids = new Map<string, string>();

    const search = (body: object) => fml.api<SearchJson>("POST", "logged-models/search", { experiment_ids: [experimentId], ...body });
    const names = (r: { body: SearchJson }) => (r.body.models ?? []).map((m) => m.info.name);

    beforeAll(async () => {
      fml = await startFml({ backend });
      experimentId = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "s" })).body.experiment_id;
      otherExperiment = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "s2" })).body
        .experiment_id;
      const runId = (
        await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: experimentId })
      ).body.run.info.run_id;
      // Four models created in order m0..m3; m3 lives in another experiment.
      const specs = [
        { name: "m0", model_type: "sk", params: [{ key: "lr", value: "0.1" }], tags: [{ key: "team", value: "Red" }] },
        { name: "m1", model_type: "sk", params: [{ key: "lr", value: "0.2" }], tags: [{ key: "team", value: "blue" }] },
        { name: "M2", model_type: "torch", params: [{ key: "lr", value: "0.1" }] },
      ];
      for (const spec of specs) {
        const r = await fml.api<{ model: ModelJson }>("POST", "logged-models", { experiment_id: experimentId, ...spec });
        ids.set(spec.name, r.body.model.info.model_id);
        await Bun.sleep(3);
      }
      const other = await fml.api<{ model: ModelJson }>("POST", "logged-models", { experiment_id: otherExperiment, name: "m3" });
      ids.set("m3", other.body.model.info.model_id);
      const metric = (model: string, key: string, value: number, timestamp: number, step: number, dataset?: [string, string]) => ({
        key,
        value,
        timestamp,
        step,
        model_id: ids.get(model),
        ...(dataset ? { dataset_name: dataset[0], dataset_digest: dataset[1] } : {}),
      });
      await fml.api("POST", "runs/log-batch", {
        run_id: runId,
        metrics: [
          // m0: acc went 0.9 -> 0.5 (latest 0.5); on the eval set 0.7.
          metric("m0", "acc", 0.9, 100, 0),
          metric("m0", "acc", 0.5, 200, 1),
          metric("m0", "acc", 0.7, 150, 0, ["eval", "d1"]),
          // m1: latest acc 0.8.
          metric("m1", "acc", 0.8, 100, 0),
          // M2: no acc; a loss on the eval set.
          metric("M2", "loss", 0.3, 100, 0, ["eval", "d2"]),
        ],
      });
    }, 30000);
    afterAll(async () => {
      await fml.stop();
    });

    test("no filter: every active model of the experiments, newest first", async () => {
      expect(names(await search({}))).toEqual(["M2", "m1", "m0"]);
      const both = await fml.api<SearchJson>("POST", "logged-models/search", { experiment_ids: [experimentId, otherExperiment] });
      expect(names(both)).toEqual(["m3", "M2", "m1", "m0"]);
      expect((await fml.api<SearchJson>("POST", "logged-models/search", { experiment_ids: ["424242"] })).body).toEqual({});
    });

    test("attribute filters: =, LIKE (case-sensitive), ILIKE, IN, status as its number, timestamps", async () => {
      expect(names(await search({ filter: "name = 'm1'" }))).toEqual(["m1"]);
      expect(names(await search({ filter: "name LIKE 'm%'" }))).toEqual(["m1", "m0"]);
      expect(names(await search({ filter: "name ILIKE 'm%'" }))).toEqual(["M2", "m1", "m0"]);
      expect(names(await search({ filter: "model_type IN ('torch')" }))).toEqual(["M2"]);
      expect(names(await search({ filter: "model_type != 'sk'" }))).toEqual(["M2"]);
      expect(names(await search({ filter: "status = '1'" }))).toEqual(["M2", "m1", "m0"]);
      expect(names(await search({ filter: "status = 'LOGGED_MODEL_PENDING'" }))).toEqual([]);
      const all = (await search({})).body.models ?? [];
      const m1Created = all.find((m) => m.info.name === "m1")?.info.creation_timestamp_ms;
      expect(names(await search({ filter: `creation_time >= ${m1Created}` }))).toEqual(["M2", "m1"]);
      expect(names(await search({ filter: "creation_time < 1e23" }))).toEqual(["M2", "m1", "m0"]);
      expect(names(await search({ filter: "last_updated_timestamp > 1.5e300" }))).toEqual([]);
    });

    test("metric, param and tag filters; a model counts once however many rows match", async () => {
      // m0 has rows 0.9, 0.5 and 0.7: any row may match, as in MLflow.
      expect(names(await search({ filter: "metrics.acc > 0.6" }))).toEqual(["m1", "m0"]);
      expect(names(await search({ filter: "metrics.acc < 0.6" }))).toEqual(["m0"]);
      expect(names(await search({ filter: "params.lr = '0.1'" }))).toEqual(["M2", "m0"]);
      expect(names(await search({ filter: "tags.team ILIKE 'red' AND params.lr = '0.1'" }))).toEqual(["m0"]);
      expect(names(await search({ filter: "metrics.acc > 0.6", datasets: [{ dataset_name: "eval", dataset_digest: "d1" }] }))).toEqual([
        "m0",
      ]);
    });

    test("datasets alone keep models with a metric on one of them", async () => {
      expect(names(await search({ datasets: [{ dataset_name: "eval" }] }))).toEqual(["M2", "m0"]);
      expect(names(await search({ datasets: [{ dataset_name: "eval", dataset_digest: "d2" }] }))).toEqual(["M2"]);
      const missing = await search({ datasets: [{ dataset_digest: "d2" }] });
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({
        error_code: "INVALID_PARAMETER_VALUE",
        message: "`dataset_name` in the `datasets` clause must be specified.",
      } as unknown as SearchJson);
    });

    test("order_by a metric uses the latest row, NULLs last in both directions", async () => {
      const desc = await search({ order_by: [{ field_name: "metrics.acc", ascending: false }] });
      expect(names(desc)).toEqual(["m1", "m0", "M2"]);
      const asc = await search({ order_by: [{ field_name: "metrics.acc", ascending: true }] });
      expect(names(asc)).toEqual(["m0", "m1", "M2"]);
      const onEval = await search({ order_by: [{ field_name: "metrics.acc", ascending: false, dataset_name: "eval" }] });
      expect(names(onEval)).toEqual(["m0", "M2", "m1"]);
      const byName = await search({ order_by: [{ field_name: "name" }] });
      expect(names(byName)).toEqual(["M2", "m0", "m1"]);
      const oldest = await search({ order_by: [{ field_name: "creation_time", ascending: true }] });
      expect(names(oldest)).toEqual(["m0", "m1", "M2"]);
    });

    test("pages of max_results with a token that only serves the same search", async () => {
      const order_by = [{ field_name: "name", ascending: true }];
      const first = await search({ max_results: 2, order_by });
      expect(names(first)).toEqual(["M2", "m0"]);
      expect(first.body.next_page_token).toBeString();
      const second = await search({ max_results: 2, order_by, page_token: first.body.next_page_token });
      expect(names(second)).toEqual(["m1"]);
      expect(second.body.next_page_token).toBeUndefined();

      const mismatch = await search({ max_results: 2, page_token: first.body.next_page_token });
      expect(mismatch.status).toBe(400);
      expect((mismatch.body as unknown as ErrorJson).message).toStartWith(
        "Order by in the page token does not match the requested order by.",
      );
      const garbage = await search({ page_token: "not a token" });
      expect(garbage.status).toBe(400);
      expect((garbage.body as unknown as ErrorJson).error_code).toBe("INVALID_PARAMETER_VALUE");
    });

    test("deleted models are not found", async () => {
      const r = await fml.api<{ model: ModelJson }>("POST", "logged-models", { experiment_id: otherExperiment, name: "gone" });
      await fml.api("DELETE", `logged-models/${r.body.model.info.model_id}`);
      const found = await fml.api<SearchJson>("POST", "logged-models/search", { experiment_ids: [otherExperiment] });
      expect(names(found)).toEqual(["m3"]);
    });

    test("a deleted experiment's models stay searchable and readable; new ones cannot be created there", async () => {
      const exp = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "s-deleted" })).body.experiment_id;
      const r = await fml.api<{ model: ModelJson }>("POST", "logged-models", { experiment_id: exp, name: "kept" });
      await fml.api("POST", "experiments/delete", { experiment_id: exp });
      const found = await fml.api<SearchJson>("POST", "logged-models/search", { experiment_ids: [exp] });
      expect(names(found)).toEqual(["kept"]);
      expect((await fml.api("GET", `logged-models/${r.body.model.info.model_id}`)).status).toBe(200);
      expect((await fml.api("POST", "logged-models", { experiment_id: exp })).status).toBe(400);
    });

    test("bad filters, order_by and experiment ids are 400 INVALID_PARAMETER_VALUE naming the problem", async () => {
      const cases: [object, string][] = [
        [{ filter: "name = 'a' OR name = 'b'" }, "Expected a list of comparisons separated by 'AND'"],
        [{ filter: "params.lr > 1" }, "Invalid comparison operator for params.lr: '>'."],
        [{ filter: "nosuch = 'x'" }, "Invalid attribute key 'nosuch' specified."],
        [{ filter: "datasets.name = 'x'" }, "Invalid entity type: 'datasets'."],
        [{ order_by: [{ field_name: "params.lr" }] }, "Invalid order by field name: params.lr. Only metrics are supported."],
        [{ order_by: [{ field_name: "bogus" }] }, "Invalid order by field name: bogus"],
        [{ experiment_ids: ["abc"] }, "Invalid experiment ID: 'abc'"],
        [{ experiment_ids: ["99999999999"] }, "Invalid experiment ID: '99999999999'"],
        [{ experiment_ids: [] }, "Missing value for required parameter 'experiment_ids'."],
      ];
      for (const [body, message] of cases) {
        const r = await search(body);
        const error = r.body as unknown as ErrorJson;
        expect({ body, status: r.status, code: error.error_code }).toEqual({ body, status: 400, code: "INVALID_PARAMETER_VALUE" });
        expect(error.message).toContain(message);
      }
    });
  });
}
