-- d0e1f2a3b4c5: endpoints.experiment_id (FK ON DELETE SET NULL) and usage_tracking. Batch rebuild.
CREATE TABLE "_alembic_tmp_endpoints" (
	endpoint_id VARCHAR(36) NOT NULL, 
	name VARCHAR(255), 
	created_by VARCHAR(255), 
	created_at BIGINT NOT NULL, 
	last_updated_by VARCHAR(255), 
	last_updated_at BIGINT NOT NULL, 
	routing_strategy VARCHAR(64), 
	fallback_config_json TEXT, 
	experiment_id INTEGER, 
	usage_tracking BOOLEAN DEFAULT '0' NOT NULL, 
	CONSTRAINT endpoints_pk PRIMARY KEY (endpoint_id), 
	CONSTRAINT fk_endpoints_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE SET NULL
);
INSERT INTO "_alembic_tmp_endpoints" (endpoint_id, name, created_by, created_at, last_updated_by, last_updated_at, routing_strategy, fallback_config_json)
SELECT endpoint_id, name, created_by, created_at, last_updated_by, last_updated_at, routing_strategy, fallback_config_json FROM endpoints;
DROP TABLE endpoints;
ALTER TABLE "_alembic_tmp_endpoints" RENAME TO endpoints;
CREATE UNIQUE INDEX unique_endpoint_name ON endpoints (name);
