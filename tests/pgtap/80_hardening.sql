-- 0004's hardening: attempt fencing, required worker_id and attempt, lease and snooze bounds,
-- size limits, the admin insert rules and the minimal notification payload.
BEGIN;
SELECT plan(110);

\ir support/roles.psql

INSERT INTO exam_papers (id, title) VALUES
  ('00000000-0000-0000-0000-00000000e801', 'Fencing'),
  ('00000000-0000-0000-0000-00000000e802', 'Nulls'),
  ('00000000-0000-0000-0000-00000000e803', 'Big images');

-- =============================================================================================
-- (a) A stale attempt is fenced off even when the worker's name is the same.
-- =============================================================================================
INSERT INTO processing_jobs (id, job_type, exam_paper_id) VALUES
  ('00000000-0000-0000-0000-00000000f801', 'h-fence', '00000000-0000-0000-0000-00000000e801');
SELECT is((SELECT attempts FROM get_next_processing_job('a', ARRAY['h-fence'], interval '1 second')), 1,
          'worker a claims the job: attempt 1');
-- Worker a pauses past its lease (simulated: the lease is moved into the past) ...
UPDATE processing_jobs SET locked_until = now() - interval '1 second'
 WHERE id = '00000000-0000-0000-0000-00000000f801';
-- ... and a's next claim (a restarted process with the same name) rescues it and takes it again.
SELECT row_eq($$SELECT id, locked_by, attempts, retry_count FROM get_next_processing_job('a', ARRAY['h-fence'])$$,
              ROW('00000000-0000-0000-0000-00000000f801'::uuid, 'a'::text, 2, 1),
              'the same worker claims it again after the rescue: attempt 2');

SELECT throws_ok($$SELECT update_job_progress('00000000-0000-0000-0000-00000000f801', 50, 'stale', worker_id => 'a', attempt => 1)$$,
                 '55000', NULL, 'attempt 1 cannot report progress');
SELECT is_empty($$SELECT * FROM heartbeat_processing_jobs(ARRAY['00000000-0000-0000-0000-00000000f801']::uuid[], 'a', ARRAY[1])$$,
                'attempt 1''s heartbeat renews nothing');
SELECT throws_ok($$SELECT save_exam_paper_page('00000000-0000-0000-0000-00000000f801', 1, 10, 10, 72, '\xffd8ff01'::bytea, worker_id => 'a', attempt => 1)$$,
                 '55000', NULL, 'attempt 1 cannot save a page');
SELECT throws_ok($$SELECT set_exam_paper_metadata('00000000-0000-0000-0000-00000000f801', 99, NULL, worker_id => 'a', attempt => 1)$$,
                 '55000', NULL, 'attempt 1 cannot set the paper''s metadata');
SELECT throws_ok($$SELECT replace_exam_paper_questions('00000000-0000-0000-0000-00000000f801', '[{"question_number": "stale"}]', worker_id => 'a', attempt => 1)$$,
                 '55000', NULL, 'attempt 1 cannot replace the questions');
SELECT throws_ok($$SELECT release_processing_job('00000000-0000-0000-0000-00000000f801', worker_id => 'a', attempt => 1)$$,
                 '55000', NULL, 'attempt 1 cannot release');
SELECT throws_ok($$SELECT snooze_processing_job('00000000-0000-0000-0000-00000000f801', interval '1 minute', 'stale', worker_id => 'a', attempt => 1)$$,
                 '55000', NULL, 'attempt 1 cannot snooze');
SELECT throws_ok($$SELECT confirm_processing_job_cancelled('00000000-0000-0000-0000-00000000f801', worker_id => 'a', attempt => 1)$$,
                 '55000', NULL, 'attempt 1 cannot confirm a cancellation');
SELECT throws_ok($$SELECT fail_processing_job('00000000-0000-0000-0000-00000000f801', 'stale', worker_id => 'a', attempt => 1)$$,
                 '55000', NULL, 'attempt 1 cannot fail it');
