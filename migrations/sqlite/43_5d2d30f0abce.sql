-- 5d2d30f0abce: jobs.function_fullname renamed job_name, index renamed. Batch rebuild.
DROP INDEX index_jobs_function_status_creation_time;
CREATE TABLE "_alembic_tmp_jobs" (
	id VARCHAR(36) NOT NULL, 
	creation_time BIGINT NOT NULL, 
	job_name VARCHAR(500) NOT NULL, 
	params TEXT NOT NULL, 
	timeout FLOAT, 
	status INTEGER NOT NULL, 
	result TEXT, 
	retry_count INTEGER NOT NULL, 
	last_update_time BIGINT NOT NULL, 
	CONSTRAINT jobs_pk PRIMARY KEY (id)
);
INSERT INTO "_alembic_tmp_jobs" (id, creation_time, job_name, params, timeout, status, result, retry_count, last_update_time)
SELECT id, creation_time, function_fullname, params, timeout, status, result, retry_count, last_update_time FROM jobs;
DROP TABLE jobs;
ALTER TABLE "_alembic_tmp_jobs" RENAME TO jobs;
CREATE INDEX index_jobs_name_status_creation_time ON jobs (job_name, status, creation_time);
