-- 0c779009ac13: add deleted_time field to runs table (MLflow 1.28).
ALTER TABLE runs ADD COLUMN deleted_time BIGINT;
