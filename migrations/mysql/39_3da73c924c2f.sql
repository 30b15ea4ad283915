-- 3da73c924c2f: evaluation_dataset_records.outputs JSON.
ALTER TABLE evaluation_dataset_records ADD COLUMN outputs JSON;
