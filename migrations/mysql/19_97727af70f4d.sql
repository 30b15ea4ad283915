-- 97727af70f4d: creation_time and last_update_time on experiments (MLflow 2.0). Existing rows stay NULL.
ALTER TABLE experiments ADD COLUMN creation_time BIGINT;
ALTER TABLE experiments ADD COLUMN last_update_time BIGINT;
