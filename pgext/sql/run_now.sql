-- examq_cleanup_run_now() cleans up at once, in the caller's transaction, for superusers.
INSERT INTO processing_jobs (job_type, status, created_at, completed_at)
VALUES ('manual-old', 'completed', now() - interval '3 days', now() - interval '2 days');
SELECT examq_cleanup_run_now();
SELECT task, reason, rows_affected, error FROM examq_cleanup_runs WHERE reason = 'manual';
SELECT count(*) AS left_over FROM processing_jobs WHERE job_type = 'manual-old';

-- Rolled back with the caller's transaction, run-log row included.
BEGIN;
INSERT INTO processing_jobs (job_type, status, created_at, completed_at)
VALUES ('manual-old', 'completed', now() - interval '3 days', now() - interval '2 days');
SELECT examq_cleanup_run_now();
ROLLBACK;
SELECT count(*) AS manual_runs FROM examq_cleanup_runs WHERE reason = 'manual';

-- Not for PUBLIC.
SET ROLE examq_admin;
SELECT examq_cleanup_run_now();
RESET ROLE;
