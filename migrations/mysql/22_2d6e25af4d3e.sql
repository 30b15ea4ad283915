-- 2d6e25af4d3e: params.value -> VARCHAR(8000) (MLflow 2.8).
ALTER TABLE params MODIFY value VARCHAR(8000) NOT NULL;
