/**
 * MLflow 3 logged models against a real fml server, on every backend: create, get, finalize,
 * delete, tags, params, artifacts, runs/outputs and model metrics, with MLflow's shapes and errors
 * (spec mlflow3-models-traces §2). Search has its own file.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

type Kv = { key: string; value: string };
type ModelJson = {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    creation_timestamp_ms: number;
    last_updated_timestamp_ms: number;
    artifact_uri: string;
    status: string;
    model_type: string;
    source_run_id: string;
    tags?: Kv[];
  };
  data: { params?: Kv[]; metrics?: Record<string, unknown>[] };
};
type ErrorJson = { error_code: string; message: string };

for (const backend of await backends()) {
  describe(`logged models [${backend}]`, () => {
    let fml: FmlServer;
    let experimentId: string;
    let runId: string;
    beforeAll(async () => {
      fml = await startFml({ backend });
      experimentId = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "lm" })).body
        .experiment_id;
      const run = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
        experiment_id: experimentId,
        start_time: 1,
      });
      runId = run.body.run.info.run_id;
    }, 30000);
    afterAll(async () => {
      await fml.stop();
    });

    const create = async (body: object = {}): Promise<ModelJson> => {
      const r = await fml.api<{ model: ModelJson }>("POST", "logged-models", { experiment_id: experimentId, ...body });
      expect(r.status).toBe(200);
      return r.body.model;
    };

    test("create answers the PENDING model with MLflow's id, artifact_uri and empty strings", async () => {
      const model = await create({
        name: "model",
        source_run_id: runId,
        tags: [
          { key: "z", value: "1" },
          { key: "a", value: "2" },
        ],
        params: [{ key: "lr", value: "0.1" }],
      });
      expect(model.info.model_id).toMatch(/^m-[0-9a-f]{32}$/);
      expect(model.info).toMatchObject({
        experiment_id: experimentId,
        name: "model",
        artifact_uri: `mlflow-artifacts:/${experimentId}/models/${model.info.model_id}/artifacts`,
        status: "LOGGED_MODEL_PENDING",
        model_type: "",
        source_run_id: runId,
        tags: [
          { key: "a", value: "2" },
          { key: "z", value: "1" },
        ],
      });
      expect(model.info.creation_timestamp_ms).toBe(model.info.last_updated_timestamp_ms);
      expect(model.data).toEqual({ params: [{ key: "lr", value: "0.1" }] });
    });

    test("create without a name generates one; data is {} without params or metrics", async () => {
      const model = await create();
      expect(model.info.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
      expect(model.info.source_run_id).toBe("");
      expect(model.data).toEqual({});
      expect(model.info.tags).toBeUndefined();
    });

    test("create refuses unknown and deleted experiments, bad names and repeated params", async () => {
      const unknown = await fml.api<ErrorJson>("POST", "logged-models", { experiment_id: "999999" });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "No Experiment with id=999999 exists" });

      for (const bad of ["abc", "99999999999"]) {
        const r = await fml.api<ErrorJson>("POST", "logged-models", { experiment_id: bad });
        expect(r.status).toBe(400);
        expect(r.body).toEqual({ error_code: "INVALID_PARAMETER_VALUE", message: `Invalid experiment ID: '${bad}'` });
      }

      const missing = await fml.api<ErrorJson>("POST", "logged-models", {});
      expect(missing.status).toBe(400);
      expect(missing.body.message).toContain("'experiment_id'");

      const name = await fml.api<ErrorJson>("POST", "logged-models", { experiment_id: experimentId, name: "a/b" });
      expect(name.status).toBe(400);
      expect(name.body.message).toStartWith("Invalid model name ('a/b') provided.");

      const dup = await fml.api<ErrorJson>("POST", "logged-models", {
        experiment_id: experimentId,
        params: [
          { key: "p", value: "1" },
          { key: "p", value: "2" },
        ],
      });
      expect(dup.status).toBe(400);
      expect(dup.body.error_code).toBe("BAD_REQUEST");

      const gone = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "lm-gone" })).body
        .experiment_id;
      await fml.api("POST", "experiments/delete", { experiment_id: gone });
      const deleted = await fml.api<ErrorJson>("POST", "logged-models", { experiment_id: gone });
      expect(deleted.status).toBe(400);
      expect(deleted.body.message).toBe(`The experiment ${gone} must be in the 'active' state. Current state is deleted.`);
    });

    test("get answers the model; unknown ids answer 404 RESOURCE_DOES_NOT_EXIST on every route", async () => {
      const model = await create({ name: "g" });
      const got = await fml.api<{ model: ModelJson }>("GET", `logged-models/${model.info.model_id}`);
      expect(got.status).toBe(200);
      expect(got.body.model).toEqual(model);

      const id = "m-00000000000000000000000000000000";
      const message = `Logged model with ID '${id}' not found.`;
      for (const [method, path, body] of [
        ["GET", `logged-models/${id}`, undefined],
        ["PATCH", `logged-models/${id}`, { model_id: id, status: "LOGGED_MODEL_READY" }],
        ["DELETE", `logged-models/${id}`, undefined],
        ["PATCH", `logged-models/${id}/tags`, { tags: [{ key: "k", value: "v" }] }],
        ["DELETE", `logged-models/${id}/tags/k`, undefined],
        ["POST", `logged-models/${id}/params`, { model_id: id, params: [{ key: "k", value: "v" }] }],
        ["GET", `logged-models/${id}/artifacts/directories`, undefined],
      ] as const) {
        const r = await fml.api<ErrorJson>(method, path, body);
        expect(`${method} ${path} ${r.status}`).toBe(`${method} ${path} 404`);
        expect(r.body).toEqual({ error_code: "RESOURCE_DOES_NOT_EXIST", message });
      }
      // GET on the search path is a get of a model called "search".
      expect((await fml.api("GET", "logged-models/search")).status).toBe(404);
    });

    test("a wrong method on a model path answers 405 naming the allowed ones", async () => {
      const id = (await create({ name: "methods" })).info.model_id;
      const r = await fml.api<ErrorJson>("POST", `logged-models/${id}`, {});
      expect(r.status).toBe(405);
      expect(r.body.message).toBe(`Method POST is not allowed for /api/2.0/mlflow/logged-models/${id}; use GET or PATCH or DELETE.`);
      expect((await fml.api("GET", `logged-models/${id}/params`)).status).toBe(405);
      expect((await fetch(`${fml.url}/ajax-api/2.0/mlflow/logged-models/${id}/artifacts/files`, { method: "DELETE" })).status).toBe(405);
      // The fixed search path keeps POST; GET there is a get of the model "search".
      expect((await fml.api("GET", "logged-models/search")).status).toBe(404);
    });

    test("finalize sets the status by name or number and bumps last_updated; bad status is 400", async () => {
      const model = await create({ name: "f" });
      const id = model.info.model_id;
      await Bun.sleep(5);
      const ready = await fml.api<{ model: ModelJson }>("PATCH", `logged-models/${id}`, {
        model_id: id,
        status: "LOGGED_MODEL_READY",
      });
      expect(ready.status).toBe(200);
      expect(ready.body.model.info.status).toBe("LOGGED_MODEL_READY");
      expect(ready.body.model.info.last_updated_timestamp_ms).toBeGreaterThan(model.info.last_updated_timestamp_ms);

      const failed = await fml.api<{ model: ModelJson }>("PATCH", `logged-models/${id}`, { model_id: id, status: 3 });
      expect(failed.body.model.info.status).toBe("LOGGED_MODEL_UPLOAD_FAILED");

      const bad = await fml.api<ErrorJson>("PATCH", `logged-models/${id}`, { model_id: id, status: "DONE" });
      expect(bad.status).toBe(400);
      expect(bad.body.error_code).toBe("INVALID_PARAMETER_VALUE");
      expect(bad.body.message).toContain("'status'");

      const none = await fml.api<ErrorJson>("PATCH", `logged-models/${id}`, { model_id: id });
      expect(none.status).toBe(400);
      expect(none.body.message).toContain("'status'");
      const noId = await fml.api<ErrorJson>("PATCH", `logged-models/${id}`, { status: "LOGGED_MODEL_READY" });
      expect(noId.status).toBe(400);
      expect(noId.body.message).toStartWith("Missing value for required parameter 'model_id'.");
    });

    test("delete is soft: hidden from get unless allow_deleted, repeatable, still taggable", async () => {
      const id = (await create({ name: "d" })).info.model_id;
      expect((await fml.api("DELETE", `logged-models/${id}`)).body).toEqual({});
      expect((await fml.api("GET", `logged-models/${id}`)).status).toBe(404);
      const allowed = await fml.api<{ model: ModelJson }>("GET", `logged-models/${id}`, { allow_deleted: "true" });
      expect(allowed.status).toBe(200);
      expect(allowed.body.model.info.model_id).toBe(id);
      expect((await fml.api("DELETE", `logged-models/${id}`)).status).toBe(200);
      expect((await fml.api("PATCH", `logged-models/${id}/tags`, { tags: [{ key: "k", value: "v" }] })).status).toBe(200);
    });

    test("tags are upserted and deleted; a missing tag answers 404", async () => {
      const id = (await create({ name: "t", tags: [{ key: "k", value: "1" }] })).info.model_id;
      const set = await fml.api("PATCH", `logged-models/${id}/tags`, {
        tags: [
          { key: "k", value: "2" },
          { key: "new", value: "x" },
        ],
      });
      expect(set.status).toBe(200);
      expect(set.body).toEqual({});
      let got = await fml.api<{ model: ModelJson }>("GET", `logged-models/${id}`);
      expect(got.body.model.info.tags).toEqual([
        { key: "k", value: "2" },
        { key: "new", value: "x" },
      ]);
      expect((await fml.api("DELETE", `logged-models/${id}/tags/new`)).body).toEqual({});
      got = await fml.api<{ model: ModelJson }>("GET", `logged-models/${id}`);
      expect(got.body.model.info.tags).toEqual([{ key: "k", value: "2" }]);
      const missing = await fml.api<ErrorJson>("DELETE", `logged-models/${id}/tags/new`);
      expect(missing.status).toBe(404);
      expect(missing.body.message).toBe(`No tag with key 'new' found for model with ID '${id}'.`);
    });

    test("params are insert-only: an existing key fails the whole request", async () => {
      const id = (await create({ name: "p", params: [{ key: "a", value: "1" }] })).info.model_id;
      const ok = await fml.api("POST", `logged-models/${id}/params`, { model_id: id, params: [{ key: "b", value: "2" }] });
      expect(ok.status).toBe(200);
      const again = await fml.api<ErrorJson>("POST", `logged-models/${id}/params`, {
        model_id: id,
        params: [
          { key: "c", value: "3" },
          { key: "a", value: "1" },
        ],
      });
      expect(again.status).toBe(400);
      expect(again.body.error_code).toBe("BAD_REQUEST");
      const noId = await fml.api<ErrorJson>("POST", `logged-models/${id}/params`, { params: [{ key: "d", value: "4" }] });
      expect(noId.status).toBe(400);
      expect(noId.body.message).toStartWith("Missing value for required parameter 'model_id'.");
      const got = await fml.api<{ model: ModelJson }>("GET", `logged-models/${id}`);
      expect(got.body.model.data.params).toEqual([
        { key: "a", value: "1" },
        { key: "b", value: "2" },
      ]);
    });

    test("artifacts: list and download through the proxy's destination; escaping paths are 400", async () => {
      const model = await create({ name: "art" });
      const id = model.info.model_id;
      const rel = `${experimentId}/models/${id}/artifacts`;
      for (const [path, body] of [
        ["MLmodel", "flavors: {}\n"],
        ["sub/model.pkl", "bytes"],
      ]) {
        const put = await fetch(`${fml.url}/api/2.0/mlflow-artifacts/artifacts/${rel}/${path}`, { method: "PUT", body });
        expect(put.status).toBe(200);
      }
      const root = await fml.api("GET", `logged-models/${id}/artifacts/directories`);
      expect(root.body).toEqual({
        root_uri: model.info.artifact_uri,
        files: [
          { path: "MLmodel", is_dir: false, file_size: 12 },
          { path: "sub", is_dir: true },
        ],
      });
      const sub = await fml.api("GET", `logged-models/${id}/artifacts/directories`, { artifact_directory_path: "sub" });
      expect(sub.body).toEqual({ root_uri: model.info.artifact_uri, files: [{ path: "sub/model.pkl", is_dir: false, file_size: 5 }] });
      const none = await fml.api("GET", `logged-models/${id}/artifacts/directories`, { artifact_directory_path: "nosuchdir" });
      expect(none.body).toEqual({ root_uri: model.info.artifact_uri });

      const files = `${fml.url}/ajax-api/2.0/mlflow/logged-models/${id}/artifacts/files`;
      const mlmodel = await fetch(`${files}?artifact_file_path=MLmodel`);
      expect(mlmodel.status).toBe(200);
      expect(mlmodel.headers.get("content-disposition")).toBe("attachment; filename=MLmodel");
      expect(await mlmodel.text()).toBe("flavors: {}\n");
      const noParam = await fetch(files);
      expect(noParam.status).toBe(400);
      expect(((await noParam.json()) as ErrorJson).message).toBe('Request must include the "artifact_file_path" query parameter.');
      expect((await fetch(`${files}?artifact_file_path=nope.txt`)).status).toBe(404);

      for (const bad of ["../x", "../../../etc/passwd", "/etc/passwd", "sub/../../x"]) {
        const listed = await fml.api<ErrorJson>("GET", `logged-models/${id}/artifacts/directories`, {
          artifact_directory_path: bad,
        });
        expect(`${bad} ${listed.status}`).toBe(`${bad} 400`);
        expect(listed.body).toEqual({ error_code: "INVALID_PARAMETER_VALUE", message: "Invalid path" });
        const file = await fetch(`${files}?artifact_file_path=${encodeURIComponent(bad)}`);
        expect(`${bad} ${file.status}`).toBe(`${bad} 400`);
      }
      // The download route exists under /ajax-api only, as in MLflow.
      expect((await fetch(`${fml.url}/api/2.0/mlflow/logged-models/${id}/artifacts/files?artifact_file_path=MLmodel`)).status).toBe(404);
    });

    test("runs/outputs links models to the run; runs/get shows outputs and model inputs, runs/search outputs", async () => {
      const run = (
        await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: experimentId })
      ).body.run.info.run_id;
      const before = await fml.api<{ run: Record<string, unknown> }>("GET", "runs/get", { run_id: run });
      expect(before.body.run.outputs).toEqual({});
      expect(before.body.run.inputs).toEqual({});

      const a = (await create({ name: "out", source_run_id: run })).info.model_id;
      const b = (await create({ name: "in" })).info.model_id;
      expect((await fml.api("POST", "runs/outputs", { run_id: run, models: [{ model_id: a, step: 3 }] })).body).toEqual({});
      const again = await fml.api<ErrorJson>("POST", "runs/outputs", { run_id: run, models: [{ model_id: a }] });
      expect(again.status).toBe(400);
      expect(again.body.error_code).toBe("BAD_REQUEST");
      expect((await fml.api("POST", "runs/log-inputs", { run_id: run, models: [{ model_id: b }] })).status).toBe(200);

      const after = await fml.api<{ run: Record<string, unknown> }>("GET", "runs/get", { run_id: run });
      expect(after.body.run.outputs).toEqual({ model_outputs: [{ model_id: a, step: 3 }] });
      expect(after.body.run.inputs).toEqual({ model_inputs: [{ model_id: b }] });
      // runs/search shows the outputs but, like MLflow, not the model inputs.
      const found = await fml.api<{ runs: Record<string, unknown>[] }>("POST", "runs/search", {
        experiment_ids: [experimentId],
        filter: `attributes.run_id = '${run}'`,
      });
      expect(found.body.runs[0]?.outputs).toEqual({ model_outputs: [{ model_id: a, step: 3 }] });
      expect(found.body.runs[0]?.inputs).toEqual({});

      const unknownRun = await fml.api<ErrorJson>("POST", "runs/outputs", { run_id: "0".repeat(32), models: [] });
      expect(unknownRun.status).toBe(404);
    });

    test("metrics with model_id are run metrics and model metrics, with their dataset", async () => {
      const id = (await create({ name: "metrics" })).info.model_id;
      const one = await fml.api("POST", "runs/log-metric", {
        run_id: runId,
        key: "acc",
        value: 0.9,
        timestamp: 100,
        step: 0,
        model_id: id,
        dataset_name: "eval",
        dataset_digest: "abc",
      });
      expect(one.status).toBe(200);
      const batch = await fml.api("POST", "runs/log-batch", {
        run_id: runId,
        metrics: [
          { key: "loss", value: 0.2, timestamp: 200, step: 1, model_id: id },
          { key: "plain", value: 1, timestamp: 200, step: 1 },
        ],
      });
      expect(batch.status).toBe(200);
      const model = await fml.api<{ model: ModelJson }>("GET", `logged-models/${id}`);
      expect(model.body.model.data.metrics).toEqual([
        { key: "acc", value: 0.9, timestamp: 100, step: 0, dataset_name: "eval", dataset_digest: "abc", model_id: id, run_id: runId },
        { key: "loss", value: 0.2, timestamp: 200, step: 1, model_id: id, run_id: runId },
      ]);
      const run = await fml.api<{ run: { data: { metrics: Record<string, unknown>[] } } }>("GET", "runs/get", { run_id: runId });
      const keys = run.body.run.data.metrics.map((m) => m.key).sort();
      expect(keys).toEqual(["acc", "loss", "plain"]);
      expect(run.body.run.data.metrics.find((m) => m.key === "acc")).toEqual({ key: "acc", value: 0.9, timestamp: 100, step: 0 });

      const unknown = await fml.api<ErrorJson>("POST", "runs/log-metric", {
        run_id: runId,
        key: "x",
        value: 1,
        timestamp: 1,
        model_id: "m-00000000000000000000000000000000",
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error_code).toBe("BAD_REQUEST");
      // Nothing half-written: the run metric of the failed request is not there either.
      const after = await fml.api<{ run: { data: { metrics: { key: string }[] } } }>("GET", "runs/get", { run_id: runId });
      expect(after.body.run.data.metrics.map((m) => m.key)).not.toContain("x");
    });

    test("runs/log-model (MLflow 2) appends to the mlflow.log-model.history tag", async () => {
      const modelJson = (path: string) =>
        JSON.stringify({
          run_id: runId,
          artifact_path: path,
          utc_time_created: "2026-11-30 10:00:00.000000",
          flavors: { sklearn: { pickled_model: "model.pkl", config: { x: 1 } }, python_function: { env: "conda.yaml" } },
          signature: { inputs: "[]" },
        });
      expect((await fml.api("POST", "runs/log-model", { run_id: runId, model_json: modelJson("m1") })).body).toEqual({});
      expect((await fml.api("POST", "runs/log-model", { run_id: runId, model_json: modelJson("m2") })).status).toBe(200);
      const run = await fml.api<{ run: { data: { tags: Kv[] } } }>("GET", "runs/get", { run_id: runId });
      const tag = run.body.run.data.tags.find((t) => t.key === "mlflow.log-model.history");
      expect(tag?.value).toBe(
        JSON.stringify(
          ["m1", "m2"].map((p) => ({
            run_id: runId,
            artifact_path: p,
            utc_time_created: "2026-11-30 10:00:00.000000",
            model_uuid: null,
            flavors: { sklearn: { pickled_model: "model.pkl" }, python_function: { env: "conda.yaml" } },
          })),
        )
          .replaceAll('","', '", "')
          .replaceAll('":', '": ')
          .replaceAll("},{", "}, {")
          .replaceAll("null,", "null, ")
          .replaceAll('},"', '}, "'),
      );

      const malformed = await fml.api<ErrorJson>("POST", "runs/log-model", { run_id: runId, model_json: "{nope" });
      expect(malformed.status).toBe(400);
      expect(malformed.body.message).toBe("Malformed model info. \n {nope \n is not a valid JSON.");
      const missing = await fml.api<ErrorJson>("POST", "runs/log-model", {
        run_id: runId,
        model_json: JSON.stringify({ run_id: runId, artifact_path: "x" }),
      });
      expect(missing.status).toBe(400);
      expect(missing.body.message).toStartWith("Model json is missing mandatory fields:");
    });

    test("over-long values and NUL path segments are 400s naming the field, on every database", async () => {
      const long = (n: number) => "x".repeat(n);
      const id = (await create({ name: "limits" })).info.model_id;
      const cases: [string, string, object | undefined, string][] = [
        ["POST", "logged-models", { experiment_id: experimentId, name: long(501) }, "'name'"],
        ["POST", "logged-models", { experiment_id: experimentId, model_type: long(501) }, "'model_type'"],
        ["POST", "logged-models", { experiment_id: experimentId, source_run_id: long(33) }, "'source_run_id'"],
        ["POST", "logged-models", { experiment_id: experimentId, tags: [{ key: long(256), value: "v" }] }, "'tags.key'"],
        ["PATCH", `logged-models/${id}/tags`, { tags: [{ key: long(256), value: "v" }] }, "'tags.key'"],
        ["POST", `logged-models/${id}/params`, { model_id: id, params: [{ key: long(256), value: "v" }] }, "'params.key'"],
        ["POST", "runs/outputs", { run_id: runId, models: [{ model_id: long(37) }] }, "'model_id'"],
        ["POST", "runs/log-inputs", { run_id: runId, models: [{ model_id: long(37) }] }, "'model_id'"],
        [
          "POST",
          "runs/log-metric",
          { run_id: runId, key: "k", value: 1, timestamp: 1, model_id: id, dataset_digest: long(37) },
          "Dataset digest",
        ],
        ["GET", "logged-models/m-%00", undefined, "'model_id'"],
        ["DELETE", `logged-models/${id}/tags/a%00b`, undefined, "'tag_key'"],
      ];
      for (const [method, path, body, field] of cases) {
        const r = await fml.api<ErrorJson>(method, path, body);
        expect({ path, field, status: r.status, code: r.body.error_code }).toEqual({
          path,
          field,
          status: 400,
          code: "INVALID_PARAMETER_VALUE",
        });
        expect(r.body.message).toContain(field);
      }
      const nul = await fetch(`${fml.url}/ajax-api/2.0/mlflow/logged-models/m-%00/artifacts/files?artifact_file_path=MLmodel`);
      expect(nul.status).toBe(400);
    });

    test("model-versions/create from models:/m-… stores the model's location and source run", async () => {
      const model = await create({ name: "reg", source_run_id: runId });
      const id = model.info.model_id;
      await fml.api("POST", "registered-models/create", { name: "lm-reg" });
      const mv = await fml.api<{ model_version: Record<string, unknown> }>("POST", "model-versions/create", {
        name: "lm-reg",
        source: `models:/${id}`,
        model_id: id,
      });
      expect(mv.status).toBe(200);
      expect(mv.body.model_version).toMatchObject({ source: `models:/${id}`, run_id: runId, version: "1" });
      const uri = await fml.api("GET", "model-versions/get-download-uri", { name: "lm-reg", version: "1" });
      expect(uri.body).toEqual({ artifact_uri: model.info.artifact_uri });
      const tagged = await fml.api<{ model: ModelJson }>("GET", `logged-models/${id}`);
      expect(tagged.body.model.info.tags).toContainEqual({ key: "mlflow.modelVersions", value: '[{"name": "lm-reg", "version": 1}]' });

      const unknown = await fml.api<ErrorJson>("POST", "model-versions/create", {
        name: "lm-reg",
        source: "models:/m-00000000000000000000000000000000",
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error_code).toBe("RESOURCE_DOES_NOT_EXIST");
    });
  });
}
