-- MLflow schema at alembic head 7d34483879f0, exactly as MLflow 3.11.2.dev0 created it on MariaDB
-- 10.11 (its MySQL dialect, PyMySQL, charset utf8mb4). Extracted (mysqldump --no-data) from the
-- database real MLflow made (shared fixtures), with mysqldump's session bookkeeping, the trigger's
-- DEFINER and the tables' charset and collation left out: like MLflow, the tables take the
-- database's defaults (create it with CHARACTER SET utf8mb4). Tables come in name order, so
-- foreign keys are checked only once all exist. Runs as one multi-statement script, backquoted
-- names so that it reads the same under any sql_mode. The CHECKs MLflow leaves unnamed stay
-- unnamed: MariaDB calls them CONSTRAINT_<n> per table, MySQL 8 <table>_chk_<n> (its names are
-- unique per database), as each does for MLflow. No Default experiment: the store inserts it at
-- start-up.
SET FOREIGN_KEY_CHECKS = 0;

CREATE TABLE `alembic_version` (
  `version_num` varchar(32) NOT NULL,
  PRIMARY KEY (`version_num`)
) ENGINE=InnoDB;

CREATE TABLE `assessments` (
  `assessment_id` varchar(50) NOT NULL,
  `trace_id` varchar(50) NOT NULL,
  `name` varchar(250) NOT NULL,
  `assessment_type` varchar(20) NOT NULL,
  `value` text NOT NULL,
  `error` text DEFAULT NULL,
  `created_timestamp` bigint(20) NOT NULL,
  `last_updated_timestamp` bigint(20) NOT NULL,
  `source_type` varchar(50) NOT NULL,
  `source_id` varchar(250) DEFAULT NULL,
  `run_id` varchar(32) DEFAULT NULL,
  `span_id` varchar(50) DEFAULT NULL,
  `rationale` text DEFAULT NULL,
  `overrides` varchar(50) DEFAULT NULL,
  `valid` tinyint(1) NOT NULL,
  `assessment_metadata` text DEFAULT NULL,
  PRIMARY KEY (`assessment_id`),
  KEY `index_assessments_trace_id_created_timestamp` (`trace_id`,`created_timestamp`),
  KEY `index_assessments_run_id_created_timestamp` (`run_id`,`created_timestamp`),
  KEY `index_assessments_last_updated_timestamp` (`last_updated_timestamp`),
  KEY `index_assessments_assessment_type` (`assessment_type`),
  CONSTRAINT `fk_assessments_trace_id` FOREIGN KEY (`trace_id`) REFERENCES `trace_info` (`request_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `budget_policies` (
  `budget_policy_id` varchar(36) NOT NULL,
  `budget_unit` varchar(32) NOT NULL,
  `budget_amount` float NOT NULL,
  `duration_unit` varchar(32) NOT NULL,
  `duration_value` int(11) NOT NULL,
  `target_scope` varchar(32) NOT NULL,
  `budget_action` varchar(32) NOT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  `created_at` bigint(20) NOT NULL,
  `last_updated_by` varchar(255) DEFAULT NULL,
  `last_updated_at` bigint(20) NOT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`budget_policy_id`),
  KEY `idx_budget_policies_workspace` (`workspace`)
) ENGINE=InnoDB;

CREATE TABLE `datasets` (
  `dataset_uuid` varchar(36) NOT NULL,
  `experiment_id` int(11) NOT NULL,
  `name` varchar(500) NOT NULL,
  `digest` varchar(36) NOT NULL,
  `dataset_source_type` varchar(36) NOT NULL,
  `dataset_source` text NOT NULL,
  `dataset_schema` mediumtext DEFAULT NULL,
  `dataset_profile` mediumtext DEFAULT NULL,
  PRIMARY KEY (`experiment_id`,`name`,`digest`),
  KEY `index_datasets_experiment_id_dataset_source_type` (`experiment_id`,`dataset_source_type`),
  KEY `index_datasets_dataset_uuid` (`dataset_uuid`),
  CONSTRAINT `fk_datasets_experiment_id_experiments` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `endpoint_bindings` (
  `endpoint_id` varchar(36) NOT NULL,
  `resource_type` varchar(50) NOT NULL,
  `resource_id` varchar(255) NOT NULL,
  `created_at` bigint(20) NOT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  `last_updated_at` bigint(20) NOT NULL,
  `last_updated_by` varchar(255) DEFAULT NULL,
  `display_name` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`endpoint_id`,`resource_type`,`resource_id`),
  CONSTRAINT `fk_endpoint_bindings_endpoint_id` FOREIGN KEY (`endpoint_id`) REFERENCES `endpoints` (`endpoint_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `endpoint_model_mappings` (
  `mapping_id` varchar(36) NOT NULL,
  `endpoint_id` varchar(36) NOT NULL,
  `model_definition_id` varchar(36) NOT NULL,
  `weight` float NOT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  `created_at` bigint(20) NOT NULL,
  `linkage_type` varchar(64) NOT NULL DEFAULT 'PRIMARY',
  `fallback_order` int(11) DEFAULT NULL,
  PRIMARY KEY (`mapping_id`),
  UNIQUE KEY `unique_endpoint_model_linkage_mapping` (`endpoint_id`,`model_definition_id`,`linkage_type`),
  KEY `index_endpoint_model_mappings_endpoint_id` (`endpoint_id`),
  KEY `index_endpoint_model_mappings_model_definition_id` (`model_definition_id`),
  CONSTRAINT `fk_endpoint_model_mappings_endpoint_id` FOREIGN KEY (`endpoint_id`) REFERENCES `endpoints` (`endpoint_id`) ON DELETE CASCADE,
  CONSTRAINT `fk_endpoint_model_mappings_model_definition_id` FOREIGN KEY (`model_definition_id`) REFERENCES `model_definitions` (`model_definition_id`)
) ENGINE=InnoDB;

CREATE TABLE `endpoint_tags` (
  `key` varchar(250) NOT NULL,
  `value` varchar(5000) DEFAULT NULL,
  `endpoint_id` varchar(36) NOT NULL,
  PRIMARY KEY (`key`,`endpoint_id`),
  KEY `index_endpoint_tags_endpoint_id` (`endpoint_id`),
  CONSTRAINT `fk_endpoint_tags_endpoint_id` FOREIGN KEY (`endpoint_id`) REFERENCES `endpoints` (`endpoint_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `endpoints` (
  `endpoint_id` varchar(36) NOT NULL,
  `name` varchar(255) DEFAULT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  `created_at` bigint(20) NOT NULL,
  `last_updated_by` varchar(255) DEFAULT NULL,
  `last_updated_at` bigint(20) NOT NULL,
  `routing_strategy` varchar(64) DEFAULT NULL,
  `fallback_config_json` text DEFAULT NULL,
  `experiment_id` int(11) DEFAULT NULL,
  `usage_tracking` tinyint(1) NOT NULL DEFAULT 0,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`endpoint_id`),
  UNIQUE KEY `uq_endpoints_workspace_name` (`workspace`,`name`),
  KEY `fk_endpoints_experiment_id` (`experiment_id`),
  KEY `idx_endpoints_workspace` (`workspace`),
  CONSTRAINT `fk_endpoints_experiment_id` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`) ON DELETE SET NULL
) ENGINE=InnoDB;

CREATE TABLE `entity_associations` (
  `association_id` varchar(36) NOT NULL,
  `source_type` varchar(36) NOT NULL,
  `source_id` varchar(36) NOT NULL,
  `destination_type` varchar(36) NOT NULL,
  `destination_id` varchar(36) NOT NULL,
  `created_time` bigint(20) DEFAULT NULL,
  PRIMARY KEY (`source_type`,`source_id`,`destination_type`,`destination_id`),
  KEY `index_entity_associations_association_id` (`association_id`),
  KEY `index_entity_associations_reverse_lookup` (`destination_type`,`destination_id`,`source_type`,`source_id`)
) ENGINE=InnoDB;

CREATE TABLE `evaluation_dataset_records` (
  `dataset_record_id` varchar(36) NOT NULL,
  `dataset_id` varchar(36) NOT NULL,
  `inputs` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (json_valid(`inputs`)),
  `expectations` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`expectations`)),
  `tags` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`tags`)),
  `source` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`source`)),
  `source_id` varchar(36) DEFAULT NULL,
  `source_type` varchar(255) DEFAULT NULL,
  `created_time` bigint(20) DEFAULT NULL,
  `last_update_time` bigint(20) DEFAULT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  `last_updated_by` varchar(255) DEFAULT NULL,
  `input_hash` varchar(64) NOT NULL,
  `outputs` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`outputs`)),
  PRIMARY KEY (`dataset_record_id`),
  UNIQUE KEY `unique_dataset_input` (`dataset_id`,`input_hash`),
  KEY `index_evaluation_dataset_records_dataset_id` (`dataset_id`),
  CONSTRAINT `fk_evaluation_dataset_records_dataset_id` FOREIGN KEY (`dataset_id`) REFERENCES `evaluation_datasets` (`dataset_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `evaluation_dataset_tags` (
  `dataset_id` varchar(36) NOT NULL,
  `key` varchar(255) NOT NULL,
  `value` varchar(5000) DEFAULT NULL,
  PRIMARY KEY (`dataset_id`,`key`),
  KEY `index_evaluation_dataset_tags_dataset_id` (`dataset_id`),
  CONSTRAINT `fk_evaluation_dataset_tags_dataset_id` FOREIGN KEY (`dataset_id`) REFERENCES `evaluation_datasets` (`dataset_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `evaluation_datasets` (
  `dataset_id` varchar(36) NOT NULL,
  `name` varchar(255) NOT NULL,
  `schema` text DEFAULT NULL,
  `profile` text DEFAULT NULL,
  `digest` varchar(64) DEFAULT NULL,
  `created_time` bigint(20) DEFAULT NULL,
  `last_update_time` bigint(20) DEFAULT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  `last_updated_by` varchar(255) DEFAULT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`dataset_id`),
  KEY `index_evaluation_datasets_name` (`name`),
  KEY `index_evaluation_datasets_created_time` (`created_time`),
  KEY `idx_evaluation_datasets_workspace` (`workspace`)
) ENGINE=InnoDB;

