-- bf29a5ff90ea: jobs table (column function_fullname, renamed job_name by 5d2d30f0abce).
CREATE TABLE jobs (
    id VARCHAR(36) NOT NULL,
    creation_time BIGINT NOT NULL,
    function_fullname VARCHAR(500) NOT NULL,
    params TEXT NOT NULL,
    timeout FLOAT(53),
    status INTEGER NOT NULL,
    result TEXT,
    retry_count INTEGER NOT NULL,
    last_update_time BIGINT NOT NULL,
    CONSTRAINT jobs_pk PRIMARY KEY (id)
);
CREATE INDEX index_jobs_function_status_creation_time ON jobs (function_fullname, status, creation_time);
