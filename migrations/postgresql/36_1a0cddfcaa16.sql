-- 1a0cddfcaa16: webhooks and webhook_events tables.
CREATE TABLE webhooks (
    webhook_id character varying(256) NOT NULL,
    name character varying(256) NOT NULL,
    description character varying(1000),
    url character varying(500) NOT NULL,
    status character varying(20) DEFAULT 'ACTIVE'::character varying NOT NULL,
    secret character varying(1000),
    creation_timestamp bigint,
    last_updated_timestamp bigint,
    deleted_timestamp bigint
);
ALTER TABLE ONLY webhooks
    ADD CONSTRAINT webhook_pk PRIMARY KEY (webhook_id);
CREATE INDEX idx_webhooks_name ON webhooks USING btree (name);
CREATE INDEX idx_webhooks_status ON webhooks USING btree (status);
CREATE TABLE webhook_events (
    webhook_id character varying(256) NOT NULL,
    entity character varying(50) NOT NULL,
    action character varying(50) NOT NULL
);
ALTER TABLE ONLY webhook_events
    ADD CONSTRAINT webhook_event_pk PRIMARY KEY (webhook_id, entity, action);
CREATE INDEX idx_webhook_events_action ON webhook_events USING btree (action);
CREATE INDEX idx_webhook_events_entity ON webhook_events USING btree (entity);
CREATE INDEX idx_webhook_events_entity_action ON webhook_events USING btree (entity, action);
ALTER TABLE ONLY webhook_events
    ADD CONSTRAINT webhook_events_webhook_id_fkey FOREIGN KEY (webhook_id) REFERENCES webhooks(webhook_id) ON DELETE CASCADE;
