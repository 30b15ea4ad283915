-- 1b5f0d9ad7c1: workspaces. Every registry/gateway table gains workspace VARCHAR(63) NOT NULL DEFAULT
-- 'default' (existing rows land in 'default'); unique names and keys become (workspace, ...); the
-- workspaces catalog is created with its 'default' row. As MLflow does, the old single-column
-- unique constraints/indexes on the name columns and the old registry foreign keys are found by
-- inspection (their names were chosen by PostgreSQL), then dropped.
DO $$
DECLARE
    target record;
    found_name text;
BEGIN
    -- unique constraint, else unique index, whose only column is the name column
    FOR target IN SELECT * FROM (VALUES
        ('experiments', 'name'), ('registered_models', 'name'), ('secrets', 'secret_name'),
        ('endpoints', 'name'), ('model_definitions', 'name')) AS t(tbl, col)
    LOOP
        SELECT con.conname INTO found_name
        FROM pg_constraint con
        JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_attribute att ON att.attrelid = rel.oid AND att.attname = target.col
        WHERE con.contype = 'u' AND rel.relname = target.tbl
          AND rel.relnamespace = current_schema()::regnamespace
          AND con.conkey = ARRAY[att.attnum]
        LIMIT 1;
        IF found_name IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', target.tbl, found_name);
            CONTINUE;
        END IF;
        SELECT idx.relname INTO found_name
        FROM pg_index ind
        JOIN pg_class idx ON idx.oid = ind.indexrelid
        JOIN pg_class rel ON rel.oid = ind.indrelid
        JOIN pg_attribute att ON att.attrelid = rel.oid AND att.attname = target.col
        WHERE ind.indisunique AND NOT ind.indisprimary AND rel.relname = target.tbl
          AND rel.relnamespace = current_schema()::regnamespace
          AND ind.indnatts = 1 AND ind.indkey[0] = att.attnum
        LIMIT 1;
        IF found_name IS NOT NULL THEN
            EXECUTE format('DROP INDEX %I', found_name);
        END IF;
    END LOOP;

    -- registry foreign keys keyed by name only
    FOR target IN SELECT * FROM (VALUES
        ('model_versions', 'registered_models'), ('registered_model_tags', 'registered_models'),
        ('registered_model_aliases', 'registered_models'), ('model_version_tags', 'model_versions')) AS t(tbl, ref)
    LOOP
        FOR found_name IN
            SELECT con.conname
            FROM pg_constraint con
            JOIN pg_class rel ON rel.oid = con.conrelid
            JOIN pg_class refrel ON refrel.oid = con.confrelid
            WHERE con.contype = 'f' AND rel.relname = target.tbl AND refrel.relname = target.ref
              AND rel.relnamespace = current_schema()::regnamespace
        LOOP
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', target.tbl, found_name);
        END LOOP;
    END LOOP;
END
$$;

ALTER TABLE experiments ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
ALTER TABLE experiments ADD CONSTRAINT uq_experiments_workspace_name UNIQUE (workspace, name);

ALTER TABLE registered_models ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
ALTER TABLE registered_models DROP CONSTRAINT registered_model_pk;
ALTER TABLE registered_models ADD CONSTRAINT registered_model_pk PRIMARY KEY (workspace, name);

ALTER TABLE model_versions ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
ALTER TABLE model_versions DROP CONSTRAINT model_version_pk;
ALTER TABLE model_versions ADD CONSTRAINT model_version_pk PRIMARY KEY (workspace, name, version);
ALTER TABLE model_versions ADD CONSTRAINT fk_model_versions_registered_models FOREIGN KEY (workspace, name) REFERENCES registered_models(workspace, name) ON UPDATE CASCADE;

ALTER TABLE registered_model_tags ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
ALTER TABLE registered_model_tags DROP CONSTRAINT registered_model_tag_pk;
ALTER TABLE registered_model_tags ADD CONSTRAINT registered_model_tag_pk PRIMARY KEY (workspace, key, name);
ALTER TABLE registered_model_tags ADD CONSTRAINT fk_registered_model_tags_registered_models FOREIGN KEY (workspace, name) REFERENCES registered_models(workspace, name) ON UPDATE CASCADE;

ALTER TABLE model_version_tags ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
ALTER TABLE model_version_tags DROP CONSTRAINT model_version_tag_pk;
ALTER TABLE model_version_tags ADD CONSTRAINT model_version_tag_pk PRIMARY KEY (workspace, key, name, version);
ALTER TABLE model_version_tags ADD CONSTRAINT fk_model_version_tags_model_versions FOREIGN KEY (workspace, name, version) REFERENCES model_versions(workspace, name, version) ON UPDATE CASCADE;

ALTER TABLE registered_model_aliases ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
ALTER TABLE registered_model_aliases DROP CONSTRAINT registered_model_alias_pk;
ALTER TABLE registered_model_aliases ADD CONSTRAINT registered_model_alias_pk PRIMARY KEY (workspace, name, alias);
ALTER TABLE registered_model_aliases ADD CONSTRAINT fk_registered_model_aliases_registered_models FOREIGN KEY (workspace, name) REFERENCES registered_models(workspace, name) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE evaluation_datasets ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
ALTER TABLE webhooks ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;

ALTER TABLE secrets ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
ALTER TABLE secrets ADD CONSTRAINT uq_secrets_workspace_secret_name UNIQUE (workspace, secret_name);

ALTER TABLE endpoints ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
ALTER TABLE endpoints ADD CONSTRAINT uq_endpoints_workspace_name UNIQUE (workspace, name);

ALTER TABLE model_definitions ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
ALTER TABLE model_definitions ADD CONSTRAINT uq_model_definitions_workspace_name UNIQUE (workspace, name);

DROP INDEX index_jobs_name_status_creation_time;
ALTER TABLE jobs ADD COLUMN workspace character varying(63) DEFAULT 'default'::character varying NOT NULL;
CREATE INDEX index_jobs_name_status_creation_time ON jobs USING btree (job_name, workspace, status, creation_time);

CREATE INDEX idx_experiments_workspace ON experiments USING btree (workspace);
CREATE INDEX idx_registered_models_workspace ON registered_models USING btree (workspace);
CREATE INDEX idx_experiments_workspace_creation_time ON experiments USING btree (workspace, creation_time);
CREATE INDEX idx_evaluation_datasets_workspace ON evaluation_datasets USING btree (workspace);
CREATE INDEX idx_webhooks_workspace ON webhooks USING btree (workspace);
CREATE INDEX idx_secrets_workspace ON secrets USING btree (workspace);
CREATE INDEX idx_endpoints_workspace ON endpoints USING btree (workspace);
CREATE INDEX idx_model_definitions_workspace ON model_definitions USING btree (workspace);

CREATE TABLE workspaces (
    name character varying(63) NOT NULL,
    description text,
    default_artifact_root text,
    CONSTRAINT workspaces_pk PRIMARY KEY (name)
);
INSERT INTO workspaces (name, description) VALUES ('default', 'Default workspace for legacy resources');
