-- Without the test period the cleanup runs daily at examq_cleanup.at, a local time of the
-- server's time zone (America/St_Johns in regress.conf, UTC-3:30 or -2:30).
SELECT date_trunc('second', clock_timestamp() + interval '4 seconds') AS at_moment \gset
SELECT to_char(:'at_moment'::timestamptz AT TIME ZONE 'America/St_Johns', 'HH24:MI:SS') AS at_local \gset
SELECT clock_timestamp() AS t5 \gset

ALTER SYSTEM RESET examq_cleanup.period;
ALTER SYSTEM SET examq_cleanup.at = :'at_local';
SELECT pg_reload_conf();

SELECT test_wait_for_run('cleanup', 'schedule', :'t5') AS run \gset
SELECT task, reason, error, started_at >= :'at_moment'::timestamptz AS not_before_at
  FROM examq_cleanup_runs WHERE id = :run;