CREATE TABLE `experiment_tags` (
  `key` varchar(250) NOT NULL,
  `value` varchar(5000) DEFAULT NULL,
  `experiment_id` int(11) NOT NULL,
  PRIMARY KEY (`key`,`experiment_id`),
  KEY `experiment_id` (`experiment_id`),
  CONSTRAINT `experiment_tags_ibfk_1` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`)
) ENGINE=InnoDB;

CREATE TABLE `experiments` (
  `experiment_id` int(11) NOT NULL AUTO_INCREMENT,
  `name` varchar(256) NOT NULL,
  `artifact_location` varchar(256) DEFAULT NULL,
  `lifecycle_stage` varchar(32) DEFAULT NULL,
  `creation_time` bigint(20) DEFAULT NULL,
  `last_update_time` bigint(20) DEFAULT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`experiment_id`),
  UNIQUE KEY `uq_experiments_workspace_name` (`workspace`,`name`),
  KEY `idx_experiments_workspace` (`workspace`),
  KEY `idx_experiments_workspace_creation_time` (`workspace`,`creation_time`),
  CONSTRAINT `experiments_lifecycle_stage` CHECK (`lifecycle_stage` in ('active','deleted'))
) ENGINE=InnoDB;

CREATE TABLE `guardrail_configs` (
  `endpoint_id` varchar(36) NOT NULL,
  `guardrail_id` varchar(36) NOT NULL,
  `execution_order` int(11) DEFAULT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  `created_at` bigint(20) NOT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`endpoint_id`,`guardrail_id`),
  KEY `idx_guardrail_configs_endpoint_id` (`endpoint_id`),
  KEY `idx_guardrail_configs_guardrail_id` (`guardrail_id`),
  CONSTRAINT `fk_guardrail_configs_endpoint_id` FOREIGN KEY (`endpoint_id`) REFERENCES `endpoints` (`endpoint_id`) ON DELETE CASCADE,
  CONSTRAINT `fk_guardrail_configs_guardrail_id` FOREIGN KEY (`guardrail_id`) REFERENCES `guardrails` (`guardrail_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `guardrails` (
  `guardrail_id` varchar(36) NOT NULL,
  `name` varchar(255) NOT NULL,
  `scorer_id` varchar(36) NOT NULL,
  `scorer_version` int(11) NOT NULL,
  `stage` varchar(32) NOT NULL,
  `action` varchar(32) NOT NULL,
  `action_endpoint_id` varchar(36) DEFAULT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  `created_at` bigint(20) NOT NULL,
  `last_updated_by` varchar(255) DEFAULT NULL,
  `last_updated_at` bigint(20) NOT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`guardrail_id`),
  KEY `fk_guardrails_action_endpoint_id` (`action_endpoint_id`),
  KEY `idx_guardrails_workspace` (`workspace`),
  KEY `idx_guardrails_scorer` (`scorer_id`,`scorer_version`),
  CONSTRAINT `fk_guardrails_action_endpoint_id` FOREIGN KEY (`action_endpoint_id`) REFERENCES `endpoints` (`endpoint_id`) ON DELETE SET NULL,
  CONSTRAINT `fk_guardrails_scorer_version` FOREIGN KEY (`scorer_id`, `scorer_version`) REFERENCES `scorer_versions` (`scorer_id`, `scorer_version`)
) ENGINE=InnoDB;

