-- Progress, completion, failure and retry arithmetic, release, snooze, and fencing.
BEGIN;
SELECT plan(55);

CREATE FUNCTION pg_temp.claim(t text, w text DEFAULT 'w1') RETURNS uuid LANGUAGE sql AS $$
  SELECT id FROM get_next_processing_job(w, ARRAY[t])
$$;

-- ---- progress
INSERT INTO processing_jobs (job_type) VALUES ('p-progress');
SELECT pg_temp.claim('p-progress') AS job \gset
UPDATE processing_jobs SET locked_until = now() + interval '1 second' WHERE id = :'job';
SELECT is(update_job_progress(:'job', 40, 'Analyzing exam paper with AI', worker_id => 'w1', attempt => 1), false,
          'progress returns false while no cancellation is requested');
SELECT row_eq(format('SELECT progress_percentage, current_step, locked_until > now() + interval ''59 seconds'' FROM processing_jobs WHERE id = %L', :'job'),
              ROW(40, 'Analyzing exam paper with AI'::text, true), 'progress and step recorded, lease extended');
SELECT lives_ok(format('SELECT update_job_progress(%L, 45, NULL, worker_id => %L, attempt => 1)', :'job', 'w1'),
                'a NULL step keeps the step');
SELECT is((SELECT current_step FROM processing_jobs WHERE id = :'job'), 'Analyzing exam paper with AI', 'step kept');
SELECT throws_ok(format('SELECT update_job_progress(%L, 101, %L, worker_id => %L, attempt => 1)', :'job', 'x', 'w1'), '22023',
                 'progress_percentage must be between 0 and 100 (got 101)', 'progress above 100 refused');
SELECT throws_ok(format('SELECT update_job_progress(%L, -1, %L, worker_id => %L, attempt => 1)', :'job', 'x', 'w1'),
                 '22023', NULL, 'negative progress refused');
SELECT throws_ok(format('SELECT update_job_progress(%L, NULL, %L, worker_id => %L, attempt => 1)', :'job', 'x', 'w1'),
                 '22023', NULL, 'NULL progress refused');
SELECT throws_ok(format('SELECT update_job_progress(%L, 50, %L, worker_id => %L, attempt => 1)', :'job', 'x', 'w-other'), '55000', NULL,
                 'another worker cannot report progress');
SELECT throws_ok(format('SELECT update_job_progress(%L, 50, %L, worker_id => %L, attempt => 2)', :'job', 'x', 'w1'), '55000', NULL,
                 'the same worker in another attempt cannot report progress');
-- Leaving out the worker used to skip the holder check; now it is refused.
SELECT throws_ok(format('SELECT update_job_progress(%L, 50, %L)', :'job', 'x'), '22023',
                 'worker_id and attempt are required', 'progress without worker_id and attempt is refused');
SELECT throws_ok($$SELECT update_job_progress(gen_random_uuid(), 50, 'x', worker_id => 'w1', attempt => 1)$$,
                 'P0002', NULL, 'unknown job: P0002');
SELECT lives_ok(format('SELECT update_job_progress(%L, 50, %L, worker_id => %L, attempt => 1, lease => interval ''10 minutes'')', :'job', 'x', 'w1'),
                'progress with a new lease length');
SELECT ok((SELECT locked_until > now() + interval '9 minutes' AND lease_duration = interval '10 minutes'
             FROM processing_jobs WHERE id = :'job'), 'lease extended by the new length');

-- ---- heartbeat
INSERT INTO processing_jobs (job_type) SELECT 'p-heartbeat' FROM generate_series(1, 3);
SELECT array_agg(id ORDER BY id) AS hb FROM get_next_processing_jobs(3, 'whb', ARRAY['p-heartbeat']) \gset
UPDATE processing_jobs SET cancel_requested = true WHERE id = (:'hb'::uuid[])[1];
UPDATE processing_jobs SET locked_by = 'someone-else' WHERE id = (:'hb'::uuid[])[3];
SELECT results_eq(format('SELECT id, cancel_requested FROM heartbeat_processing_jobs(%L, %L, ARRAY[1, 1, 1], interval ''2 minutes'') ORDER BY id', :'hb', 'whb'),
                  format('VALUES (%L::uuid, true), (%L::uuid, false)', (:'hb'::uuid[])[1], (:'hb'::uuid[])[2]),
                  'heartbeat renews held jobs, reports cancellation, omits jobs held by others');
