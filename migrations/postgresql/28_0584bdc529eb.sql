-- 0584bdc529eb: the datasets -> experiments foreign key (auto-named, usually datasets_experiment_id_fkey)
-- is replaced by fk_datasets_experiment_id_experiments with ON DELETE CASCADE (MLflow 2.18). Like
-- MLflow, the old name is looked up rather than assumed.
DO $$
DECLARE
    fk_name text;
BEGIN
    SELECT con.conname INTO fk_name
    FROM pg_constraint con
    JOIN pg_class rel ON rel.oid = con.conrelid
    JOIN pg_class ref ON ref.oid = con.confrelid
    WHERE con.contype = 'f'
      AND rel.relname = 'datasets' AND rel.relnamespace = current_schema()::regnamespace
      AND ref.relname = 'experiments'
    LIMIT 1;
    IF fk_name IS NULL THEN
        RAISE EXCEPTION 'no foreign key from datasets to experiments';
    END IF;
    EXECUTE format('ALTER TABLE datasets DROP CONSTRAINT %I', fk_name);
END
$$;
ALTER TABLE datasets ADD CONSTRAINT fk_datasets_experiment_id_experiments FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id) ON DELETE CASCADE;
