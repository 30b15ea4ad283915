/**
 * Makes a copy of a real MLflow 3.11 database look like one that MLflow 3.12-3.17 migrated further:
 * the additive changes of those releases' alembic steps, with their real table and column names
 * (trace archival columns and index, trace_version, span links, label schemas, review queues,
 * skills and MCP servers (their first tables), the jobs creator, a runs index, experiment_tags.value
 * widened to TEXT, trace_info's experiment foreign key made cascading), and an alembic revision fml
 * does not know. Test data, not a migration.
 */

import type postgres from "postgres";
import type { SqliteDatabase } from "../../src/runtime.ts";

/** MLflow 3.17's head in these tests (b7e2c1a4d9f3, jobs.creator, follows 17e22815139b). */
export const NEWER_REVISION = "b7e2c1a4d9f3";

const newTables = (bool: string, falseValue: string): string => `
  CREATE TABLE label_schemas (
    schema_id VARCHAR(36) NOT NULL,
    workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
    experiment_id INTEGER NOT NULL,
    name VARCHAR(150) NOT NULL,
    type VARCHAR(16) NOT NULL,
    title VARCHAR(256) NOT NULL,
    instruction TEXT,
    enable_comment ${bool} DEFAULT ${falseValue} NOT NULL,
    input_type VARCHAR(32) NOT NULL,
    input_config TEXT NOT NULL,
    created_by VARCHAR(255),
    created_time BIGINT NOT NULL,
    last_update_time BIGINT NOT NULL,
    CONSTRAINT label_schemas_pk PRIMARY KEY (schema_id),
    CONSTRAINT uq_label_schemas_workspace_exp_name UNIQUE (workspace, experiment_id, name),
    CONSTRAINT fk_label_schemas_experiment_id FOREIGN KEY (experiment_id)
      REFERENCES experiments (experiment_id) ON DELETE CASCADE
  );
  CREATE INDEX index_label_schemas_workspace_experiment_id ON label_schemas (workspace, experiment_id);
  CREATE TABLE review_queues (
    queue_id VARCHAR(36) NOT NULL,
    experiment_id INTEGER NOT NULL,
    name VARCHAR(250) NOT NULL,
    queue_type VARCHAR(16) NOT NULL,
    created_by VARCHAR(255),
    creation_time_ms BIGINT NOT NULL,
    last_update_time_ms BIGINT NOT NULL,
    CONSTRAINT review_queues_pk PRIMARY KEY (queue_id),
    CONSTRAINT uq_review_queues_experiment_name UNIQUE (experiment_id, name),
    CONSTRAINT fk_review_queues_experiment_id FOREIGN KEY (experiment_id)
      REFERENCES experiments (experiment_id) ON DELETE CASCADE
  );
  CREATE INDEX index_review_queues_experiment_id ON review_queues (experiment_id);
  CREATE TABLE review_queue_users (
    queue_id VARCHAR(36) NOT NULL,
    user_id VARCHAR(250) NOT NULL,
    CONSTRAINT review_queue_users_pk PRIMARY KEY (queue_id, user_id),
    CONSTRAINT fk_review_queue_users_queue_id FOREIGN KEY (queue_id)
      REFERENCES review_queues (queue_id) ON DELETE CASCADE
  );
  CREATE INDEX index_runs_experiment_id_lifecycle_stage_start_time ON runs (experiment_id, lifecycle_stage, start_time);
  CREATE INDEX index_trace_info_timestamp_ms_request_id ON trace_info (timestamp_ms, request_id);
  CREATE TABLE skills (
    workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
    name VARCHAR(256) NOT NULL,
    kind VARCHAR(20) DEFAULT 'skill' NOT NULL,
    description VARCHAR(5000),
    latest_version VARCHAR(256),
    creation_timestamp BIGINT,
    last_updated_timestamp BIGINT,
    CONSTRAINT skills_pk PRIMARY KEY (workspace, name)
  );
  CREATE TABLE skill_tags (
    workspace VARCHAR(63) NOT NULL,
    name VARCHAR(256) NOT NULL,
    "key" VARCHAR(256) NOT NULL,
    value TEXT,
    CONSTRAINT skill_tags_pk PRIMARY KEY (workspace, name, "key"),
    CONSTRAINT skill_tags_skill_fk FOREIGN KEY (workspace, name) REFERENCES skills (workspace, name) ON DELETE CASCADE
  );
  CREATE TABLE mcp_servers (
    workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
    name VARCHAR(256) NOT NULL,
    display_name VARCHAR(256),
    description TEXT,
    icons JSON,
    latest_version VARCHAR(128),
    created_at BIGINT NOT NULL,
    last_updated_at BIGINT NOT NULL,
    CONSTRAINT mcp_servers_pk PRIMARY KEY (workspace, name)
  );
`;

