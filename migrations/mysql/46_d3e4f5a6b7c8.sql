-- d3e4f5a6b7c8: endpoint_bindings.display_name.
ALTER TABLE endpoint_bindings ADD COLUMN display_name VARCHAR(255);
