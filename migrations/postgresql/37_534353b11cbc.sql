-- 534353b11cbc: scorers and scorer_versions tables.
CREATE TABLE scorers (
    experiment_id integer NOT NULL,
    scorer_name character varying(256) NOT NULL,
    scorer_id character varying(36) NOT NULL
);
ALTER TABLE ONLY scorers
    ADD CONSTRAINT scorer_pk PRIMARY KEY (scorer_id);
CREATE UNIQUE INDEX index_scorers_experiment_id_scorer_name ON scorers USING btree (experiment_id, scorer_name);
ALTER TABLE ONLY scorers
    ADD CONSTRAINT fk_scorers_experiment_id FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id) ON DELETE CASCADE;
CREATE TABLE scorer_versions (
    scorer_id character varying(36) NOT NULL,
    scorer_version integer NOT NULL,
    serialized_scorer text NOT NULL,
    creation_time bigint
);
ALTER TABLE ONLY scorer_versions
    ADD CONSTRAINT scorer_version_pk PRIMARY KEY (scorer_id, scorer_version);
CREATE INDEX index_scorer_versions_scorer_id ON scorer_versions USING btree (scorer_id);
ALTER TABLE ONLY scorer_versions
    ADD CONSTRAINT fk_scorer_versions_scorer_id FOREIGN KEY (scorer_id) REFERENCES scorers(scorer_id) ON DELETE CASCADE;
