-- a5b4c3d2e1f0: index on metrics (run_uuid, key, step) for metric history reads.
CREATE INDEX index_metrics_run_uuid_key_step ON metrics (run_uuid, `key`, step);
