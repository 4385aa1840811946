-- sql/0017 (settling in one update): complete_processing_jobs and fail_processing_job take no
-- separate lock step, yet keep their fencing: a stale attempt or another worker's job is left
-- alone, also when the job changes hands while the completion waits for its row (READ COMMITTED
-- re-checks the WHERE on the newest version), and a concurrent change that keeps the fence
-- (a heartbeat) does not lose the completion. Every change is still announced, and the insert
-- trigger's single pass still sends a change per row and one wake-up, in both payload modes.
BEGIN;
SELECT plan(20);

\ir support/listener.psql
SELECT dblink_connect('second', :'dsn');
SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type LIKE 'one-%'$$);
SELECT dblink_exec('listener', 'LISTEN processing_jobs_changes');
SELECT dblink_exec('listener', 'LISTEN processing_jobs_available');

-- ---- no lock step left
SELECT ok((SELECT prosrc !~* 'for\s+update' FROM pg_proc
            WHERE oid = 'complete_processing_jobs(uuid[], jsonb[], text, integer[])'::regprocedure),
          'complete_processing_jobs locks no rows before its update');
SELECT ok((SELECT prosrc !~* 'for\s+update' FROM pg_proc
            WHERE oid = 'fail_processing_job(uuid, text, boolean, jsonb, text, integer)'::regprocedure),
          'fail_processing_job locks no row before its update');

-- ---- the insert trigger's single pass: a change per row, one wake-up; both modes
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (id, job_type) VALUES
  ('00000000-0000-0000-0000-0000000017a1', 'one-race'), ('00000000-0000-0000-0000-0000000017a2', 'one-race'),
  ('00000000-0000-0000-0000-0000000017a3', 'one-race'), ('00000000-0000-0000-0000-0000000017a4', 'one-race')$$);
SELECT is(pg_temp.hear(5), 5, 'four inserted: four changes and a wake-up');
SELECT is((SELECT count(*) FROM heard WHERE channel = 'processing_jobs_changes' AND payload->>'op' = 'INSERT'
                                        AND payload->>'status' = 'pending' AND payload->>'job_type' = 'one-race'),
          4::bigint, 'each change a full INSERT payload');
SELECT is((SELECT payload FROM heard WHERE channel = 'processing_jobs_available'), '{"job_types": ["one-race"]}'::jsonb,
          'the wake-up names the type');
TRUNCATE heard;
SELECT dblink_exec('writer', $$SET examq.notify_payload = 'minimal'$$);
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (job_type, run_at) VALUES ('one-later', now() + interval '1 hour'), ('one-later', now() + interval '1 hour')$$);
SELECT is(pg_temp.hear(2), 2, 'minimal mode: a change per inserted row ...');
SELECT is_empty($$SELECT 1 FROM heard WHERE channel <> 'processing_jobs_changes'
                     OR (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(payload) AS k) <> '{id,op,status}'$$,
                '... op, id and status only, and no wake-up for jobs not due');
SELECT dblink_exec('writer', $$RESET examq.notify_payload$$);
TRUNCATE heard;

SELECT pg_temp.w($$SELECT get_next_processing_jobs(4, 'w1', ARRAY['one-race'])$$);
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'one-race' AND status = 'processing'
                                                  AND locked_by = 'w1' AND attempts = 1), 4::bigint,
          'four jobs held by w1 in attempt 1');
SELECT is(pg_temp.hear(4), 4, 'the claim announced each');
TRUNCATE heard;

