-- 770bee3ae1dd: assessments table.
CREATE TABLE assessments (
    assessment_id character varying(50) NOT NULL,
    trace_id character varying(50) NOT NULL,
    name character varying(250) NOT NULL,
    assessment_type character varying(20) NOT NULL,
    value text NOT NULL,
    error text,
    created_timestamp bigint NOT NULL,
    last_updated_timestamp bigint NOT NULL,
    source_type character varying(50) NOT NULL,
    source_id character varying(250),
    run_id character varying(32),
    span_id character varying(50),
    rationale text,
    overrides character varying(50),
    valid boolean NOT NULL,
    assessment_metadata text
);
ALTER TABLE ONLY assessments
    ADD CONSTRAINT assessments_pk PRIMARY KEY (assessment_id);
CREATE INDEX index_assessments_assessment_type ON assessments USING btree (assessment_type);
CREATE INDEX index_assessments_last_updated_timestamp ON assessments USING btree (last_updated_timestamp);
CREATE INDEX index_assessments_run_id_created_timestamp ON assessments USING btree (run_id, created_timestamp);
CREATE INDEX index_assessments_trace_id_created_timestamp ON assessments USING btree (trace_id, created_timestamp);
ALTER TABLE ONLY assessments
    ADD CONSTRAINT fk_assessments_trace_id FOREIGN KEY (trace_id) REFERENCES trace_info(request_id) ON DELETE CASCADE;
