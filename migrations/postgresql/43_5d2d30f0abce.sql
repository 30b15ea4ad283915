-- 5d2d30f0abce: jobs.function_fullname renamed job_name, index renamed.
DROP INDEX index_jobs_function_status_creation_time;
ALTER TABLE jobs RENAME COLUMN function_fullname TO job_name;
CREATE INDEX index_jobs_name_status_creation_time ON jobs USING btree (job_name, status, creation_time);
