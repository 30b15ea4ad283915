/**
 * The store contract (src/store/types.ts, registry-types.ts) in-process, with no HTTP: the same
 * cases on SQLite in memory and on a fresh PostgreSQL or MySQL database, opened the way the server opens
 * them (`openStores`). A store method's behaviour is checked one hop from its code.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseDatabaseUri, type DatabaseTarget } from "../../src/config.ts";
import { MlflowError } from "../../src/errors.ts";
import { openStores, type Stores } from "../../src/store/open.ts";
import type { Metric, TrackingStore } from "../../src/store/types.ts";
import { createMysqlTestDatabase, createTestDatabase, type TestDatabase } from "../helpers/fixtures.ts";
import { backends } from "../helpers/server.ts";

const MAX_DOUBLE = 1.7976931348623157e308;
const ROOT = "/tmp/fml-store-contract";

/** The MLflow error a store call fails with (its code and message), or a test failure. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MlflowError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected the call to fail");
}

const point = (key: string, value: number, step: number, timestamp = 1000 + step): Metric => ({
  key,
  value,
  step,
  timestamp,
});

for (const backend of await backends()) {
  describe(`tracking store [${backend}]`, () => {
    let stores: Stores;
    let store: TrackingStore;
    let pg: TestDatabase | undefined;

    beforeAll(async () => {
      let database: DatabaseTarget;
      if (backend === "postgresql") {
        pg = await createTestDatabase();
        database = { kind: "postgresql", url: pg.url, uri: pg.url };
      } else if (backend === "mysql") {
        pg = await createMysqlTestDatabase();
        database = parseDatabaseUri(pg.url, "/");
      } else {
        database = { kind: "sqlite", path: ":memory:", uri: "sqlite:///:memory:" };
      }
      stores = await openStores({ database, defaultArtifactRoot: ROOT, migrate: true, poolMax: 4 });
      store = stores.tracking;
    });

    afterAll(async () => {
      await stores?.tracking.close();
      await pg?.drop();
    });

    const newExperiment = (name: string): Promise<string> =>
      store.createExperiment({ name: `${name}-${crypto.randomUUID().slice(0, 8)}`, tags: [] });

    test("the Default experiment (id 0) exists once the store is open", async () => {
      const experiment = await store.getExperiment("0");
      expect(experiment.name).toBe("Default");
      expect(experiment.artifactLocation).toBe(`${ROOT}/0`);
      expect(experiment.lifecycleStage).toBe("active");
    });

    test("create-experiment stores name, tags (last one wins) and a default artifact location", async () => {
      const id = await store.createExperiment({
        name: "contract-create",
        tags: [
          { key: "team", value: "a" },
          { key: "team", value: "b" },
        ],
      });
      expect(id).toMatch(/^\d+$/);
      const experiment = await store.getExperiment(id);
      expect(experiment).toMatchObject({
        experimentId: id,
        name: "contract-create",
        artifactLocation: `${ROOT}/${id}`,
        lifecycleStage: "active",
        tags: [{ key: "team", value: "b" }],
      });
      expect(experiment.creationTime).toBeGreaterThan(0);
      expect(experiment.lastUpdateTime).toBe(experiment.creationTime);
      expect((await store.getExperimentByName("contract-create")).experimentId).toBe(id);
      expect(await failure(store.createExperiment({ name: "contract-create", tags: [] }))).toEqual({
        code: "RESOURCE_ALREADY_EXISTS",
        message: "Experiment(name=contract-create) already exists. Error: UNIQUE constraint failed",
      });
    });

    test("get-experiment answers 404 for an unknown id and 400 for a non-numeric one", async () => {
      expect(await failure(store.getExperiment("987654321"))).toEqual({
        code: "RESOURCE_DOES_NOT_EXIST",
        message: "No Experiment with id=987654321 exists",
      });
      expect((await failure(store.getExperiment("abc"))).code).toBe("INVALID_PARAMETER_VALUE");
      expect((await failure(store.getExperimentByName("no such experiment"))).code).toBe("RESOURCE_DOES_NOT_EXIST");
    });

    test("rename-experiment renames; a taken name and a deleted experiment are refused", async () => {
      const id = await newExperiment("rename");
      const other = await newExperiment("rename-other");
      await store.renameExperiment(id, `renamed-${id}`);
      expect((await store.getExperiment(id)).name).toBe(`renamed-${id}`);
      const taken = (await store.getExperiment(other)).name;
      expect(await failure(store.renameExperiment(id, taken))).toMatchObject({ code: "RESOURCE_ALREADY_EXISTS" });
      await store.deleteExperiment(id);
      expect(await failure(store.renameExperiment(id, `again-${id}`))).toEqual({
        code: "INVALID_STATE",
        message: "Cannot rename a non-active experiment.",
      });
    });

    test("delete and restore move the experiment and its runs; a deleted experiment takes no runs", async () => {
      const id = await newExperiment("lifecycle");
      const run = await store.createRun({ experimentId: id, userId: "u", runName: "r", startTime: 1, tags: [] });
      await store.deleteExperiment(id);
      expect((await store.getExperiment(id)).lifecycleStage).toBe("deleted");
      expect((await store.getRun(run.info.runId)).info.lifecycleStage).toBe("deleted");
      expect(await failure(store.createRun({ experimentId: id, userId: "u", runName: "", startTime: 1, tags: [] }))).toEqual({
        code: "INVALID_PARAMETER_VALUE",
        message: `Could not create run under non-active experiment with ID ${id}.`,
      });
      await store.restoreExperiment(id);
      expect((await store.getExperiment(id)).lifecycleStage).toBe("active");
      expect((await store.getRun(run.info.runId)).info.lifecycleStage).toBe("active");
    });

    test("experiment tags: set upserts, delete removes, a missing key is 404", async () => {
      const id = await newExperiment("tags");
      await store.setExperimentTag(id, { key: "k", value: "1" });
      await store.setExperimentTag(id, { key: "k", value: "2" });
      expect((await store.getExperiment(id)).tags).toEqual([{ key: "k", value: "2" }]);
      await store.deleteExperimentTag(id, "k");
      expect((await store.getExperiment(id)).tags).toEqual([]);
      expect(await failure(store.deleteExperimentTag(id, "k"))).toEqual({
        code: "RESOURCE_DOES_NOT_EXIST",
        message: `No tag with name: k in experiment with id ${id}`,
      });
    });

    test("search-experiments filters, orders, pages and honours the view type", async () => {
      const prefix = `search-${crypto.randomUUID().slice(0, 8)}`;
      const ids: string[] = [];
      for (const suffix of ["a", "b", "c"]) ids.push(await store.createExperiment({ name: `${prefix}-${suffix}`, tags: [] }));
      await store.deleteExperiment(ids[1] as string);
      const query = { filter: `name LIKE '${prefix}-%'`, orderBy: ["name DESC"], offset: 0 };
      const active = await store.searchExperiments({ ...query, viewType: "ACTIVE_ONLY", maxResults: 10 });
      expect(active.items.map((e) => e.name)).toEqual([`${prefix}-c`, `${prefix}-a`]);
      expect(active.nextOffset).toBeUndefined();
      const first = await store.searchExperiments({ ...query, viewType: "ALL", maxResults: 2 });
      expect(first.items.map((e) => e.name)).toEqual([`${prefix}-c`, `${prefix}-b`]);
      expect(first.nextOffset).toBe(2);
      const second = await store.searchExperiments({ ...query, viewType: "ALL", maxResults: 2, offset: 2 });
      expect(second.items.map((e) => e.name)).toEqual([`${prefix}-a`]);
      const deleted = await store.searchExperiments({ ...query, viewType: "DELETED_ONLY", maxResults: 10 });
      expect(deleted.items.map((e) => e.experimentId)).toEqual([ids[1] as string]);
    });

    test("create-run names the run (given, from the tag, or generated) and keeps the tag in sync", async () => {
      const experimentId = await newExperiment("runs");
      const named = await store.createRun({ experimentId, userId: "ann", runName: "first", startTime: 5, tags: [] });
      expect(named.info).toMatchObject({
        experimentId,
        runName: "first",
        userId: "ann",
        status: "RUNNING",
        startTime: 5,
        endTime: null,
        lifecycleStage: "active",
        artifactUri: `${ROOT}/${experimentId}/${named.info.runId}/artifacts`,
      });
      expect(named.info.runId).toMatch(/^[0-9a-f]{32}$/);
      expect(named.tags).toContainEqual({ key: "mlflow.runName", value: "first" });
      const fromTag = await store.createRun({
        experimentId,
        userId: "ann",
        runName: "",
        startTime: 6,
        tags: [{ key: "mlflow.runName", value: "tagged" }],
      });
      expect(fromTag.info.runName).toBe("tagged");
      const generated = await store.createRun({ experimentId, userId: "ann", runName: "", startTime: 7, tags: [] });
      expect(generated.info.runName).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
      expect(generated.tags).toContainEqual({ key: "mlflow.runName", value: generated.info.runName });
      expect(
        (await failure(store.createRun({ experimentId, userId: "ann", runName: "x", startTime: 8, tags: [{ key: "mlflow.runName", value: "y" }] })))
          .code,
      ).toBe("INVALID_PARAMETER_VALUE");
      expect(await failure(store.getRun("0".repeat(32)))).toEqual({
        code: "RESOURCE_DOES_NOT_EXIST",
        message: `Run with id=${"0".repeat(32)} not found`,
      });
    });

    test("update-run sets status, end time and name (and the name tag); delete and restore move the run", async () => {
      const experimentId = await newExperiment("update");
      const { info } = await store.createRun({ experimentId, userId: "u", runName: "before", startTime: 10, tags: [] });
      const updated = await store.updateRun(info.runId, { status: "FINISHED", endTime: 20, runName: "after" });
      expect(updated).toMatchObject({ status: "FINISHED", endTime: 20, runName: "after", startTime: 10 });
      expect((await store.getRun(info.runId)).tags).toContainEqual({ key: "mlflow.runName", value: "after" });

      await store.deleteRun(info.runId);
      expect((await store.getRun(info.runId)).info.lifecycleStage).toBe("deleted");
      expect(await failure(store.updateRun(info.runId, { status: "FAILED" }))).toEqual({
        code: "INVALID_PARAMETER_VALUE",
        message: `The run ${info.runId} must be in the 'active' state. Current state is deleted.`,
      });
      expect((await failure(store.logBatch(info.runId, { metrics: [], params: [], tags: [{ key: "k", value: "v" }] }))).code).toBe(
        "INVALID_PARAMETER_VALUE",
      );
      await store.restoreRun(info.runId);
      expect((await store.getRun(info.runId)).info.lifecycleStage).toBe("active");
    });

    test("log-batch stores params, metrics (NaN and infinities encoded) and tags, with the latest metric per key", async () => {
      const experimentId = await newExperiment("log-batch");
      const { info } = await store.createRun({ experimentId, userId: "u", runName: "r", startTime: 1, tags: [] });
      await store.logBatch(info.runId, {
        params: [{ key: "lr", value: "0.1" }],
        metrics: [point("loss", 0.9, 0), point("loss", 0.5, 2), point("loss", 0.7, 1), point("nan", NaN, 0), point("inf", Infinity, 0), point("ninf", -Infinity, 0)],
        tags: [
          { key: "t", value: "1" },
          { key: "t", value: "2" },
        ],
      });
      const run = await store.getRun(info.runId);
      expect(run.params).toEqual([{ key: "lr", value: "0.1" }]);
      expect(run.tags).toContainEqual({ key: "t", value: "2" });
      const latest = Object.fromEntries(run.metrics.map((m) => [m.key, m]));
      expect(latest.loss).toEqual(point("loss", 0.5, 2));
      expect(latest.nan?.value).toBeNaN();
      expect(latest.inf?.value).toBe(MAX_DOUBLE);
      expect(latest.ninf?.value).toBe(-MAX_DOUBLE);

      // An older point does not replace the latest one.
      await store.logBatch(info.runId, { params: [], metrics: [point("loss", 0.1, 1, 99_999)], tags: [] });
      expect((await store.getRun(info.runId)).metrics.find((m) => m.key === "loss")).toEqual(point("loss", 0.5, 2));
    });

    test("params are write-once: the same value again is a no-op, a new value fails the whole batch", async () => {
      const experimentId = await newExperiment("params");
      const { info } = await store.createRun({ experimentId, userId: "u", runName: "r", startTime: 1, tags: [] });
      await store.logBatch(info.runId, { params: [{ key: "p", value: "1" }], metrics: [], tags: [] });
      await store.logBatch(info.runId, { params: [{ key: "p", value: "1" }], metrics: [], tags: [] });
      expect(
        await failure(
          store.logBatch(info.runId, {
            params: [{ key: "p", value: "2" }],
            metrics: [point("m", 1, 0)],
            tags: [{ key: "t", value: "x" }],
          }),
        ),
      ).toEqual({
        code: "INVALID_PARAMETER_VALUE",
        message:
          `Changing param values is not allowed. Param with key='p' was already logged with value='1' ` +
          `for run ID='${info.runId}'. Attempted logging new value '2'.`,
      });
      const run = await store.getRun(info.runId);
      expect(run.params).toEqual([{ key: "p", value: "1" }]);
      expect(run.metrics).toEqual([]);
      expect(run.tags.find((t) => t.key === "t")).toBeUndefined();
    });

    test("set-tag and delete-tag on runs; set-tag of mlflow.runName renames the run", async () => {
      const experimentId = await newExperiment("run-tags");
      const { info } = await store.createRun({ experimentId, userId: "u", runName: "r", startTime: 1, tags: [] });
      await store.setTag(info.runId, { key: "mlflow.runName", value: "renamed" });
      expect((await store.getRun(info.runId)).info.runName).toBe("renamed");
      await store.setTag(info.runId, { key: "k", value: "v" });
      await store.deleteTag(info.runId, "k");
      expect((await store.getRun(info.runId)).tags.find((t) => t.key === "k")).toBeUndefined();
      expect(await failure(store.deleteTag(info.runId, "k"))).toEqual({
        code: "RESOURCE_DOES_NOT_EXIST",
        message: `No tag with name: k in run with id ${info.runId}`,
      });
    });

    test("metric history in MLflow's order, paged, streamed and sampled", async () => {
      const experimentId = await newExperiment("history");
      const { info } = await store.createRun({ experimentId, userId: "u", runName: "r", startTime: 1, tags: [] });
      const points = Array.from({ length: 25 }, (_, step) => point("acc", step / 100, step));
      points.push(point("acc", NaN, 25));
      await store.logBatch(info.runId, { params: [], metrics: [...points].reverse(), tags: [] });

      const all = await store.getMetricHistory({ runId: info.runId, key: "acc", offset: 0 });
      expect(all.items.length).toBe(26);
      expect(all.items.slice(0, 25)).toEqual(points.slice(0, 25));
      expect(all.items[25]?.value).toBeNaN();
      expect(all.nextOffset).toBeUndefined();

      const page = await store.getMetricHistory({ runId: info.runId, key: "acc", offset: 10, maxResults: 5 });
      expect(page.items.map((m) => m.step)).toEqual([10, 11, 12, 13, 14]);
      expect(page.nextOffset).toBe(15);

      const streamed: Metric[] = [];
      for await (const batch of await store.streamMetricHistory(info.runId, "acc")) streamed.push(...batch);
      expect(streamed.map((m) => m.step)).toEqual(points.map((m) => m.step));

      const bulk = await store.getMetricHistoryBulk([info.runId], "acc", 3);
      expect(bulk.map((m) => [m.runId, m.step])).toEqual([
        [info.runId, 0],
        [info.runId, 1],
        [info.runId, 2],
      ]);
      const sampled = await store.getMetricHistoryBulkInterval({ runIds: [info.runId], key: "acc", maxResults: 5 });
      // Evenly spread steps plus the last: max_results bounds the sampled steps, and MLflow adds the
      // last one in range to them.
      expect(sampled.map((m) => m.step)).toEqual([0, 5, 10, 15, 20, 25]);
      expect(sampled.every((m) => m.runId === info.runId)).toBe(true);

      expect((await failure(store.getMetricHistory({ runId: "f".repeat(32), key: "acc", offset: 0 }))).code).toBe(
        "RESOURCE_DOES_NOT_EXIST",
      );
    });

    test("search-runs filters on metrics and params, orders, pages and honours the view type", async () => {
      const experimentId = await newExperiment("search-runs");
      const runIds: string[] = [];
      for (const [i, loss] of [0.3, 0.8, 0.1, 0.6].entries()) {
        const { info } = await store.createRun({ experimentId, userId: "u", runName: `run-${i}`, startTime: 100 + i, tags: [] });
        await store.logBatch(info.runId, {
          params: [{ key: "model", value: i % 2 === 0 ? "cnn" : "mlp" }],
          metrics: [point("loss", loss, 0)],
          tags: [],
        });
        runIds.push(info.runId);
      }
      const base = { experimentIds: [experimentId], viewType: "ACTIVE_ONLY" as const, offset: 0, maxResults: 10 };

      const lowLoss = await store.searchRuns({ ...base, filter: "metrics.loss < 0.5", orderBy: ["metrics.loss ASC"] });
      expect(lowLoss.items.map((r) => r.info.runName)).toEqual(["run-2", "run-0"]);
      expect(lowLoss.items[0]?.metrics).toEqual([point("loss", 0.1, 0)]);
      expect(lowLoss.items[0]?.params).toEqual([{ key: "model", value: "cnn" }]);

      const cnn = await store.searchRuns({ ...base, filter: "params.model = 'cnn'", orderBy: [] });
      // Default order: start_time DESC.
      expect(cnn.items.map((r) => r.info.runName)).toEqual(["run-2", "run-0"]);

      const first = await store.searchRuns({ ...base, orderBy: ["metrics.loss DESC"], maxResults: 3 });
      expect(first.items.map((r) => r.info.runName)).toEqual(["run-1", "run-3", "run-0"]);
      expect(first.nextOffset).toBe(3);
      const rest = await store.searchRuns({ ...base, orderBy: ["metrics.loss DESC"], maxResults: 3, offset: 3 });
      expect(rest.items.map((r) => r.info.runName)).toEqual(["run-2"]);
      expect(rest.nextOffset).toBeUndefined();

      await store.deleteRun(runIds[1] as string);
      const active = await store.searchRuns({ ...base, orderBy: ["attributes.start_time ASC"] });
      expect(active.items.map((r) => r.info.runName)).toEqual(["run-0", "run-2", "run-3"]);
      const deleted = await store.searchRuns({ ...base, viewType: "DELETED_ONLY", orderBy: [] });
      expect(deleted.items.map((r) => r.info.runId)).toEqual([runIds[1] as string]);

      // The search grammar's own error, which the HTTP layer turns into INVALID_PARAMETER_VALUE.
      await expect(store.searchRuns({ ...base, filter: "metrics.loss <", orderBy: [] })).rejects.toThrow(
        "Invalid clause(s) in filter string: 'metrics.loss <'",
      );
    });

    test("log-inputs links a dataset once and lists it among the experiment's datasets", async () => {
      const experimentId = await newExperiment("datasets");
      const { info } = await store.createRun({ experimentId, userId: "u", runName: "r", startTime: 1, tags: [] });
      const dataset = { name: "d", digest: "abc", sourceType: "local", source: "{}", schema: null, profile: null };
      const input = { dataset, tags: [{ key: "mlflow.data.context", value: "training" }] };
      await store.logInputs(info.runId, [input]);
      await store.logInputs(info.runId, [input]);
      expect((await store.getRun(info.runId)).datasetInputs).toEqual([input]);
      expect(await store.searchDatasets([experimentId], 10)).toEqual([
        { experimentId, name: "d", digest: "abc", context: "training" },
      ]);
    });
  });

  describe(`registry store [${backend}]`, () => {
    let stores: Stores;
    let pg: TestDatabase | undefined;

    beforeAll(async () => {
      let database: DatabaseTarget;
      if (backend === "postgresql") {
        pg = await createTestDatabase();
        database = { kind: "postgresql", url: pg.url, uri: pg.url };
      } else if (backend === "mysql") {
        pg = await createMysqlTestDatabase();
        database = parseDatabaseUri(pg.url, "/");
      } else {
        database = { kind: "sqlite", path: ":memory:", uri: "sqlite:///:memory:" };
      }
      stores = await openStores({ database, defaultArtifactRoot: ROOT, migrate: true, poolMax: 4 });
    });

    afterAll(async () => {
      await stores?.tracking.close();
      await pg?.drop();
    });

    test("versions are numbered, never reused, staged with archiving, aliased and searched", async () => {
      const registry = stores.registry;
      const model = await registry.createRegisteredModel({ name: "m", tags: [{ key: "k", value: "v" }] });
      expect(model).toMatchObject({ name: "m", description: null, tags: [{ key: "k", value: "v" }], latestVersions: [] });
      expect((await failure(registry.createRegisteredModel({ name: "m", tags: [] }))).code).toBe("RESOURCE_ALREADY_EXISTS");

      const v1 = await registry.createModelVersion({ name: "m", source: "s3://b/1", tags: [] });
      const v2 = await registry.createModelVersion({ name: "m", source: "s3://b/2", tags: [{ key: "t", value: "x" }] });
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(v2).toMatchObject({ currentStage: "None", status: "READY", source: "s3://b/2", tags: [{ key: "t", value: "x" }] });

      await registry.transitionModelVersionStage("m", 1, "Production", false);
      await registry.transitionModelVersionStage("m", 2, "Production", true);
      expect((await registry.getModelVersion("m", 1)).currentStage).toBe("Archived");
      expect((await registry.getLatestVersions("m", ["Production"])).map((v) => v.version)).toEqual([2]);

      await registry.setRegisteredModelAlias("m", "champion", 2);
      expect((await registry.getModelVersionByAlias("m", "champion")).version).toBe(2);
      expect((await registry.getRegisteredModel("m")).aliases).toEqual([{ alias: "champion", version: 2 }]);

      await registry.deleteModelVersion("m", 2);
      expect((await failure(registry.getModelVersion("m", 2))).code).toBe("RESOURCE_DOES_NOT_EXIST");
      expect((await failure(registry.getModelVersionByAlias("m", "champion"))).code).toBe("INVALID_PARAMETER_VALUE");
      const v3 = await registry.createModelVersion({ name: "m", source: "models:/m/1", tags: [] });
      expect(v3.version).toBe(3);
      expect(v3.storageLocation).toBe("s3://b/1");

      const versions = await registry.searchModelVersions({ filter: "name = 'm'", orderBy: ["version_number ASC"], maxResults: 10, offset: 0 });
      expect(versions.items.map((v) => v.version)).toEqual([1, 3]);
      const models = await registry.searchRegisteredModels({ filter: "name LIKE 'm%'", orderBy: [], maxResults: 10, offset: 0 });
      expect(models.items.map((m) => m.name)).toEqual(["m"]);

      const renamed = await registry.renameRegisteredModel("m", "m2");
      expect(renamed.latestVersions.map((v) => [v.name, v.version])).toEqual([
        ["m2", 1],
        ["m2", 3],
      ]);
      await registry.deleteRegisteredModel("m2");
      expect((await failure(registry.getRegisteredModel("m2"))).code).toBe("RESOURCE_DOES_NOT_EXIST");
    });
  });
}
