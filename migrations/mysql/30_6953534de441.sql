-- 6953534de441: inputs.step BIGINT NOT NULL DEFAULT 0 (MLflow 3.0); existing rows get 0.
ALTER TABLE inputs ADD COLUMN step BIGINT NOT NULL DEFAULT '0';
