-- c9d4e5f6a7b8: endpoint routing strategy / fallback config; mapping linkage type and order.
ALTER TABLE endpoints ADD COLUMN routing_strategy character varying(64);
ALTER TABLE endpoints ADD COLUMN fallback_config_json text;
ALTER TABLE endpoint_model_mappings ADD COLUMN linkage_type character varying(64) DEFAULT 'PRIMARY'::character varying NOT NULL;
ALTER TABLE endpoint_model_mappings ADD COLUMN fallback_order integer;
DROP INDEX unique_endpoint_model_mapping;
CREATE UNIQUE INDEX unique_endpoint_model_linkage_mapping ON endpoint_model_mappings USING btree (endpoint_id, model_definition_id, linkage_type);
