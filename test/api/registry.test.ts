/**
 * Model registry endpoints against a real fml server, on every backend: MLflow's shapes and
 * errors, version numbering, stages, soft deletes, aliases, renames, searches (spec §10.4–10.6, §11).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

const docs = " See the API docs for more information about request parameters.";

type Kv = { key: string; value: string };
type VersionJson = {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  description?: string;
  source?: string;
  run_id?: string;
  run_link?: string;
  status: string;
  tags?: Kv[];
  aliases?: string[];
  user_id?: string;
};
type ModelJson = {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  latest_versions?: VersionJson[];
  tags?: Kv[];
  aliases?: { alias: string; version: string }[];
};
type ErrorJson = { error_code: string; message: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of await backends()) {
  describe(`model registry [${backend}]`, () => {
    let fml: FmlServer;
    beforeAll(async () => {
      fml = await startFml({ backend });
    }, 30000);
    afterAll(async () => {
      await fml.stop();
    });

    const createModel = async (name: string, extra: object = {}): Promise<ModelJson> => {
      const r = await fml.api<{ registered_model: ModelJson }>("POST", "registered-models/create", { name, ...extra });
      expect(r.status).toBe(200);
      return r.body.registered_model;
    };
    const createVersion = async (name: string, extra: object = {}): Promise<VersionJson> => {
      const r = await fml.api<{ model_version: VersionJson }>("POST", "model-versions/create", {
        name,
        source: `s3://bucket/${name}`,
        ...extra,
      });
      expect(r.status).toBe(200);
      return r.body.model_version;
    };
    const getModel = async (name: string): Promise<ModelJson> => {
      const r = await fml.api<{ registered_model: ModelJson }>("GET", "registered-models/get", { name });
      expect(r.status).toBe(200);
      return r.body.registered_model;
    };
    const getVersion = (name: string, version: string) =>
      fml.api<{ model_version: VersionJson } & ErrorJson>("GET", "model-versions/get", { name, version });
    const transition = (name: string, version: string, stage: string, archive = false) =>
      fml.api<{ model_version: VersionJson } & ErrorJson>("POST", "model-versions/transition-stage", {
        name,
        version,
        stage,
        archive_existing_versions: archive,
      });
    const expectError = (r: { status: number; body: unknown }, status: number, code: string, message?: string) => {
      expect(r.status).toBe(status);
      expect((r.body as ErrorJson).error_code).toBe(code);
      if (message !== undefined) expect((r.body as ErrorJson).message).toBe(message);
    };

    // ------------------------------------------------------------------ registered models

    test("registered-models/create returns the model with equal timestamps and no unset fields", async () => {
      const before = Date.now();
      const model = await createModel("plain");
      expect(model).toEqual({
        name: "plain",
        creation_timestamp: model.creation_timestamp,
        last_updated_timestamp: model.creation_timestamp,
      });
      expect(model.creation_timestamp).toBeGreaterThanOrEqual(before);
    });

    test("registered-models/create keeps tags and description", async () => {
      const model = await createModel("described", {
        description: "churn model",
        tags: [{ key: "team", value: "ds" }, { key: "empty" }],
      });
      expect(model.description).toBe("churn model");
      expect(model.tags).toEqual(expect.arrayContaining([{ key: "team", value: "ds" }, { key: "empty", value: "" }]));
      expect(await getModel("described")).toEqual(model);
    });

    test("registered-models/create on a taken name is 400 RESOURCE_ALREADY_EXISTS", async () => {
      await createModel("taken");
      const r = await fml.api("POST", "registered-models/create", { name: "taken" });
      expectError(r, 400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=taken) already exists.");
    });

    test("registered-models/create without a name is 400", async () => {
      const r = await fml.api("POST", "registered-models/create", {});
      expectError(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'name'. See the API docs for more information about request parameters.",
      );
    });

    test("registered-models/create rejects an invalid tag key", async () => {
      const r = await fml.api("POST", "registered-models/create", { name: "badtag", tags: [{ key: "a\nb", value: "x" }] });
      expectError(r, 400, "INVALID_PARAMETER_VALUE");
      expectError(await fml.api("GET", "registered-models/get", { name: "badtag" }), 404, "RESOURCE_DOES_NOT_EXIST");
    });

    test("registered-models/get of an unknown name is 404 with MLflow's message", async () => {
      const r = await fml.api("GET", "registered-models/get", { name: "nope" });
      expectError(r, 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=nope not found");
    });

    test("registered-models/update (PATCH) sets the description and bumps last_updated_timestamp", async () => {
      const created = await createModel("updatable");
      await sleep(5);
      const r = await fml.api<{ registered_model: ModelJson }>("PATCH", "registered-models/update", {
        name: "updatable",
        description: "new text",
      });
      expect(r.status).toBe(200);
      expect(r.body.registered_model.description).toBe("new text");
      expect(r.body.registered_model.last_updated_timestamp).toBeGreaterThan(created.last_updated_timestamp);
      expectError(await fml.api("PATCH", "registered-models/update", { name: "nope", description: "x" }), 404, "RESOURCE_DOES_NOT_EXIST");
    });

    test("registered-models/rename moves versions, tags and aliases to the new name", async () => {
      await createModel("old-name", { tags: [{ key: "k", value: "v" }] });
      await createVersion("old-name", { tags: [{ key: "vk", value: "vv" }] });
      await createVersion("old-name");
      expect((await fml.api("POST", "registered-models/alias", { name: "old-name", alias: "champ", version: "1" })).status).toBe(200);

      const r = await fml.api<{ registered_model: ModelJson }>("POST", "registered-models/rename", {
        name: "old-name",
        new_name: "new-name",
      });
      expect(r.status).toBe(200);
      const model = r.body.registered_model;
      expect(model.name).toBe("new-name");
      expect(model.tags).toEqual([{ key: "k", value: "v" }]);
      expect(model.aliases).toEqual([{ alias: "champ", version: "1" }]);
      expect(model.latest_versions?.map((v) => [v.name, v.version])).toEqual([["new-name", "2"]]);

      const v1 = await getVersion("new-name", "1");
      expect(v1.status).toBe(200);
      expect(v1.body.model_version.tags).toEqual([{ key: "vk", value: "vv" }]);
      expect(v1.body.model_version.aliases).toEqual(["champ"]);
      const byAlias = await fml.api<{ model_version: VersionJson }>("GET", "registered-models/alias", { name: "new-name", alias: "champ" });
      expect(byAlias.body.model_version.version).toBe("1");
      expectError(await fml.api("GET", "registered-models/get", { name: "old-name" }), 404, "RESOURCE_DOES_NOT_EXIST");
      // Numbering continues under the new name.
      expect((await createVersion("new-name")).version).toBe("3");
    });

    test("registered-models/rename to a taken name is 400, of an unknown model 404", async () => {
      await createModel("rename-a");
      await createModel("rename-b");
      const r = await fml.api("POST", "registered-models/rename", { name: "rename-a", new_name: "rename-b" });
      expectError(r, 400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=rename-b) already exists.");
      expectError(await fml.api("POST", "registered-models/rename", { name: "nope", new_name: "x" }), 404, "RESOURCE_DOES_NOT_EXIST");
      expectError(await fml.api("POST", "registered-models/rename", { name: "rename-a" }), 400, "INVALID_PARAMETER_VALUE");
    });

    test("registered-models/delete (DELETE with JSON body) removes the model and all its versions", async () => {
      await createModel("doomed", { tags: [{ key: "k", value: "v" }] });
      await createVersion("doomed", { tags: [{ key: "t", value: "1" }] });
      await createVersion("doomed");
      await fml.api("DELETE", "model-versions/delete", { name: "doomed", version: "2" });
      await fml.api("POST", "registered-models/alias", { name: "doomed", alias: "a", version: "1" });
      const r = await fml.api("DELETE", "registered-models/delete", { name: "doomed" });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({});
      expectError(await fml.api("GET", "registered-models/get", { name: "doomed" }), 404, "RESOURCE_DOES_NOT_EXIST");
      // A hard delete: the name is free again and versions start over at 1.
      const again = await createModel("doomed");
      expect(again.tags).toBeUndefined();
      expect((await createVersion("doomed")).version).toBe("1");
      expectError(await fml.api("DELETE", "registered-models/delete", { name: "nope" }), 404, "RESOURCE_DOES_NOT_EXIST");
    });

    test("registered-models/set-tag upserts and delete-tag removes; a missing key is a no-op", async () => {
      await createModel("tagged");
      expect((await fml.api("POST", "registered-models/set-tag", { name: "tagged", key: "k", value: "1" })).body).toEqual({});
      await fml.api("POST", "registered-models/set-tag", { name: "tagged", key: "k", value: "2" });
      await fml.api("POST", "registered-models/set-tag", { name: "tagged", key: "other", value: "x" });
      expect((await getModel("tagged")).tags).toEqual(expect.arrayContaining([{ key: "k", value: "2" }, { key: "other", value: "x" }]));
      expect((await fml.api("DELETE", "registered-models/delete-tag", { name: "tagged", key: "k" })).status).toBe(200);
      expect((await fml.api("DELETE", "registered-models/delete-tag", { name: "tagged", key: "k" })).status).toBe(200);
      expect((await getModel("tagged")).tags).toEqual([{ key: "other", value: "x" }]);
      expectError(await fml.api("POST", "registered-models/set-tag", { name: "nope", key: "k", value: "v" }), 404, "RESOURCE_DOES_NOT_EXIST");
      expectError(await fml.api("DELETE", "registered-models/delete-tag", { name: "nope", key: "k" }), 404, "RESOURCE_DOES_NOT_EXIST");
      expectError(await fml.api("POST", "registered-models/set-tag", { name: "tagged", key: "../x", value: "v" }), 400, "INVALID_PARAMETER_VALUE");
      const long = await fml.api("POST", "registered-models/set-tag", { name: "tagged", key: "big", value: "x".repeat(5001) });
      expectError(long, 400, "INVALID_PARAMETER_VALUE", "'value' exceeds the maximum length of 5000 characters");
      const longKey = await fml.api("POST", "registered-models/set-tag", { name: "tagged", key: "k".repeat(251), value: "v" });
      expectError(longKey, 400, "INVALID_PARAMETER_VALUE", "'key' exceeds the maximum length of 250 characters");
    });

    // ------------------------------------------------------------------ model versions

    test("model-versions/create returns version 1, stage None, status READY", async () => {
      await createModel("versioned");
      const v = await createVersion("versioned", {
        source: "runs:/0123456789abcdef0123456789abcdef/model",
        run_id: "0123456789abcdef0123456789abcdef",
        run_link: "http://link",
        description: "first",
        tags: [{ key: "t", value: "1" }],
      });
      expect(v).toEqual({
        name: "versioned",
        version: "1",
        creation_timestamp: v.creation_timestamp,
        last_updated_timestamp: v.creation_timestamp,
        current_stage: "None",
        description: "first",
        source: "runs:/0123456789abcdef0123456789abcdef/model",
        run_id: "0123456789abcdef0123456789abcdef",
        run_link: "http://link",
        status: "READY",
        tags: [{ key: "t", value: "1" }],
      });
      const plain = await createVersion("versioned");
      expect(plain.version).toBe("2");
      // MLflow stores and sends the unset fields as "": clients read "" rather than None.
      expect(plain.run_id).toBe("");
      expect(plain.description).toBe("");
      expect(plain.run_link).toBe("");
      expect(plain.tags).toBeUndefined();
    });

    test("model-versions/create bumps the model's last_updated_timestamp", async () => {
      const model = await createModel("bumped");
      await sleep(5);
      const v = await createVersion("bumped");
      const after = await getModel("bumped");
      expect(after.last_updated_timestamp).toBeGreaterThan(model.last_updated_timestamp);
      expect(after.last_updated_timestamp).toBe(v.creation_timestamp);
      expect(after.creation_timestamp).toBe(model.creation_timestamp);
    });

    test("model-versions/create for an unknown model is 404; source is required", async () => {
      expectError(
        await fml.api("POST", "model-versions/create", { name: "nope", source: "s3://x" }),
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Registered Model with name=nope not found",
      );
      await createModel("nosource");
      expectError(
        await fml.api("POST", "model-versions/create", { name: "nosource" }),
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'source'. See the API docs for more information about request parameters.",
      );
    });

    test("version numbers are never reused after a soft delete", async () => {
      await createModel("numbering");
      await createVersion("numbering");
      await createVersion("numbering");
      await createVersion("numbering");
      expect((await fml.api("DELETE", "model-versions/delete", { name: "numbering", version: "3" })).status).toBe(200);
      expect((await createVersion("numbering")).version).toBe("4");
      await fml.api("DELETE", "model-versions/delete", { name: "numbering", version: "4" });
      await fml.api("DELETE", "model-versions/delete", { name: "numbering", version: "2" });
      expect((await createVersion("numbering")).version).toBe("5");
    });

    test("model-versions/get: 404 with MLflow's message for unknown and soft-deleted versions, 400 for a non-integer", async () => {
      await createModel("getter");
      const v = await createVersion("getter");
      const r = await getVersion("getter", "1");
      expect(r.status).toBe(200);
      expect(r.body.model_version).toEqual(v);
      expectError(await getVersion("getter", "7"), 404, "RESOURCE_DOES_NOT_EXIST", "Model Version (name=getter, version=7) not found");
      expectError(await getVersion("nope", "1"), 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=nope not found");
      expectError(await getVersion("getter", "one"), 400, "INVALID_PARAMETER_VALUE", "Parameter 'version' must be an integer, got 'one'.");
      await fml.api("DELETE", "model-versions/delete", { name: "getter", version: "1" });
      expectError(await getVersion("getter", "1"), 404, "RESOURCE_DOES_NOT_EXIST", "Model Version (name=getter, version=1) not found");
      expectError(await fml.api("DELETE", "model-versions/delete", { name: "getter", version: "1" }), 404, "RESOURCE_DOES_NOT_EXIST");
    });

    test("model-versions/update (PATCH) sets the description", async () => {
      await createModel("mv-update");
      const v = await createVersion("mv-update");
      await sleep(5);
      const r = await fml.api<{ model_version: VersionJson }>("PATCH", "model-versions/update", {
        name: "mv-update",
        version: "1",
        description: "better",
      });
      expect(r.status).toBe(200);
      expect(r.body.model_version.description).toBe("better");
      expect(r.body.model_version.last_updated_timestamp).toBeGreaterThan(v.last_updated_timestamp);
      expectError(await fml.api("PATCH", "model-versions/update", { name: "mv-update", version: "9", description: "x" }), 404, "RESOURCE_DOES_NOT_EXIST");
    });

    test("model-versions/transition-stage matches stages case-insensitively and stores them canonical", async () => {
      await createModel("staged");
      await createVersion("staged");
      const r = await transition("staged", "1", "staging");
      expect(r.status).toBe(200);
      expect(r.body.model_version.current_stage).toBe("Staging");
      expect((await transition("staged", "1", "PRODUCTION")).body.model_version.current_stage).toBe("Production");
      expect((await transition("staged", "1", "none")).body.model_version.current_stage).toBe("None");
      const bad = await transition("staged", "1", "Shipping");
      expectError(
        bad,
        400,
        "INVALID_PARAMETER_VALUE",
        "Invalid Model Version stage: Shipping. Value must be one of None, Staging, Production, Archived.",
      );
      expectError(await transition("staged", "5", "Staging"), 404, "RESOURCE_DOES_NOT_EXIST");
    });

    test("transition-stage with archive_existing_versions archives the other holders of that stage", async () => {
      await createModel("archiving");
      for (let i = 0; i < 4; i++) await createVersion("archiving");
      await transition("archiving", "1", "Production");
      await transition("archiving", "2", "Production");
      await transition("archiving", "3", "Staging");
      const r = await transition("archiving", "4", "Production", true);
      expect(r.body.model_version.current_stage).toBe("Production");
      const stages = await Promise.all(["1", "2", "3", "4"].map(async (v) => (await getVersion("archiving", v)).body.model_version.current_stage));
      expect(stages).toEqual(["Archived", "Archived", "Staging", "Production"]);
      // Without the flag other holders keep their stage.
      await transition("archiving", "1", "Staging");
      expect((await getVersion("archiving", "3")).body.model_version.current_stage).toBe("Staging");
    });

    test("transition-stage rejects archive_existing_versions for None/Archived and requires the flag", async () => {
      await createModel("archive-bad");
      await createVersion("archive-bad");
      expectError(
        await transition("archive-bad", "1", "Archived", true),
        400,
        "INVALID_PARAMETER_VALUE",
        "Model version transition cannot archive existing model versions because 'Archived' is not an Active stage. " +
          "Valid stages are ['Staging', 'Production']",
      );
      expectError(await transition("archive-bad", "1", "None", true), 400, "INVALID_PARAMETER_VALUE");
      const missing = await fml.api("POST", "model-versions/transition-stage", { name: "archive-bad", version: "1", stage: "Staging" });
      expectError(missing, 400, "INVALID_PARAMETER_VALUE");
      expect((missing.body as ErrorJson).message).toContain("archive_existing_versions");
    });

    test("model-versions/delete is a soft delete: aliases go, latest_versions and searches skip it", async () => {
      await createModel("soft");
      await createVersion("soft");
      await createVersion("soft");
      await fml.api("POST", "registered-models/alias", { name: "soft", alias: "best", version: "2" });
      const r = await fml.api("DELETE", "model-versions/delete", { name: "soft", version: "2" });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({});
      const model = await getModel("soft");
      expect(model.aliases).toBeUndefined();
      expect(model.latest_versions?.map((v) => v.version)).toEqual(["1"]);
      const search = await fml.api<{ model_versions: VersionJson[] }>("GET", "model-versions/search", { filter: "name = 'soft'" });
      expect(search.body.model_versions.map((v) => v.version)).toEqual(["1"]);
      expectError(await fml.api("GET", "registered-models/alias", { name: "soft", alias: "best" }), 400, "INVALID_PARAMETER_VALUE");
    });

    test("model-versions/get-download-uri returns the source", async () => {
      await createModel("download");
      await createVersion("download", { source: "s3://bucket/path/model" });
      const r = await fml.api("GET", "model-versions/get-download-uri", { name: "download", version: "1" });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ artifact_uri: "s3://bucket/path/model" });
      expectError(await fml.api("GET", "model-versions/get-download-uri", { name: "download", version: "2" }), 404, "RESOURCE_DOES_NOT_EXIST");
      // A version registered from another version's models:/ URI downloads from that version's files.
      await createModel("download-copy");
      const copy = await createVersion("download-copy", { source: "models:/download/1" });
      expect(copy.source).toBe("models:/download/1");
      const uri = await fml.api("GET", "model-versions/get-download-uri", { name: "download-copy", version: "1" });
      expect(uri.body).toEqual({ artifact_uri: "s3://bucket/path/model" });
    });

    test("registry endpoints check their fields in the order of MLflow's request schemas", async () => {
      const missingName = `Missing value for required parameter 'name'.${docs}`;
      const cases: [string, string, object, string][] = [
        ["POST", "registered-models/set-tag", { key: 5, value: 1.5 }, missingName],
        ["POST", "model-versions/set-tag", { key: "", value: 1 }, missingName],
        [
          "POST",
          "model-versions/set-tag",
          { name: "m", key: 5 },
          `Missing value for required parameter 'version'.${docs}`,
        ],
        [
          "POST",
          "registered-models/create",
          { name: "order", tags: [{ key: "../x", value: "v" }], description: 7 },
          `Invalid value 7 for parameter 'description' supplied:  Hint: Value was of type 'int'.${docs}`,
        ],
        [
          "POST",
          "model-versions/create",
          { name: "order", source: "/etc", run_link: ["x"] },
          `Invalid value ["x"] for parameter 'run_link' supplied:  Hint: Value was of type 'list'.${docs}`,
        ],
      ];
      for (const [method, path, body, message] of cases) {
        expectError(await fml.api(method, path, body), 400, "INVALID_PARAMETER_VALUE", message);
      }
    });

    test("model-versions/set-tag and delete-tag", async () => {
      await createModel("vtags");
      await createVersion("vtags");
      expect((await fml.api("POST", "model-versions/set-tag", { name: "vtags", version: "1", key: "k", value: "1" })).body).toEqual({});
      await fml.api("POST", "model-versions/set-tag", { name: "vtags", version: "1", key: "k", value: "2" });
      expect((await getVersion("vtags", "1")).body.model_version.tags).toEqual([{ key: "k", value: "2" }]);
      expect((await fml.api("DELETE", "model-versions/delete-tag", { name: "vtags", version: "1", key: "k" })).status).toBe(200);
      expect((await fml.api("DELETE", "model-versions/delete-tag", { name: "vtags", version: "1", key: "k" })).status).toBe(200);
      expect((await getVersion("vtags", "1")).body.model_version.tags).toBeUndefined();
      expectError(await fml.api("POST", "model-versions/set-tag", { name: "vtags", version: "2", key: "k", value: "v" }), 404, "RESOURCE_DOES_NOT_EXIST");
      expectError(await fml.api("POST", "model-versions/set-tag", { name: "vtags", version: "1", key: "", value: "v" }), 400, "INVALID_PARAMETER_VALUE");
    });

    // ------------------------------------------------------------------ aliases

    test("aliases: set, get by alias, move, delete twice", async () => {
      await createModel("aliased");
      await createVersion("aliased");
      await createVersion("aliased");
      const set = await fml.api("POST", "registered-models/alias", { name: "aliased", alias: "champion", version: "1" });
      expect(set.status).toBe(200);
      expect(set.body).toEqual({});
      await fml.api("POST", "registered-models/alias", { name: "aliased", alias: "challenger", version: "1" });

      const got = await fml.api<{ model_version: VersionJson }>("GET", "registered-models/alias", { name: "aliased", alias: "champion" });
      expect(got.status).toBe(200);
      expect(got.body.model_version.version).toBe("1");
      expect(got.body.model_version.aliases).toEqual(["challenger", "champion"]);

      await fml.api("POST", "registered-models/alias", { name: "aliased", alias: "champion", version: "2" });
      const model = await getModel("aliased");
      expect(model.aliases).toEqual([
        { alias: "challenger", version: "1" },
        { alias: "champion", version: "2" },
      ]);

      expect((await fml.api("DELETE", "registered-models/alias", { name: "aliased", alias: "champion" })).status).toBe(200);
      expect((await fml.api("DELETE", "registered-models/alias", { name: "aliased", alias: "champion" })).status).toBe(200);
      expect((await getModel("aliased")).aliases).toEqual([{ alias: "challenger", version: "1" }]);
    });

    test("an unknown alias is 400 INVALID_PARAMETER_VALUE, not 404", async () => {
      await createModel("no-alias");
      const r = await fml.api("GET", "registered-models/alias", { name: "no-alias", alias: "nope" });
      expectError(r, 400, "INVALID_PARAMETER_VALUE", "Registered model alias nope not found.");
      expectError(await fml.api("GET", "registered-models/alias", { name: "nope", alias: "x" }), 404, "RESOURCE_DOES_NOT_EXIST");
    });

    test("reserved and malformed alias names are rejected", async () => {
      await createModel("reserved");
      await createVersion("reserved");
      const set = (alias: string) => fml.api<ErrorJson>("POST", "registered-models/alias", { name: "reserved", alias, version: "1" });
      expectError(await set("latest"), 400, "INVALID_PARAMETER_VALUE", "'latest' alias name (case insensitive) is reserved.");
      expectError(await set("LaTeSt"), 400, "INVALID_PARAMETER_VALUE");
      expectError(await set("v1"), 400, "INVALID_PARAMETER_VALUE", "Version alias name 'v1' is reserved.");
      expectError(await set("V12"), 400, "INVALID_PARAMETER_VALUE");
      expectError(
        await set("has space"),
        400,
        "INVALID_PARAMETER_VALUE",
        "Invalid alias name: 'has space'. Names may only contain alphanumerics, underscores (_), and dashes (-).",
      );
      expectError(await set("a".repeat(256)), 400, "INVALID_PARAMETER_VALUE");
      expect((await set("v1-candidate")).status).toBe(200);
      expect((await set("latest_good")).status).toBe(200);
    });

    test("setting an alias on a missing version is 404", async () => {
      await createModel("alias-404");
      const r = await fml.api("POST", "registered-models/alias", { name: "alias-404", alias: "x", version: "3" });
      expectError(r, 404, "RESOURCE_DOES_NOT_EXIST", "Model Version (name=alias-404, version=3) not found");
    });

    // ------------------------------------------------------------------ latest versions

    test("get-latest-versions: newest non-deleted version per stage, on POST and GET", async () => {
      await createModel("latest");
      for (let i = 0; i < 5; i++) await createVersion("latest");
      await transition("latest", "1", "Production");
      await transition("latest", "2", "Staging");
      await transition("latest", "3", "Production");
      await transition("latest", "4", "Staging");
      await fml.api("DELETE", "model-versions/delete", { name: "latest", version: "4" });

      const all = await fml.api<{ model_versions: VersionJson[] }>("POST", "registered-models/get-latest-versions", { name: "latest" });
      expect(all.status).toBe(200);
      const pairs = all.body.model_versions.map((v) => [v.current_stage, v.version]).sort();
      expect(pairs).toEqual([["None", "5"], ["Production", "3"], ["Staging", "2"]]);

      const post = await fml.api<{ model_versions: VersionJson[] }>("POST", "registered-models/get-latest-versions", {
        name: "latest",
        stages: ["production"],
      });
      expect(post.body.model_versions.map((v) => v.version)).toEqual(["3"]);
      const get = await fml.api<{ model_versions: VersionJson[] }>("GET", "registered-models/get-latest-versions", {
        name: "latest",
        stages: ["Staging", "None"],
      });
      expect(get.body.model_versions.map((v) => v.version).sort()).toEqual(["2", "5"]);

      const model = await getModel("latest");
      expect(model.latest_versions?.map((v) => [v.current_stage, v.version]).sort()).toEqual(pairs);

      const none = await fml.api("POST", "registered-models/get-latest-versions", { name: "latest", stages: ["Archived"] });
      expect(none.body).toEqual({});
      expectError(await fml.api("POST", "registered-models/get-latest-versions", { name: "latest", stages: ["Bogus"] }), 400, "INVALID_PARAMETER_VALUE");
      expectError(await fml.api("GET", "registered-models/get-latest-versions", { name: "nope" }), 404, "RESOURCE_DOES_NOT_EXIST");
    });

    // ------------------------------------------------------------------ searches

    describe("search", () => {
      beforeAll(async () => {
        for (const [name, team] of [["srch-alpha", "ds"], ["srch-beta", "ml"], ["srch-gamma", "ds"], ["srch-delta", "ops"]] as const) {
          await createModel(name, { tags: [{ key: "team", value: team }] });
          await sleep(3);
        }
        await createModel("srch-prompt", { tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }] });
        // Distinct milliseconds, so that orders by timestamp are determined.
        for (const [name, extra] of [
          ["srch-alpha", { run_id: "a".repeat(32), tags: [{ key: "flavor", value: "sklearn" }] }],
          ["srch-alpha", { run_id: "b".repeat(32) }],
          ["srch-alpha", { run_id: "c".repeat(32) }],
          ["srch-beta", { run_id: "a".repeat(32), tags: [{ key: "flavor", value: "torch" }] }],
          ["srch-prompt", { tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }] }],
        ] as const) {
          await createVersion(name, extra);
          await sleep(3);
        }
      });
      const searchModels = (body: object) =>
        fml.api<{ registered_models?: ModelJson[]; next_page_token?: string } & Partial<ErrorJson>>("GET", "registered-models/search", body);
      const searchVersions = (body: object) =>
        fml.api<{ model_versions?: VersionJson[]; next_page_token?: string } & Partial<ErrorJson>>("GET", "model-versions/search", body);
      const names = (r: { body: { registered_models?: ModelJson[] } }) => (r.body.registered_models ?? []).map((m) => m.name);
      const versions = (r: { body: { model_versions?: VersionJson[] } }) =>
        (r.body.model_versions ?? []).map((v) => `${v.name}/${v.version}`);

      test("registered models: name LIKE, default order name ASC, prompts hidden", async () => {
        const r = await searchModels({ filter: "name LIKE 'srch-%'" });
        expect(r.status).toBe(200);
        expect(names(r)).toEqual(["srch-alpha", "srch-beta", "srch-delta", "srch-gamma"]);
        expect(r.body.next_page_token).toBeUndefined();
        const alpha = r.body.registered_models?.[0];
        expect(alpha?.tags).toEqual([{ key: "team", value: "ds" }]);
        expect(alpha?.latest_versions?.map((v) => v.version)).toEqual(["3"]);
      });

      test("registered models: tag filters, AND, prompts only when asked", async () => {
        expect(names(await searchModels({ filter: "name LIKE 'srch-%' AND tags.team = 'ds'" }))).toEqual(["srch-alpha", "srch-gamma"]);
        expect(names(await searchModels({ filter: "tags.team = 'ds' AND name != 'srch-alpha' AND name LIKE 'srch-%'" }))).toEqual(["srch-gamma"]);
        expect(names(await searchModels({ filter: "name ILIKE 'SRCH-B%'" }))).toEqual(["srch-beta"]);
        expect(names(await searchModels({ filter: "tags.`mlflow.prompt.is_prompt` = 'true'" }))).toEqual(["srch-prompt"]);
      });

      test("registered models: order_by and pagination with next_page_token", async () => {
        const desc = await searchModels({ filter: "name LIKE 'srch-%'", order_by: ["name DESC"] });
        expect(names(desc)).toEqual(["srch-gamma", "srch-delta", "srch-beta", "srch-alpha"]);
        const byTime = await searchModels({ filter: "name LIKE 'srch-%'", order_by: ["last_updated_timestamp DESC"] });
        // alpha and beta were touched last by their new versions.
        expect(names(byTime).slice(0, 2)).toEqual(["srch-beta", "srch-alpha"]);

        const first = await searchModels({ filter: "name LIKE 'srch-%'", max_results: 3 });
        expect(names(first)).toEqual(["srch-alpha", "srch-beta", "srch-delta"]);
        expect(first.body.next_page_token).toBe(btoa('{"offset": 3}'));
        const second = await searchModels({ filter: "name LIKE 'srch-%'", max_results: 3, page_token: first.body.next_page_token });
        expect(names(second)).toEqual(["srch-gamma"]);
        expect(second.body.next_page_token).toBeUndefined();
        const exact = await searchModels({ filter: "name LIKE 'srch-%'", max_results: 4 });
        expect(exact.body.next_page_token).toBeUndefined();
      });

      test("registered models: empty result is {}, bad input is 400", async () => {
        const r = await searchModels({ filter: "name = 'nothing-here'" });
        expect(r.status).toBe(200);
        expect(r.body).toEqual({});
        expectError(await searchModels({ filter: "name = 'a' OR name = 'b'" }), 400, "INVALID_PARAMETER_VALUE");
        expectError(await searchModels({ filter: "version_number = 1" }), 400, "INVALID_PARAMETER_VALUE");
        expectError(await searchModels({ order_by: ["bogus"] }), 400, "INVALID_PARAMETER_VALUE");
        // A query-string value is a str to MLflow's request schema, and printed quoted.
        expectError(
          await searchModels({ max_results: 1001 }),
          400,
          "INVALID_PARAMETER_VALUE",
          `Invalid value "1001" for parameter 'max_results' supplied:  Hint: Value was of type 'str'.${docs}`,
        );
        expectError(
          await searchModels({ max_results: 0 }),
          400,
          "INVALID_PARAMETER_VALUE",
          "Invalid value for max_results. It must be a positive integer, but got 0",
        );
        expectError(await searchModels({ page_token: "!!!" }), 400, "INVALID_PARAMETER_VALUE");
      });

      test("model versions: filters on name, run_id IN, version_number, tags; prompts hidden", async () => {
        expect(versions(await searchVersions({ filter: "name = 'srch-alpha'", order_by: ["version_number ASC"] }))).toEqual([
          "srch-alpha/1",
          "srch-alpha/2",
          "srch-alpha/3",
        ]);
        const byRun = await searchVersions({ filter: `run_id IN ('${"a".repeat(32)}', '${"c".repeat(32)}')`, order_by: ["name", "version_number"] });
        expect(versions(byRun)).toEqual(["srch-alpha/1", "srch-alpha/3", "srch-beta/1"]);
        expect(versions(await searchVersions({ filter: "name = 'srch-alpha' AND version_number > 1", order_by: ["version_number DESC"] }))).toEqual([
          "srch-alpha/3",
          "srch-alpha/2",
        ]);
        expect(versions(await searchVersions({ filter: "tags.flavor = 'torch'" }))).toEqual(["srch-beta/1"]);
        expect(versions(await searchVersions({ filter: "name = 'srch-prompt'" }))).toEqual([]);
        expect(versions(await searchVersions({ filter: "name = 'srch-prompt' AND tags.`mlflow.prompt.is_prompt` = 'true'" }))).toEqual([
          "srch-prompt/1",
        ]);
        const one = await searchVersions({ filter: "tags.flavor = 'sklearn'" });
        expect(one.body.model_versions?.[0]?.tags).toEqual([{ key: "flavor", value: "sklearn" }]);
      });

      test("model versions: default order is last_updated_timestamp DESC, then paging", async () => {
        const all = await searchVersions({ filter: "name LIKE 'srch-%'" });
        expect(versions(all)).toEqual(["srch-beta/1", "srch-alpha/3", "srch-alpha/2", "srch-alpha/1"]);
        const first = await searchVersions({ filter: "name LIKE 'srch-%'", max_results: 3 });
        expect(versions(first)).toEqual(["srch-beta/1", "srch-alpha/3", "srch-alpha/2"]);
        expect(first.body.next_page_token).toBe(btoa('{"offset": 3}'));
        const second = await searchVersions({ filter: "name LIKE 'srch-%'", max_results: 3, page_token: first.body.next_page_token });
        expect(versions(second)).toEqual(["srch-alpha/1"]);
        expect(second.body.next_page_token).toBeUndefined();
      });

      test("model versions: bad input is 400, no match is {}", async () => {
        expect((await searchVersions({ filter: "name = 'none-such'" })).body).toEqual({});
        expectError(await searchVersions({ filter: "version_number = 'x'" }), 400, "INVALID_PARAMETER_VALUE");
        expectError(await searchVersions({ filter: "bogus = 'x'" }), 400, "INVALID_PARAMETER_VALUE");
        expectError(
          await searchVersions({ max_results: 200001 }),
          400,
          "INVALID_PARAMETER_VALUE",
          `Invalid value "200001" for parameter 'max_results' supplied:  Hint: Value was of type 'str'.${docs}`,
        );
        expectError(
          await searchVersions({ max_results: -1 }),
          400,
          "INVALID_PARAMETER_VALUE",
          "Invalid value for max_results. It must be a positive integer, but got -1",
        );
      });
    });

    // ------------------------------------------------------------------ routing

    test("registry endpoints are served under /ajax-api/2.0 too and refuse wrong methods", async () => {
      await createModel("ajax");
      const r = await fml.api<{ registered_model: ModelJson }>("GET", "/ajax-api/2.0/mlflow/registered-models/get", { name: "ajax" });
      expect(r.status).toBe(200);
      expect(r.body.registered_model.name).toBe("ajax");
      expect((await fml.api("POST", "registered-models/delete", { name: "ajax" })).status).toBe(405);
      expect((await fml.api("GET", "model-versions/create", { name: "ajax" })).status).toBe(405);
    });
  });
}
