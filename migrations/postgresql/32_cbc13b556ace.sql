-- cbc13b556ace: trace_info.client_request_id, request_preview, response_preview.
ALTER TABLE trace_info ADD COLUMN client_request_id character varying(50);
ALTER TABLE trace_info ADD COLUMN request_preview character varying(1000);
ALTER TABLE trace_info ADD COLUMN response_preview character varying(1000);
