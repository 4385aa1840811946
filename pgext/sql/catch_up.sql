-- A worker that ends is restarted by the postmaster. At start it catches up when no cleanup
-- succeeded in the last day, and only then.
SELECT pid AS old_pid FROM pg_stat_activity WHERE backend_type = 'examq_cleanup' \gset
SELECT pg_terminate_backend(:old_pid, 10000) AS terminated;

-- While it is down, pretend the last cleanup was two days ago (the server was off since).
DELETE FROM examq_cleanup_runs WHERE task = 'cleanup';
INSERT INTO examq_cleanup_runs (task, reason, started_at, finished_at, rows_affected)
VALUES ('cleanup', 'schedule', now() - interval '2 days', now() - interval '2 days', 0);
SELECT clock_timestamp() AS t6 \gset

SELECT test_wait_for_run('cleanup', 'catch-up', :'t6') AS run \gset
SELECT task, reason, error FROM examq_cleanup_runs WHERE id = :run;
SELECT pid <> :old_pid AS restarted FROM pg_stat_activity WHERE backend_type = 'examq_cleanup';

-- A cleanup succeeded just now: the next start waits for the schedule instead.
SELECT pid AS old_pid FROM pg_stat_activity WHERE backend_type = 'examq_cleanup' \gset
SELECT pg_terminate_backend(:old_pid, 10000) AS terminated;
SELECT clock_timestamp() AS t7 \gset
SELECT test_wait_until(format($$
  SELECT EXISTS (SELECT FROM pg_stat_activity
                  WHERE backend_type = 'examq_cleanup' AND pid <> %s
                    AND query LIKE 'examq_cleanup: next cleanup at %%')$$, :old_pid));
SELECT count(*) AS cleanups_since FROM examq_cleanup_runs
 WHERE task = 'cleanup' AND started_at > :'t7';
