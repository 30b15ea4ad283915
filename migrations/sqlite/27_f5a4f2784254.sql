-- f5a4f2784254: tags.value -> VARCHAR(8000) (MLflow 2.17). Alembic batch mode: copy, drop, rename.
CREATE TABLE "_alembic_tmp_tags" (
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000), 
	run_uuid VARCHAR(32) NOT NULL, 
	CONSTRAINT tag_pk PRIMARY KEY ("key", run_uuid), 
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
INSERT INTO "_alembic_tmp_tags" ("key", value, run_uuid) SELECT "key", value, run_uuid FROM tags;
DROP TABLE tags;
ALTER TABLE "_alembic_tmp_tags" RENAME TO tags;
CREATE INDEX index_tags_run_uuid ON tags (run_uuid);
