/**
 * Experiment endpoints against a real fml server, on every backend: MLflow's shapes, defaults,
 * error codes and statuses (spec §4).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

type Experiment = {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: { key: string; value: string }[];
};

for (const backend of await backends()) {
  describe(`experiments [${backend}]`, () => {
    let fml: FmlServer;
    beforeAll(async () => {
      fml = await startFml({ backend });
    });
    afterAll(async () => {
      await fml.stop();
    });

    const create = async (name: string, extra: object = {}) => {
      const r = await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name, ...extra });
      expect(r.status).toBe(200);
      return r.body.experiment_id;
    };

    test("the Default experiment exists with id 0 and a proxied artifact location", async () => {
      const r = await fml.api<{ experiment: Experiment }>("GET", "experiments/get", { experiment_id: "0" });
      expect(r.status).toBe(200);
      expect(r.body.experiment).toMatchObject({
        experiment_id: "0",
        name: "Default",
        artifact_location: "mlflow-artifacts:/0",
        lifecycle_stage: "active",
      });
      expect(typeof r.body.experiment.creation_time).toBe("number");
    });

    test("create returns a string id and stores tags; get returns MLflow's shape", async () => {
      const id = await create("churn", { tags: [{ key: "team", value: "ds" }, { key: "empty", value: "" }] });
      expect(id).toMatch(/^\d+$/);
      const r = await fml.api<{ experiment: Experiment }>("GET", "experiments/get", { experiment_id: id });
      expect(r.body.experiment.name).toBe("churn");
      expect(r.body.experiment.artifact_location).toBe(`mlflow-artifacts:/${id}`);
      expect(r.body.experiment.creation_time).toBe(r.body.experiment.last_update_time as number);
      expect(r.body.experiment.tags).toEqual(
        expect.arrayContaining([
          { key: "team", value: "ds" },
          { key: "empty", value: "" },
        ]),
      );
    });

    test("an explicit artifact_location is kept", async () => {
      const id = await create("explicit-location", { artifact_location: "s3://bucket/somewhere" });
      const r = await fml.api<{ experiment: Experiment }>("GET", "experiments/get", { experiment_id: id });
      expect(r.body.experiment.artifact_location).toBe("s3://bucket/somewhere");
    });

    test("a relative artifact_location is resolved against the server's working directory, as MLflow does", async () => {
      const cwd = realpathSync(fml.dir);
      const cases: [string, string][] = [
        ["my_location", `${cwd}/my_location`],
        ["./nested//dir/", `${cwd}/nested/dir`],
        ["file:relative/x", `file://${cwd}/relative/x`],
        ["/absolute/kept", "/absolute/kept"],
        ["file:///absolute/kept", "file:///absolute/kept"],
      ];
      for (const [i, [given, stored]] of cases.entries()) {
        const id = await create(`relative-${i}`, { artifact_location: given });
        const r = await fml.api<{ experiment: Experiment }>("GET", "experiments/get", { experiment_id: id });
        expect([given, r.body.experiment.artifact_location]).toEqual([given, stored]);
      }
    });

    test("over-long names and locations and a missing experiment_id answer MLflow's messages", async () => {
      const refused = async (path: string, body: object, message: string) => {
        const r = await fml.api("POST", path, body);
        expect([path, r.status, r.body]).toEqual([path, 400, { error_code: "INVALID_PARAMETER_VALUE", message }]);
      };
      // experiments.name is VARCHAR(256): fml's limit on every database (MLflow's is 500; see README).
      await refused("experiments/create", { name: "n".repeat(501) }, "'name' exceeds the maximum length of 256 characters");
      const id = await create("long-rename");
      await refused(
        "experiments/update",
        { experiment_id: id, new_name: "n".repeat(501) },
        "'name' exceeds the maximum length of 256 characters",
      );
      await refused(
        "experiments/create",
        { name: "long-location", artifact_location: `s3://bucket/${"x".repeat(2048)}` },
        "Invalid artifact path length. The length of the artifact path cannot be greater than 2048 characters. " +
          "To configure this limit, please set the MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH environment variable.",
      );
      await refused(
        "experiments/set-experiment-tag",
        { key: "", value: 1 },
        "Missing value for required parameter 'experiment_id'. See the API docs for more information about request parameters.",
      );
    });

    test("a float artifact_location is printed as Python prints it", async () => {
      const r = await fetch(`${fml.url}/api/2.0/mlflow/experiments/create`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"name": "float-location", "artifact_location": 9.0}',
      });
      expect([r.status, await r.json()]).toEqual([
        400,
        {
          error_code: "INVALID_PARAMETER_VALUE",
          message:
            "Invalid value 9.0 for parameter 'artifact_location' supplied:  Hint: Value was of type 'float'. " +
            "See the API docs for more information about request parameters.",
        },
      ]);
    });

    test("create with a taken name is 400 RESOURCE_ALREADY_EXISTS", async () => {
      await create("dup");
      const r = await fml.api("POST", "experiments/create", { name: "dup" });
      expect(r.status).toBe(400);
      expect(r.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
      expect(String(r.body.message)).toContain("dup");
    });

    test("create without a name is 400 with MLflow's missing-parameter message", async () => {
      const r = await fml.api("POST", "experiments/create", {});
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        error_code: "INVALID_PARAMETER_VALUE",
        message:
          "Missing value for required parameter 'name'. See the API docs for more information about request parameters.",
      });
    });

    test("a name of the wrong JSON type is 400", async () => {
      const r = await fml.api("POST", "experiments/create", { name: 42 });
      expect(r.status).toBe(400);
      expect(r.body.error_code).toBe("INVALID_PARAMETER_VALUE");
      expect(String(r.body.message)).toContain("'name'");
    });

    test("a runs:/ artifact location is refused", async () => {
      const r = await fml.api("POST", "experiments/create", { name: "bad-loc", artifact_location: "runs:/abc/x" });
      expect(r.status).toBe(400);
      expect(r.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    });

    test("get of an unknown id is 404, a non-numeric id is 400", async () => {
      const missing = await fml.api("GET", "experiments/get", { experiment_id: "987654" });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({
        error_code: "RESOURCE_DOES_NOT_EXIST",
        message: "No Experiment with id=987654 exists",
      });
      const bad = await fml.api("GET", "experiments/get", { experiment_id: "abc" });
      expect([bad.status, bad.body]).toEqual([
        400,
        {
          error_code: "INVALID_PARAMETER_VALUE",
          message: "Invalid experiment ID 'abc'. Experiment ID must be a valid integer.",
        },
      ]);
    });

    test("get-by-name finds an experiment and answers 404 for an unknown name", async () => {
      const id = await create("by-name");
      const r = await fml.api<{ experiment: Experiment }>("GET", "experiments/get-by-name", { experiment_name: "by-name" });
      expect(r.body.experiment.experiment_id).toBe(id);
      const missing = await fml.api("GET", "experiments/get-by-name", { experiment_name: "nope" });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({
        error_code: "RESOURCE_DOES_NOT_EXIST",
        message: "Could not find experiment with name 'nope'",
      });
    });

    test("update renames; the old name is free, a taken name is refused", async () => {
      const id = await create("old-name");
      await create("taken-name");
      expect((await fml.api("POST", "experiments/update", { experiment_id: id, new_name: "new-name" })).status).toBe(200);
      const r = await fml.api<{ experiment: Experiment }>("GET", "experiments/get", { experiment_id: id });
      expect(r.body.experiment.name).toBe("new-name");
      const taken = await fml.api("POST", "experiments/update", { experiment_id: id, new_name: "taken-name" });
      expect(taken.status).toBe(400);
      expect(taken.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
    });

    test("delete and restore move the experiment and its runs; deleted names stay reserved", async () => {
      const id = await create("to-delete");
      const run = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: id, start_time: 1 });
      const runId = run.body.run.info.run_id;
      expect((await fml.api("POST", "experiments/delete", { experiment_id: id })).body).toEqual({});
      const got = await fml.api<{ experiment: Experiment }>("GET", "experiments/get", { experiment_id: id });
      expect(got.body.experiment.lifecycle_stage).toBe("deleted");
      const r = await fml.api<{ run: { info: { lifecycle_stage: string } } }>("GET", "runs/get", { run_id: runId });
      expect(r.body.run.info.lifecycle_stage).toBe("deleted");
      const again = await fml.api("POST", "experiments/create", { name: "to-delete" });
      expect(again.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
      const rename = await fml.api("POST", "experiments/update", { experiment_id: id, new_name: "x" });
      expect(rename.status).toBe(500);
      expect(rename.body.error_code).toBe("INVALID_STATE");
      const newRun = await fml.api("POST", "runs/create", { experiment_id: id });
      expect(newRun.status).toBe(400);
      expect((await fml.api("POST", "experiments/restore", { experiment_id: id })).status).toBe(200);
      const restored = await fml.api<{ run: { info: { lifecycle_stage: string } } }>("GET", "runs/get", { run_id: runId });
      expect(restored.body.run.info.lifecycle_stage).toBe("active");
    });

    test("delete of an unknown experiment is 404", async () => {
      const r = await fml.api("POST", "experiments/delete", { experiment_id: "424242" });
      expect(r.status).toBe(404);
      expect(r.body.error_code).toBe("RESOURCE_DOES_NOT_EXIST");
    });

    test("set-experiment-tag upserts; delete-experiment-tag removes and 404s on a missing key", async () => {
      const id = await create("tagged");
      await fml.api("POST", "experiments/set-experiment-tag", { experiment_id: id, key: "k", value: "1" });
      await fml.api("POST", "experiments/set-experiment-tag", { experiment_id: id, key: "k", value: "2" });
      let r = await fml.api<{ experiment: Experiment }>("GET", "experiments/get", { experiment_id: id });
      expect(r.body.experiment.tags).toEqual([{ key: "k", value: "2" }]);
      expect((await fml.api("POST", "experiments/delete-experiment-tag", { experiment_id: id, key: "k" })).status).toBe(200);
      r = await fml.api<{ experiment: Experiment }>("GET", "experiments/get", { experiment_id: id });
      expect(r.body.experiment.tags).toBeUndefined();
      const missing = await fml.api("POST", "experiments/delete-experiment-tag", { experiment_id: id, key: "k" });
      expect(missing.status).toBe(404);
    });

    test("an invalid or over-long tag is refused with MLflow 3.11's messages", async () => {
      const id = await create("bad-tag");
      const cases: [object, string][] = [
        [
          { key: "a//b", value: "v" },
          `Invalid value "a//b" for parameter 'key' supplied: Names may be treated as files in certain cases, ` +
            "and must not resolve to other names when treated as such. This name would resolve to 'a/b'",
        ],
        [
          { key: "a$b", value: "v" },
          `Invalid value "a$b" for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), ` +
            "dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).",
        ],
        [{ key: "k".repeat(251), value: "v" }, "'key' exceeds the maximum length of 250 characters"],
        [{ key: "k", value: "v".repeat(5001) }, "'value' exceeds the maximum length of 5000 characters"],
      ];
      for (const [tag, message] of cases) {
        const r = await fml.api("POST", "experiments/set-experiment-tag", { experiment_id: id, ...tag });
        expect([r.status, r.body]).toEqual([400, { error_code: "INVALID_PARAMETER_VALUE", message }]);
      }
    });

    test("search pages through every active experiment with next_page_token", async () => {
      for (let i = 0; i < 5; i++) await create(`page-${i}`);
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const r = await fml.api<{ experiments?: Experiment[]; next_page_token?: string }>(
          "POST",
          "experiments/search",
          { max_results: 3, page_token: token, filter: "name LIKE 'page-%'" },
        );
        expect(r.status).toBe(200);
        seen.push(...(r.body.experiments ?? []).map((e) => e.name));
        token = r.body.next_page_token;
        pages++;
      } while (token && pages < 10);
      expect(seen.sort()).toEqual(["page-0", "page-1", "page-2", "page-3", "page-4"]);
      expect(pages).toBe(2);
    });

    test("search orders by creation_time DESC by default and honours view_type", async () => {
      const r = await fml.api<{ experiments: Experiment[] }>("GET", "experiments/search", { max_results: 1000 });
      const times = r.body.experiments.map((e) => e.creation_time ?? 0);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(r.body.experiments.every((e) => e.lifecycle_stage === "active")).toBe(true);
      const deleted = await fml.api<{ experiments?: Experiment[] }>("POST", "experiments/search", {
        max_results: 100,
        view_type: "DELETED_ONLY",
      });
      expect((deleted.body.experiments ?? []).every((e) => e.lifecycle_stage === "deleted")).toBe(true);
    });

    test("search with no match is an empty object", async () => {
      const r = await fml.api("POST", "experiments/search", { max_results: 10, filter: "name = 'no-such-thing'" });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({});
    });

    test("search refuses max_results outside 1..50000 with MLflow's messages, and a bad page token", async () => {
      const big = await fml.api("POST", "experiments/search", { max_results: 123456789 });
      expect([big.status, big.body]).toEqual([
        400,
        {
          error_code: "INVALID_PARAMETER_VALUE",
          message: "Invalid value 123456789 for parameter 'max_results' supplied. It must be at most 50000",
        },
      ]);
      const view = await fml.api("GET", "experiments/search", { max_results: 10, view_type: "BOGUS" });
      expect([view.status, view.body]).toEqual([
        400,
        {
          error_code: "INVALID_PARAMETER_VALUE",
          message:
            `Invalid value "BOGUS" for parameter 'view_type' supplied:  Hint: Value was of type 'str'. ` +
            "See the API docs for more information about request parameters.",
        },
      ]);
      const zero = await fml.api("POST", "experiments/search", { max_results: 0 });
      expect([zero.status, zero.body]).toEqual([
        400,
        {
          error_code: "INVALID_PARAMETER_VALUE",
          message: "Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer",
        },
      ]);
      const token = await fml.api("POST", "experiments/search", { max_results: 10, page_token: "%%%" });
      expect(token.status).toBe(400);
      expect(token.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    });

    test("the ajax-api prefix serves the same endpoints", async () => {
      const r = await fml.api<{ experiment: Experiment }>("GET", "/ajax-api/2.0/mlflow/experiments/get", { experiment_id: "0" });
      expect(r.status).toBe(200);
      expect(r.body.experiment.name).toBe("Default");
    });
  });
}
