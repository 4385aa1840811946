-- Leases: a dead worker's job is taken over as a failed attempt; the late worker is fenced off.
-- Concurrency: two sessions claiming at once never get the same job.
BEGIN;
SELECT plan(20);

INSERT INTO processing_jobs (job_type, max_retries) VALUES ('l-takeover', 1);
SELECT id AS job FROM get_next_processing_job('dead-worker', ARRAY['l-takeover'], interval '1 minute') \gset
SELECT is_empty($$SELECT * FROM get_next_processing_job('w2', ARRAY['l-takeover'])$$,
                'a job with a valid lease is not claimable');

-- The worker dies: its lease runs out.
UPDATE processing_jobs SET locked_until = now() - interval '1 second' WHERE id = :'job';
SELECT is((SELECT id FROM get_next_processing_job('w2', ARRAY['l-takeover'])), :'job'::uuid,
          'after the lease the job is claimable again, with no other process running');
SELECT row_eq(format('SELECT status, locked_by, retry_count, attempts, error_message, error_details->>''locked_by'' FROM processing_jobs WHERE id = %L', :'job'),
              ROW('processing'::text, 'w2'::text, 1, 2, 'worker lost: lease expired'::text, 'dead-worker'::text),
              'the lost attempt counts as a failed attempt with error "worker lost: lease expired"');

-- The late worker wakes up: none of its settling calls may overwrite the new attempt.
SELECT throws_ok(format('SELECT complete_processing_job(%L, NULL, %L, 1)', :'job', 'dead-worker'), '55000', NULL,
                 'the late worker cannot complete');
SELECT throws_ok(format('SELECT fail_processing_job(%L, %L, false, NULL, %L, 1)', :'job', 'x', 'dead-worker'), '55000', NULL,
                 'the late worker cannot fail it');
SELECT throws_ok(format('SELECT update_job_progress(%L, 50, %L, %L, 1)', :'job', 'x', 'dead-worker'), '55000', NULL,
                 'the late worker cannot report progress');
SELECT throws_ok(format('SELECT release_processing_job(%L, %L, 1)', :'job', 'dead-worker'), '55000', NULL,
                 'the late worker cannot release it');
SELECT is_empty(format('SELECT * FROM heartbeat_processing_jobs(ARRAY[%L]::uuid[], %L, ARRAY[1])', :'job', 'dead-worker'),
                'the late worker''s heartbeat does not renew it');
SELECT is((SELECT locked_by FROM processing_jobs WHERE id = :'job'), 'w2', 'the new holder keeps it');

-- The second worker dies too: retries used up, the job fails for good.
UPDATE processing_jobs SET locked_until = now() - interval '1 second' WHERE id = :'job';
SELECT is(rescue_expired_processing_jobs(), 1, 'rescue reports what it took back');
SELECT row_eq(format('SELECT status, retry_count, completed_at IS NOT NULL, error_message FROM processing_jobs WHERE id = %L', :'job'),
              ROW('failed'::text, 1, true, 'worker lost: lease expired'::text),
              'a lost job with no retries left fails for good');
SELECT is(rescue_expired_processing_jobs(), 0, 'nothing left to rescue');

-- A lost job whose cancellation was requested ends cancelled.
INSERT INTO processing_jobs (job_type) VALUES ('l-cancelled');
SELECT id AS job FROM get_next_processing_job('w3', ARRAY['l-cancelled']) \gset
UPDATE processing_jobs SET cancel_requested = true, locked_until = now() - interval '1 second' WHERE id = :'job';
SELECT is(rescue_expired_processing_jobs(), 1, 'rescued');
SELECT is((SELECT status FROM processing_jobs WHERE id = :'job'), 'cancelled', 'a lost job with a cancel request is cancelled');

-- Expired leases are rescued by the claim even when the claim asks for other types.
INSERT INTO processing_jobs (job_type) VALUES ('l-other');
SELECT id AS job FROM get_next_processing_job('w4', ARRAY['l-other']) \gset
UPDATE processing_jobs SET locked_until = now() - interval '1 second' WHERE id = :'job';
SELECT is_empty($$SELECT * FROM get_next_processing_job('w5', ARRAY['l-nothing'])$$, 'claim of another type');
SELECT is((SELECT status FROM processing_jobs WHERE id = :'job'), 'pending', 'still rescued the expired job');

-- Two sessions at the same time (two more connections through dblink; the data they share is
-- committed, and deleted at the end).
SELECT format('dbname=%s host=%s port=%s', current_database(), coalesce(host(inet_server_addr()), 'localhost'),
              current_setting('port')) AS dsn \gset
SELECT dblink_connect('a', :'dsn');
SELECT dblink_connect('b', :'dsn');
SELECT dblink_exec('a', $$INSERT INTO processing_jobs (job_type) SELECT 'l-concurrent' FROM generate_series(1, 3)$$);
SELECT dblink_exec('a', 'BEGIN');
SELECT dblink_exec('b', 'BEGIN');
CREATE TEMP TABLE got (session text, id uuid);
INSERT INTO got SELECT 'a', id FROM dblink('a', $$SELECT id FROM get_next_processing_jobs(2, 'wa', ARRAY['l-concurrent'])$$) AS t(id uuid);
INSERT INTO got SELECT 'b', id FROM dblink('b', $$SELECT id FROM get_next_processing_jobs(2, 'wb', ARRAY['l-concurrent'])$$) AS t(id uuid);
SELECT is((SELECT count(*) FROM got WHERE session = 'a'), 2::bigint, 'session a claimed 2 inside its open transaction');
SELECT is((SELECT count(*) FROM got WHERE session = 'b'), 1::bigint, 'session b, at the same time, got only the remaining one');
SELECT is((SELECT count(DISTINCT id) FROM got), 3::bigint, 'no job was handed to both');
SELECT dblink_exec('a', 'COMMIT');
SELECT dblink_exec('b', 'COMMIT');
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'l-concurrent' AND status = 'processing'),
          3::bigint, 'all three claimed once after both commit');
SELECT dblink_exec('a', $$DELETE FROM processing_jobs WHERE job_type = 'l-concurrent'$$);
SELECT dblink_disconnect('a');
SELECT dblink_disconnect('b');
SELECT * FROM finish();
ROLLBACK;
