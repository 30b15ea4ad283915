-- ae8bbe7743c9: guardrails and guardrail_configs tables.
CREATE TABLE guardrails (
    guardrail_id character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    scorer_id character varying(36) NOT NULL,
    scorer_version integer NOT NULL,
    stage character varying(32) NOT NULL,
    action character varying(32) NOT NULL,
    action_endpoint_id character varying(36),
    created_by character varying(255),
    created_at bigint NOT NULL,
    last_updated_by character varying(255),
    last_updated_at bigint NOT NULL,
    workspace character varying(63) DEFAULT 'default'::character varying NOT NULL
);
ALTER TABLE ONLY guardrails
    ADD CONSTRAINT guardrails_pk PRIMARY KEY (guardrail_id);
CREATE INDEX idx_guardrails_scorer ON guardrails USING btree (scorer_id, scorer_version);
CREATE INDEX idx_guardrails_workspace ON guardrails USING btree (workspace);
ALTER TABLE ONLY guardrails
    ADD CONSTRAINT fk_guardrails_action_endpoint_id FOREIGN KEY (action_endpoint_id) REFERENCES endpoints(endpoint_id) ON DELETE SET NULL;
ALTER TABLE ONLY guardrails
    ADD CONSTRAINT fk_guardrails_scorer_version FOREIGN KEY (scorer_id, scorer_version) REFERENCES scorer_versions(scorer_id, scorer_version);
CREATE TABLE guardrail_configs (
    endpoint_id character varying(36) NOT NULL,
    guardrail_id character varying(36) NOT NULL,
    execution_order integer,
    created_by character varying(255),
    created_at bigint NOT NULL,
    workspace character varying(63) DEFAULT 'default'::character varying NOT NULL
);
ALTER TABLE ONLY guardrail_configs
    ADD CONSTRAINT guardrail_configs_pk PRIMARY KEY (endpoint_id, guardrail_id);
CREATE INDEX idx_guardrail_configs_endpoint_id ON guardrail_configs USING btree (endpoint_id);
CREATE INDEX idx_guardrail_configs_guardrail_id ON guardrail_configs USING btree (guardrail_id);
ALTER TABLE ONLY guardrail_configs
    ADD CONSTRAINT fk_guardrail_configs_endpoint_id FOREIGN KEY (endpoint_id) REFERENCES endpoints(endpoint_id) ON DELETE CASCADE;
ALTER TABLE ONLY guardrail_configs
    ADD CONSTRAINT fk_guardrail_configs_guardrail_id FOREIGN KEY (guardrail_id) REFERENCES guardrails(guardrail_id) ON DELETE CASCADE;
