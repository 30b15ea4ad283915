-- 4465047574b1: datasets.dataset_schema -> MEDIUMTEXT. MySQL only; text already suffices on PostgreSQL.