/** SQLite: columns added in place, experiment_tags rebuilt with a TEXT value (alembic's batch mode). */
export function migrateSqliteToNewer(db: SqliteDatabase): void {
  db.exec(`
    ALTER TABLE workspaces ADD COLUMN trace_archival_location TEXT;
    ALTER TABLE workspaces ADD COLUMN trace_archival_retention VARCHAR(32);
    ALTER TABLE trace_info ADD COLUMN db_payload_generation INTEGER DEFAULT '0' NOT NULL;
    ALTER TABLE trace_info ADD COLUMN trace_version BIGINT DEFAULT '0' NOT NULL;
    ALTER TABLE spans ADD COLUMN links JSON;
    ALTER TABLE jobs ADD COLUMN creator VARCHAR(255);
    ${newTables("BOOLEAN", "'0'")}
    CREATE TABLE _alembic_tmp_experiment_tags (
      "key" VARCHAR(250) NOT NULL,
      value TEXT,
      experiment_id INTEGER NOT NULL,
      CONSTRAINT experiment_tag_pk PRIMARY KEY ("key", experiment_id),
      FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
    );
    INSERT INTO _alembic_tmp_experiment_tags ("key", value, experiment_id) SELECT "key", value, experiment_id FROM experiment_tags;
    DROP TABLE experiment_tags;
    ALTER TABLE _alembic_tmp_experiment_tags RENAME TO experiment_tags;
    UPDATE alembic_version SET version_num = '${NEWER_REVISION}';
  `);
}

/** PostgreSQL: the same changes as ALTER statements, as alembic runs them there. */
export async function migratePostgresToNewer(sql: postgres.Sql): Promise<void> {
  await sql.unsafe(`
    SET search_path TO public;
    ALTER TABLE workspaces ADD COLUMN trace_archival_location TEXT;
    ALTER TABLE workspaces ADD COLUMN trace_archival_retention VARCHAR(32);
    ALTER TABLE trace_info ADD COLUMN db_payload_generation INTEGER DEFAULT 0 NOT NULL;
    ALTER TABLE trace_info ADD COLUMN trace_version BIGINT DEFAULT 0 NOT NULL;
    ALTER TABLE spans ADD COLUMN links JSON;
    ALTER TABLE jobs ADD COLUMN creator VARCHAR(255);
    ${newTables("BOOLEAN", "false")}
    ALTER TABLE experiment_tags ALTER COLUMN value TYPE TEXT;
    ALTER TABLE trace_info DROP CONSTRAINT fk_trace_info_experiment_id;
    ALTER TABLE trace_info ADD CONSTRAINT fk_trace_info_experiment_id FOREIGN KEY (experiment_id)
      REFERENCES experiments (experiment_id) ON DELETE CASCADE;
    UPDATE alembic_version SET version_num = '${NEWER_REVISION}';
  `);
}

/** Rows of the newer tables that belong to an experiment, which deleting it must take along. */
export function childRowsSql(experimentId: string, falseValue: string): string {
  return `
    INSERT INTO label_schemas (schema_id, experiment_id, name, type, title, enable_comment, input_type, input_config, created_time, last_update_time)
      VALUES ('ls-${experimentId}', ${experimentId}, 'quality', 'FEEDBACK', 'Quality', ${falseValue}, 'TEXT', '{}', 1, 1);
    INSERT INTO review_queues (queue_id, experiment_id, name, queue_type, creation_time_ms, last_update_time_ms)
      VALUES ('rq-${experimentId}', ${experimentId}, 'triage', 'TRACE', 1, 1);
    INSERT INTO review_queue_users (queue_id, user_id) VALUES ('rq-${experimentId}', 'alice');
  `;
}
