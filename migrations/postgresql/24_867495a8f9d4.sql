-- 867495a8f9d4: trace_info, trace_tags, trace_request_metadata tables (MLflow 2.14).
CREATE TABLE trace_info (
    request_id character varying(50) NOT NULL,
    experiment_id integer NOT NULL,
    timestamp_ms bigint NOT NULL,
    execution_time_ms bigint,
    status character varying(50) NOT NULL
);
ALTER TABLE ONLY trace_info
    ADD CONSTRAINT trace_info_pk PRIMARY KEY (request_id);
CREATE INDEX index_trace_info_experiment_id_timestamp_ms ON trace_info USING btree (experiment_id, timestamp_ms);
ALTER TABLE ONLY trace_info
    ADD CONSTRAINT fk_trace_info_experiment_id FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id);
CREATE TABLE trace_tags (
    key character varying(250) NOT NULL,
    value character varying(8000),
    request_id character varying(50) NOT NULL
);
ALTER TABLE ONLY trace_tags
    ADD CONSTRAINT trace_tag_pk PRIMARY KEY (key, request_id);
CREATE INDEX index_trace_tags_request_id ON trace_tags USING btree (request_id);
ALTER TABLE ONLY trace_tags
    ADD CONSTRAINT fk_trace_tags_request_id FOREIGN KEY (request_id) REFERENCES trace_info(request_id);
CREATE TABLE trace_request_metadata (
    key character varying(250) NOT NULL,
    value character varying(8000),
    request_id character varying(50) NOT NULL
);
ALTER TABLE ONLY trace_request_metadata
    ADD CONSTRAINT trace_request_metadata_pk PRIMARY KEY (key, request_id);
CREATE INDEX index_trace_request_metadata_request_id ON trace_request_metadata USING btree (request_id);
ALTER TABLE ONLY trace_request_metadata
    ADD CONSTRAINT fk_trace_request_metadata_request_id FOREIGN KEY (request_id) REFERENCES trace_info(request_id);