SELECT throws_ok($$SELECT complete_processing_job('00000000-0000-0000-0000-00000000f801', '{"attempt": 1}', worker_id => 'a', attempt => 1)$$,
                 '55000',
                 'processing job 00000000-0000-0000-0000-00000000f801 is held by a in attempt 2, not by a in attempt 1',
                 'attempt 1 cannot complete it, and the error names both attempts');
SELECT is_empty($$SELECT * FROM complete_processing_jobs(ARRAY['00000000-0000-0000-0000-00000000f801']::uuid[],
                                                          ARRAY['{"attempt": 1}']::jsonb[], 'a', ARRAY[1])$$,
                'attempt 1''s batch completion completes nothing');
SELECT row_eq($$SELECT status, attempts, progress_percentage, result FROM processing_jobs WHERE id = '00000000-0000-0000-0000-00000000f801'$$,
              ROW('processing'::text, 2, 0, NULL::jsonb), 'attempt 2 is untouched by attempt 1''s calls');

SELECT is(update_job_progress('00000000-0000-0000-0000-00000000f801', 60, 'attempt 2', worker_id => 'a', attempt => 2), false,
          'attempt 2 reports progress');
SELECT is((SELECT count(*) FROM heartbeat_processing_jobs(ARRAY['00000000-0000-0000-0000-00000000f801']::uuid[], 'a', ARRAY[2])),
          1::bigint, 'attempt 2''s heartbeat renews the lease');
SELECT lives_ok($$SELECT save_exam_paper_page('00000000-0000-0000-0000-00000000f801', 1, 10, 10, 72, '\xffd8ff02'::bytea, worker_id => 'a', attempt => 2)$$,
                'attempt 2 saves a page');
SELECT is(replace_exam_paper_questions('00000000-0000-0000-0000-00000000f801', '[{"question_number": "fresh"}]', worker_id => 'a', attempt => 2),
          1, 'attempt 2 replaces the questions');
SELECT is((complete_processing_job('00000000-0000-0000-0000-00000000f801', '{"attempt": 2}', worker_id => 'a', attempt => 2)).status,
          'completed', 'attempt 2 completes');
SELECT throws_ok($$SELECT complete_processing_job('00000000-0000-0000-0000-00000000f801', '{"attempt": 1}', worker_id => 'a', attempt => 1)$$,
                 '55000', NULL, 'attempt 1 still cannot complete afterwards');
SELECT row_eq($$SELECT j.result, q.question_number, encode(pg.jpeg, 'hex')
                  FROM processing_jobs j, questions q, exam_paper_pages pg
                 WHERE j.id = '00000000-0000-0000-0000-00000000f801'
                   AND q.exam_paper_id = j.exam_paper_id AND pg.exam_paper_id = j.exam_paper_id$$,
              ROW('{"attempt": 2}'::jsonb, 'fresh'::text, 'ffd8ff02'::text),
              'the result, questions and page kept are attempt 2''s');

-- =============================================================================================
-- (b) worker_id and attempt are required by every worker function (the NULL escape is gone).
-- =============================================================================================
INSERT INTO processing_jobs (id, job_type, exam_paper_id) VALUES
  ('00000000-0000-0000-0000-00000000f802', 'h-null', '00000000-0000-0000-0000-00000000e802');
