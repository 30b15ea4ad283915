-- bf29a5ff90ea: jobs table (column function_fullname, renamed job_name by 5d2d30f0abce).
CREATE TABLE jobs (
    id character varying(36) NOT NULL,
    creation_time bigint NOT NULL,
    function_fullname character varying(500) NOT NULL,
    params text NOT NULL,
    timeout double precision,
    status integer NOT NULL,
    result text,
    retry_count integer NOT NULL,
    last_update_time bigint NOT NULL
);
ALTER TABLE ONLY jobs
    ADD CONSTRAINT jobs_pk PRIMARY KEY (id);
CREATE INDEX index_jobs_function_status_creation_time ON jobs USING btree (function_fullname, status, creation_time);
