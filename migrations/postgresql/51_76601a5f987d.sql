-- 76601a5f987d: issues table.
CREATE TABLE issues (
    issue_id character varying(36) NOT NULL,
    experiment_id integer NOT NULL,
    name character varying(250) NOT NULL,
    description text NOT NULL,
    status character varying(50) NOT NULL,
    severity character varying(50),
    root_causes text,
    source_run_id character varying(32),
    categories text,
    created_timestamp bigint NOT NULL,
    last_updated_timestamp bigint NOT NULL,
    created_by character varying(255)
);
ALTER TABLE ONLY issues
    ADD CONSTRAINT issues_pk PRIMARY KEY (issue_id);
CREATE INDEX index_issues_experiment_id ON issues USING btree (experiment_id);
CREATE INDEX index_issues_source_run_id ON issues USING btree (source_run_id);
CREATE INDEX index_issues_status ON issues USING btree (status);
ALTER TABLE ONLY issues
    ADD CONSTRAINT fk_issues_experiment_id FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id) ON DELETE CASCADE;
ALTER TABLE ONLY issues
    ADD CONSTRAINT fk_issues_source_run_id FOREIGN KEY (source_run_id) REFERENCES runs(run_uuid) ON DELETE SET NULL;
