-- On its schedule (here the test period, switched on by a reload) the worker deletes finished
-- jobs older than the retention, and keeps pending, running and recently finished ones.
INSERT INTO processing_jobs (job_type, status, created_at, started_at, completed_at,
                             locked_by, locked_until)
VALUES ('old-completed',    'completed', now() - interval '41 days', now() - interval '41 days', now() - interval '40 days', NULL, NULL),
       ('old-failed',       'failed',    now() - interval '41 days', now() - interval '41 days', now() - interval '40 days', NULL, NULL),
       ('old-cancelled',    'cancelled', now() - interval '41 days', NULL,                       now() - interval '40 days', NULL, NULL),
       ('recent-completed', 'completed', now() - interval '2 days',  now() - interval '2 days',  now() - interval '1 day',   NULL, NULL),
       ('old-pending',      'pending',   now() - interval '41 days', NULL,                       NULL,                       NULL, NULL),
       ('old-processing',   'processing', now() - interval '41 days', now() - interval '41 days', NULL, 'test:1', now() + interval '1 hour');
SELECT clock_timestamp() AS t0 \gset

ALTER SYSTEM SET examq_cleanup.period = 1;
SELECT pg_reload_conf();

SELECT test_wait_for_run('cleanup', 'period', :'t0') AS run \gset
SELECT task, reason, rows_affected, error FROM examq_cleanup_runs WHERE id = :run;
SELECT job_type, status FROM processing_jobs ORDER BY job_type;
