-- The schema's shape: the names the seed and applications rely on.
BEGIN;
SELECT plan(70);

SELECT has_table('processing_jobs');
SELECT has_table('exam_papers');
SELECT has_table('exam_paper_files');
SELECT has_table('questions');
SELECT has_table('syllabus_topics');
SELECT has_table('examq_migrations');
SELECT has_view('processing_job_stats');

SELECT columns_are('processing_jobs', ARRAY[
  'id', 'job_type', 'status', 'priority', 'exam_paper_id', 'payload', 'progress_percentage',
  'current_step', 'result', 'error_message', 'retry_count', 'max_retries', 'created_at',
  'started_at', 'completed_at', 'updated_at', 'created_by', 'error_details', 'attempts', 'run_at',
  'locked_by', 'locked_until', 'lease_duration', 'cancel_requested', 'batch_id']);
SELECT col_is_pk('processing_jobs', 'id');
SELECT col_type_is('processing_jobs', 'id', 'uuid');
SELECT col_type_is('processing_jobs', 'payload', 'jsonb');
SELECT col_type_is('processing_jobs', 'created_at', 'timestamp with time zone');
SELECT fk_ok('processing_jobs', 'exam_paper_id', 'exam_papers', 'id');
SELECT col_default_is('processing_jobs', 'priority', '0');
SELECT col_default_is('processing_jobs', 'retry_count', '0');
SELECT col_default_is('processing_jobs', 'max_retries', '3');

-- Named CHECK constraints.
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conname = c AND contype = 'c'), c || ' exists')
  FROM unnest(ARRAY['processing_jobs_status_check', 'processing_jobs_progress_check',
                    'processing_jobs_retry_count_check', 'processing_jobs_priority_check',
                    'processing_jobs_job_type_check', 'processing_jobs_retry_limit_check']) AS c;

-- A bare insert makes a valid pending job.
SELECT lives_ok($$INSERT INTO processing_jobs (job_type, payload) VALUES ('schema-test', '{"x": 1}')$$,
                'bare INSERT (job_type, payload) works');
SELECT row_eq($$SELECT status, priority, progress_percentage, retry_count, max_retries, run_at <= now(),
                       current_step
                  FROM processing_jobs WHERE job_type = 'schema-test'$$,
              ROW('pending'::text, 0, 0, 0, 3, true, 'Queued for processing'::text),
              'defaults make a claimable pending job');

SELECT throws_ok($$INSERT INTO processing_jobs (job_type, status) VALUES ('schema-test', 'running')$$,
                 '23514', NULL, 'an unknown status is refused');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type, progress_percentage) VALUES ('schema-test', 101)$$,
                 '23514', NULL, 'progress above 100 is refused');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type, retry_count) VALUES ('schema-test', -1)$$,
                 '23514', NULL, 'a negative retry_count is refused');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type) VALUES ('')$$,
                 '23514', NULL, 'an empty job_type is refused');
-- The job type rule (0003 rewrote it to be cheaper to check on every update): 1 to 100 of
-- A-Za-z0-9_.:-, starting with a letter or digit.
SELECT lives_ok($$INSERT INTO processing_jobs (job_type) VALUES ('a.b:c-d_E9'), (repeat('x', 100))$$,
                'every allowed character, and 100 characters, are accepted');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type) VALUES (repeat('x', 101))$$,
                 '23514', NULL, 'a 101-character job_type is refused');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type) VALUES ('-noop')$$,
                 '23514', NULL, 'a job_type starting with punctuation is refused');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type) VALUES (U&'caf\00e9')$$,
                 '23514', NULL, 'a non-ASCII job_type is refused');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type) VALUES (E'noop\n')$$,
                 '23514', NULL, 'a job_type with a trailing newline is refused');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type, status) VALUES ('schema-test', 'processing')$$,
                 '23514', NULL, 'a processing job needs a lease');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type, status) VALUES ('schema-test', 'completed')$$,
                 '23514', NULL, 'a finished job needs completed_at');
SELECT throws_ok($$INSERT INTO processing_jobs (job_type, exam_paper_id) VALUES ('schema-test', gen_random_uuid())$$,
                 '23503', NULL, 'exam_paper_id must name an exam paper');

-- Indexes the queries use; the claim index's predicate is the claim's filter.
SELECT has_index('processing_jobs', 'processing_jobs_claim_idx');
SELECT ok(pg_get_expr(indpred, indrelid) = '(status = ''pending''::text)', 'claim index is partial on pending')
  FROM pg_index WHERE indexrelid = 'processing_jobs_claim_idx'::regclass;