SELECT is((SELECT attempts FROM get_next_processing_job('n', ARRAY['h-null'])), 1, 'worker n holds a job');
SELECT throws_ok(format(v.call, '00000000-0000-0000-0000-00000000f802', w.worker, CASE WHEN w.attempt THEN v.attempt ELSE 'NULL' END),
                 '22023', 'worker_id and attempt are required',
                 v.fn || ': ' || w.what || ' is refused')
  FROM (VALUES
    ('update_job_progress', 'SELECT update_job_progress(%L, 10, ''x'', worker_id => %s, attempt => %s)', '1'),
    ('heartbeat_processing_jobs', 'SELECT heartbeat_processing_jobs(ARRAY[%L]::uuid[], worker_id => %s, job_attempts => %s)', 'ARRAY[1]'),
    ('complete_processing_job', 'SELECT complete_processing_job(%L, NULL, worker_id => %s, attempt => %s)', '1'),
    ('complete_processing_jobs', 'SELECT complete_processing_jobs(ARRAY[%L]::uuid[], NULL, worker_id => %s, job_attempts => %s)', 'ARRAY[1]'),
    ('fail_processing_job', 'SELECT fail_processing_job(%L, ''x'', false, NULL, worker_id => %s, attempt => %s)', '1'),
    ('release_processing_job', 'SELECT release_processing_job(%L, worker_id => %s, attempt => %s)', '1'),
    ('snooze_processing_job', 'SELECT snooze_processing_job(%L, interval ''1 minute'', NULL, worker_id => %s, attempt => %s)', '1'),
    ('confirm_processing_job_cancelled', 'SELECT confirm_processing_job_cancelled(%L, worker_id => %s, attempt => %s)', '1'),
    ('save_exam_paper_page', 'SELECT save_exam_paper_page(%L, 1, 10, 10, 72, ''\xffd8ff00''::bytea, worker_id => %s, attempt => %s)', '1'),
    ('set_exam_paper_metadata', 'SELECT set_exam_paper_metadata(%L, 1, NULL, worker_id => %s, attempt => %s)', '1'),
    ('replace_exam_paper_questions', 'SELECT replace_exam_paper_questions(%L, ''[]'', worker_id => %s, attempt => %s)', '1'))
    AS v(fn, call, attempt)
  CROSS JOIN (VALUES ('NULL worker_id', 'NULL', true), ('NULL attempt', '''n''', false)) AS w(what, worker, attempt);
SELECT row_eq($$SELECT status, locked_by, attempts, progress_percentage, retry_count FROM processing_jobs
                 WHERE id = '00000000-0000-0000-0000-00000000f802'$$,
              ROW('processing'::text, 'n'::text, 1, 0, 0), 'the refused calls changed nothing');

-- =============================================================================================
-- (c) Leases are at most examq.max_lease (1 hour), snoozes at most examq.max_snooze (7 days).
-- =============================================================================================
SELECT throws_ok($$SELECT * FROM get_next_processing_job('c', ARRAY['h-none'], interval '61 minutes')$$,
                 '22023', NULL, 'claim: a lease over an hour is refused');
SELECT throws_ok($$SELECT * FROM get_next_processing_jobs(5, 'c', NULL, interval '1000 years')$$,
                 '22023', NULL, 'batch claim: a 1000-year lease is refused');
SELECT lives_ok($$SELECT * FROM get_next_processing_job('c', ARRAY['h-none'], interval '1 hour')$$,
                'claim: a lease of exactly an hour is accepted');
SELECT throws_ok($$SELECT update_job_progress('00000000-0000-0000-0000-00000000f802', 10, 'x', 'n', 1, interval '2 hours')$$,
                 '22023', NULL, 'progress: a lease over an hour is refused');
SELECT throws_ok($$SELECT update_job_progress('00000000-0000-0000-0000-00000000f802', 10, 'x', 'n', 1, interval '1000 years')$$,
                 '22023', NULL, 'progress: a 1000-year lease is refused');
SELECT throws_ok($$SELECT heartbeat_processing_jobs(ARRAY['00000000-0000-0000-0000-00000000f802']::uuid[], 'n', ARRAY[1], interval '2 hours')$$,
                 '22023', NULL, 'heartbeat: a lease over an hour is refused');
SELECT throws_ok($$SELECT heartbeat_processing_jobs(ARRAY['00000000-0000-0000-0000-00000000f802']::uuid[], 'n', ARRAY[1], interval '1000 years')$$,
                 '22023', NULL, 'heartbeat: a 1000-year lease is refused');
SELECT is((SELECT lease_duration FROM processing_jobs WHERE id = '00000000-0000-0000-0000-00000000f802'), interval '60 seconds',
          'the refused leases were not recorded');
