-- cc1f77228345: params.value VARCHAR(250) -> VARCHAR(500).
ALTER TABLE params ALTER COLUMN value TYPE character varying(500);
