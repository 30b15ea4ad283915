-- bd07f7e963c5: create index on run_uuid (MLflow 1.25).
CREATE INDEX index_params_run_uuid ON params (run_uuid);
CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);
CREATE INDEX index_latest_metrics_run_uuid ON latest_metrics (run_uuid);
CREATE INDEX index_tags_run_uuid ON tags (run_uuid);
