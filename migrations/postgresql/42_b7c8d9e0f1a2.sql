-- b7c8d9e0f1a2: trace_metrics table.
CREATE TABLE trace_metrics (
    request_id character varying(50) NOT NULL,
    key character varying(250) NOT NULL,
    value double precision
);
ALTER TABLE ONLY trace_metrics
    ADD CONSTRAINT trace_metrics_pk PRIMARY KEY (request_id, key);
CREATE INDEX index_trace_metrics_request_id ON trace_metrics USING btree (request_id);
ALTER TABLE ONLY trace_metrics
    ADD CONSTRAINT fk_trace_metrics_request_id FOREIGN KEY (request_id) REFERENCES trace_info(request_id) ON DELETE CASCADE;
