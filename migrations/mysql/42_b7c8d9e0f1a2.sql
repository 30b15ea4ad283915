-- b7c8d9e0f1a2: trace_metrics table.
CREATE TABLE trace_metrics (
    request_id VARCHAR(50) NOT NULL,
    `key` VARCHAR(250) NOT NULL,
    value FLOAT(53),
    CONSTRAINT trace_metrics_pk PRIMARY KEY (request_id, `key`),
    CONSTRAINT fk_trace_metrics_request_id FOREIGN KEY(request_id) REFERENCES trace_info (request_id) ON DELETE CASCADE
);
CREATE INDEX index_trace_metrics_request_id ON trace_metrics (request_id);