SELECT is((SELECT count(*) FROM processing_jobs WHERE id = ANY (:'hb') AND locked_until > now() + interval '119 seconds'),
          2::bigint, 'only the held jobs got the new lease');

-- ---- complete
SELECT throws_ok(format('SELECT complete_processing_job(%L, %L)', :'job', '{}'), '22023', NULL,
                 'completion without worker_id and attempt is refused');
SELECT is((complete_processing_job(:'job', '{"questions": 12}', worker_id => 'w1', attempt => 1)).status, 'completed',
          'complete returns the job');
SELECT row_eq(format('SELECT status, progress_percentage, current_step, result, completed_at IS NOT NULL, locked_until FROM processing_jobs WHERE id = %L', :'job'),
              ROW('completed'::text, 100, 'Completed'::text, '{"questions": 12}'::jsonb, true, NULL::timestamptz),
              'completed: progress 100, step Completed, result and completed_at');
SELECT throws_ok(format('SELECT complete_processing_job(%L, NULL, %L, 1)', :'job', 'w1'), '55000', NULL, 'cannot complete twice');
SELECT throws_ok(format('SELECT update_job_progress(%L, 10, %L, worker_id => %L, attempt => 1)', :'job', 'x', 'w1'), '55000', NULL,
                 'no progress on a finished job');

-- ---- batch complete
INSERT INTO processing_jobs (job_type) SELECT 'p-batch' FROM generate_series(1, 4);
SELECT array_agg(id ORDER BY id) AS batch FROM get_next_processing_jobs(4, 'wbatch', ARRAY['p-batch']) \gset
UPDATE processing_jobs SET locked_by = 'thief' WHERE id = (:'batch'::uuid[])[4];
SELECT is((SELECT count(*) FROM complete_processing_jobs(:'batch',
             ARRAY['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']::jsonb[], 'wbatch', ARRAY[1, 1, 1, 1])), 3::bigint,
          'batch completion completes the held jobs only');
SELECT is((SELECT result FROM processing_jobs WHERE id = (:'batch'::uuid[])[2]), '{"n": 2}'::jsonb,
          'each job gets its own result');
SELECT is((SELECT status FROM processing_jobs WHERE id = (:'batch'::uuid[])[4]), 'processing',
          'a job held by another worker is untouched');
SELECT throws_ok(format('SELECT complete_processing_jobs(%L, ARRAY[''{}'']::jsonb[], %L, ARRAY[1, 1, 1, 1])', :'batch', 'wbatch'),
                 '22023', NULL, 'results must match job ids');
SELECT throws_ok(format('SELECT complete_processing_jobs(%L, NULL, %L, ARRAY[1])', :'batch', 'wbatch'), '22023', NULL,
                 'attempts must match job ids');

-- ---- fail: retry arithmetic
SET examq.retry_backoff_base = '0';
INSERT INTO processing_jobs (job_type, max_retries) VALUES ('p-fail', 2);
SELECT pg_temp.claim('p-fail') AS job \gset
SELECT row_eq(format('SELECT status, retry_count, run_at <= now(), error_message, error_details, completed_at FROM fail_processing_job(%L, %L, false, %L, %L, 1)',
                     :'job', 'provider timeout', '{"http": 504}', 'w1'),
              ROW('pending'::text, 1, true, 'provider timeout'::text, '{"http": 504}'::jsonb, NULL::timestamptz),
              'first failure: back to pending, retry_count 1, message and details kept (base 0: due now)');
