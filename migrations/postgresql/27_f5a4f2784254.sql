-- f5a4f2784254: tags.value -> VARCHAR(8000) (MLflow 2.17).
ALTER TABLE tags ALTER COLUMN value TYPE character varying(8000);
