-- 7f2a7d5fae7d: datasets, inputs and input_tags tables (MLflow 2.4).
CREATE TABLE datasets (
    dataset_uuid character varying(36) NOT NULL,
    experiment_id integer NOT NULL,
    name character varying(500) NOT NULL,
    digest character varying(36) NOT NULL,
    dataset_source_type character varying(36) NOT NULL,
    dataset_source text NOT NULL,
    dataset_schema text,
    dataset_profile text
);
ALTER TABLE ONLY datasets
    ADD CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest);
CREATE INDEX index_datasets_dataset_uuid ON datasets USING btree (dataset_uuid);
CREATE INDEX index_datasets_experiment_id_dataset_source_type ON datasets USING btree (experiment_id, dataset_source_type);
ALTER TABLE ONLY datasets
    ADD CONSTRAINT datasets_experiment_id_fkey FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id);
CREATE TABLE inputs (
    input_uuid character varying(36) NOT NULL,
    source_type character varying(36) NOT NULL,
    source_id character varying(36) NOT NULL,
    destination_type character varying(36) NOT NULL,
    destination_id character varying(36) NOT NULL
);
ALTER TABLE ONLY inputs
    ADD CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id);
CREATE INDEX index_inputs_destination_type_destination_id_source_type ON inputs USING btree (destination_type, destination_id, source_type);
CREATE INDEX index_inputs_input_uuid ON inputs USING btree (input_uuid);
CREATE TABLE input_tags (
    input_uuid character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    value character varying(500) NOT NULL
);
ALTER TABLE ONLY input_tags
    ADD CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name);
