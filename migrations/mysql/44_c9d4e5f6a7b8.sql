-- c9d4e5f6a7b8: endpoint routing strategy / fallback config; mapping linkage type and order.
ALTER TABLE endpoints ADD COLUMN routing_strategy VARCHAR(64);
ALTER TABLE endpoints ADD COLUMN fallback_config_json TEXT;
ALTER TABLE endpoint_model_mappings ADD COLUMN linkage_type VARCHAR(64) NOT NULL DEFAULT 'PRIMARY';
ALTER TABLE endpoint_model_mappings ADD COLUMN fallback_order INTEGER;
DROP INDEX unique_endpoint_model_mapping ON endpoint_model_mappings;
CREATE UNIQUE INDEX unique_endpoint_model_linkage_mapping ON endpoint_model_mappings (endpoint_id, model_definition_id, linkage_type);
