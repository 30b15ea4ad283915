-- 1b5f0d9ad7c1: workspaces. Every registry/gateway table gains workspace VARCHAR(63) NOT NULL DEFAULT
-- 'default' (existing rows land in 'default'); unique names and keys become (workspace, ...); the
-- workspaces catalog is created with its 'default' row. As MLflow does on MySQL, the foreign keys
-- into registered_models and model_versions are dropped first and re-created on (workspace, ...),
-- and the auto-named ones (model_versions_ibfk_1, the `name` unique keys, ...) are looked up, not
-- assumed. Each table changes in one ALTER (atomic on MySQL), so a step interrupted half-way (DDL
-- commits as it goes) is finished by running it again: an ALTER already done fails as a duplicate
-- column, which the runner takes as done.
SET @fml_idx = (SELECT MIN(index_name) FROM information_schema.statistics s
    WHERE s.table_schema = DATABASE() AND s.table_name = 'experiments' AND s.non_unique = 0
      AND s.index_name <> 'PRIMARY' AND s.column_name = 'name'
      AND (SELECT COUNT(*) FROM information_schema.statistics t WHERE t.table_schema = s.table_schema
           AND t.table_name = s.table_name AND t.index_name = s.index_name) = 1);
SET @fml_sql = CONCAT('ALTER TABLE experiments ', IFNULL(CONCAT('DROP INDEX `', @fml_idx, '`, '), ''),
    'ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT ''default'', ADD CONSTRAINT uq_experiments_workspace_name UNIQUE (workspace, name)');
PREPARE fml_stmt FROM @fml_sql;
EXECUTE fml_stmt;
DEALLOCATE PREPARE fml_stmt;
SET @fml_fk = (SELECT MIN(constraint_name) FROM information_schema.referential_constraints
    WHERE constraint_schema = DATABASE() AND table_name = 'model_versions' AND referenced_table_name = 'registered_models'
      AND constraint_name <> 'fk_model_versions_registered_models');
SET @fml_sql = IF(@fml_fk IS NULL, 'DO 0', CONCAT('ALTER TABLE model_versions DROP FOREIGN KEY `', @fml_fk, '`'));
PREPARE fml_stmt FROM @fml_sql;
EXECUTE fml_stmt;
DEALLOCATE PREPARE fml_stmt;
SET @fml_fk = (SELECT MIN(constraint_name) FROM information_schema.referential_constraints
    WHERE constraint_schema = DATABASE() AND table_name = 'registered_model_tags' AND referenced_table_name = 'registered_models'
      AND constraint_name <> 'fk_registered_model_tags_registered_models');
SET @fml_sql = IF(@fml_fk IS NULL, 'DO 0', CONCAT('ALTER TABLE registered_model_tags DROP FOREIGN KEY `', @fml_fk, '`'));
PREPARE fml_stmt FROM @fml_sql;
EXECUTE fml_stmt;
DEALLOCATE PREPARE fml_stmt;
SET @fml_fk = (SELECT MIN(constraint_name) FROM information_schema.referential_constraints
    WHERE constraint_schema = DATABASE() AND table_name = 'registered_model_aliases' AND referenced_table_name = 'registered_models'
      AND constraint_name <> 'fk_registered_model_aliases_registered_models');
SET @fml_sql = IF(@fml_fk IS NULL, 'DO 0', CONCAT('ALTER TABLE registered_model_aliases DROP FOREIGN KEY `', @fml_fk, '`'));
PREPARE fml_stmt FROM @fml_sql;
EXECUTE fml_stmt;
DEALLOCATE PREPARE fml_stmt;
SET @fml_fk = (SELECT MIN(constraint_name) FROM information_schema.referential_constraints
    WHERE constraint_schema = DATABASE() AND table_name = 'model_version_tags' AND referenced_table_name = 'model_versions'
      AND constraint_name <> 'fk_model_version_tags_model_versions');