SELECT throws_ok($$SELECT snooze_processing_job('00000000-0000-0000-0000-00000000f802', interval '8 days', NULL, 'n', 1)$$,
                 '22023', NULL, 'a snooze over 7 days is refused');
SELECT throws_ok($$SELECT snooze_processing_job('00000000-0000-0000-0000-00000000f802', interval '1000 years', NULL, 'n', 1)$$,
                 '22023', NULL, 'a 1000-year snooze is refused');
SELECT throws_ok($$SELECT heartbeat_processing_jobs(ARRAY['00000000-0000-0000-0000-00000000f802']::uuid[], 'n', ARRAY[NULL::integer])$$,
                 '22023', NULL, 'heartbeat: a NULL attempt is refused');
SELECT throws_ok($$SELECT complete_processing_jobs(ARRAY['00000000-0000-0000-0000-00000000f802']::uuid[], NULL, 'n', ARRAY[NULL::integer])$$,
                 '22023', NULL, 'batch complete: a NULL attempt is refused');
UPDATE processing_jobs SET error_details = '"a string"' WHERE id = '00000000-0000-0000-0000-00000000f802';
SELECT is((snooze_processing_job('00000000-0000-0000-0000-00000000f802', interval '1 second', 'why', 'n', 1)).error_details,
          '{"snooze_reason": "why", "snoozes": 1, "snoozed_seconds": 1.000}'::jsonb,
          'a snooze reason replaces error_details that are not an object (and the snooze is counted, 0016)');
UPDATE processing_jobs SET status = 'processing', locked_by = 'n', locked_until = now() + interval '1 minute'
 WHERE id = '00000000-0000-0000-0000-00000000f802';
SET examq.max_lease = '2 hours';
SELECT lives_ok($$SELECT update_job_progress('00000000-0000-0000-0000-00000000f802', 10, 'x', 'n', 1, interval '2 hours')$$,
                'examq.max_lease = 2 hours: a 2-hour lease is accepted');
SELECT is((SELECT lease_duration FROM processing_jobs WHERE id = '00000000-0000-0000-0000-00000000f802'), interval '2 hours',
          'and recorded');
SET examq.max_lease = '10 seconds';
SELECT throws_ok($$SELECT * FROM get_next_processing_job('c', ARRAY['h-none'])$$, '22023', NULL,
                 'examq.max_lease = 10 seconds: the default 60-second claim lease is refused');
RESET examq.max_lease;
SET examq.max_snooze = '30 days';
SELECT is((snooze_processing_job('00000000-0000-0000-0000-00000000f802', interval '8 days', NULL, 'n', 1)).status, 'pending',
          'examq.max_snooze = 30 days: an 8-day snooze is accepted');
RESET examq.max_snooze;

-- =============================================================================================
-- (d) Sizes.
-- =============================================================================================
SELECT throws_ok(format('SELECT * FROM get_next_processing_job(%L, ARRAY[''h-none''])', repeat('w', 201)), '22023', NULL,
                 'a 201-character worker_id is refused at the claim');
SELECT lives_ok(format('SELECT * FROM get_next_processing_job(%L, ARRAY[''h-none''])', repeat('w', 200)),
                'a 200-character worker_id is accepted');

INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000f803', 'h-size');
SELECT is((SELECT attempts FROM get_next_processing_job('s', ARRAY['h-size'])), 1, 'worker s holds a job');
SELECT lives_ok($$SELECT update_job_progress('00000000-0000-0000-0000-00000000f803', 5, repeat('x', 10000000), 's', 1)$$,
                'progress with a 10,000,000-character step is accepted');
SELECT is((SELECT char_length(current_step) FROM processing_jobs WHERE id = '00000000-0000-0000-0000-00000000f803'), 500,
          'and the step is stored cut to 500 characters');
SET examq.max_step_length = 20;
SELECT lives_ok($$SELECT update_job_progress('00000000-0000-0000-0000-00000000f803', 6, repeat('y', 100), 's', 1)$$,
                'examq.max_step_length = 20: progress still accepted');
