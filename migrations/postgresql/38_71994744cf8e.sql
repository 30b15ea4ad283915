-- 71994744cf8e: evaluation dataset tables.
CREATE TABLE evaluation_datasets (
    dataset_id character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    schema text,
    profile text,
    digest character varying(64),
    created_time bigint,
    last_update_time bigint,
    created_by character varying(255),
    last_updated_by character varying(255)
);
ALTER TABLE ONLY evaluation_datasets
    ADD CONSTRAINT evaluation_datasets_pk PRIMARY KEY (dataset_id);
CREATE INDEX index_evaluation_datasets_created_time ON evaluation_datasets USING btree (created_time);
CREATE INDEX index_evaluation_datasets_name ON evaluation_datasets USING btree (name);
CREATE TABLE evaluation_dataset_tags (
    dataset_id character varying(36) NOT NULL,
    key character varying(255) NOT NULL,
    value character varying(5000)
);
ALTER TABLE ONLY evaluation_dataset_tags
    ADD CONSTRAINT evaluation_dataset_tags_pk PRIMARY KEY (dataset_id, key);
CREATE INDEX index_evaluation_dataset_tags_dataset_id ON evaluation_dataset_tags USING btree (dataset_id);
ALTER TABLE ONLY evaluation_dataset_tags
    ADD CONSTRAINT fk_evaluation_dataset_tags_dataset_id FOREIGN KEY (dataset_id) REFERENCES evaluation_datasets(dataset_id) ON DELETE CASCADE;
CREATE TABLE evaluation_dataset_records (
    dataset_record_id character varying(36) NOT NULL,
    dataset_id character varying(36) NOT NULL,
    inputs json NOT NULL,
    expectations json,
    tags json,
    source json,
    source_id character varying(36),
    source_type character varying(255),
    created_time bigint,
    last_update_time bigint,
    created_by character varying(255),
    last_updated_by character varying(255),
    input_hash character varying(64) NOT NULL
);
ALTER TABLE ONLY evaluation_dataset_records
    ADD CONSTRAINT evaluation_dataset_records_pk PRIMARY KEY (dataset_record_id);
ALTER TABLE ONLY evaluation_dataset_records
    ADD CONSTRAINT unique_dataset_input UNIQUE (dataset_id, input_hash);
CREATE INDEX index_evaluation_dataset_records_dataset_id ON evaluation_dataset_records USING btree (dataset_id);
ALTER TABLE ONLY evaluation_dataset_records
    ADD CONSTRAINT fk_evaluation_dataset_records_dataset_id FOREIGN KEY (dataset_id) REFERENCES evaluation_datasets(dataset_id) ON DELETE CASCADE;
