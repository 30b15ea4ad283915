/**
 * The catalog of MLflow schema revisions fml knows: the head schema per dialect, and every alembic
 * step from MLflow 1.21's head (c48cb773bb87) to 3.11's (7d34483879f0) as plain SQL, embedded as
 * text so that the single binary carries them. Deciding what to do with a database is a pure
 * function of what is in it (`planSchema`); running the plan is the dialect modules' job.
 */

import type { Dialect } from "../db/sql.ts";
import type { Compatibility, SchemaLimits } from "./compatibility.ts";

import sqliteHead from "../../../migrations/sqlite/head.sql" with { type: "text" };
import postgresHead from "../../../migrations/postgresql/head.sql" with { type: "text" };
import mysqlHead from "../../../migrations/mysql/head.sql" with { type: "text" };
import s16 from "../../../migrations/sqlite/16_bd07f7e963c5.sql" with { type: "text" };
import p16 from "../../../migrations/postgresql/16_bd07f7e963c5.sql" with { type: "text" };
import m16 from "../../../migrations/mysql/16_bd07f7e963c5.sql" with { type: "text" };
import s17 from "../../../migrations/sqlite/17_0c779009ac13.sql" with { type: "text" };
import p17 from "../../../migrations/postgresql/17_0c779009ac13.sql" with { type: "text" };
import m17 from "../../../migrations/mysql/17_0c779009ac13.sql" with { type: "text" };
import s18 from "../../../migrations/sqlite/18_cc1f77228345.sql" with { type: "text" };
import p18 from "../../../migrations/postgresql/18_cc1f77228345.sql" with { type: "text" };
import m18 from "../../../migrations/mysql/18_cc1f77228345.sql" with { type: "text" };
import s19 from "../../../migrations/sqlite/19_97727af70f4d.sql" with { type: "text" };
import p19 from "../../../migrations/postgresql/19_97727af70f4d.sql" with { type: "text" };
import m19 from "../../../migrations/mysql/19_97727af70f4d.sql" with { type: "text" };
import s20 from "../../../migrations/sqlite/20_3500859a5d39.sql" with { type: "text" };
import p20 from "../../../migrations/postgresql/20_3500859a5d39.sql" with { type: "text" };
import m20 from "../../../migrations/mysql/20_3500859a5d39.sql" with { type: "text" };
import s21 from "../../../migrations/sqlite/21_7f2a7d5fae7d.sql" with { type: "text" };
import p21 from "../../../migrations/postgresql/21_7f2a7d5fae7d.sql" with { type: "text" };
import m21 from "../../../migrations/mysql/21_7f2a7d5fae7d.sql" with { type: "text" };
import s22 from "../../../migrations/sqlite/22_2d6e25af4d3e.sql" with { type: "text" };
import p22 from "../../../migrations/postgresql/22_2d6e25af4d3e.sql" with { type: "text" };
import m22 from "../../../migrations/mysql/22_2d6e25af4d3e.sql" with { type: "text" };
import s23 from "../../../migrations/sqlite/23_acf3f17fdcc7.sql" with { type: "text" };
import p23 from "../../../migrations/postgresql/23_acf3f17fdcc7.sql" with { type: "text" };
import m23 from "../../../migrations/mysql/23_acf3f17fdcc7.sql" with { type: "text" };
import s24 from "../../../migrations/sqlite/24_867495a8f9d4.sql" with { type: "text" };
import p24 from "../../../migrations/postgresql/24_867495a8f9d4.sql" with { type: "text" };
import m24 from "../../../migrations/mysql/24_867495a8f9d4.sql" with { type: "text" };
import s25 from "../../../migrations/sqlite/25_5b0e9adcef9c.sql" with { type: "text" };
import p25 from "../../../migrations/postgresql/25_5b0e9adcef9c.sql" with { type: "text" };
import m25 from "../../../migrations/mysql/25_5b0e9adcef9c.sql" with { type: "text" };
import s26 from "../../../migrations/sqlite/26_4465047574b1.sql" with { type: "text" };
import p26 from "../../../migrations/postgresql/26_4465047574b1.sql" with { type: "text" };
import m26 from "../../../migrations/mysql/26_4465047574b1.sql" with { type: "text" };
import s27 from "../../../migrations/sqlite/27_f5a4f2784254.sql" with { type: "text" };
import p27 from "../../../migrations/postgresql/27_f5a4f2784254.sql" with { type: "text" };
import m27 from "../../../migrations/mysql/27_f5a4f2784254.sql" with { type: "text" };
import s28 from "../../../migrations/sqlite/28_0584bdc529eb.sql" with { type: "text" };
import p28 from "../../../migrations/postgresql/28_0584bdc529eb.sql" with { type: "text" };
import m28 from "../../../migrations/mysql/28_0584bdc529eb.sql" with { type: "text" };
import s29 from "../../../migrations/sqlite/29_400f98739977.sql" with { type: "text" };
import p29 from "../../../migrations/postgresql/29_400f98739977.sql" with { type: "text" };
import m29 from "../../../migrations/mysql/29_400f98739977.sql" with { type: "text" };
import s30 from "../../../migrations/sqlite/30_6953534de441.sql" with { type: "text" };
import p30 from "../../../migrations/postgresql/30_6953534de441.sql" with { type: "text" };
import m30 from "../../../migrations/mysql/30_6953534de441.sql" with { type: "text" };
import s31 from "../../../migrations/sqlite/31_bda7b8c39065.sql" with { type: "text" };
import p31 from "../../../migrations/postgresql/31_bda7b8c39065.sql" with { type: "text" };
import m31 from "../../../migrations/mysql/31_bda7b8c39065.sql" with { type: "text" };
import s32 from "../../../migrations/sqlite/32_cbc13b556ace.sql" with { type: "text" };
import p32 from "../../../migrations/postgresql/32_cbc13b556ace.sql" with { type: "text" };
import m32 from "../../../migrations/mysql/32_cbc13b556ace.sql" with { type: "text" };
import s33 from "../../../migrations/sqlite/33_770bee3ae1dd.sql" with { type: "text" };
import p33 from "../../../migrations/postgresql/33_770bee3ae1dd.sql" with { type: "text" };
import m33 from "../../../migrations/mysql/33_770bee3ae1dd.sql" with { type: "text" };
import s34 from "../../../migrations/sqlite/34_a1b2c3d4e5f6.sql" with { type: "text" };
import p34 from "../../../migrations/postgresql/34_a1b2c3d4e5f6.sql" with { type: "text" };
import m34 from "../../../migrations/mysql/34_a1b2c3d4e5f6.sql" with { type: "text" };
import s35 from "../../../migrations/sqlite/35_de4033877273.sql" with { type: "text" };
import p35 from "../../../migrations/postgresql/35_de4033877273.sql" with { type: "text" };
import m35 from "../../../migrations/mysql/35_de4033877273.sql" with { type: "text" };
import s36 from "../../../migrations/sqlite/36_1a0cddfcaa16.sql" with { type: "text" };
import p36 from "../../../migrations/postgresql/36_1a0cddfcaa16.sql" with { type: "text" };
import m36 from "../../../migrations/mysql/36_1a0cddfcaa16.sql" with { type: "text" };
import s37 from "../../../migrations/sqlite/37_534353b11cbc.sql" with { type: "text" };
import p37 from "../../../migrations/postgresql/37_534353b11cbc.sql" with { type: "text" };
import m37 from "../../../migrations/mysql/37_534353b11cbc.sql" with { type: "text" };
import s38 from "../../../migrations/sqlite/38_71994744cf8e.sql" with { type: "text" };
import p38 from "../../../migrations/postgresql/38_71994744cf8e.sql" with { type: "text" };
import m38 from "../../../migrations/mysql/38_71994744cf8e.sql" with { type: "text" };
import s39 from "../../../migrations/sqlite/39_3da73c924c2f.sql" with { type: "text" };
import p39 from "../../../migrations/postgresql/39_3da73c924c2f.sql" with { type: "text" };
import m39 from "../../../migrations/mysql/39_3da73c924c2f.sql" with { type: "text" };
import s40 from "../../../migrations/sqlite/40_bf29a5ff90ea.sql" with { type: "text" };
import p40 from "../../../migrations/postgresql/40_bf29a5ff90ea.sql" with { type: "text" };
import m40 from "../../../migrations/mysql/40_bf29a5ff90ea.sql" with { type: "text" };
import s41 from "../../../migrations/sqlite/41_1bd49d398cd23.sql" with { type: "text" };
import p41 from "../../../migrations/postgresql/41_1bd49d398cd23.sql" with { type: "text" };
import m41 from "../../../migrations/mysql/41_1bd49d398cd23.sql" with { type: "text" };
import s42 from "../../../migrations/sqlite/42_b7c8d9e0f1a2.sql" with { type: "text" };
import p42 from "../../../migrations/postgresql/42_b7c8d9e0f1a2.sql" with { type: "text" };
import m42 from "../../../migrations/mysql/42_b7c8d9e0f1a2.sql" with { type: "text" };
import s43 from "../../../migrations/sqlite/43_5d2d30f0abce.sql" with { type: "text" };
import p43 from "../../../migrations/postgresql/43_5d2d30f0abce.sql" with { type: "text" };
import m43 from "../../../migrations/mysql/43_5d2d30f0abce.sql" with { type: "text" };
import s44 from "../../../migrations/sqlite/44_c9d4e5f6a7b8.sql" with { type: "text" };
import p44 from "../../../migrations/postgresql/44_c9d4e5f6a7b8.sql" with { type: "text" };
import m44 from "../../../migrations/mysql/44_c9d4e5f6a7b8.sql" with { type: "text" };
import s45 from "../../../migrations/sqlite/45_2c33131f4dae.sql" with { type: "text" };
import p45 from "../../../migrations/postgresql/45_2c33131f4dae.sql" with { type: "text" };
import m45 from "../../../migrations/mysql/45_2c33131f4dae.sql" with { type: "text" };
import s46 from "../../../migrations/sqlite/46_d3e4f5a6b7c8.sql" with { type: "text" };
import p46 from "../../../migrations/postgresql/46_d3e4f5a6b7c8.sql" with { type: "text" };
import m46 from "../../../migrations/mysql/46_d3e4f5a6b7c8.sql" with { type: "text" };
import s47 from "../../../migrations/sqlite/47_d0e1f2a3b4c5.sql" with { type: "text" };
import p47 from "../../../migrations/postgresql/47_d0e1f2a3b4c5.sql" with { type: "text" };
import m47 from "../../../migrations/mysql/47_d0e1f2a3b4c5.sql" with { type: "text" };
import s48 from "../../../migrations/sqlite/48_c8d9e0f1a2b3.sql" with { type: "text" };
import p48 from "../../../migrations/postgresql/48_c8d9e0f1a2b3.sql" with { type: "text" };
import m48 from "../../../migrations/mysql/48_c8d9e0f1a2b3.sql" with { type: "text" };
import s49 from "../../../migrations/sqlite/49_1b5f0d9ad7c1.sql" with { type: "text" };
import p49 from "../../../migrations/postgresql/49_1b5f0d9ad7c1.sql" with { type: "text" };
import m49 from "../../../migrations/mysql/49_1b5f0d9ad7c1.sql" with { type: "text" };
import s50 from "../../../migrations/sqlite/50_e1f2a3b4c5d6.sql" with { type: "text" };
import p50 from "../../../migrations/postgresql/50_e1f2a3b4c5d6.sql" with { type: "text" };
import m50 from "../../../migrations/mysql/50_e1f2a3b4c5d6.sql" with { type: "text" };
import s51 from "../../../migrations/sqlite/51_76601a5f987d.sql" with { type: "text" };
import p51 from "../../../migrations/postgresql/51_76601a5f987d.sql" with { type: "text" };
import m51 from "../../../migrations/mysql/51_76601a5f987d.sql" with { type: "text" };
import s52 from "../../../migrations/sqlite/52_c3d6457b6d8a.sql" with { type: "text" };
import p52 from "../../../migrations/postgresql/52_c3d6457b6d8a.sql" with { type: "text" };
import m52 from "../../../migrations/mysql/52_c3d6457b6d8a.sql" with { type: "text" };
import s53 from "../../../migrations/sqlite/53_a5b4c3d2e1f0.sql" with { type: "text" };
import p53 from "../../../migrations/postgresql/53_a5b4c3d2e1f0.sql" with { type: "text" };
import m53 from "../../../migrations/mysql/53_a5b4c3d2e1f0.sql" with { type: "text" };
import s54 from "../../../migrations/sqlite/54_ae8bbe7743c9.sql" with { type: "text" };
import p54 from "../../../migrations/postgresql/54_ae8bbe7743c9.sql" with { type: "text" };
import m54 from "../../../migrations/mysql/54_ae8bbe7743c9.sql" with { type: "text" };
import s55 from "../../../migrations/sqlite/55_7d34483879f0.sql" with { type: "text" };
import p55 from "../../../migrations/postgresql/55_7d34483879f0.sql" with { type: "text" };
import m55 from "../../../migrations/mysql/55_7d34483879f0.sql" with { type: "text" };

