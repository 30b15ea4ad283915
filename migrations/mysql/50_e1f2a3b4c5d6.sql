-- e1f2a3b4c5d6: budget_policies table.
CREATE TABLE budget_policies (
    budget_policy_id VARCHAR(36) NOT NULL,
    budget_unit VARCHAR(32) NOT NULL,
    budget_amount FLOAT NOT NULL,
    duration_unit VARCHAR(32) NOT NULL,
    duration_value INTEGER NOT NULL,
    target_scope VARCHAR(32) NOT NULL,
    budget_action VARCHAR(32) NOT NULL,
    created_by VARCHAR(255),
    created_at BIGINT NOT NULL,
    last_updated_by VARCHAR(255),
    last_updated_at BIGINT NOT NULL,
    workspace VARCHAR(63) NOT NULL DEFAULT 'default',
    CONSTRAINT budget_policies_pk PRIMARY KEY (budget_policy_id)
);
CREATE INDEX idx_budget_policies_workspace ON budget_policies (workspace);
