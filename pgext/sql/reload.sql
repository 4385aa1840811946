-- Settings are validated, reserved, reloadable and take effect on reload.
ALTER SYSTEM SET examq_cleanup.retention = 'soon';
ALTER SYSTEM SET examq_cleanup.retention = '-1 day';
ALTER SYSTEM SET examq_cleanup.at = '25:00';
ALTER SYSTEM SET examq_cleanup.rescue_interval = -1;
ALTER SYSTEM SET examq_cleanup.database = '';
SET examq_cleanup.period = 5;
SET examq_cleanup.no_such_setting = 1;
SELECT name, setting, unit, context FROM pg_settings WHERE name LIKE 'examq_cleanup.%' ORDER BY name;

-- A job finished two hours ago outlives runs with the default 30-day retention ...
INSERT INTO processing_jobs (job_type, status, created_at, completed_at)
VALUES ('two-hours-old', 'completed', now() - interval '3 hours', now() - interval '2 hours');
SELECT clock_timestamp() AS t3 \gset
SELECT test_wait_for_run('cleanup', 'period', :'t3') AS run \gset
SELECT rows_affected, error FROM examq_cleanup_runs WHERE id = :run;
SELECT count(*) AS kept FROM processing_jobs WHERE job_type = 'two-hours-old';

-- ... and is deleted once a reload brings the retention down to an hour.
ALTER SYSTEM SET examq_cleanup.retention = '1 hour';
SELECT pg_reload_conf();
SELECT test_wait_until($$SELECT NOT EXISTS (SELECT FROM processing_jobs WHERE job_type = 'two-hours-old')$$);