SET @fml_sql = IF(@fml_fk IS NULL, 'DO 0', CONCAT('ALTER TABLE model_version_tags DROP FOREIGN KEY `', @fml_fk, '`'));
PREPARE fml_stmt FROM @fml_sql;
EXECUTE fml_stmt;
DEALLOCATE PREPARE fml_stmt;
SET @fml_idx = (SELECT MIN(index_name) FROM information_schema.statistics s
    WHERE s.table_schema = DATABASE() AND s.table_name = 'registered_models' AND s.non_unique = 0
      AND s.index_name <> 'PRIMARY' AND s.column_name = 'name'
      AND (SELECT COUNT(*) FROM information_schema.statistics t WHERE t.table_schema = s.table_schema
           AND t.table_name = s.table_name AND t.index_name = s.index_name) = 1);
SET @fml_sql = CONCAT('ALTER TABLE registered_models ', IFNULL(CONCAT('DROP INDEX `', @fml_idx, '`, '), ''),
    'ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT ''default'', DROP PRIMARY KEY, ADD CONSTRAINT registered_model_pk PRIMARY KEY (workspace, name)');
PREPARE fml_stmt FROM @fml_sql;
EXECUTE fml_stmt;
DEALLOCATE PREPARE fml_stmt;
ALTER TABLE model_versions ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT 'default', DROP PRIMARY KEY,
    ADD CONSTRAINT model_version_pk PRIMARY KEY (workspace, name, version),
    ADD CONSTRAINT fk_model_versions_registered_models FOREIGN KEY(workspace, name) REFERENCES registered_models (workspace, name) ON UPDATE CASCADE;
ALTER TABLE registered_model_tags ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT 'default', DROP PRIMARY KEY,
    ADD CONSTRAINT registered_model_tag_pk PRIMARY KEY (workspace, `key`, name),
    ADD CONSTRAINT fk_registered_model_tags_registered_models FOREIGN KEY(workspace, name) REFERENCES registered_models (workspace, name) ON UPDATE CASCADE;
ALTER TABLE model_version_tags ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT 'default', DROP PRIMARY KEY,
    ADD CONSTRAINT model_version_tag_pk PRIMARY KEY (workspace, `key`, name, version),
    ADD CONSTRAINT fk_model_version_tags_model_versions FOREIGN KEY(workspace, name, version) REFERENCES model_versions (workspace, name, version) ON UPDATE CASCADE;
ALTER TABLE registered_model_aliases ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT 'default', DROP PRIMARY KEY,
    ADD CONSTRAINT registered_model_alias_pk PRIMARY KEY (workspace, name, alias),
    ADD CONSTRAINT fk_registered_model_aliases_registered_models FOREIGN KEY(workspace, name) REFERENCES registered_models (workspace, name) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE evaluation_datasets ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT 'default';
ALTER TABLE webhooks ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT 'default';
ALTER TABLE secrets DROP INDEX unique_secret_name, ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT 'default',
    ADD CONSTRAINT uq_secrets_workspace_secret_name UNIQUE (workspace, secret_name);
ALTER TABLE endpoints DROP INDEX unique_endpoint_name, ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT 'default',
    ADD CONSTRAINT uq_endpoints_workspace_name UNIQUE (workspace, name);
ALTER TABLE model_definitions DROP INDEX unique_model_definition_name, ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT 'default',
    ADD CONSTRAINT uq_model_definitions_workspace_name UNIQUE (workspace, name);
ALTER TABLE jobs DROP INDEX index_jobs_name_status_creation_time, ADD COLUMN workspace VARCHAR(63) NOT NULL DEFAULT 'default',
    ADD INDEX index_jobs_name_status_creation_time (job_name, workspace, status, creation_time);
CREATE INDEX idx_experiments_workspace ON experiments (workspace);
CREATE INDEX idx_registered_models_workspace ON registered_models (workspace);
CREATE INDEX idx_experiments_workspace_creation_time ON experiments (workspace, creation_time);
CREATE INDEX idx_evaluation_datasets_workspace ON evaluation_datasets (workspace);
CREATE INDEX idx_webhooks_workspace ON webhooks (workspace);
CREATE INDEX idx_secrets_workspace ON secrets (workspace);
CREATE INDEX idx_endpoints_workspace ON endpoints (workspace);
CREATE INDEX idx_model_definitions_workspace ON model_definitions (workspace);
CREATE TABLE workspaces (
    name VARCHAR(63) NOT NULL,
    description TEXT,
    default_artifact_root TEXT,
    CONSTRAINT workspaces_pk PRIMARY KEY (name)
);
INSERT IGNORE INTO workspaces (name, description) VALUES ('default', 'Default workspace for legacy resources');
