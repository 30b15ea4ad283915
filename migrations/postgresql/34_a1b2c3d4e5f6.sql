-- a1b2c3d4e5f6: spans table (duration_ns is a stored generated column, PostgreSQL >= 12).
CREATE TABLE spans (
    trace_id character varying(50) NOT NULL,
    experiment_id integer NOT NULL,
    span_id character varying(50) NOT NULL,
    parent_span_id character varying(50),
    name text,
    type character varying(500),
    status character varying(50) NOT NULL,
    start_time_unix_nano bigint NOT NULL,
    end_time_unix_nano bigint,
    duration_ns bigint GENERATED ALWAYS AS ((end_time_unix_nano - start_time_unix_nano)) STORED,
    content text NOT NULL
);
ALTER TABLE ONLY spans
    ADD CONSTRAINT spans_pk PRIMARY KEY (trace_id, span_id);
CREATE INDEX index_spans_experiment_id ON spans USING btree (experiment_id);
CREATE INDEX index_spans_experiment_id_duration ON spans USING btree (experiment_id, duration_ns);
CREATE INDEX index_spans_experiment_id_status_type ON spans USING btree (experiment_id, status, type);
CREATE INDEX index_spans_experiment_id_type_status ON spans USING btree (experiment_id, type, status);
ALTER TABLE ONLY spans
    ADD CONSTRAINT fk_spans_experiment_id FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id);
ALTER TABLE ONLY spans
    ADD CONSTRAINT fk_spans_trace_id FOREIGN KEY (trace_id) REFERENCES trace_info(request_id) ON DELETE CASCADE;
