-- de4033877273: entity_associations table.
CREATE TABLE entity_associations (
    association_id character varying(36) NOT NULL,
    source_type character varying(36) NOT NULL,
    source_id character varying(36) NOT NULL,
    destination_type character varying(36) NOT NULL,
    destination_id character varying(36) NOT NULL,
    created_time bigint
);
ALTER TABLE ONLY entity_associations
    ADD CONSTRAINT entity_associations_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id);
CREATE INDEX index_entity_associations_association_id ON entity_associations USING btree (association_id);
CREATE INDEX index_entity_associations_reverse_lookup ON entity_associations USING btree (destination_type, destination_id, source_type, source_id);
