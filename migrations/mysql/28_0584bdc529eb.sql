-- 0584bdc529eb: the datasets -> experiments foreign key (auto-named by MySQL, usually datasets_ibfk_1)
-- is replaced by fk_datasets_experiment_id_experiments with ON DELETE CASCADE (MLflow 2.18). Like
-- MLflow (which reads it from SHOW CREATE TABLE), the old name is looked up rather than assumed. One
-- ALTER drops the old key and adds the new one, so an interrupted step is either done or not; run
-- again once done, it finds only the new key and does nothing.
SET @fml_fk = (SELECT MIN(constraint_name) FROM information_schema.referential_constraints
    WHERE constraint_schema = DATABASE() AND table_name = 'datasets' AND referenced_table_name = 'experiments'
      AND constraint_name <> 'fk_datasets_experiment_id_experiments');
SET @fml_sql = IF(@fml_fk IS NULL, 'DO 0', CONCAT('ALTER TABLE datasets DROP FOREIGN KEY `', @fml_fk, '`, ',
    'ADD CONSTRAINT fk_datasets_experiment_id_experiments FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE'));
PREPARE fml_stmt FROM @fml_sql;
EXECUTE fml_stmt;
DEALLOCATE PREPARE fml_stmt;
