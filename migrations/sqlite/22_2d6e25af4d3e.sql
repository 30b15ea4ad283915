-- 2d6e25af4d3e: params.value -> VARCHAR(8000) (MLflow 2.8). Alembic batch mode: copy, drop, rename.
CREATE TABLE "_alembic_tmp_params" (
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000) NOT NULL, 
	run_uuid VARCHAR(32) NOT NULL, 
	CONSTRAINT param_pk PRIMARY KEY ("key", run_uuid), 
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
INSERT INTO "_alembic_tmp_params" ("key", value, run_uuid) SELECT "key", value, run_uuid FROM params;
DROP TABLE params;
ALTER TABLE "_alembic_tmp_params" RENAME TO params;
CREATE INDEX index_params_run_uuid ON params (run_uuid);
