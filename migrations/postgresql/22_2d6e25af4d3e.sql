-- 2d6e25af4d3e: params.value -> VARCHAR(8000) (MLflow 2.8).
ALTER TABLE params ALTER COLUMN value TYPE character varying(8000);
