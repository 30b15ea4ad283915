-- cbc13b556ace: trace_info.client_request_id, request_preview, response_preview.
ALTER TABLE trace_info ADD COLUMN client_request_id VARCHAR(50);
ALTER TABLE trace_info ADD COLUMN request_preview VARCHAR(1000);
ALTER TABLE trace_info ADD COLUMN response_preview VARCHAR(1000);
