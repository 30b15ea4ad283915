-- 1bd49d398cd23: AI gateway tables and the trigger that keeps secret_id/secret_name immutable.
CREATE TABLE secrets (
    secret_id character varying(36) NOT NULL,
    secret_name character varying(255) NOT NULL,
    encrypted_value bytea NOT NULL,
    wrapped_dek bytea NOT NULL,
    kek_version integer NOT NULL,
    masked_value character varying(500) NOT NULL,
    provider character varying(64),
    auth_config text,
    description text,
    created_by character varying(255),
    created_at bigint NOT NULL,
    last_updated_by character varying(255),
    last_updated_at bigint NOT NULL
);
ALTER TABLE ONLY secrets
    ADD CONSTRAINT secrets_pk PRIMARY KEY (secret_id);
CREATE UNIQUE INDEX unique_secret_name ON secrets USING btree (secret_name);
CREATE TABLE endpoints (
    endpoint_id character varying(36) NOT NULL,
    name character varying(255),
    created_by character varying(255),
    created_at bigint NOT NULL,
    last_updated_by character varying(255),
    last_updated_at bigint NOT NULL
);
ALTER TABLE ONLY endpoints
    ADD CONSTRAINT endpoints_pk PRIMARY KEY (endpoint_id);
CREATE UNIQUE INDEX unique_endpoint_name ON endpoints USING btree (name);
CREATE TABLE model_definitions (
    model_definition_id character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    secret_id character varying(36),
    provider character varying(64) NOT NULL,
    model_name character varying(256) NOT NULL,
    created_by character varying(255),
    created_at bigint NOT NULL,
    last_updated_by character varying(255),
    last_updated_at bigint NOT NULL
);
ALTER TABLE ONLY model_definitions
    ADD CONSTRAINT model_definitions_pk PRIMARY KEY (model_definition_id);
CREATE INDEX index_model_definitions_provider ON model_definitions USING btree (provider);
CREATE INDEX index_model_definitions_secret_id ON model_definitions USING btree (secret_id);
CREATE UNIQUE INDEX unique_model_definition_name ON model_definitions USING btree (name);
ALTER TABLE ONLY model_definitions
    ADD CONSTRAINT fk_model_definitions_secret_id FOREIGN KEY (secret_id) REFERENCES secrets(secret_id) ON DELETE SET NULL;
CREATE TABLE endpoint_model_mappings (
    mapping_id character varying(36) NOT NULL,
    endpoint_id character varying(36) NOT NULL,
    model_definition_id character varying(36) NOT NULL,
    weight double precision NOT NULL,
    created_by character varying(255),
    created_at bigint NOT NULL
);
ALTER TABLE ONLY endpoint_model_mappings
    ADD CONSTRAINT endpoint_model_mappings_pk PRIMARY KEY (mapping_id);
CREATE INDEX index_endpoint_model_mappings_endpoint_id ON endpoint_model_mappings USING btree (endpoint_id);
CREATE INDEX index_endpoint_model_mappings_model_definition_id ON endpoint_model_mappings USING btree (model_definition_id);
CREATE UNIQUE INDEX unique_endpoint_model_mapping ON endpoint_model_mappings USING btree (endpoint_id, model_definition_id);
ALTER TABLE ONLY endpoint_model_mappings
    ADD CONSTRAINT fk_endpoint_model_mappings_endpoint_id FOREIGN KEY (endpoint_id) REFERENCES endpoints(endpoint_id) ON DELETE CASCADE;
ALTER TABLE ONLY endpoint_model_mappings
    ADD CONSTRAINT fk_endpoint_model_mappings_model_definition_id FOREIGN KEY (model_definition_id) REFERENCES model_definitions(model_definition_id);
CREATE TABLE endpoint_bindings (
    endpoint_id character varying(36) NOT NULL,
    resource_type character varying(50) NOT NULL,
    resource_id character varying(255) NOT NULL,
    created_at bigint NOT NULL,
    created_by character varying(255),
    last_updated_at bigint NOT NULL,
    last_updated_by character varying(255)
);
ALTER TABLE ONLY endpoint_bindings
    ADD CONSTRAINT endpoint_bindings_pk PRIMARY KEY (endpoint_id, resource_type, resource_id);
ALTER TABLE ONLY endpoint_bindings
    ADD CONSTRAINT fk_endpoint_bindings_endpoint_id FOREIGN KEY (endpoint_id) REFERENCES endpoints(endpoint_id) ON DELETE CASCADE;
CREATE TABLE endpoint_tags (
    key character varying(250) NOT NULL,
    value character varying(5000),
    endpoint_id character varying(36) NOT NULL
);
ALTER TABLE ONLY endpoint_tags
    ADD CONSTRAINT endpoint_tag_pk PRIMARY KEY (key, endpoint_id);
CREATE INDEX index_endpoint_tags_endpoint_id ON endpoint_tags USING btree (endpoint_id);
ALTER TABLE ONLY endpoint_tags
    ADD CONSTRAINT fk_endpoint_tags_endpoint_id FOREIGN KEY (endpoint_id) REFERENCES endpoints(endpoint_id) ON DELETE CASCADE;
CREATE FUNCTION prevent_secrets_aad_mutation() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.secret_id != NEW.secret_id OR OLD.secret_name != NEW.secret_name THEN
        RAISE EXCEPTION 'secret_id and secret_name are immutable (used as AAD in encryption)';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER prevent_secrets_aad_mutation BEFORE UPDATE ON secrets FOR EACH ROW EXECUTE FUNCTION prevent_secrets_aad_mutation();
