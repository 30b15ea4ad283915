-- bda7b8c39065: model_version_tags.value VARCHAR(5000) -> TEXT.
ALTER TABLE model_version_tags MODIFY value TEXT NULL;