SELECT is((SELECT current_step FROM processing_jobs WHERE id = :'job'), 'Retry 1 of 2 scheduled', 'step says a retry is scheduled');
SELECT is(pg_temp.claim('p-fail'), :'job'::uuid, 'with base 0 the retry is claimable at once');
SELECT is((fail_processing_job(:'job', 'again', worker_id => 'w1', attempt => 2)).retry_count, 2, 'second failure: retry_count 2');
SELECT is(pg_temp.claim('p-fail'), :'job'::uuid, 'third attempt claimed');
SELECT row_eq(format('SELECT status, retry_count, attempts, completed_at IS NOT NULL, current_step FROM fail_processing_job(%L, %L, worker_id => %L, attempt => 3)', :'job', 'third', 'w1'),
              ROW('failed'::text, 2, 3, true, 'Failed'::text),
              'retries used up: failed for good after 1 + max_retries attempts');
SELECT throws_ok(format('SELECT fail_processing_job(%L, %L, worker_id => %L, attempt => 3)', :'job', 'late', 'w1'), '55000', NULL,
                 'cannot fail a failed job');

-- critical failures are not retried
INSERT INTO processing_jobs (job_type) VALUES ('p-critical');
SELECT pg_temp.claim('p-critical') AS job \gset
SELECT row_eq(format('SELECT status, retry_count FROM fail_processing_job(%L, %L, true, NULL, %L, 1)', :'job', 'PDF is password-protected', 'w1'),
              ROW('failed'::text, 0), 'a critical failure fails at once');
SELECT is((SELECT error_message FROM processing_jobs WHERE id = :'job'), 'PDF is password-protected', 'its message is kept');

-- max_retries 0
INSERT INTO processing_jobs (job_type, max_retries) VALUES ('p-noretry', 0);
SELECT pg_temp.claim('p-noretry') AS job \gset
SELECT is((fail_processing_job(:'job', 'x', worker_id => 'w1', attempt => 1)).status, 'failed', 'max_retries 0: one attempt only');

-- backoff: exponential with jitter, capped
SET examq.retry_backoff_base = '10 seconds';
SET examq.retry_backoff_cap = '1 minute';
SELECT ok(bool_and(d BETWEEN interval '5 seconds' AND interval '10 seconds'), 'retry 1 waits base * [0.5, 1]')
  FROM (SELECT processing_job_retry_delay(1) AS d FROM generate_series(1, 200)) s;
SELECT ok(bool_and(d BETWEEN interval '20 seconds' AND interval '40 seconds'), 'retry 3 waits base * 4 * [0.5, 1]')
  FROM (SELECT processing_job_retry_delay(3) AS d FROM generate_series(1, 200)) s;
SELECT ok(bool_and(d BETWEEN interval '30 seconds' AND interval '60 seconds'), 'retry 10 is capped')
  FROM (SELECT processing_job_retry_delay(10) AS d FROM generate_series(1, 200)) s;
SELECT ok(count(DISTINCT d) > 100, 'the jitter spreads retries')
  FROM (SELECT processing_job_retry_delay(2) AS d FROM generate_series(1, 200)) s;
INSERT INTO processing_jobs (job_type) VALUES ('p-backoff');
SELECT pg_temp.claim('p-backoff') AS job \gset
SELECT ok((SELECT run_at BETWEEN now() + interval '5 seconds' AND now() + interval '10 seconds'
             FROM fail_processing_job(:'job', 'x', worker_id => 'w1', attempt => 1)), 'a failure pushes run_at back by the backoff');
SELECT is_empty($$SELECT * FROM get_next_processing_job('w1', ARRAY['p-backoff'])$$, 'not claimable before run_at');
RESET examq.retry_backoff_base;
RESET examq.retry_backoff_cap;

-- ---- release (graceful shutdown)
INSERT INTO processing_jobs (job_type) VALUES ('p-release');
SELECT pg_temp.claim('p-release') AS job \gset
SELECT row_eq(format('SELECT status, retry_count, locked_until, run_at <= now() FROM release_processing_job(%L, %L, 1)', :'job', 'w1'),
              ROW('pending'::text, 0, NULL::timestamptz, true), 'release: pending at once, no retry used');
