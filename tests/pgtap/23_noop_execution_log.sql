-- sql/0018: the noop execution log. examq_record_noop_execution writes a row only for the attempt
-- that holds the job (processing, locked_by, attempts), locks the job's row until its
-- transaction ends, and refuses every stale attempt (55000) without writing anything.
BEGIN;
SELECT plan(28);

\ir support/roles.psql

-- ---- the objects
SELECT has_table('examq_noop_executions');
SELECT col_is_pk('examq_noop_executions', ARRAY['job_id', 'attempt'], 'one row per job and attempt');
SELECT ok((SELECT prosecdef AND proconfig @> ARRAY['search_path=public, pg_temp'] FROM pg_proc
            WHERE oid = 'examq_record_noop_execution(uuid,text,integer)'::regprocedure),
          'the function is SECURITY DEFINER with a pinned search_path');
SELECT ok(obj_description('examq_record_noop_execution(uuid,text,integer)'::regprocedure, 'pg_proc') IS NOT NULL,
          'the function has a comment');
SELECT ok(has_function_privilege('examq_worker', 'examq_record_noop_execution(uuid,text,integer)', 'EXECUTE'),
          'examq_worker may call it');
SELECT ok(NOT has_function_privilege('examq_admin', 'examq_record_noop_execution(uuid,text,integer)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'examq_record_noop_execution(uuid,text,integer)', 'EXECUTE'),
          'examq_admin and PUBLIC may not');
SELECT ok(NOT has_table_privilege('examq_worker', 'examq_noop_executions', 'INSERT')
          AND NOT has_table_privilege('examq_worker', 'examq_noop_executions', 'UPDATE')
          AND NOT has_table_privilege('examq_worker', 'examq_noop_executions', 'DELETE'),
          'examq_worker cannot write the table directly');
SELECT ok(has_table_privilege('examq_admin', 'examq_noop_executions', 'SELECT')
          AND NOT has_table_privilege('examq_admin', 'examq_noop_executions', 'INSERT'),
          'examq_admin may read the log, not write it');

-- ---- the holder's attempt writes its row, with the completion
INSERT INTO processing_jobs (id, job_type, max_retries) VALUES
  ('00000000-0000-0000-0000-0000000e0001', 'noop', 3),
  ('00000000-0000-0000-0000-0000000e0002', 'noop', 3),
  ('00000000-0000-0000-0000-0000000e0003', 'noop', 3),
  ('00000000-0000-0000-0000-0000000e0004', 'noop-other', 3);
-- Claimed one at a time, so each worker gets the job named.
UPDATE processing_jobs SET run_at = now() + interval '1 hour' WHERE id <> '00000000-0000-0000-0000-0000000e0001';
SELECT is((SELECT id FROM get_next_processing_job('w1', ARRAY['noop'], interval '1 minute')),
          '00000000-0000-0000-0000-0000000e0001'::uuid, 'w1 claims the first job (attempt 1)');
SELECT is(pg_temp.as_role('examq_worker', $$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000e0001', 'w1', 1)$$),
          'ok', 'the holder records its attempt, as examq_worker');
SELECT lives_ok($$SELECT complete_processing_job('00000000-0000-0000-0000-0000000e0001', '{}', 'w1', 1)$$,
                'and completes the job in the same transaction');
SELECT row_eq($$SELECT job_id, attempt, worker_id, executed_at = now() FROM examq_noop_executions
                 WHERE job_id = '00000000-0000-0000-0000-0000000e0001'$$,
              ROW('00000000-0000-0000-0000-0000000e0001'::uuid, 1, 'w1'::text, true),
              'one row: the job, its attempt, the worker, the time');
SELECT throws_ok($$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000e0001', 'w1', 1)$$, '55000', NULL,
                 'a completed job: 55000');

-- ---- stale attempts write nothing
UPDATE processing_jobs SET run_at = now() WHERE id = '00000000-0000-0000-0000-0000000e0002';
SELECT is((SELECT id FROM get_next_processing_job('w1', ARRAY['noop'], interval '1 minute')),
          '00000000-0000-0000-0000-0000000e0002'::uuid, 'w1 claims the second job (attempt 1)');
-- w1 is paused past its lease; the job is rescued and waits for a worker.
UPDATE processing_jobs SET locked_until = now() - interval '1 second' WHERE id = '00000000-0000-0000-0000-0000000e0002';
SELECT is(rescue_expired_processing_jobs(), 1, 'the lease ran out: rescued');
SELECT throws_ok($$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000e0002', 'w1', 1)$$, '55000', NULL,
                 'the late attempt of a rescued (pending) job: 55000');
SELECT is((SELECT id FROM get_next_processing_job('w2', ARRAY['noop'], interval '1 minute')),
          '00000000-0000-0000-0000-0000000e0002'::uuid, 'w2 claims it (attempt 2)');
SELECT throws_ok($$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000e0002', 'w1', 1)$$, '55000', NULL,
                 'the late attempt of a job another worker holds: 55000');
SELECT throws_ok($$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000e0002', 'w1', 2)$$, '55000', NULL,
                 'the right attempt number from the wrong worker: 55000');
-- w2 loses it in turn and w1, awake again, claims it anew (attempt 3): its old run is still stale.
UPDATE processing_jobs SET locked_until = now() - interval '1 second' WHERE id = '00000000-0000-0000-0000-0000000e0002';
SELECT is((SELECT attempts FROM get_next_processing_job('w1', ARRAY['noop'], interval '1 minute')), 3,
          'w1 claims the job again (attempt 3)');
SELECT throws_ok($$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000e0002', 'w1', 1)$$, '55000', NULL,
                 'the same worker''s older attempt: 55000');
SELECT is_empty($$SELECT 1 FROM examq_noop_executions WHERE job_id = '00000000-0000-0000-0000-0000000e0002'$$,
                'no stale attempt left a row');
SELECT lives_ok($$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000e0002', 'w1', 3)$$,
                'the current attempt records');
SELECT throws_ok($$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000e0002', 'w1', 3)$$, '23505', NULL,
                 'twice for one attempt: 23505');

-- ---- refusals that are not about holding
SELECT throws_ok($$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000effff', 'w1', 1)$$, 'P0002', NULL,
                 'an unknown job: P0002');
SELECT throws_ok($$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000e0003', NULL, NULL)$$, '22023', NULL,
                 'without a worker id and attempt: 22023');
SELECT throws_ok($$SELECT examq_record_noop_execution('00000000-0000-0000-0000-0000000e0004', 'w1', 1)$$, '22023', NULL,
                 'a job that is not noop: 22023');

-- ---- rows go with their job
DELETE FROM processing_jobs WHERE id = '00000000-0000-0000-0000-0000000e0001';
SELECT is_empty($$SELECT 1 FROM examq_noop_executions WHERE job_id = '00000000-0000-0000-0000-0000000e0001'$$,
                'deleting a job (as cleanup does) deletes its rows');

SELECT * FROM finish();
ROLLBACK;