CREATE TABLE `input_tags` (
  `input_uuid` varchar(36) NOT NULL,
  `name` varchar(255) NOT NULL,
  `value` varchar(500) NOT NULL,
  PRIMARY KEY (`input_uuid`,`name`)
) ENGINE=InnoDB;

CREATE TABLE `inputs` (
  `input_uuid` varchar(36) NOT NULL,
  `source_type` varchar(36) NOT NULL,
  `source_id` varchar(36) NOT NULL,
  `destination_type` varchar(36) NOT NULL,
  `destination_id` varchar(36) NOT NULL,
  `step` bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY (`source_type`,`source_id`,`destination_type`,`destination_id`),
  KEY `index_inputs_input_uuid` (`input_uuid`),
  KEY `index_inputs_destination_type_destination_id_source_type` (`destination_type`,`destination_id`,`source_type`)
) ENGINE=InnoDB;

CREATE TABLE `issues` (
  `issue_id` varchar(36) NOT NULL,
  `experiment_id` int(11) NOT NULL,
  `name` varchar(250) NOT NULL,
  `description` text NOT NULL,
  `status` varchar(50) NOT NULL,
  `severity` varchar(50) DEFAULT NULL,
  `root_causes` text DEFAULT NULL,
  `source_run_id` varchar(32) DEFAULT NULL,
  `categories` text DEFAULT NULL,
  `created_timestamp` bigint(20) NOT NULL,
  `last_updated_timestamp` bigint(20) NOT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`issue_id`),
  KEY `index_issues_experiment_id` (`experiment_id`),
  KEY `index_issues_source_run_id` (`source_run_id`),
  KEY `index_issues_status` (`status`),
  CONSTRAINT `fk_issues_experiment_id` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`) ON DELETE CASCADE,
  CONSTRAINT `fk_issues_source_run_id` FOREIGN KEY (`source_run_id`) REFERENCES `runs` (`run_uuid`) ON DELETE SET NULL
) ENGINE=InnoDB;

CREATE TABLE `jobs` (
  `id` varchar(36) NOT NULL,
  `creation_time` bigint(20) NOT NULL,
  `job_name` varchar(500) DEFAULT NULL,
  `params` text NOT NULL,
  `timeout` double DEFAULT NULL,
  `status` int(11) NOT NULL,
  `result` text DEFAULT NULL,
  `retry_count` int(11) NOT NULL,
  `last_update_time` bigint(20) NOT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  `status_details` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`status_details`)),
  PRIMARY KEY (`id`),
  KEY `index_jobs_name_status_creation_time` (`job_name`,`workspace`,`status`,`creation_time`)
) ENGINE=InnoDB;

CREATE TABLE `latest_metrics` (
  `key` varchar(250) NOT NULL,
  `value` double NOT NULL,
  `timestamp` bigint(20) DEFAULT NULL,
  `step` bigint(20) NOT NULL,
  `is_nan` tinyint(1) NOT NULL,
  `run_uuid` varchar(32) NOT NULL,
  PRIMARY KEY (`key`,`run_uuid`),
  KEY `index_latest_metrics_run_uuid` (`run_uuid`),
  CONSTRAINT `latest_metrics_ibfk_1` FOREIGN KEY (`run_uuid`) REFERENCES `runs` (`run_uuid`),
  CHECK (`is_nan` in (0,1))
) ENGINE=InnoDB;

CREATE TABLE `logged_model_metrics` (
  `model_id` varchar(36) NOT NULL,
  `metric_name` varchar(500) NOT NULL,
  `metric_timestamp_ms` bigint(20) NOT NULL,
  `metric_step` bigint(20) NOT NULL,
  `metric_value` double DEFAULT NULL,
  `experiment_id` int(11) NOT NULL,
  `run_id` varchar(32) NOT NULL,
  `dataset_uuid` varchar(36) DEFAULT NULL,
  `dataset_name` varchar(500) DEFAULT NULL,
  `dataset_digest` varchar(36) DEFAULT NULL,
  PRIMARY KEY (`model_id`,`metric_name`,`metric_timestamp_ms`,`metric_step`,`run_id`),
  KEY `fk_logged_model_metrics_experiment_id` (`experiment_id`),
  KEY `fk_logged_model_metrics_run_id` (`run_id`),
  KEY `index_logged_model_metrics_model_id` (`model_id`),
  CONSTRAINT `fk_logged_model_metrics_experiment_id` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`),
  CONSTRAINT `fk_logged_model_metrics_model_id` FOREIGN KEY (`model_id`) REFERENCES `logged_models` (`model_id`) ON DELETE CASCADE,
  CONSTRAINT `fk_logged_model_metrics_run_id` FOREIGN KEY (`run_id`) REFERENCES `runs` (`run_uuid`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `logged_model_params` (
  `model_id` varchar(36) NOT NULL,
  `experiment_id` int(11) NOT NULL,
  `param_key` varchar(255) NOT NULL,
  `param_value` text NOT NULL,
  PRIMARY KEY (`model_id`,`param_key`),
  KEY `fk_logged_model_params_experiment_id` (`experiment_id`),
  CONSTRAINT `fk_logged_model_params_experiment_id` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`),
  CONSTRAINT `fk_logged_model_params_model_id` FOREIGN KEY (`model_id`) REFERENCES `logged_models` (`model_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `logged_model_tags` (
  `model_id` varchar(36) NOT NULL,
  `experiment_id` int(11) NOT NULL,
  `tag_key` varchar(255) NOT NULL,
  `tag_value` text NOT NULL,
  PRIMARY KEY (`model_id`,`tag_key`),
  KEY `fk_logged_model_tags_experiment_id` (`experiment_id`),
  CONSTRAINT `fk_logged_model_tags_experiment_id` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`),
  CONSTRAINT `fk_logged_model_tags_model_id` FOREIGN KEY (`model_id`) REFERENCES `logged_models` (`model_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `logged_models` (
  `model_id` varchar(36) NOT NULL,
  `experiment_id` int(11) NOT NULL,
  `name` varchar(500) NOT NULL,
  `artifact_location` varchar(1000) NOT NULL,
  `creation_timestamp_ms` bigint(20) NOT NULL,
  `last_updated_timestamp_ms` bigint(20) NOT NULL,
  `status` int(11) NOT NULL,
  `lifecycle_stage` varchar(32) DEFAULT NULL,
  `model_type` varchar(500) DEFAULT NULL,
  `source_run_id` varchar(32) DEFAULT NULL,
  `status_message` varchar(1000) DEFAULT NULL,
  PRIMARY KEY (`model_id`),
  KEY `fk_logged_models_experiment_id` (`experiment_id`),
  CONSTRAINT `fk_logged_models_experiment_id` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`) ON DELETE CASCADE,
  CONSTRAINT `logged_models_lifecycle_stage_check` CHECK (`lifecycle_stage` in ('active','deleted'))
) ENGINE=InnoDB;

CREATE TABLE `metrics` (
  `key` varchar(250) NOT NULL,
  `value` double NOT NULL,
  `timestamp` bigint(20) NOT NULL,
  `run_uuid` varchar(32) NOT NULL,
  `step` bigint(20) NOT NULL DEFAULT 0,
  `is_nan` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`key`,`timestamp`,`step`,`run_uuid`,`value`,`is_nan`),
  KEY `index_metrics_run_uuid` (`run_uuid`),
  KEY `index_metrics_run_uuid_key_step` (`run_uuid`,`key`,`step`),
  CONSTRAINT `metrics_ibfk_1` FOREIGN KEY (`run_uuid`) REFERENCES `runs` (`run_uuid`),
  CHECK (`is_nan` in (0,1)),
  CHECK (`is_nan` in (0,1))
) ENGINE=InnoDB;

CREATE TABLE `model_definitions` (
  `model_definition_id` varchar(36) NOT NULL,
  `name` varchar(255) NOT NULL,
  `secret_id` varchar(36) DEFAULT NULL,
  `provider` varchar(64) NOT NULL,
  `model_name` varchar(256) NOT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  `created_at` bigint(20) NOT NULL,
  `last_updated_by` varchar(255) DEFAULT NULL,
  `last_updated_at` bigint(20) NOT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`model_definition_id`),
  UNIQUE KEY `uq_model_definitions_workspace_name` (`workspace`,`name`),
  KEY `index_model_definitions_secret_id` (`secret_id`),
  KEY `index_model_definitions_provider` (`provider`),
  KEY `idx_model_definitions_workspace` (`workspace`),
  CONSTRAINT `fk_model_definitions_secret_id` FOREIGN KEY (`secret_id`) REFERENCES `secrets` (`secret_id`) ON DELETE SET NULL
) ENGINE=InnoDB;

CREATE TABLE `model_version_tags` (
  `key` varchar(250) NOT NULL,
  `value` text DEFAULT NULL,
  `name` varchar(256) NOT NULL,
  `version` int(11) NOT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`workspace`,`key`,`name`,`version`),
  KEY `name` (`name`,`version`),
  KEY `idx_model_version_tags_workspace_name_version` (`workspace`,`name`,`version`),
  CONSTRAINT `fk_model_version_tags_model_versions` FOREIGN KEY (`workspace`, `name`, `version`) REFERENCES `model_versions` (`workspace`, `name`, `version`) ON UPDATE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `model_versions` (
  `name` varchar(256) NOT NULL,
  `version` int(11) NOT NULL,
  `creation_time` bigint(20) DEFAULT NULL,
  `last_updated_time` bigint(20) DEFAULT NULL,
  `description` varchar(5000) DEFAULT NULL,
  `user_id` varchar(256) DEFAULT NULL,
  `current_stage` varchar(20) DEFAULT NULL,
  `source` varchar(500) DEFAULT NULL,
  `run_id` varchar(32) DEFAULT NULL,
  `status` varchar(20) DEFAULT NULL,
  `status_message` varchar(500) DEFAULT NULL,
  `run_link` varchar(500) DEFAULT NULL,
  `storage_location` varchar(500) DEFAULT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`workspace`,`name`,`version`),
  CONSTRAINT `fk_model_versions_registered_models` FOREIGN KEY (`workspace`, `name`) REFERENCES `registered_models` (`workspace`, `name`) ON UPDATE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `online_scoring_configs` (
  `online_scoring_config_id` varchar(36) NOT NULL,
  `scorer_id` varchar(36) NOT NULL,
  `sample_rate` double NOT NULL,
  `experiment_id` int(11) NOT NULL,
  `filter_string` text DEFAULT NULL,
  PRIMARY KEY (`online_scoring_config_id`),
  KEY `fk_online_scoring_configs_scorer_id` (`scorer_id`),
  KEY `fk_online_scoring_configs_experiment_id` (`experiment_id`),
  CONSTRAINT `fk_online_scoring_configs_experiment_id` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`),
  CONSTRAINT `fk_online_scoring_configs_scorer_id` FOREIGN KEY (`scorer_id`) REFERENCES `scorers` (`scorer_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `params` (
  `key` varchar(250) NOT NULL,
  `value` varchar(8000) NOT NULL,
  `run_uuid` varchar(32) NOT NULL,
  PRIMARY KEY (`key`,`run_uuid`),
  KEY `index_params_run_uuid` (`run_uuid`),
  CONSTRAINT `params_ibfk_1` FOREIGN KEY (`run_uuid`) REFERENCES `runs` (`run_uuid`)
) ENGINE=InnoDB;

CREATE TABLE `registered_model_aliases` (
  `alias` varchar(256) NOT NULL,
  `version` int(11) NOT NULL,
  `name` varchar(256) NOT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`workspace`,`name`,`alias`),
  CONSTRAINT `fk_registered_model_aliases_registered_models` FOREIGN KEY (`workspace`, `name`) REFERENCES `registered_models` (`workspace`, `name`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `registered_model_tags` (
  `key` varchar(250) NOT NULL,
  `value` varchar(5000) DEFAULT NULL,
  `name` varchar(256) NOT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`workspace`,`key`,`name`),
  KEY `name` (`name`),
  KEY `idx_registered_model_tags_workspace_name` (`workspace`,`name`),
  CONSTRAINT `fk_registered_model_tags_registered_models` FOREIGN KEY (`workspace`, `name`) REFERENCES `registered_models` (`workspace`, `name`) ON UPDATE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `registered_models` (
  `name` varchar(256) NOT NULL,
  `creation_time` bigint(20) DEFAULT NULL,
  `last_updated_time` bigint(20) DEFAULT NULL,
  `description` varchar(5000) DEFAULT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`workspace`,`name`),
  KEY `idx_registered_models_workspace` (`workspace`)
) ENGINE=InnoDB;

CREATE TABLE `runs` (
  `run_uuid` varchar(32) NOT NULL,
  `name` varchar(250) DEFAULT NULL,
  `source_type` varchar(20) DEFAULT NULL,
  `source_name` varchar(500) DEFAULT NULL,
  `entry_point_name` varchar(50) DEFAULT NULL,
  `user_id` varchar(256) DEFAULT NULL,
  `status` varchar(9) DEFAULT NULL,
  `start_time` bigint(20) DEFAULT NULL,
  `end_time` bigint(20) DEFAULT NULL,
  `source_version` varchar(50) DEFAULT NULL,
  `lifecycle_stage` varchar(20) DEFAULT NULL,
  `artifact_uri` varchar(200) DEFAULT NULL,
  `experiment_id` int(11) DEFAULT NULL,
  `deleted_time` bigint(20) DEFAULT NULL,
  PRIMARY KEY (`run_uuid`),
  KEY `experiment_id` (`experiment_id`),
  CONSTRAINT `runs_ibfk_1` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`),
  CONSTRAINT `source_type` CHECK (`source_type` in ('NOTEBOOK','JOB','LOCAL','UNKNOWN','PROJECT')),
  CONSTRAINT `runs_lifecycle_stage` CHECK (`lifecycle_stage` in ('active','deleted')),
  CHECK (`status` in ('SCHEDULED','FAILED','FINISHED','RUNNING','KILLED'))
) ENGINE=InnoDB;

CREATE TABLE `scorer_versions` (
  `scorer_id` varchar(36) NOT NULL,
  `scorer_version` int(11) NOT NULL,
  `serialized_scorer` text NOT NULL,
  `creation_time` bigint(20) DEFAULT NULL,
  PRIMARY KEY (`scorer_id`,`scorer_version`),
  KEY `index_scorer_versions_scorer_id` (`scorer_id`),
  CONSTRAINT `fk_scorer_versions_scorer_id` FOREIGN KEY (`scorer_id`) REFERENCES `scorers` (`scorer_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `scorers` (
  `experiment_id` int(11) NOT NULL,
  `scorer_name` varchar(256) NOT NULL,
  `scorer_id` varchar(36) NOT NULL,
  PRIMARY KEY (`scorer_id`),
  UNIQUE KEY `index_scorers_experiment_id_scorer_name` (`experiment_id`,`scorer_name`),
  CONSTRAINT `fk_scorers_experiment_id` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `secrets` (
  `secret_id` varchar(36) NOT NULL,
  `secret_name` varchar(255) NOT NULL,
  `encrypted_value` blob NOT NULL,
  `wrapped_dek` blob NOT NULL,
  `kek_version` int(11) NOT NULL,
  `masked_value` varchar(500) NOT NULL,
  `provider` varchar(64) DEFAULT NULL,
  `auth_config` text DEFAULT NULL,
  `description` text DEFAULT NULL,
  `created_by` varchar(255) DEFAULT NULL,
  `created_at` bigint(20) NOT NULL,
  `last_updated_by` varchar(255) DEFAULT NULL,
  `last_updated_at` bigint(20) NOT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`secret_id`),
  UNIQUE KEY `uq_secrets_workspace_secret_name` (`workspace`,`secret_name`),
  KEY `idx_secrets_workspace` (`workspace`)
) ENGINE=InnoDB;

CREATE TRIGGER prevent_secrets_aad_mutation
BEFORE UPDATE ON secrets
FOR EACH ROW
BEGIN
    IF OLD.secret_id != NEW.secret_id OR OLD.secret_name != NEW.secret_name THEN
        SIGNAL SQLSTATE '45000'
        SET MESSAGE_TEXT = 'secret_id and secret_name are immutable (used as AAD in encryption)';
    END IF;
END;

CREATE TABLE `span_metrics` (
  `trace_id` varchar(50) NOT NULL,
  `span_id` varchar(50) NOT NULL,
  `key` varchar(250) NOT NULL,
  `value` double DEFAULT NULL,
  PRIMARY KEY (`trace_id`,`span_id`,`key`),
  KEY `index_span_metrics_trace_id_span_id` (`trace_id`,`span_id`),
  CONSTRAINT `fk_span_metrics_span` FOREIGN KEY (`trace_id`, `span_id`) REFERENCES `spans` (`trace_id`, `span_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `spans` (
  `trace_id` varchar(50) NOT NULL,
  `experiment_id` int(11) NOT NULL,
  `span_id` varchar(50) NOT NULL,
  `parent_span_id` varchar(50) DEFAULT NULL,
  `name` text DEFAULT NULL,
  `type` varchar(500) DEFAULT NULL,
  `status` varchar(50) NOT NULL,
  `start_time_unix_nano` bigint(20) NOT NULL,
  `end_time_unix_nano` bigint(20) DEFAULT NULL,
  `duration_ns` bigint(20) GENERATED ALWAYS AS (`end_time_unix_nano` - `start_time_unix_nano`) STORED,
  `content` longtext NOT NULL,
  `dimension_attributes` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`dimension_attributes`)),
  PRIMARY KEY (`trace_id`,`span_id`),
  KEY `index_spans_experiment_id` (`experiment_id`),
  KEY `index_spans_experiment_id_status_type` (`experiment_id`,`status`,`type`),
  KEY `index_spans_experiment_id_type_status` (`experiment_id`,`type`,`status`),
  KEY `index_spans_experiment_id_duration` (`experiment_id`,`duration_ns`),
  CONSTRAINT `fk_spans_experiment_id` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`),
  CONSTRAINT `fk_spans_trace_id` FOREIGN KEY (`trace_id`) REFERENCES `trace_info` (`request_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `tags` (
  `key` varchar(250) NOT NULL,
  `value` varchar(8000) DEFAULT NULL,
  `run_uuid` varchar(32) NOT NULL,
  PRIMARY KEY (`key`,`run_uuid`),
  KEY `index_tags_run_uuid` (`run_uuid`),
  CONSTRAINT `tags_ibfk_1` FOREIGN KEY (`run_uuid`) REFERENCES `runs` (`run_uuid`)
) ENGINE=InnoDB;

CREATE TABLE `trace_info` (
  `request_id` varchar(50) NOT NULL,
  `experiment_id` int(11) NOT NULL,
  `timestamp_ms` bigint(20) NOT NULL,
  `execution_time_ms` bigint(20) DEFAULT NULL,
  `status` varchar(50) NOT NULL,
  `client_request_id` varchar(50) DEFAULT NULL,
  `request_preview` varchar(1000) DEFAULT NULL,
  `response_preview` varchar(1000) DEFAULT NULL,
  PRIMARY KEY (`request_id`),
  KEY `index_trace_info_experiment_id_timestamp_ms` (`experiment_id`,`timestamp_ms`),
  CONSTRAINT `fk_trace_info_experiment_id` FOREIGN KEY (`experiment_id`) REFERENCES `experiments` (`experiment_id`)
) ENGINE=InnoDB;

CREATE TABLE `trace_metrics` (
  `request_id` varchar(50) NOT NULL,
  `key` varchar(250) NOT NULL,
  `value` double DEFAULT NULL,
  PRIMARY KEY (`request_id`,`key`),
  KEY `index_trace_metrics_request_id` (`request_id`),
  CONSTRAINT `fk_trace_metrics_request_id` FOREIGN KEY (`request_id`) REFERENCES `trace_info` (`request_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `trace_request_metadata` (
  `key` varchar(250) NOT NULL,
  `value` varchar(8000) DEFAULT NULL,
  `request_id` varchar(50) NOT NULL,
  PRIMARY KEY (`key`,`request_id`),
  KEY `index_trace_request_metadata_request_id` (`request_id`),
  CONSTRAINT `fk_trace_request_metadata_request_id` FOREIGN KEY (`request_id`) REFERENCES `trace_info` (`request_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `trace_tags` (
  `key` varchar(250) NOT NULL,
  `value` varchar(8000) DEFAULT NULL,
  `request_id` varchar(50) NOT NULL,
  PRIMARY KEY (`key`,`request_id`),
  KEY `index_trace_tags_request_id` (`request_id`),
  CONSTRAINT `fk_trace_tags_request_id` FOREIGN KEY (`request_id`) REFERENCES `trace_info` (`request_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `webhook_events` (
  `webhook_id` varchar(256) NOT NULL,
  `entity` varchar(50) NOT NULL,
  `action` varchar(50) NOT NULL,
  PRIMARY KEY (`webhook_id`,`entity`,`action`),
  KEY `idx_webhook_events_entity` (`entity`),
  KEY `idx_webhook_events_action` (`action`),
  KEY `idx_webhook_events_entity_action` (`entity`,`action`),
  CONSTRAINT `webhook_events_ibfk_1` FOREIGN KEY (`webhook_id`) REFERENCES `webhooks` (`webhook_id`) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `webhooks` (
  `webhook_id` varchar(256) NOT NULL,
  `name` varchar(256) NOT NULL,
  `description` varchar(1000) DEFAULT NULL,
  `url` varchar(500) NOT NULL,
  `status` varchar(20) NOT NULL DEFAULT 'ACTIVE',
  `secret` varchar(1000) DEFAULT NULL,
  `creation_timestamp` bigint(20) DEFAULT NULL,
  `last_updated_timestamp` bigint(20) DEFAULT NULL,
  `deleted_timestamp` bigint(20) DEFAULT NULL,
  `workspace` varchar(63) NOT NULL DEFAULT 'default',
  PRIMARY KEY (`webhook_id`),
  KEY `idx_webhooks_status` (`status`),
  KEY `idx_webhooks_name` (`name`),
  KEY `idx_webhooks_workspace` (`workspace`)
) ENGINE=InnoDB;

CREATE TABLE `workspaces` (
  `name` varchar(63) NOT NULL,
  `description` text DEFAULT NULL,
  `default_artifact_root` text DEFAULT NULL,
  PRIMARY KEY (`name`)
) ENGINE=InnoDB;

SET FOREIGN_KEY_CHECKS = 1;

INSERT INTO `alembic_version` (`version_num`) VALUES ('7d34483879f0');
INSERT INTO `workspaces` (`name`, `description`) VALUES ('default', 'Default workspace for legacy resources');
