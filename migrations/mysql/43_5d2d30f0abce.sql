-- 5d2d30f0abce: jobs.function_fullname renamed job_name, index renamed. On MySQL MLflow's
-- alter_column renames with CHANGE and the column comes out nullable (VARCHAR(500) NULL), as in
-- MLflow 3.11's MySQL schema. The rename is skipped when it was done by an interrupted run.
DROP INDEX index_jobs_function_status_creation_time ON jobs;
SET @fml_sql = IF((SELECT COUNT(*) FROM information_schema.columns
        WHERE table_schema = DATABASE() AND table_name = 'jobs' AND column_name = 'function_fullname') = 0,
    'DO 0', 'ALTER TABLE jobs CHANGE function_fullname job_name VARCHAR(500) NULL');
PREPARE fml_stmt FROM @fml_sql;
EXECUTE fml_stmt;
DEALLOCATE PREPARE fml_stmt;
CREATE INDEX index_jobs_name_status_creation_time ON jobs (job_name, status, creation_time);
