-- The table recording which migrations a database has. Read by sql/install.sql and compiled into
-- the examq binary (`examq migrate`), so both installers agree.
CREATE TABLE IF NOT EXISTS examq_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE examq_migrations IS
  'examq schema migrations applied to this database (one row per sql/NNNN_name.sql file).';