SELECT is((SELECT current_step FROM processing_jobs WHERE id = '00000000-0000-0000-0000-00000000f803'), repeat('y', 20),
          'cut to the configured length');
RESET examq.max_step_length;
SELECT row_eq($$SELECT status, char_length(error_message), error_details ->> 'truncated', (error_details ->> 'bytes')::int > 65536,
                       (SELECT count(*) FROM jsonb_object_keys(error_details))
                  FROM fail_processing_job('00000000-0000-0000-0000-00000000f803', repeat('e', 1000000), false,
                                           jsonb_build_object('blob', repeat('d', 100000)), 's', 1)$$,
              ROW('pending'::text, 10000, 'true'::text, true, 2::bigint),
              'a failure is recorded: a huge message cut to 10,000 characters, huge details replaced by {truncated, bytes}');

SELECT throws_ok($$INSERT INTO processing_jobs (job_type, current_step) VALUES ('h-size', repeat('s', 501))$$,
                 '22001', NULL, 'an INSERT with a 501-character step is refused');
SELECT lives_ok($$INSERT INTO processing_jobs (job_type, current_step) VALUES ('h-size', repeat('s', 500))$$,
                'an INSERT with a 500-character step is accepted');

SET examq.max_payload_bytes = 1000;
SELECT throws_ok($$INSERT INTO processing_jobs (job_type, payload) VALUES ('h-size', jsonb_build_object('x', repeat('p', 2000)))$$,
                 '54000', NULL, 'a payload over examq.max_payload_bytes is refused at INSERT');
SELECT lives_ok($$INSERT INTO processing_jobs (job_type, payload) VALUES ('h-size', jsonb_build_object('x', repeat('p', 100)))$$,
                'a payload within the limit is accepted');
SELECT throws_ok($$SELECT create_exam_paper_job('00000000-0000-0000-0000-00000000e803', ARRAY[repeat('A', 1500), repeat('B', 1500)])$$,
                 '54000', NULL, 'create_exam_paper_job with page images over the limit is refused');
SELECT is((SELECT count(*) FROM processing_jobs WHERE exam_paper_id = '00000000-0000-0000-0000-00000000e803'), 0::bigint,
          'and leaves no job behind');
RESET examq.max_payload_bytes;

INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000f804', 'h-result'),
                                                  ('00000000-0000-0000-0000-00000000f805', 'h-result');
SELECT is((SELECT count(*) FROM get_next_processing_jobs(2, 'r', ARRAY['h-result'])), 2::bigint, 'worker r holds two jobs');
SET examq.max_result_bytes = 100;
SELECT throws_ok($$SELECT complete_processing_job('00000000-0000-0000-0000-00000000f804', jsonb_build_object('x', repeat('r', 200)), 'r', 1)$$,
                 '54000', NULL, 'a result over examq.max_result_bytes is refused');
SELECT throws_ok($$SELECT complete_processing_jobs(ARRAY['00000000-0000-0000-0000-00000000f804', '00000000-0000-0000-0000-00000000f805']::uuid[],
                                                   ARRAY['{}', jsonb_build_object('x', repeat('r', 200))], 'r', ARRAY[1, 1])$$,
                 '54000', NULL, 'a batch with one result over the limit is refused');
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'h-result' AND status = 'processing'), 2::bigint,
          'both jobs are still running');
SELECT is((complete_processing_job('00000000-0000-0000-0000-00000000f804', '{"small": true}', 'r', 1)).status, 'completed',
          'a result within the limit completes');
RESET examq.max_result_bytes;

SELECT throws_ok($$INSERT INTO processing_jobs (job_type, retry_count, max_retries) VALUES ('h-size', 4, 3)$$,
                 '23514', NULL, 'retry_count above max_retries is refused (even for the superuser)');

-- The admin INSERT policy: fresh pending jobs only, created_by empty or the admin's own.
CREATE ROLE h_admin IN ROLE examq_admin;
SELECT is(pg_temp.as_role('h_admin', $$INSERT INTO processing_jobs (job_type, payload, priority, max_retries) VALUES ('h-admin', '{"a": 1}', 5, 2)$$),
          'ok', 'admin: a fresh job is accepted');