SELECT has_index('processing_jobs', 'processing_jobs_lease_idx');
SELECT has_index('processing_jobs', 'processing_jobs_finished_idx');
SELECT has_index('questions', 'questions_paper_position_key');

-- Every examq function has a comment, and every SECURITY DEFINER one pins search_path.
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
   WHERE p.pronamespace = 'public'::regnamespace
     AND (p.proname LIKE '%processing_job%' OR p.proname LIKE 'examq%' OR p.proname IN
          ('update_job_progress', 'create_exam_paper_job'))
     AND obj_description(p.oid, 'pg_proc') IS NULL$$, 'every function has COMMENT ON');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
   WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
     AND NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=public, pg_temp']$$,
  'every SECURITY DEFINER function pins search_path');
SELECT ok((SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prosecdef) >= 15,
          'the queue functions are SECURITY DEFINER');

SELECT has_function(f) FROM unnest(ARRAY['get_next_processing_job', 'get_next_processing_jobs',
  'update_job_progress', 'complete_processing_job', 'fail_processing_job', 'cancel_processing_job',
  'retry_processing_job', 'cleanup_old_processing_jobs', 'create_exam_paper_job']) AS f;

SELECT ok((SELECT relrowsecurity AND relforcerowsecurity FROM pg_class
            WHERE oid = 'processing_jobs'::regclass), 'row-level security enabled and forced');
SELECT is((SELECT array_agg(version ORDER BY version) FROM examq_migrations), ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18], 'migrations 1 to 18 recorded once each');
SELECT ok((SELECT proconfig @> ARRAY['plan_cache_mode=force_custom_plan'] FROM pg_proc
            WHERE oid = 'complete_processing_jobs(uuid[], jsonb[], text, integer[])'::regprocedure),
          'batch completion always plans for its actual array');
SELECT ok((SELECT proconfig @> ARRAY['enable_bitmapscan=off'] FROM pg_proc
            WHERE oid = 'get_next_processing_jobs(integer, text, text[], interval)'::regprocedure),
          'the claim never takes a bitmap scan over all pending jobs');

-- 0004: every function a worker calls about a job it holds names the worker and the attempt.
SELECT has_function(f, a, f || '(' || array_to_string(a, ', ') || ')') FROM (VALUES
  ('update_job_progress', ARRAY['uuid', 'integer', 'text', 'text', 'integer', 'interval']),
  ('heartbeat_processing_jobs', ARRAY['uuid[]', 'text', 'integer[]', 'interval']),
  ('complete_processing_job', ARRAY['uuid', 'jsonb', 'text', 'integer']),
  ('complete_processing_jobs', ARRAY['uuid[]', 'jsonb[]', 'text', 'integer[]']),
  ('fail_processing_job', ARRAY['uuid', 'text', 'boolean', 'jsonb', 'text', 'integer']),
  ('release_processing_job', ARRAY['uuid', 'text', 'integer']),
  ('snooze_processing_job', ARRAY['uuid', 'interval', 'text', 'text', 'integer', 'jsonb']),
  ('confirm_processing_job_cancelled', ARRAY['uuid', 'text', 'integer']),
  ('save_exam_paper_page', ARRAY['uuid', 'integer', 'integer', 'integer', 'integer', 'bytea', 'text', 'integer']),
  ('set_exam_paper_metadata', ARRAY['uuid', 'integer', 'jsonb', 'text', 'integer']),
  ('replace_exam_paper_questions', ARRAY['uuid', 'jsonb', 'text', 'integer'])) AS v(f, a);
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
   WHERE p.pronamespace = 'public'::regnamespace
     AND p.proname IN ('update_job_progress', 'heartbeat_processing_jobs', 'complete_processing_job',
                       'complete_processing_jobs', 'fail_processing_job', 'release_processing_job',
                       'snooze_processing_job', 'confirm_processing_job_cancelled',
                       'save_exam_paper_page', 'set_exam_paper_metadata',
                       'replace_exam_paper_questions', 'processing_job_held_paper')
     AND NOT (p.proargnames @> ARRAY['worker_id'] AND
              (p.proargnames @> ARRAY['attempt'] OR p.proargnames @> ARRAY['job_attempts']))$$,
  'no worker function is left with a signature that omits the attempt');
SELECT is((SELECT proargnames FROM pg_proc
             WHERE oid = 'update_job_progress(uuid, integer, text, text, integer, interval)'::regprocedure),
          ARRAY['job_id', 'progress_percentage', 'current_step', 'worker_id', 'attempt', 'lease'],
          'update_job_progress takes attempt by name, after worker_id');
SELECT * FROM finish();
ROLLBACK;
