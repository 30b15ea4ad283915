-- 3500859a5d39: registered_model_aliases table (MLflow 2.3).
CREATE TABLE registered_model_aliases (
    alias character varying(256) NOT NULL,
    version integer NOT NULL,
    name character varying(256) NOT NULL
);
ALTER TABLE ONLY registered_model_aliases
    ADD CONSTRAINT registered_model_alias_pk PRIMARY KEY (name, alias);
ALTER TABLE ONLY registered_model_aliases
    ADD CONSTRAINT registered_model_alias_name_fkey FOREIGN KEY (name) REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE;
