-- Cancel, retry, cleanup, create_exam_paper_job with its estimate, and the statistics view.
BEGIN;
SELECT plan(35);

-- ---- cancel
INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-0000000000c1', 'a-cancel'),
                                                  ('00000000-0000-0000-0000-0000000000c2', 'a-cancel');
SELECT row_eq($$SELECT status, completed_at IS NOT NULL, current_step FROM cancel_processing_job('00000000-0000-0000-0000-0000000000c1')$$,
              ROW('cancelled'::text, true, 'Cancelled'::text), 'a pending job is cancelled at once');
SELECT is((SELECT id FROM get_next_processing_job('w1', ARRAY['a-cancel'])), '00000000-0000-0000-0000-0000000000c2'::uuid,
          'a cancelled job is never claimed');
SELECT row_eq($$SELECT status, cancel_requested FROM cancel_processing_job('00000000-0000-0000-0000-0000000000c2')$$,
              ROW('processing'::text, true), 'a running job gets cancel_requested');
SELECT is(update_job_progress('00000000-0000-0000-0000-0000000000c2', 30, 'x', worker_id => 'w1', attempt => 1), true,
          'the worker sees it at its next progress report');
SELECT is((confirm_processing_job_cancelled('00000000-0000-0000-0000-0000000000c2', worker_id => 'w1', attempt => 1)).status, 'cancelled',
          'and ends the job cancelled');
SELECT throws_ok($$SELECT cancel_processing_job('00000000-0000-0000-0000-0000000000c2')$$, '55000',
                 'processing job 00000000-0000-0000-0000-0000000000c2 is already cancelled', 'a finished job cannot be cancelled');
SELECT throws_ok($$SELECT cancel_processing_job(gen_random_uuid())$$, 'P0002', NULL, 'unknown job: P0002');
-- A running job with a cancel request that then fails is not retried.
INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-0000000000c3', 'a-cancel-fail');
SELECT get_next_processing_job('w1', ARRAY['a-cancel-fail']);
SELECT cancel_processing_job('00000000-0000-0000-0000-0000000000c3');
SELECT is((fail_processing_job('00000000-0000-0000-0000-0000000000c3', 'stopped', worker_id => 'w1', attempt => 1)).status, 'cancelled',
          'a failure after a cancel request is not retried');

-- ---- retry
SELECT row_eq($$SELECT status, retry_count, error_message, cancel_requested, completed_at FROM retry_processing_job('00000000-0000-0000-0000-0000000000c2')$$,
              ROW('pending'::text, 0, NULL::text, false, NULL::timestamptz), 'a cancelled job can be retried');
INSERT INTO processing_jobs (id, job_type, max_retries) VALUES ('00000000-0000-0000-0000-0000000000f1', 'a-retry', 0);
SELECT get_next_processing_job('w1', ARRAY['a-retry']);
SELECT fail_processing_job('00000000-0000-0000-0000-0000000000f1', 'boom', worker_id => 'w1', attempt => 1);
SELECT is((retry_processing_job('00000000-0000-0000-0000-0000000000f1')).status, 'pending', 'a failed job can be retried');
SELECT is((SELECT id FROM get_next_processing_job('w1', ARRAY['a-retry'])), '00000000-0000-0000-0000-0000000000f1'::uuid,
          'and is claimable at once');
SELECT throws_ok($$SELECT retry_processing_job('00000000-0000-0000-0000-0000000000f1')$$, '55000', NULL,
                 'a running job cannot be retried');

-- ---- cleanup
INSERT INTO processing_jobs (job_type, status, completed_at, started_at, locked_until) VALUES
  ('a-clean', 'completed', now() - interval '31 days', now() - interval '31 days', NULL),
  ('a-clean', 'failed',    now() - interval '40 days', now() - interval '40 days', NULL),
  ('a-clean', 'cancelled', now() - interval '90 days', NULL, NULL),
  ('a-clean', 'completed', now() - interval '29 days', now() - interval '29 days', NULL),
  ('a-clean', 'processing', NULL, now() - interval '60 days', now() + interval '1 minute');
INSERT INTO processing_jobs (job_type, created_at, run_at) VALUES ('a-clean', now() - interval '100 days', now() - interval '100 days');
SELECT is(cleanup_old_processing_jobs(), 3, 'cleanup deletes finished jobs older than 30 days');
SELECT bag_eq($$SELECT status FROM processing_jobs WHERE job_type = 'a-clean'$$,
              ARRAY['completed', 'processing', 'pending'], 'recent, running and pending jobs stay');
SELECT is(cleanup_old_processing_jobs(interval '1 day'), 1, 'a shorter retention deletes more');
SELECT is(cleanup_old_processing_jobs(interval '0'), 0, 'never a pending or running job');
SELECT throws_ok($$SELECT cleanup_old_processing_jobs(interval '-1 day')$$, '22023', NULL, 'a negative retention is refused');
SELECT throws_ok($$SELECT cleanup_old_processing_jobs(NULL)$$, '22023', NULL, 'a NULL retention is refused');

