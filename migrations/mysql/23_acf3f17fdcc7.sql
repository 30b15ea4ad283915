-- acf3f17fdcc7: model_versions.storage_location (MLflow 2.8).
ALTER TABLE model_versions ADD COLUMN storage_location VARCHAR(500);