-- Waits until a session runs a query holding MARKER and waits for a lock.
CREATE FUNCTION pg_temp.waiting_for_lock(marker text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '10 seconds';
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();
    IF EXISTS (SELECT 1 FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND query LIKE '%' || marker || '%'
                  AND pid <> pg_backend_pid()) THEN
      RETURN true;
    END IF;
    EXIT WHEN clock_timestamp() > deadline;
    PERFORM pg_sleep(0.01);
  END LOOP;
  RETURN false;
END $$;

-- ---- the job changes hands while the completion waits: left alone, the others completed
SELECT dblink_exec('writer', $$BEGIN$$);
SELECT dblink_exec('writer', $$UPDATE processing_jobs SET locked_by = 'w2', attempts = 2
                                WHERE id = '00000000-0000-0000-0000-0000000017a1'$$);
SELECT dblink_send_query('second', $$SELECT count(*) /* one-race-taken */ FROM complete_processing_jobs(
  ARRAY['00000000-0000-0000-0000-0000000017a2', '00000000-0000-0000-0000-0000000017a1']::uuid[],
  ARRAY['{"n": 2}', '{"n": 1}']::jsonb[], 'w1', ARRAY[1, 1])$$);
SELECT ok(pg_temp.waiting_for_lock('one-race-taken'), 'the completion waits for the row another session changes');
SELECT dblink_exec('writer', $$COMMIT$$);
SELECT is((SELECT n FROM dblink_get_result('second') AS t(n bigint)), 1::bigint,
          'after the other commits, only the job still held is completed');
SELECT FROM dblink_get_result('second') AS t(n bigint);
SELECT row_eq($$SELECT status, locked_by, attempts, result FROM processing_jobs WHERE id = '00000000-0000-0000-0000-0000000017a1'$$,
              ROW('processing'::text, 'w2'::text, 2, NULL::jsonb),
              'the job taken over meanwhile is untouched (the fence re-checked on its newest version)');
SELECT row_eq($$SELECT status, result FROM processing_jobs WHERE id = '00000000-0000-0000-0000-0000000017a2'$$,
              ROW('completed'::text, '{"n": 2}'::jsonb), 'the other is completed with its own result');

-- ---- a concurrent change that keeps the fence (a heartbeat): the completion goes through
SELECT dblink_exec('writer', $$BEGIN$$);
SELECT pg_temp.w($$SELECT * FROM heartbeat_processing_jobs(ARRAY['00000000-0000-0000-0000-0000000017a3']::uuid[], 'w1', ARRAY[1], interval '5 minutes')$$);
SELECT dblink_send_query('second', $$SELECT count(*) /* one-race-beat */ FROM complete_processing_jobs(
  ARRAY['00000000-0000-0000-0000-0000000017a3']::uuid[], ARRAY['{"n": 3}']::jsonb[], 'w1', ARRAY[1])$$);
SELECT ok(pg_temp.waiting_for_lock('one-race-beat'), 'the completion waits for the heartbeat''s row');
SELECT dblink_exec('writer', $$COMMIT$$);
SELECT is((SELECT n FROM dblink_get_result('second') AS t(n bigint)), 1::bigint,
          'after the heartbeat commits, the job is completed');
SELECT FROM dblink_get_result('second') AS t(n bigint);

-- ---- stale attempts, other workers, finished jobs: nothing changes
SELECT is((SELECT n FROM dblink('writer', $$SELECT count(*) FROM complete_processing_jobs(
             ARRAY['00000000-0000-0000-0000-0000000017a1', '00000000-0000-0000-0000-0000000017a3',
                   '00000000-0000-0000-0000-0000000017a4', '00000000-0000-0000-0000-0000000017ff']::uuid[],
             NULL, 'w1', ARRAY[1, 1, 2, 1])$$) AS t(n bigint)), 0::bigint,
          'a stale attempt, a finished job, a wrong attempt and an unknown id: none completed');
-- (Through the writer: what this transaction changed would hold up the cleanup below.)
SELECT throws_ok($$SELECT * FROM dblink('writer', 'SELECT fail_processing_job(''00000000-0000-0000-0000-0000000017a1'', ''late'', false, NULL, ''w1'', 1)::text') AS t(x text)$$,
                 '55000', NULL, 'a failure from a stale attempt is refused (55000)');
SELECT throws_ok($$SELECT * FROM dblink('writer', 'SELECT fail_processing_job(''00000000-0000-0000-0000-0000000017ff'', ''who'', false, NULL, ''w1'', 1)::text') AS t(x text)$$,
                 'P0002', NULL, 'a failure of an unknown job: P0002');
SELECT row_eq($$SELECT * FROM dblink('writer', 'SELECT (f).status, (f).retry_count, (f).current_step, (f).error_message, (f).completed_at IS NULL
                  FROM (SELECT fail_processing_job(''00000000-0000-0000-0000-0000000017a4'', ''boom'', false, NULL, ''w1'', 1) AS f) AS s')
                  AS t(status text, retry_count integer, current_step text, error_message text, open boolean)$$,
              ROW('pending'::text, 1, 'Retry 1 of 3 scheduled'::text, 'boom'::text, true),
              'the held attempt fails into a retry, decided from the row''s own columns');
SELECT row_eq($$SELECT * FROM dblink('writer', 'SELECT (f).status, (f).retry_count, (f).current_step
                  FROM (SELECT fail_processing_job(''00000000-0000-0000-0000-0000000017a1'', ''fatal'', true, NULL, ''w2'', 2) AS f) AS s')
                  AS t(status text, retry_count integer, current_step text)$$,
              ROW('failed'::text, 0, 'Failed'::text), 'a critical failure is final');

SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type LIKE 'one-%'$$);
SELECT dblink_disconnect('second');
SELECT dblink_disconnect('listener');
SELECT dblink_disconnect('writer');
SELECT * FROM finish();
ROLLBACK;
