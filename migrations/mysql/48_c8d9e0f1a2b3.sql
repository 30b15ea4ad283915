-- c8d9e0f1a2b3: span_metrics table and spans.dimension_attributes.
CREATE TABLE span_metrics (
    trace_id VARCHAR(50) NOT NULL,
    span_id VARCHAR(50) NOT NULL,
    `key` VARCHAR(250) NOT NULL,
    value FLOAT(53),
    CONSTRAINT span_metrics_pk PRIMARY KEY (trace_id, span_id, `key`),
    CONSTRAINT fk_span_metrics_span FOREIGN KEY(trace_id, span_id) REFERENCES spans (trace_id, span_id) ON DELETE CASCADE
);
CREATE INDEX index_span_metrics_trace_id_span_id ON span_metrics (trace_id, span_id);
ALTER TABLE spans ADD COLUMN dimension_attributes JSON;