SELECT is(pg_temp.claim('p-release'), :'job'::uuid, 'a released job is claimable again');
SELECT is((SELECT attempts FROM processing_jobs WHERE id = :'job'), 2, 'both claims counted as attempts');

-- ---- snooze
-- The reason (often a provider's rate-limit text) is kept in error_details, not in the step that
-- every listener receives.
SELECT row_eq(format('SELECT status, retry_count, run_at > now() + interval ''29 seconds'', current_step, error_details ->> ''snooze_reason'' FROM snooze_processing_job(%L, interval ''30 seconds'', %L, %L, 2)', :'job', 'rate limited', 'w1'),
              ROW('pending'::text, 0, true, 'Snoozed'::text, 'rate limited'::text),
              'snooze: pending later, no retry used, step Snoozed, reason in error_details');
SELECT throws_ok(format('SELECT snooze_processing_job(%L, interval ''-1 second'', NULL, %L, 2)', :'job', 'w1'), '22023', NULL,
                 'a negative snooze is refused');

-- ---- confirm cancellation
INSERT INTO processing_jobs (job_type) VALUES ('p-cancel');
SELECT pg_temp.claim('p-cancel') AS job \gset
SELECT is((confirm_processing_job_cancelled(:'job', 'w1', 1)).status, 'cancelled', 'the worker confirms a cancellation');
SELECT throws_ok(format('SELECT confirm_processing_job_cancelled(%L, %L, 1)', :'job', 'w1'), '55000', NULL, 'only once');

-- ---- the batch functions find their jobs by primary key, with or without statistics
-- With a status filter in the locking scan the planner walked processing_jobs_lease_idx (every
-- running job, and before the first ANALYZE every entry ever made), or read the whole table:
-- each call then cost as much as the table, not the batch. The scan counts of this transaction
-- show which way the calls went.
INSERT INTO processing_jobs (job_type) SELECT 'p-many' FROM generate_series(1, 20000);
SELECT is((SELECT count(*) FROM get_next_processing_jobs(2000, 'wmany', ARRAY['p-many'])), 2000::bigint,
          '2,000 of 20,000 jobs running');
CREATE FUNCTION pg_temp.scans() RETURNS bigint[] LANGUAGE sql AS $$
  SELECT ARRAY[pg_stat_get_xact_numscans('processing_jobs'::regclass),
               pg_stat_get_xact_numscans('processing_jobs_lease_idx'::regclass)]
$$;
CREATE FUNCTION pg_temp.running_many() RETURNS uuid[] LANGUAGE sql AS $$
  SELECT array_agg(id) FROM (SELECT id FROM processing_jobs
                              WHERE job_type = 'p-many' AND status = 'processing'
                              ORDER BY id LIMIT 500) AS s
$$;
SELECT pg_temp.running_many() AS many \gset
SELECT pg_temp.scans() AS before \gset
SELECT is((SELECT count(*) FROM heartbeat_processing_jobs(:'many', 'wmany', array_fill(1, ARRAY[500]))), 500::bigint,
          'a 500-job heartbeat among 2,000 running jobs');
SELECT is((SELECT count(*) FROM complete_processing_jobs(:'many', NULL, 'wmany', array_fill(1, ARRAY[500]))), 500::bigint,
          'a 500-job completion among 2,000 running jobs');
SELECT is(pg_temp.scans(), :'before'::bigint[],
          'no table scan and no lease index walk before the first ANALYZE');
ANALYZE processing_jobs;
SELECT pg_temp.running_many() AS many \gset
SELECT pg_temp.scans() AS before \gset
SELECT lives_ok(format('SELECT heartbeat_processing_jobs(%L, %L, array_fill(1, ARRAY[500]))', :'many', 'wmany'),
                'heartbeat after ANALYZE');
SELECT lives_ok(format('SELECT complete_processing_jobs(%L, NULL, %L, array_fill(1, ARRAY[500]))', :'many', 'wmany'),
                'completion after ANALYZE');
SELECT is(pg_temp.scans(), :'before'::bigint[], 'no table scan and no lease index walk after ANALYZE');

SELECT * FROM finish();
ROLLBACK;
