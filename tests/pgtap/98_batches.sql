-- Batches (sql/0010): jobs created together, their status view and estimate, settling exactly
-- once (also when the last two jobs settle at the same time), reopening, the cleanup, and who
-- may do what. Committed work in other sessions (dblink) is deleted at the end.
BEGIN;
SELECT plan(31);

\ir support/roles.psql
\ir support/listener.psql
SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type LIKE 'b-%'$$);
SELECT dblink_exec('writer', $$DELETE FROM processing_job_batches WHERE label LIKE 'b-%'$$);
SELECT dblink_exec('listener', 'LISTEN processing_job_batches_changes');
CREATE ROLE b_admin IN ROLE examq_admin;
CREATE ROLE b_other;

-- ---- creating: examq_begin_batch sets the default batch for the rest of the transaction
SELECT examq_begin_batch('b-upload') AS batch \gset
INSERT INTO exam_papers (id, title, page_count) VALUES ('00000000-0000-0000-0000-0000000b0001', 'Batch paper 1', 4),
                                                      ('00000000-0000-0000-0000-0000000b0002', 'Batch paper 2', NULL);
INSERT INTO processing_jobs (job_type) VALUES ('b-plain');
SELECT ok((create_exam_paper_job('00000000-0000-0000-0000-0000000b0001') ->> 'success')::boolean, 'a job made by create_exam_paper_job ...');
SELECT is((SELECT count(*) FROM processing_jobs WHERE batch_id = :'batch')::integer, 2,
          '... and one inserted directly both join the batch begun in this transaction');
SELECT is(current_setting('examq.batch_id'), :'batch', 'examq.batch_id names it');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type, batch_id) VALUES ('b-x', '00000000-0000-0000-0000-00000000dead')$$,
                 '23503', NULL, 'a job cannot name a batch that does not exist');
SELECT row_eq(format('SELECT label, state, total, pending, progress_percentage, settled_at FROM processing_job_batch_status WHERE batch_id = %L', :'batch'),
              ROW('b-upload'::text, 'pending'::text, 2, 2, 0, NULL::timestamptz), 'the view: pending, two jobs, nothing done');
-- No history for these types: 3 s a page; the paper's 4 pages, and 10 for a job with no paper.
SELECT is((SELECT estimated_seconds_remaining FROM processing_job_batch_status WHERE batch_id = :'batch'), (4 + 10) * 3,
          'the estimate counts each job''s pages at 3 s a page without history');

-- ---- settling: the last job to settle stamps settled_at and announces it once
SELECT id AS j1 FROM get_next_processing_job('bw', ARRAY['b-plain']) \gset
SELECT id AS j2 FROM get_next_processing_job('bw', ARRAY['process-exam-paper']) \gset
SELECT is((SELECT state FROM processing_job_batch_status WHERE batch_id = :'batch'), 'running', 'claimed: running');
SELECT complete_processing_job(:'j1', NULL, worker_id => 'bw', attempt => 1);
SELECT row_eq(format('SELECT state, completed, progress_percentage, settled_at FROM processing_job_batch_status WHERE batch_id = %L', :'batch'),
              ROW('running'::text, 1, 50, NULL::timestamptz), 'one of two settled: still running, 50%');
SELECT fail_processing_job(:'j2', 'broken paper', true, worker_id => 'bw', attempt => 1);
SELECT row_eq(format('SELECT state, completed, failed, progress_percentage, settled_at IS NOT NULL, estimated_seconds_remaining FROM processing_job_batch_status WHERE batch_id = %L', :'batch'),
              ROW('completed_with_errors'::text, 1, 1, 100, true, 0), 'the last one settled it: completed with errors');
-- ---- reopening: a retry, or a job added later
SELECT retry_processing_job(:'j2');
SELECT row_eq(format('SELECT state, settled_at FROM processing_job_batch_status WHERE batch_id = %L', :'batch'),
              ROW('running'::text, NULL::timestamptz), 'a retried job reopens the batch');
SELECT id AS j2b FROM get_next_processing_job('bw', ARRAY['process-exam-paper']) \gset
SELECT complete_processing_job(:'j2b', NULL, worker_id => 'bw', attempt => 2);
SELECT is((SELECT state FROM processing_job_batch_status WHERE batch_id = :'batch'), 'completed', 'settled again, all completed');
INSERT INTO processing_jobs (job_type, batch_id) VALUES ('b-late', :'batch');
SELECT row_eq(format('SELECT state, total, settled_at FROM processing_job_batch_status WHERE batch_id = %L', :'batch'),
              ROW('running'::text, 3, NULL::timestamptz), 'a job added to a settled batch reopens it');
SELECT is((SELECT count(*) FROM processing_jobs WHERE batch_id IS NULL AND job_type LIKE 'b-%')::integer, 0,
          'no job of this transaction was left out of the batch');

-- ---- announcements, heard by a real listener: committed by the writer session
SELECT dblink_exec('writer', $$BEGIN$$);
SELECT pg_temp.w($$SELECT examq_begin_batch('b-heard')$$);
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (job_type) VALUES ('b-heard')$$);
SELECT dblink_exec('writer', $$COMMIT$$);
SELECT pg_temp.w($$SELECT get_next_processing_job('bh', ARRAY['b-heard'])$$);
SELECT pg_temp.w($$SELECT complete_processing_job(id, NULL, worker_id => 'bh', attempt => 1) FROM processing_jobs WHERE job_type = 'b-heard'$$);
SELECT is(pg_temp.hear(1), 1, 'the settle is announced');
SELECT is((SELECT payload - 'batch_id' FROM heard),
          '{"op": "SETTLED", "total": 1, "completed": 1, "failed": 0, "cancelled": 0}'::jsonb, 'with the counts');