SELECT is(pg_temp.as_role('h_admin', v.stmt), '42501', 'admin: may not insert ' || v.what)
  FROM (VALUES
    ('retry_count above max_retries', $$INSERT INTO processing_jobs (job_type, retry_count, max_retries) VALUES ('h-admin', 4, 3)$$),
    ('retries already used', $$INSERT INTO processing_jobs (job_type, retry_count) VALUES ('h-admin', 1)$$),
    ('attempts', $$INSERT INTO processing_jobs (job_type, attempts) VALUES ('h-admin', 1)$$),
    ('a result', $$INSERT INTO processing_jobs (job_type, result) VALUES ('h-admin', '{"fake": true}')$$),
    ('an error_message', $$INSERT INTO processing_jobs (job_type, error_message) VALUES ('h-admin', 'fake')$$),
    ('error_details', $$INSERT INTO processing_jobs (job_type, error_details) VALUES ('h-admin', '{}')$$),
    ('started_at', $$INSERT INTO processing_jobs (job_type, started_at) VALUES ('h-admin', now())$$),
    ('a lease', $$INSERT INTO processing_jobs (job_type, lease_duration) VALUES ('h-admin', interval '1 minute')$$),
    ('progress', $$INSERT INTO processing_jobs (job_type, progress_percentage) VALUES ('h-admin', 50)$$),
    ('a cancel request', $$INSERT INTO processing_jobs (job_type, cancel_requested) VALUES ('h-admin', true)$$),
    ('someone else''s created_by', $$INSERT INTO processing_jobs (job_type, created_by) VALUES ('h-admin', '00000000-0000-0000-0000-0000000000bb')$$))
    AS v(what, stmt);
SELECT set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000aa"}', true);
-- Claims only name a user for Supabase's authenticated role (tests/pgtap-supabase covers it):
-- a session that sets request.jwt.claims for itself under another role names nobody.
SELECT is(pg_temp.as_role('h_admin', $$INSERT INTO processing_jobs (job_type, created_by) VALUES ('h-admin', '00000000-0000-0000-0000-0000000000aa')$$),
          '42501', 'admin, self-set claims: created_by cannot be the claimed user');
SELECT is(pg_temp.as_role('h_admin', $$INSERT INTO processing_jobs (job_type, created_by) VALUES ('h-admin', '00000000-0000-0000-0000-0000000000bb')$$),
          '42501', 'admin: nor another user');
SELECT is(pg_temp.as_role('h_admin', $$INSERT INTO processing_jobs (job_type) VALUES ('h-admin-default')$$), 'ok',
          'admin: created_by left out ...');
SELECT is((SELECT created_by FROM processing_jobs WHERE job_type = 'h-admin-default'), NULL::uuid,
          '... is NULL: self-set claims name nobody');
SELECT set_config('request.jwt.claims', '', true);
SELECT is(pg_temp.as_role('h_admin', format('INSERT INTO processing_jobs (job_type, payload) VALUES (%L, %L)', 'h-admin',
                                            jsonb_build_object('x', repeat('p', 2000)))), 'ok',
          'admin: a payload within the default limit is accepted');
SET examq.max_payload_bytes = 1000;
SELECT is(pg_temp.as_role('h_admin', format('INSERT INTO processing_jobs (job_type, payload) VALUES (%L, %L)', 'h-admin',
                                            jsonb_build_object('x', repeat('p', 2000)))), '54000',
          'admin: a payload over examq.max_payload_bytes is refused');
RESET examq.max_payload_bytes;

-- =============================================================================================
-- (e) examq.notify_payload = 'minimal': changes carry op, id and status only.
-- =============================================================================================
\ir support/listener.psql
SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type = 'h-notify'$$);
SELECT dblink_exec('listener', 'LISTEN processing_jobs_changes');
SELECT dblink_exec('listener', 'LISTEN processing_jobs_available');