export const HEAD_REVISION = "7d34483879f0";
/** MLflow 1.16 - 1.24 (incl. 1.21): the oldest revision fml upgrades from. */
export const OLDEST_REVISION = "c48cb773bb87";
/**
 * Later MLflow revisions documented in the spec. Served like any revision fml does not replay: in
 * compatibility mode, once the live schema has everything fml needs (compatibility.ts).
 */
export const NEWER_KNOWN_REVISIONS: readonly string[] = ["da6fb0208061"];

export interface MigrationStep {
  revision: string;
  description: string;
  sql: string;
}

export type SchemaPlan =
  | { kind: "fresh" }
  | { kind: "current" }
  | { kind: "upgrade"; from: string; steps: MigrationStep[] }
  | { kind: "newer-known"; revision: string }
  | { kind: "unknown"; revision: string }
  | { kind: "not-mlflow" };

export interface SchemaInspection {
  /** User tables (SQLite: all but sqlite_*; PostgreSQL: those in schema public). */
  tables: string[];
  /** alembic_version.version_num, or null when there is no such table or row. */
  revision: string | null;
}

export interface PrepareSchemaOptions {
  /** Upgrade an older MLflow schema in place; when false such a database is refused. */
  migrate: boolean;
  log?: (line: string) => void;
  /** Shown in the refusal message so the user can copy the upgrade command. */
  databaseUri?: string;
}