SELECT is((SELECT payload ->> 'batch_id' FROM heard), (SELECT batch_id::text FROM processing_jobs WHERE job_type = 'b-heard'),
          'and the batch id');

-- ---- the last two jobs settling at the same time: exactly one settle, none missed
SELECT dblink_connect('second', :'dsn');
SELECT dblink_exec('writer', $$BEGIN$$);
SELECT pg_temp.w($$SELECT examq_begin_batch('b-race')$$);
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (job_type) VALUES ('b-race'), ('b-race')$$);
SELECT dblink_exec('writer', $$COMMIT$$);
SELECT pg_temp.w($$SELECT get_next_processing_jobs(2, 'br', ARRAY['b-race'])$$);
TRUNCATE heard;
-- The writer settles the first and keeps its transaction open; the second session settles the
-- other (it waits on the batch row), then the writer commits.
SELECT dblink_exec('writer', $$BEGIN$$);
SELECT pg_temp.w($$SELECT complete_processing_job(id, NULL, worker_id => 'br', attempt => 1) FROM processing_jobs WHERE job_type = 'b-race' ORDER BY id LIMIT 1$$);
SELECT dblink_send_query('second', $$SELECT complete_processing_job(id, NULL, worker_id => 'br', attempt => 1) FROM processing_jobs WHERE job_type = 'b-race' ORDER BY id DESC LIMIT 1$$);
-- Until the writer commits, the second settle waits for the batch row's lock.
CREATE FUNCTION pg_temp.waiting_for_lock() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '10 seconds';
BEGIN
  LOOP
    -- pg_stat_activity is read once per transaction unless the snapshot is cleared.
    PERFORM pg_stat_clear_snapshot();
    IF EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%complete_processing_job%b-race%') THEN
      RETURN true;
    END IF;
    EXIT WHEN clock_timestamp() > deadline;
    PERFORM pg_sleep(0.01);
  END LOOP;
  RETURN false;
END $$;
SELECT ok(pg_temp.waiting_for_lock(), 'the second settle waits for the first one''s batch lock');
SELECT dblink_exec('writer', $$COMMIT$$);
SELECT FROM dblink_get_result('second') AS t(x processing_jobs);
SELECT FROM dblink_get_result('second') AS t(x processing_jobs);
SELECT is(pg_temp.hear(1), 1, 'racing settles: announced once');
SELECT ok((SELECT settled_at IS NOT NULL FROM processing_job_batches WHERE label = 'b-race'), 'racing settles: settled');
SELECT dblink_disconnect('second');

-- ---- who may
SELECT is(pg_temp.as_role('b_admin', $$SELECT examq_begin_batch('b-by-admin')$$), 'ok', 'an admin may begin a batch');
SELECT is(pg_temp.rows_as('b_admin', $$SELECT * FROM processing_job_batch_status WHERE label LIKE 'b-%'$$), 4::bigint, 'and read them all');
SELECT is(pg_temp.as_role('b_admin', $$INSERT INTO processing_job_batches (label, settled_at) VALUES ('b-fake', now())$$), '42501',
          'an admin may not insert a settled batch');
SELECT is(pg_temp.as_role('b_admin', $$INSERT INTO processing_job_batches (label, created_by_role) VALUES ('b-fake', 'someone_else')$$), '42501',
          'nor one in another login''s name');
SELECT is((SELECT created_by_role FROM processing_job_batches WHERE label = 'b-upload'), session_user::text, 'a batch records the login that made it');
SELECT is(pg_temp.as_role('b_admin', $$UPDATE processing_job_batches SET settled_at = now()$$), '42501',
          'nor settle one by hand');
SELECT is(pg_temp.as_role('b_other', $$SELECT examq_begin_batch('b-other')$$), '42501', 'another role may not begin a batch');
SELECT is(pg_temp.as_role('b_other', $$SELECT * FROM processing_job_batch_status$$), '42501', 'nor read them');
SELECT is(pg_temp.as_role('examq_worker', $$SELECT * FROM processing_job_batches$$), 'ok', 'a worker may read batches');

-- ---- the cleanup forgets a settled batch with its jobs (in the writer session: the rows are
-- committed there, and this transaction must not hold their locks when they are deleted below)
SELECT pg_temp.w($$SELECT examq_begin_batch('b-open')$$);
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (job_type, batch_id)
  SELECT 'b-open', id FROM processing_job_batches WHERE label = 'b-open'$$);
SELECT dblink_exec('writer', $$UPDATE processing_jobs SET completed_at = completed_at - interval '2 hours'
                                WHERE job_type IN ('b-heard', 'b-race')$$);
SELECT dblink_exec('writer', $$UPDATE processing_job_batches SET settled_at = settled_at - interval '2 hours',
                                     created_at = created_at - interval '2 hours' WHERE label LIKE 'b-%'$$);
SELECT is((SELECT n FROM dblink('writer', $$SELECT cleanup_old_processing_jobs('1 hour')$$) AS t(n integer)) >= 3, true,
          'the cleanup deletes the settled jobs ...');
SELECT is((SELECT count(*) FROM processing_job_batches WHERE label IN ('b-heard', 'b-race'))::integer, 0,
          '... and the batches it left empty');
SELECT is((SELECT count(*) FROM processing_job_batches WHERE label = 'b-open')::integer, 1,
          'but not a batch with a pending job');
SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type LIKE 'b-%'$$);
SELECT dblink_exec('writer', $$DELETE FROM processing_job_batches WHERE label LIKE 'b-%'$$);
SELECT * FROM finish();
ROLLBACK;
