-- 4465047574b1: datasets.dataset_schema TEXT -> MEDIUMTEXT, the step's MySQL branch (MLflow 2.15).
ALTER TABLE datasets MODIFY dataset_schema MEDIUMTEXT NULL;