export interface PreparedSchema {
  plan: SchemaPlan;
  revision: string;
  /** What fml accepts on this database (wider on a newer MLflow schema served as it is). */
  limits: SchemaLimits;
  /** Present when the database is served in compatibility mode (a revision fml does not replay). */
  compatibility?: Compatibility;
}

/** Steps that only concern MySQL/MSSQL are comments only elsewhere; drivers reject an empty script. */
export function hasStatements(script: string): boolean {
  return script.replace(/--[^\n]*/g, "").trim().length > 0;
}

// [revision, description, SQLite, PostgreSQL and MySQL scripts], in alembic order after c48cb773bb87.
const CHAIN: readonly (readonly [string, string, string, string, string])[] = [
  ["bd07f7e963c5", "create index on run_uuid (MLflow 1.25)", s16, p16, m16],
  ["0c779009ac13", "add deleted_time field to runs table (MLflow 1.28)", s17, p17, m17],
  ["cc1f77228345", "params.value VARCHAR(250) -> VARCHAR(500) (MLflow 1.28)", s18, p18, m18],
  ["97727af70f4d", "experiments.creation_time and last_update_time (MLflow 2.0)", s19, p19, m19],
  ["3500859a5d39", "registered_model_aliases table (MLflow 2.3)", s20, p20, m20],
  ["7f2a7d5fae7d", "datasets, inputs and input_tags tables (MLflow 2.4)", s21, p21, m21],
  ["2d6e25af4d3e", "params.value -> VARCHAR(8000) (MLflow 2.8)", s22, p22, m22],
  ["acf3f17fdcc7", "model_versions.storage_location (MLflow 2.8)", s23, p23, m23],
  ["867495a8f9d4", "trace_info, trace_tags, trace_request_metadata tables (MLflow 2.14)", s24, p24, m24],
  ["5b0e9adcef9c", "trace tag/metadata foreign keys get ON DELETE CASCADE (MLflow 2.14)", s25, p25, m25],
  ["4465047574b1", "datasets.dataset_schema -> MEDIUMTEXT (MySQL only)", s26, p26, m26],
  ["f5a4f2784254", "tags.value -> VARCHAR(8000) (MLflow 2.17)", s27, p27, m27],
  ["0584bdc529eb", "datasets -> experiments foreign key named fk_datasets_experiment_id_experiments, ON DELETE CASCADE", s28, p28, m28],
  ["400f98739977", "logged model tables (MLflow 3.0)", s29, p29, m29],
  ["6953534de441", "inputs.step BIGINT NOT NULL DEFAULT 0 (MLflow 3.0)", s30, p30, m30],
  ["bda7b8c39065", "model_version_tags.value -> TEXT", s31, p31, m31],
  ["cbc13b556ace", "trace_info.client_request_id, request_preview, response_preview", s32, p32, m32],
  ["770bee3ae1dd", "assessments table", s33, p33, m33],
  ["a1b2c3d4e5f6", "spans table (duration_ns is a stored generated column)", s34, p34, m34],
  ["de4033877273", "entity_associations table", s35, p35, m35],
  ["1a0cddfcaa16", "webhooks and webhook_events tables", s36, p36, m36],
  ["534353b11cbc", "scorers and scorer_versions tables", s37, p37, m37],
  ["71994744cf8e", "evaluation dataset tables", s38, p38, m38],
  ["3da73c924c2f", "evaluation_dataset_records.outputs JSON", s39, p39, m39],
  ["bf29a5ff90ea", "jobs table (column function_fullname, renamed job_name by 5d2d30f0abce)", s40, p40, m40],
  ["1bd49d398cd23", "AI gateway tables and the trigger that keeps secret_id/secret_name immutable", s41, p41, m41],
  ["b7c8d9e0f1a2", "trace_metrics table", s42, p42, m42],
  ["5d2d30f0abce", "jobs.function_fullname renamed job_name", s43, p43, m43],
  ["c9d4e5f6a7b8", "endpoint routing strategy / fallback config; mapping linkage type and order", s44, p44, m44],
  ["2c33131f4dae", "online_scoring_configs table", s45, p45, m45],
  ["d3e4f5a6b7c8", "endpoint_bindings.display_name", s46, p46, m46],
  ["d0e1f2a3b4c5", "endpoints.experiment_id (ON DELETE SET NULL) and usage_tracking", s47, p47, m47],
  ["c8d9e0f1a2b3", "span_metrics table and spans.dimension_attributes", s48, p48, m48],
  ["1b5f0d9ad7c1", "workspaces: workspace columns, (workspace, name) keys, workspaces table with 'default'", s49, p49, m49],
  ["e1f2a3b4c5d6", "budget_policies table", s50, p50, m50],
  ["76601a5f987d", "issues table", s51, p51, m51],
  ["c3d6457b6d8a", "jobs.status_details JSON", s52, p52, m52],
  ["a5b4c3d2e1f0", "index on metrics (run_uuid, key, step) for metric history reads", s53, p53, m53],
  ["ae8bbe7743c9", "guardrails and guardrail_configs tables", s54, p54, m54],
  ["7d34483879f0", "workspace-scoped lookup indexes on registry tag tables", s55, p55, m55],
];