-- ---- create_exam_paper_job
INSERT INTO exam_papers (id, title, page_count) VALUES ('00000000-0000-0000-0000-0000000000e1', 'Maths Paper 1', 12),
                                                       ('00000000-0000-0000-0000-0000000000e2', 'Physics', NULL);
SELECT create_exam_paper_job('00000000-0000-0000-0000-0000000000e1', NULL, '00000000-0000-0000-0000-0000000000aa', true, 5) AS r \gset
SELECT is((:'r'::jsonb) - 'jobId' - 'estimatedTime',
          '{"success": true, "message": "Job created successfully"}'::jsonb, 'success shape');
SELECT ok((:'r'::jsonb ->> 'jobId')::uuid IS NOT NULL, 'it returns the job id');
SELECT is((:'r'::jsonb ->> 'estimatedTime')::int, 36, 'no history: 3 s a page for 12 pages');
SELECT row_eq(format('SELECT job_type, status, priority, exam_paper_id, payload FROM processing_jobs WHERE id = %L', :'r'::jsonb ->> 'jobId'),
              ROW('process-exam-paper'::text, 'pending'::text, 5, '00000000-0000-0000-0000-0000000000e1'::uuid,
                  '{"syllabus_id": "00000000-0000-0000-0000-0000000000aa", "has_insert": true}'::jsonb),
              'the job row carries paper, priority and payload');
SELECT is(create_exam_paper_job('00000000-0000-0000-0000-0000000000e1') ->> 'success', 'false',
          'a second job for a paper with one in progress is refused');
SELECT is(create_exam_paper_job('00000000-0000-0000-0000-0000000000e1') ->> 'jobId', :'r'::jsonb ->> 'jobId',
          'and names the job in progress');
SELECT is(create_exam_paper_job(gen_random_uuid()) ->> 'success', 'false', 'an unknown paper is refused');
SELECT is(create_exam_paper_job('00000000-0000-0000-0000-0000000000e2', NULL, NULL, false, 5000) ->> 'error',
          'priority must be an integer between -1000 and 1000', 'a bad priority is refused');
SELECT is(create_exam_paper_job('00000000-0000-0000-0000-0000000000e2', ARRAY['']) ->> 'success', 'false',
          'an empty image is refused');
SELECT is(create_exam_paper_job('00000000-0000-0000-0000-0000000000e2', ARRAY[]::text[]) ->> 'success', 'false',
          'an empty image list is refused');
SELECT is((SELECT count(*) FROM processing_jobs WHERE exam_paper_id = '00000000-0000-0000-0000-0000000000e2'), 0::bigint,
          'refusals leave no job behind');
SELECT create_exam_paper_job('00000000-0000-0000-0000-0000000000e2', ARRAY['aGVsbG8=', 'd29ybGQ=']) AS r2 \gset
SELECT is((:'r2'::jsonb ->> 'estimatedTime')::int, 6 + 30, 'two images: 6 s, plus 30 s for the job queued ahead');
SELECT is((SELECT payload -> 'base64_images' FROM processing_jobs WHERE id = (:'r2'::jsonb ->> 'jobId')::uuid),
          '["aGVsbG8=", "d29ybGQ="]'::jsonb, 'pre-rendered images travel in the payload');

-- The estimate learns from history: 2 s a page over recent jobs.
INSERT INTO processing_jobs (job_type, status, started_at, completed_at, result)
SELECT 'process-exam-paper', 'completed', now() - interval '20 seconds', now(), '{"pages": 10}'
  FROM generate_series(1, 5);
DELETE FROM processing_jobs WHERE job_type = 'process-exam-paper' AND status = 'pending';
SELECT is(processing_job_estimated_seconds('process-exam-paper', 12), 24, 'history: median time per page times pages');

-- ---- statistics
INSERT INTO processing_jobs (job_type, status, started_at, completed_at) VALUES
  ('a-stats', 'completed', now() - interval '10 seconds', now()),
  ('a-stats', 'completed', now() - interval '20 seconds', now()),
  ('a-stats', 'failed', now() - interval '5 seconds', now());
INSERT INTO processing_jobs (job_type) VALUES ('a-stats');
SELECT row_eq($$SELECT total, pending, completed, failed, median_seconds, failure_rate FROM processing_job_stats
                 WHERE period = 'last_day' AND job_type = 'a-stats'$$,
              ROW(4::bigint, 1::bigint, 2::bigint, 1::bigint, 15.000::numeric, 0.3333::numeric),
              'stats: counts by status, median duration, failure rate');
SELECT ok((SELECT p95_seconds BETWEEN 19 AND 20 FROM processing_job_stats WHERE period = 'last_day' AND job_type = 'a-stats'),
          'stats: p95 duration');
SELECT ok(EXISTS (SELECT 1 FROM processing_job_stats WHERE period = 'last_week' AND job_type IS NULL AND total >= 4),
          'stats: an all-types row per period');
SELECT * FROM finish();
ROLLBACK;
