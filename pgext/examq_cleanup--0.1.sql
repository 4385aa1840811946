-- examq_cleanup 0.1: the SQL-callable part of the extension. The background worker itself needs
-- no CREATE EXTENSION; see docs/cleanup.md.
\echo Use "CREATE EXTENSION examq_cleanup" to load this file. \quit

CREATE FUNCTION examq_cleanup_run_now() RETURNS integer
  LANGUAGE c VOLATILE PARALLEL UNSAFE
  AS 'MODULE_PATHNAME', 'examq_cleanup_run_now';

COMMENT ON FUNCTION examq_cleanup_run_now() IS
  'Runs cleanup_old_processing_jobs(examq_cleanup.retention) now, in the calling transaction, '
  'records it in examq_cleanup_runs (reason ''manual'') and returns the number of jobs deleted.';

-- Deleting jobs is an administrator's act: superusers only unless explicitly granted (the grantee
-- also needs to be able to run cleanup_old_processing_jobs and write examq_cleanup_runs).
REVOKE ALL ON FUNCTION examq_cleanup_run_now() FROM PUBLIC;
