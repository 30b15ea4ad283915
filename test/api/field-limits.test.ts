/**
 * Values that PostgreSQL cannot store (found by test/api/fuzz.test.ts as 500s there, silently
 * stored by SQLite) are refused at the HTTP edge on every database with a 400 naming the field:
 * strings longer than their column, version numbers beyond the schema's INTEGER, lone surrogates.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backends, startFml, type ApiResponse, type FmlServer } from "../helpers/server.ts";

interface ErrorBody {
  error_code?: string;
  message?: string;
}

const long = (n: number): string => "x".repeat(n);

for (const backend of await backends()) {
  describe(`field limits [${backend}]`, () => {
    let fml: FmlServer;
    let runId: string;
    beforeAll(async () => {
      fml = await startFml({ backend });
      const run = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: "0" });
      runId = run.body.run.info.run_id;
      await fml.api("POST", "registered-models/create", { name: "limited" });
      await fml.api("POST", "model-versions/create", { name: "limited", source: "s3://b/m" });
    });
    afterAll(async () => {
      await fml.stop();
    });

    const expectRefused = (r: ApiResponse<unknown>, message: string): void => {
      expect([r.status, (r.body as ErrorBody).error_code]).toEqual([400, "INVALID_PARAMETER_VALUE"]);
      expect((r.body as ErrorBody).message).toBe(message);
    };

    test("run names over 250 characters (runs.name), as run_name or mlflow.runName", async () => {
      expectRefused(
        await fml.api("POST", "runs/create", { experiment_id: "0", run_name: long(251) }),
        "'run_name' exceeds the maximum length of 250 characters",
      );
      expectRefused(
        await fml.api("POST", "runs/update", { run_id: runId, run_name: long(251) }),
        "'run_name' exceeds the maximum length of 250 characters",
      );
      const tag = await fml.api<ErrorBody>("POST", "runs/set-tag", { run_id: runId, key: "mlflow.runName", value: long(251) });
      expect([tag.status, tag.body.error_code]).toEqual([400, "INVALID_PARAMETER_VALUE"]);
      expect(tag.body.message).toContain("exceeded length limit of 250");
      expect((await fml.api("POST", "runs/update", { run_id: runId, run_name: long(250) })).status).toBe(200);
      // Other tags keep MLflow's 8,000.
      expect((await fml.api("POST", "runs/set-tag", { run_id: runId, key: "note", value: long(8000) })).status).toBe(200);
    });

    test("user_id over 256, experiment names over 256, artifact locations over 256 characters", async () => {
      expectRefused(
        await fml.api("POST", "runs/create", { experiment_id: "0", user_id: long(257) }),
        "'user_id' exceeds the maximum length of 256 characters",
      );
      expectRefused(
        await fml.api("POST", "experiments/create", { name: long(257) }),
        "Experiment name exceeds the maximum length of 256 characters",
      );
      expectRefused(
        await fml.api("POST", "experiments/create", { name: "long-location", artifact_location: `s3://b/${long(250)}` }),
        "'artifact_location' exceeds the maximum length of 256 characters",
      );
      expect((await fml.api("POST", "experiments/create", { name: long(256) })).status).toBe(200);
    });

    test("a run whose artifact URI would pass runs.artifact_uri's 200 characters is refused", async () => {
      const exp = await fml.api<{ experiment_id: string }>("POST", "experiments/create", {
        name: "deep-location",
        artifact_location: `s3://b/${long(151)}`, // 201 with "/<run id>/artifacts"
      });
      expect(exp.status).toBe(200);
      const r = await fml.api<ErrorBody>("POST", "runs/create", { experiment_id: exp.body.experiment_id });
      expect([r.status, r.body.error_code]).toEqual([400, "INVALID_PARAMETER_VALUE"]);
      expect(r.body.message).toContain("exceeds the maximum length of 200 characters");
    });

    test("registry names over 256, descriptions over 5000, sources and run links over 500", async () => {
      expectRefused(
        await fml.api("POST", "registered-models/create", { name: long(257) }),
        "'name' exceeds the maximum length of 256 characters",
      );
      expectRefused(
        await fml.api("POST", "registered-models/create", { name: "described", description: long(5001) }),
        "'description' exceeds the maximum length of 5000 characters",
      );
      expectRefused(
        await fml.api("POST", "registered-models/rename", { name: "limited", new_name: long(257) }),
        "'new_name' exceeds the maximum length of 256 characters",
      );
      expectRefused(
        await fml.api("PATCH", "registered-models/update", { name: "limited", description: long(5001) }),
        "'description' exceeds the maximum length of 5000 characters",
      );
      expectRefused(
        await fml.api("POST", "model-versions/create", { name: "limited", source: `s3://b/${long(500)}` }),
        "'source' exceeds the maximum length of 500 characters",
      );
      expectRefused(
        await fml.api("POST", "model-versions/create", { name: "limited", source: "s3://b/m", run_link: long(501) }),
        "'run_link' exceeds the maximum length of 500 characters",
      );
      expectRefused(
        await fml.api("POST", "model-versions/create", { name: "limited", source: "s3://b/m", run_id: long(33) }),
        "'run_id' exceeds the maximum length of 32 characters",
      );
      expectRefused(
        await fml.api("PATCH", "model-versions/update", { name: "limited", version: "1", description: long(5001) }),
        "'description' exceeds the maximum length of 5000 characters",
      );
      expect(
        (await fml.api("PATCH", "model-versions/update", { name: "limited", version: "1", description: long(5000) })).status,
      ).toBe(200);
    });

    test("version numbers beyond 2^31-1 are refused, and filters may compare against any number", async () => {
      for (const version of ["2147483648", "9223372036854775808", "123456789012345678901234567890"]) {
        expectRefused(
          await fml.api("GET", "model-versions/get", { name: "limited", version }),
          `Parameter 'version' must be at most 2147483647, got '${version}'.`,
        );
      }
      expectRefused(
        await fml.api("POST", "registered-models/alias", { name: "limited", alias: "a", version: "2147483648" }),
        "Parameter 'version' must be at most 2147483647, got '2147483648'.",
      );
      const below = await fml.api<{ model_versions?: unknown[] }>("GET", "model-versions/search", {
        filter: "version_number < 100000000000000000000",
      });
      expect([below.status, below.body.model_versions?.length]).toEqual([200, 1]);
      const above = await fml.api<{ model_versions?: unknown[] }>("GET", "model-versions/search", {
        filter: "version_number > 1.5",
      });
      expect([above.status, above.body.model_versions]).toEqual([200, undefined]);
    });

    test("unpaired surrogates are refused naming the field, in bodies and nested fields", async () => {
      expectRefused(
        await fml.api("POST", "registered-models/create", '{"name": "a\\ud800b"}'),
        "Invalid value for parameter 'name' supplied: unpaired UTF-16 surrogates are not allowed.",
      );
      expectRefused(
        await fml.api("POST", "runs/log-batch", `{"run_id": "${runId}", "tags": [{"key": "k", "value": "\\udc00"}]}`),
        "Invalid value for parameter 'value' supplied: unpaired UTF-16 surrogates are not allowed.",
      );
      // A pair is one character, and fine.
      const emoji = await fml.api<{ registered_model: { name: string } }>("POST", "registered-models/create", {
        name: "model-💥",
      });
      expect([emoji.status, emoji.body.registered_model.name]).toEqual([200, "model-💥"]);
    });
  });
}
