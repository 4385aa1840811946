-- A reload that changes examq_cleanup.database moves the worker there. In a database without
-- the queue schema it waits, recording nothing, and catches up once the schema is installed.
CREATE DATABASE examq_regress_moved;
ALTER SYSTEM SET examq_cleanup.database = 'examq_regress_moved';
SELECT pg_reload_conf();
SELECT test_wait_until($$
  SELECT EXISTS (SELECT FROM pg_stat_activity
                  WHERE backend_type = 'examq_cleanup' AND datname = 'examq_regress_moved'
                    AND query = 'examq_cleanup: waiting for the queue schema in this database')$$);

\c examq_regress_moved
SELECT to_regclass('examq_cleanup_runs') AS run_log;
\set ECHO none
\o /dev/null
\getenv sql_dir EXAMQ_SQL_DIR
\set install_sql :sql_dir '/install.sql'
\i :install_sql
\o
\set QUIET on
\set ECHO all
\c examq_regress

SELECT test_wait_until($$
  SELECT EXISTS (SELECT FROM pg_stat_activity
                  WHERE backend_type = 'examq_cleanup' AND datname = 'examq_regress_moved'
                    AND query LIKE 'examq_cleanup: next cleanup at %')$$);
\c examq_regress_moved
SELECT task, reason, rows_affected, error FROM examq_cleanup_runs ORDER BY id;
