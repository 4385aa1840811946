-- Every examq_cleanup.rescue_interval the worker takes back jobs whose lease expired, and records
-- the runs that rescued something.
SELECT clock_timestamp() AS t4 \gset
INSERT INTO processing_jobs (job_type, status, created_at, started_at, attempts, locked_by,
                             locked_until)
VALUES ('lost-lease', 'processing', now() - interval '5 minutes', now() - interval '5 minutes', 1,
        'gone:1', now() - interval '1 minute');

SELECT test_wait_for_run('rescue', NULL, :'t4') AS run \gset
SELECT task, reason, rows_affected, error FROM examq_cleanup_runs WHERE id = :run;
SELECT status, retry_count, locked_until, error_message FROM processing_jobs
 WHERE job_type = 'lost-lease';
SELECT job_type, status FROM processing_jobs WHERE job_type = 'old-processing';