/** Every revision fml can upgrade from or serve, oldest first. */
export const SUPPORTED_REVISIONS: readonly string[] = [
  OLDEST_REVISION,
  ...CHAIN.map(([revision]) => revision),
  ...NEWER_KNOWN_REVISIONS,
];

export function headSchemaSql(dialect: Dialect): string {
  return dialect === "sqlite" ? sqliteHead : dialect === "mysql" ? mysqlHead : postgresHead;
}

/** The steps that take a database at `from` to `to` (default: head), in order. */
export function stepsBetween(
  dialect: Dialect,
  from: string,
  to: string = HEAD_REVISION,
): MigrationStep[] {
  const revisions = [OLDEST_REVISION, ...CHAIN.map(([revision]) => revision)];
  const start = revisions.indexOf(from);
  const end = revisions.indexOf(to);
  if (start < 0 || end < start) throw new Error(`no migration path from ${from} to ${to}`);
  return CHAIN.slice(start, end).map(([revision, description, sqlite, postgresql, mysql]) => ({
    revision,
    description,
    sql: dialect === "sqlite" ? sqlite : dialect === "mysql" ? mysql : postgresql,
  }));
}

export function planSchema(dialect: Dialect, inspection: SchemaInspection): SchemaPlan {
  const { tables, revision } = inspection;
  if (revision === null) return tables.length === 0 ? { kind: "fresh" } : { kind: "not-mlflow" };
  if (revision === HEAD_REVISION) return { kind: "current" };
  if (NEWER_KNOWN_REVISIONS.includes(revision)) return { kind: "newer-known", revision };
  if (revision === OLDEST_REVISION || CHAIN.some(([r]) => r === revision)) {
    return { kind: "upgrade", from: revision, steps: stepsBetween(dialect, revision) };
  }
  return { kind: "unknown", revision };
}

/** One line for logs and `fml db check`. */
export function describePlan(plan: SchemaPlan): string {
  switch (plan.kind) {
    case "fresh":
      return `empty database: fml will create the MLflow schema at ${HEAD_REVISION}`;
    case "current":
      return `MLflow schema at ${HEAD_REVISION}, the revision fml serves`;
    case "upgrade":
      return `MLflow schema at ${plan.from}: ${plan.steps.length} migration steps to ${HEAD_REVISION}`;
    case "newer-known":
    case "unknown":
      return `MLflow schema at ${plan.revision}, not one fml replays: served as it is if its schema has what fml needs`;
    case "not-mlflow":
      return "tables but no MLflow alembic_version: not an MLflow database";
  }
}