SELECT dblink_exec('writer', $$SET examq.notify_payload = 'minimal'$$);
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (id, job_type, payload, exam_paper_id) VALUES
  ('00000000-0000-0000-0000-00000000f8a1', 'h-notify', '{"secret": "do-not-broadcast"}', NULL)$$);
SELECT is(pg_temp.hear(2), 2, 'minimal: an insert still sends a change and a wake-up');
SELECT is((SELECT payload FROM heard WHERE channel = 'processing_jobs_changes'),
          '{"op": "INSERT", "id": "00000000-0000-0000-0000-00000000f8a1", "status": "pending"}'::jsonb,
          'minimal: the change carries op, id and status only');
TRUNCATE heard;
SELECT pg_temp.w($$SELECT get_next_processing_job('wn', ARRAY['h-notify'])$$);
SELECT pg_temp.w($$SELECT update_job_progress('00000000-0000-0000-0000-00000000f8a1', 10, 'Reading paper 7 of Maths', 'wn', 1)$$);
SELECT pg_temp.w($$SELECT snooze_processing_job('00000000-0000-0000-0000-00000000f8a1', interval '1 hour', 'provider says: quota for key sk-123 exceeded', 'wn', 1)$$);
SELECT is(pg_temp.hear(3), 3, 'minimal: claim, progress and snooze each notify');
SELECT results_eq($$SELECT payload FROM heard WHERE channel = 'processing_jobs_changes' ORDER BY n$$,
                  $$VALUES ('{"op": "UPDATE", "id": "00000000-0000-0000-0000-00000000f8a1", "status": "processing"}'::jsonb),
                           ('{"op": "UPDATE", "id": "00000000-0000-0000-0000-00000000f8a1", "status": "processing"}'::jsonb),
                           ('{"op": "UPDATE", "id": "00000000-0000-0000-0000-00000000f8a1", "status": "pending"}'::jsonb)$$,
                  'minimal: updates carry op, id and status only (no step, type or progress)');
-- In the default mode the step is broadcast, but a snooze's reason no longer is.
SELECT dblink_exec('writer', 'RESET examq.notify_payload');
TRUNCATE heard;
SELECT dblink_exec('writer', $$UPDATE processing_jobs SET run_at = now() WHERE id = '00000000-0000-0000-0000-00000000f8a1'$$);
SELECT pg_temp.w($$SELECT get_next_processing_job('wn', ARRAY['h-notify'])$$);
SELECT pg_temp.w($$SELECT snooze_processing_job('00000000-0000-0000-0000-00000000f8a1', interval '1 hour', 'provider says: quota for key sk-123 exceeded', 'wn', 2)$$);
SELECT is(pg_temp.hear(3), 3, 'default mode: the run_at change (0007), the claim and the snooze notify');
SELECT is((SELECT payload ->> 'current_step' FROM heard WHERE channel = 'processing_jobs_changes' ORDER BY n DESC LIMIT 1),
          'Snoozed', 'default mode: the snooze''s step is just Snoozed');
SELECT ok(NOT EXISTS (SELECT 1 FROM heard WHERE payload::text LIKE '%sk-123%'), 'the snooze reason is never broadcast');
SELECT is((SELECT error_details ->> 'snooze_reason' FROM processing_jobs WHERE id = '00000000-0000-0000-0000-00000000f8a1'),
          'provider says: quota for key sk-123 exceeded', 'the reason is kept in error_details');
SELECT dblink_exec('writer', $$SET examq.notify_payload = 'minimal'$$);
TRUNCATE heard;
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (job_type) VALUES ('h-notify')$$);
SELECT is(pg_temp.hear(2), 2, 'minimal: an insert of a claimable job sends a change and a wake-up');
SELECT ok(NOT EXISTS (SELECT 1 FROM heard WHERE payload::text LIKE '%h-notify%'),
          'minimal: no notification names the job type');

SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type = 'h-notify'$$);
SELECT dblink_disconnect('listener');
SELECT dblink_disconnect('writer');
SELECT * FROM finish();
ROLLBACK;
