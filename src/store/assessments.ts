/**
 * Assessments (feedback, expectations, issues) on a trace, in MLflow's `assessments` table.
 * An assessment that `overrides` another marks that one invalid; deleting it makes the other
 * valid again.
 */

import { MlflowError, notFound } from "../errors.ts";
import type { Database } from "./db/database.ts";
import { sql } from "./db/sql.ts";
import { decodeAssessment } from "./trace-rows.ts";
import type { Assessment, NewAssessment } from "./trace-types.ts";

export function newAssessmentId(): string {
  return `a-${crypto.randomUUID().replaceAll("-", "")}`;
}

async function insertOne(tx: Database, traceId: string, a: NewAssessment): Promise<string> {
  const id = newAssessmentId();
  if (a.overrides) {
    const changed = await tx.run(
      sql`UPDATE assessments SET valid = ${false} WHERE assessment_id = ${a.overrides} AND trace_id = ${traceId}`,
    );
    if (changed === 0) throw notFound(`Assessment with ID '${a.overrides}' not found for trace '{trace_id}'`);
  }
  await tx.run(sql`
    INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, created_timestamp,
                             last_updated_timestamp, source_type, source_id, run_id, span_id, rationale,
                             overrides, valid, assessment_metadata)
    VALUES (${id}, ${traceId}, ${a.name}, ${a.type}, ${a.value}, ${a.error}, ${a.createdTimestamp},
            ${a.lastUpdatedTimestamp}, ${a.sourceType}, ${a.sourceId}, ${a.runId}, ${a.spanId}, ${a.rationale},
            ${a.overrides}, ${a.valid}, ${a.metadata})`);
  return id;
}

export async function insertAssessments(tx: Database, traceId: string, assessments: readonly NewAssessment[]): Promise<void> {
  for (const a of assessments) await insertOne(tx, traceId, a);
}

/** The fields an update may change; absent ones stay. */
export interface AssessmentUpdate {
  name?: string;
  /** New JSON value (and error JSON for feedback) of the same assessment type. */
  value?: { type: "feedback" | "expectation"; value: string; error: string | null };
  rationale?: string | null;
  /** Merged into the stored metadata. */
  metadata?: Record<string, string>;
}

async function traceExists(db: Database, traceId: string): Promise<boolean> {
  const [row] = await db.all(sql`SELECT 1 AS found FROM trace_info WHERE request_id = ${traceId}`);
  return row !== undefined;
}

export class AssessmentStore {
  constructor(private readonly db: Database) {}

  async createAssessment(traceId: string, a: NewAssessment): Promise<Assessment> {
    const id = await this.db.transaction(async (tx) => {
      if (!(await traceExists(tx, traceId))) {
        throw new MlflowError("BAD_REQUEST", `Trace with ID '${traceId}' not found.`);
      }
      return insertOne(tx, traceId, a);
    });
    return this.getAssessment(traceId, id);
  }

  async getAssessment(traceId: string, assessmentId: string, db: Database = this.db): Promise<Assessment> {
    const [row] = await db.all(sql`SELECT * FROM assessments WHERE assessment_id = ${assessmentId} AND trace_id = ${traceId}`);
    if (row) return decodeAssessment(row);
    if (!(await traceExists(db, traceId))) throw notFound(`Trace with request_id '${traceId}' not found`);
    throw notFound(`Assessment with ID '${assessmentId}' not found for trace '${traceId}'`);
  }

  async updateAssessment(traceId: string, assessmentId: string, update: AssessmentUpdate): Promise<Assessment> {
    await this.db.transaction(async (tx) => {
      const current = await this.getAssessment(traceId, assessmentId, tx);
      if (update.value && update.value.type !== current.type) {
        const [field, kind] = update.value.type === "feedback" ? ["feedback", "an Expectation"] : ["expectation", "a Feedback"];
        throw new MlflowError("INVALID_PARAMETER_VALUE", `Cannot update ${field} value on ${kind} assessment.`);
      }
      let metadata = current.metadata;
      if (update.metadata) {
        const merged = { ...(current.metadata ? (JSON.parse(current.metadata) as Record<string, string>) : {}), ...update.metadata };
        metadata = JSON.stringify(merged);
      }
      await tx.run(sql`
        UPDATE assessments SET
          name = ${update.name ?? current.name},
          value = ${update.value?.value ?? current.value},
          error = ${update.value ? update.value.error : current.error},
          rationale = ${update.rationale !== undefined ? update.rationale : current.rationale},
          assessment_metadata = ${metadata},
          last_updated_timestamp = ${Date.now()}
        WHERE assessment_id = ${assessmentId}`);
    });
    return this.getAssessment(traceId, assessmentId);
  }

  /** Idempotent; what the assessment overrode becomes valid again. */
  async deleteAssessment(traceId: string, assessmentId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx.all(sql`SELECT overrides FROM assessments WHERE assessment_id = ${assessmentId} AND trace_id = ${traceId}`);
      if (!row) return;
      if (row.overrides) {
        await tx.run(sql`UPDATE assessments SET valid = ${true} WHERE assessment_id = ${String(row.overrides)}`);
      }
      await tx.run(sql`DELETE FROM assessments WHERE assessment_id = ${assessmentId}`);
    });
  }
}
