/**
 * A logged model's artifacts through every backend: the proxied destination (local disk or S3)
 * and an experiment whose artifact_location the server reads directly (a local folder or an s3://
 * prefix). artifact_location is `<experiment root>/models/<model_id>/artifacts` on each, and the
 * listing and download routes serve what the client uploaded there.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startArtifactServer, type ArtifactServer } from "../helpers/artifact-server.ts";
import { isMotoAvailable } from "../helpers/s3.ts";
import type { FmlServer } from "../helpers/server.ts";

const motoAvailable = await isMotoAvailable();
if (!motoAvailable) console.warn("moto is not installed (pip install 'moto[server]'): S3 logged-model artifact tests skipped");

type ModelJson = { info: { model_id: string; artifact_uri: string } };

for (const kind of ["local", "s3"] as const) {
  describe.skipIf(kind === "s3" && !motoAvailable)(`logged-model artifacts on ${kind}`, () => {
    let server: FmlServer;
    let artifacts: ArtifactServer;
    /** An artifact_location outside the proxy, accessed by the server directly. */
    let directRoot: string;
    let putDirect: ArtifactServer["putDirect"];

    beforeAll(async () => {
      artifacts = await startArtifactServer(kind);
      ({ server, directRoot, putDirect } = artifacts);
    }, 60000);

    afterAll(async () => {
      await artifacts?.stop();
    });

    const createIn = async (experimentName: string, artifactLocation?: string): Promise<ModelJson> => {
      const exp = await server.api<{ experiment_id: string }>("POST", "experiments/create", {
        name: experimentName,
        ...(artifactLocation ? { artifact_location: artifactLocation } : {}),
      });
      const model = await server.api<{ model: ModelJson }>("POST", "logged-models", { experiment_id: exp.body.experiment_id });
      return model.body.model;
    };

    const readBack = async (model: ModelJson) => {
      const listed = await server.api("GET", `logged-models/${model.info.model_id}/artifacts/directories`);
      const file = await fetch(
        `${server.url}/ajax-api/2.0/mlflow/logged-models/${model.info.model_id}/artifacts/files?artifact_file_path=MLmodel`,
      );
      return { listed: listed.body, status: file.status, text: await file.text() };
    };

    test("proxied (mlflow-artifacts:) models: uploaded through the proxy, listed and downloaded", async () => {
      const model = await createIn("proxied");
      const rel = model.info.artifact_uri.replace(/^mlflow-artifacts:\//, "");
      expect(model.info.artifact_uri).toMatch(/^mlflow-artifacts:\/\d+\/models\/m-[0-9a-f]{32}\/artifacts$/);
      const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${rel}/MLmodel`, { method: "PUT", body: "flavors: {}\n" });
      expect(put.status).toBe(200);
      expect(await readBack(model)).toEqual({
        listed: { root_uri: model.info.artifact_uri, files: [{ path: "MLmodel", is_dir: false, file_size: 12 }] },
        status: 200,
        text: "flavors: {}\n",
      });
    });

    test("models under a direct artifact_location are read from it", async () => {
      const model = await createIn("direct", directRoot);
      expect(model.info.artifact_uri).toBe(`${directRoot}/models/${model.info.model_id}/artifacts`);
      await putDirect(`models/${model.info.model_id}/artifacts/MLmodel`, "direct\n");
      expect(await readBack(model)).toEqual({
        listed: { root_uri: model.info.artifact_uri, files: [{ path: "MLmodel", is_dir: false, file_size: 7 }] },
        status: 200,
        text: "direct\n",
      });
    });
  });
}
