/**
 * Artifact locations that clients write can never lead outside their root: experiment
 * `artifact_location` and model-version `source` are checked when written (fragments, queries,
 * `..` segments, unsupported schemes), and `model-versions/get-artifact` serves a version's files
 * confined to them. Each attempt below once reached the server's `/etc` or answered 500.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

interface ErrorBody {
  error_code?: string;
  message?: string;
}

const refusedLocations = [
  "file:///etc/#",
  "file:///etc#",
  "file:///etc?",
  "file:///etc?x=1",
  "file://localhost/etc#",
  "file:///tmp/x/..#/../../etc",
  "file:///tmp/x/../../etc",
  "file:///tmp/%2e%2e/%2e%2e/etc",
  "file:///tmp/%252e%252e/etc",
  "/tmp/x/../../etc",
  "/tmp/x#/../../etc",
  "/tmp/x;params",
  "http:///#/../../etc/",
  "javascript://alert",
  "models:/m-0123/artifacts",
  "file://remote-host/etc",
  "/tmp/a\u0000b",
  "runs:/0123456789abcdef/model",
  `/tmp/${"x".repeat(2048)}`,
];

for (const backend of await backends()) {
  describe(`artifact locations [${backend}]`, () => {
    let server: FmlServer;
    beforeAll(async () => {
      server = await startFml({ backend });
    });
    afterAll(async () => {
      await server.stop();
    });

    for (const [i, location] of refusedLocations.entries()) {
      test(`experiments/create refuses artifact_location ${JSON.stringify(location.slice(0, 60))}`, async () => {
        const name = `refused-${i}`;
        const r = await server.api<ErrorBody>("POST", "experiments/create", { name, artifact_location: location });
        expect(r.status).toBe(400);
        expect(r.body.error_code).toBe("INVALID_PARAMETER_VALUE");
        const lookup = await server.api("GET", "experiments/get-by-name", { experiment_name: name });
        expect(lookup.status).toBe(404);
      });
    }

    test("experiments/create accepts local paths and the schemes of MLflow's artifact stores", async () => {
      const accepted = [
        join(server.dir, "plain"),
        `file://${join(server.dir, "as-uri")}`,
        "s3://bucket/prefix",
        "mlflow-artifacts:/custom",
        "relative/dir",
        "gs://bucket/path",
        "hdfs://namenode/mlflow",
        "http://example.com/artifacts",
      ];
      for (const [i, location] of accepted.entries()) {
        const r = await server.api<{ experiment_id: string }>("POST", "experiments/create", {
          name: `accepted-${i}`,
          artifact_location: location,
        });
        expect([location, r.status]).toEqual([location, 200]);
      }
    });

    test("a run in a local experiment serves only its own files", async () => {
      const root = join(server.dir, "local-root");
      const created = await server.api<{ experiment_id: string }>("POST", "experiments/create", {
        name: "local-root",
        artifact_location: `file://${root}`,
      });
      const run = await server.api<{ run: { info: { run_id: string; artifact_uri: string } } }>("POST", "runs/create", {
        experiment_id: created.body.experiment_id,
      });
      const { run_id: runId, artifact_uri: artifactUri } = run.body.run.info;
      expect(artifactUri).toBe(`file://${root}/${runId}/artifacts`);
      mkdirSync(join(root, runId, "artifacts"), { recursive: true });
      writeFileSync(join(root, runId, "artifacts", "ok.txt"), "mine");
      writeFileSync(join(root, "secret.txt"), "not the run's");
      const ok = await fetch(`${server.url}/get-artifact?run_id=${runId}&path=ok.txt`);
      expect([ok.status, await ok.text()]).toEqual([200, "mine"]);
      for (const path of ["../../secret.txt", "..%2F..%2Fsecret.txt", "/etc/passwd", "file:///etc/passwd"]) {
        const r = await fetch(`${server.url}/get-artifact?run_id=${runId}&path=${path}`);
        expect([path, r.status]).toEqual([path, 400]);
      }
    });

    describe("model versions", () => {
      let runId: string;
      let artifactUri: string;
      beforeAll(async () => {
        const run = await server.api<{ run: { info: { run_id: string; artifact_uri: string } } }>("POST", "runs/create", {
          experiment_id: "0",
        });
        ({ run_id: runId, artifact_uri: artifactUri } = run.body.run.info);
        await server.api("POST", "registered-models/create", { name: "guarded" });
      });

      const refusedSources = (): [string, string | undefined][] => [
        ["file:///etc/", undefined],
        ["/etc", undefined],
        ["/etc", runId],
        [`${join(server.dir, "mlartifacts")}/0/${runId}/artifacts#/../../../../etc`, runId],
        [`${artifactUri}/../../../../etc`, runId],
        ["mlflow-artifacts:/../../etc", undefined],
        ["mlflow-artifacts:/0/%2e%2e/%2e%2e/etc", undefined],
        ["s3://bucket/models/../../other", undefined],
        ["http://host/api/2.0/mlflow-artifacts/artifacts/../../../../", undefined],
        ["https://host/a/./b", undefined],
      ];

      test("model-versions/create refuses sources that reach outside their run or use relative references", async () => {
        for (const [source, sourceRunId] of refusedSources()) {
          const r = await server.api<ErrorBody>("POST", "model-versions/create", {
            name: "guarded",
            source,
            ...(sourceRunId ? { run_id: sourceRunId } : {}),
          });
          expect([source, r.status, r.body.error_code]).toEqual([source, 400, "INVALID_PARAMETER_VALUE"]);
          expect(r.body.message).toContain("Invalid model version source");
        }
        const versions = await server.api<{ model_versions?: unknown[] }>("GET", "model-versions/search", {
          filter: "name='guarded'",
        });
        expect(versions.body.model_versions ?? []).toEqual([]);
      });

      test("a local source needs the run_id of the run whose artifacts hold it", async () => {
        const other = await server.api<{ experiment_id: string }>("POST", "experiments/create", {
          name: "mv-local",
          artifact_location: join(server.dir, "mv-local"),
        });
        const run = await server.api<{ run: { info: { run_id: string; artifact_uri: string } } }>("POST", "runs/create", {
          experiment_id: other.body.experiment_id,
        });
        const info = run.body.run.info;
        const inside = await server.api("POST", "model-versions/create", {
          name: "guarded",
          source: `${info.artifact_uri}/model`,
          run_id: info.run_id,
        });
        expect(inside.status).toBe(200);
        const withoutRun = await server.api<ErrorBody>("POST", "model-versions/create", {
          name: "guarded",
          source: `${info.artifact_uri}/model`,
        });
        expect(withoutRun.status).toBe(400);
        const unknownRun = await server.api<ErrorBody>("POST", "model-versions/create", {
          name: "guarded",
          source: `${info.artifact_uri}/model`,
          run_id: "0".repeat(32),
        });
        expect([unknownRun.status, unknownRun.body.error_code]).toEqual([404, "RESOURCE_DOES_NOT_EXIST"]);
      });

      test("model-versions/get-artifact serves the version's files and nothing outside them", async () => {
        const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/model/MLmodel`, {
          method: "PUT",
          body: "flavors: {}\n",
        });
        expect(put.status).toBe(200);
        const created = await server.api<{ model_version: { version: string } }>("POST", "model-versions/create", {
          name: "guarded",
          source: `${artifactUri}/model`,
          run_id: runId,
        });
        expect(created.status).toBe(200);
        const version = created.body.model_version.version;
        const file = await fetch(`${server.url}/model-versions/get-artifact?name=guarded&version=${version}&path=MLmodel`);
        expect([file.status, await file.text()]).toEqual([200, "flavors: {}\n"]);
        for (const path of ["../../../MLmodel", "/etc/passwd", "..%2FMLmodel"]) {
          const r = await fetch(`${server.url}/model-versions/get-artifact?name=guarded&version=${version}&path=${path}`);
          expect([path, r.status]).toEqual([path, 400]);
        }
        const missing = await fetch(`${server.url}/model-versions/get-artifact?name=guarded&version=999&path=MLmodel`);
        expect(missing.status).toBe(404);
      });
    });
  });
}
