/**
 * Assessment endpoints against a real fml server, on every backend (spec §3.8): the exchanges of
 * transcripts/log_feedback, log_expectation and update_delete_assessment, overrides, and errors.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";
import { hexId, startTraceBody } from "../helpers/traces.ts";

type Assessment = Record<string, unknown> & { assessment_id: string; valid: boolean };
type Reply = { assessment: Assessment; error_code?: string; message?: string };

const v3 = (path: string) => `/api/3.0/mlflow/${path}`;

for (const backend of await backends()) {
  describe(`assessments [${backend}]`, () => {
    let fml: FmlServer;
    let exp: string;
    beforeAll(async () => {
      fml = await startFml({ backend });
      exp = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "assessments" })).body.experiment_id;
    });
    afterAll(async () => {
      await fml.stop();
    });

    const newTrace = async () => {
      const id = `tr-${hexId(16)}`;
      expect((await fml.api("POST", v3("traces"), startTraceBody(id, exp))).status).toBe(200);
      return id;
    };
    const create = (traceId: string, assessment: Record<string, unknown>) =>
      fml.api<Reply>("POST", v3(`traces/${traceId}/assessments`), { assessment: { trace_id: traceId, ...assessment } });

    test("log_feedback: the client's request and MLflow's answer (transcripts/log_feedback #1)", async () => {
      const id = await newTrace();
      const r = await create(id, {
        assessment_name: "quality",
        source: { source_type: "HUMAN", source_id: "alice@example.com" },
        create_time: "2026-11-30T17:27:17.349Z",
        last_update_time: "2026-11-30T17:27:17.349Z",
        feedback: { value: 0.8 },
        rationale: "mostly right",
        metadata: { note: "spec" },
        valid: true,
      });
      expect(r.status).toBe(200);
      expect(r.body.assessment.assessment_id).toMatch(/^a-[0-9a-f]{32}$/);
      expect(r.body.assessment).toEqual({
        assessment_id: r.body.assessment.assessment_id,
        assessment_name: "quality",
        trace_id: id,
        source: { source_type: "HUMAN", source_id: "alice@example.com" },
        create_time: "2026-11-30T17:27:17.349Z",
        last_update_time: "2026-11-30T17:27:17.349Z",
        feedback: { value: 0.8 },
        rationale: "mostly right",
        metadata: { note: "spec" },
        valid: true,
      });
      const info = await fml.api<{ trace: { trace_info: { assessments: Assessment[] } } }>("GET", v3(`traces/${id}`));
      expect(info.body.trace.trace_info.assessments).toEqual([r.body.assessment]);
    });

    test("log_expectation with a dict value comes back as serialized_value (transcripts/log_expectation #1)", async () => {
      const id = await newTrace();
      const r = await create(id, {
        assessment_name: "expected_answer",
        source: { source_type: "HUMAN", source_id: "default" },
        create_time: "2026-11-30T17:27:23.229Z",
        last_update_time: "2026-11-30T17:27:23.229Z",
        expectation: { serialized_value: { serialization_format: "JSON_FORMAT", value: '{"answer": "hello"}' } },
      });
      expect(r.body.assessment).toMatchObject({
        expectation: { serialized_value: { serialization_format: "JSON_FORMAT", value: '{"answer": "hello"}' } },
        valid: true,
      });
      const plain = await create(id, { assessment_name: "n", expectation: { value: "hello" } });
      expect(plain.body.assessment.expectation).toEqual({ value: "hello" });
      expect(plain.body.assessment.source).toEqual({ source_type: "SOURCE_TYPE_UNSPECIFIED" });
      const structured = await create(id, { assessment_name: "s", expectation: { value: { answer: "world", score: [1, 2] } } });
      expect(structured.body.assessment.expectation).toEqual({
        serialized_value: { serialization_format: "JSON_FORMAT", value: '{"answer": "world", "score": [1.0, 2.0]}' },
      });
    });

    test("get, update (FieldMask) and delete (transcripts/update_delete_assessment)", async () => {
      const id = await newTrace();
      const fb = (await create(id, { assessment_name: "quality", feedback: { value: 0.8 }, rationale: "mostly right", metadata: { note: "spec" } }))
        .body.assessment;
      const got = await fml.api<Reply>("GET", v3(`traces/${id}/assessments/${fb.assessment_id}`));
      expect(got.body.assessment).toEqual(fb);
      const updated = await fml.api<Reply>("PATCH", v3(`traces/${id}/assessments/${fb.assessment_id}`), {
        assessment: { assessment_id: fb.assessment_id, assessment_name: "quality", trace_id: id, feedback: { value: 0.9 }, rationale: "re-checked" },
        update_mask: "assessmentName,feedback,rationale",
      });
      expect(updated.status).toBe(200);
      expect(updated.body.assessment).toMatchObject({ feedback: { value: 0.9 }, rationale: "re-checked", metadata: { note: "spec" }, create_time: fb.create_time });
      const merged = await fml.api<Reply>("PATCH", v3(`traces/${id}/assessments/${fb.assessment_id}`), {
        assessment: { metadata: { extra: "1" } },
        update_mask: "metadata",
      });
      expect(merged.body.assessment.metadata).toEqual({ note: "spec", extra: "1" });
      const wrongKind = await fml.api<Reply>("PATCH", v3(`traces/${id}/assessments/${fb.assessment_id}`), {
        assessment: { expectation: { value: 1 } },
        update_mask: "expectation",
      });
      expect(wrongKind.status).toBe(400);
      expect(wrongKind.body.message).toBe("Cannot update expectation value on a Feedback assessment.");
      const noMask = await fml.api<Reply>("PATCH", v3(`traces/${id}/assessments/${fb.assessment_id}`), { assessment: {} });
      expect(noMask.status).toBe(400);
      const valid = await fml.api<Reply>("PATCH", v3(`traces/${id}/assessments/${fb.assessment_id}`), { assessment: {}, update_mask: "valid" });
      expect(valid.status).toBe(400);

      const del = await fml.api("DELETE", v3(`traces/${id}/assessments/${fb.assessment_id}`), { trace_id: id, assessment_id: fb.assessment_id });
      expect(del.status).toBe(200);
      expect(del.body).toEqual({});
      expect((await fml.api("DELETE", v3(`traces/${id}/assessments/${fb.assessment_id}`))).status).toBe(200);
      const gone = await fml.api<Reply>("GET", v3(`traces/${id}/assessments/${fb.assessment_id}`));
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ error_code: "RESOURCE_DOES_NOT_EXIST", message: `Assessment with ID '${fb.assessment_id}' not found for trace '${id}'` });
    });

    test("an override marks the original invalid; deleting the override makes it valid again", async () => {
      const id = await newTrace();
      const original = (await create(id, { assessment_name: "q", feedback: { value: true } })).body.assessment;
      const override = (await create(id, { assessment_name: "q", feedback: { value: false }, overrides: original.assessment_id })).body.assessment;
      expect(override.overrides).toBe(original.assessment_id);
      let stored = await fml.api<Reply>("GET", v3(`traces/${id}/assessments/${original.assessment_id}`));
      expect(stored.body.assessment.valid).toBe(false);
      await fml.api("DELETE", v3(`traces/${id}/assessments/${override.assessment_id}`));
      stored = await fml.api<Reply>("GET", v3(`traces/${id}/assessments/${original.assessment_id}`));
      expect(stored.body.assessment.valid).toBe(true);
      const unknown = await create(id, { assessment_name: "q", feedback: { value: 1 }, overrides: "a-nope" });
      expect(unknown.status).toBe(404);
    });

    test("feedback errors and search by feedback/expectation value", async () => {
      const id = await newTrace();
      const errored = await create(id, {
        assessment_name: "judge",
        source: { source_type: "LLM_JUDGE", source_id: "gpt" },
        feedback: { error: { error_code: "RATE_LIMIT", error_message: "slow down" } },
      });
      expect(errored.body.assessment.feedback).toEqual({ value: null, error: { error_code: "RATE_LIMIT", error_message: "slow down" } });
      await create(id, { assessment_name: "score", feedback: { value: 0.9 } });
      await create(id, { assessment_name: "answer", expectation: { value: "hello" } });
      const find = async (filter: string) =>
        (
          await fml.api<{ traces?: { trace_id: string }[] }>("POST", v3("traces/search"), {
            locations: [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: exp } }],
            filter,
          })
        ).body.traces?.map((t) => t.trace_id) ?? [];
      expect(await find("feedback.score = '0.9'")).toEqual([id]);
      expect(await find("expectation.answer = 'hello'")).toEqual([id]);
      expect(await find("feedback.judge IS NOT NULL AND feedback.score = '0.5'")).toEqual([]);
    });

    test("errors: no value, unknown trace, unknown assessment, wrong source type", async () => {
      const id = await newTrace();
      const noValue = await create(id, { assessment_name: "x" });
      expect(noValue.status).toBe(400);
      expect(noValue.body.message).toBe("Unknown assessment type: None");
      const unknownTrace = await create("tr-nope", { assessment_name: "x", feedback: { value: 1 } });
      expect(unknownTrace.status).toBe(400);
      expect(unknownTrace.body.error_code).toBe("BAD_REQUEST");
      const noTrace = await fml.api<Reply>("GET", v3("traces/tr-nope/assessments/a-nope"));
      expect(noTrace.status).toBe(404);
      expect(noTrace.body.message).toBe("Trace with request_id 'tr-nope' not found");
      const badSource = await create(id, { assessment_name: "x", feedback: { value: 1 }, source: { source_type: "ROBOT" } });
      expect(badSource.status).toBe(400);
      expect(String(badSource.body.message)).toContain("source_type");
      const longName = await create(id, { assessment_name: "n".repeat(251), feedback: { value: 1 } });
      expect(longName.status).toBe(400);
      expect(longName.body.message).toBe("'assessment_name' exceeds the maximum length of 250 characters");
      const badTime = await create(id, { assessment_name: "x", feedback: { value: 1 }, create_time: "noon" });
      expect(badTime.status).toBe(400);
      const v2 = await fml.api("POST", `/api/2.0/mlflow/traces/${id}/assessments`, { assessment: { feedback: { value: 1 } } });
      expect(v2.status).toBe(404);
    });
  });
}
