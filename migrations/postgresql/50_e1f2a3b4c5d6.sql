-- e1f2a3b4c5d6: budget_policies table.
CREATE TABLE budget_policies (
    budget_policy_id character varying(36) NOT NULL,
    budget_unit character varying(32) NOT NULL,
    budget_amount double precision NOT NULL,
    duration_unit character varying(32) NOT NULL,
    duration_value integer NOT NULL,
    target_scope character varying(32) NOT NULL,
    budget_action character varying(32) NOT NULL,
    created_by character varying(255),
    created_at bigint NOT NULL,
    last_updated_by character varying(255),
    last_updated_at bigint NOT NULL,
    workspace character varying(63) DEFAULT 'default'::character varying NOT NULL
);
ALTER TABLE ONLY budget_policies
    ADD CONSTRAINT budget_policies_pk PRIMARY KEY (budget_policy_id);
CREATE INDEX idx_budget_policies_workspace ON budget_policies USING btree (workspace);
