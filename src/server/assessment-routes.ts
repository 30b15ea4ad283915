/**
 * Assessment endpoints (spec §3.8): create, get, update (FieldMask of lowerCamelCase paths) and
 * delete feedback, expectations and issues on a trace. Served under 3.0 only.
 */

import { invalidParameter } from "../errors.ts";
import type { AssessmentStore, AssessmentUpdate } from "../store/assessments.ts";
import { checkLength, LIMITS } from "./trace-limits.ts";
import type { TraceRoute } from "./trace-route-kit.ts";
import { assessmentJson, assessmentValue, parseNewAssessment, stringMap } from "./trace-json.ts";

/** Paths an update may name; snake_case paths are accepted and ignored, as MLflow does. */
const UPDATABLE = new Set(["assessmentName", "expectation", "feedback", "rationale", "metadata"]);
const KNOWN = new Set([...UPDATABLE, "valid", "assessment_name", "rationale", "metadata", "last_update_time", "lastUpdateTime", "source", "span_id", "spanId", "overrides", "create_time", "createTime"]);

export function assessmentRoutes(assessments: AssessmentStore): TraceRoute[] {
  return [
    {
      method: "POST",
      path: "/mlflow/traces/:trace_id/assessments",
      versions: ["3.0"],
      async handle(p, path) {
        const traceId = path.trace_id ?? "";
        const input = parseNewAssessment(p.object("assessment"), Date.now());
        const created = await assessments.createAssessment(traceId, input);
        return { assessment: assessmentJson(created) };
      },
    },
    {
      method: "GET",
      path: "/mlflow/traces/:trace_id/assessments/:assessment_id",
      versions: ["3.0"],
      async handle(_p, path) {
        const found = await assessments.getAssessment(path.trace_id ?? "", path.assessment_id ?? "");
        return { assessment: assessmentJson(found) };
      },
    },
    {
      method: "PATCH",
      path: "/mlflow/traces/:trace_id/assessments/:assessment_id",
      versions: ["3.0"],
      async handle(p, path) {
        const mask = p.string("update_mask").split(",").map((s) => s.trim()).filter(Boolean);
        for (const field of mask) {
          if (field === "valid") throw invalidParameter("'valid' cannot be updated; log a new assessment that overrides this one.");
          if (!KNOWN.has(field)) throw invalidParameter(`Invalid update_mask path '${field}'. Valid paths are ${[...UPDATABLE].join(", ")}.`);
        }
        const body = p.object("assessment");
        const update: AssessmentUpdate = {};
        if (mask.includes("assessmentName")) update.name = checkLength("assessment_name", body.optionalString("assessment_name") ?? "", LIMITS.assessmentName);
        if (mask.includes("rationale")) update.rationale = body.optionalString("rationale") ?? null;
        if (mask.includes("metadata")) update.metadata = Object.fromEntries(stringMap(body, "metadata"));
        if (mask.includes("feedback") || mask.includes("expectation")) {
          const value = assessmentValue(body);
          if (value.type === "issue") throw invalidParameter("An issue's value cannot be updated.");
          update.value = { type: value.type, value: value.value, error: value.error };
        }
        const updated = await assessments.updateAssessment(path.trace_id ?? "", path.assessment_id ?? "", update);
        return { assessment: assessmentJson(updated) };
      },
    },
    {
      method: "DELETE",
      path: "/mlflow/traces/:trace_id/assessments/:assessment_id",
      versions: ["3.0"],
      async handle(_p, path) {
        await assessments.deleteAssessment(path.trace_id ?? "", path.assessment_id ?? "");
        return {};
      },
    },
  ];
}
