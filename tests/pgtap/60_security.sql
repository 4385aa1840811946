-- Who may do what: examq_admin, examq_worker, any other role, and Supabase's JWT path.
BEGIN;
SELECT plan(44);

\ir support/roles.psql

CREATE ROLE t_admin IN ROLE examq_admin;
CREATE ROLE t_worker IN ROLE examq_worker;
CREATE ROLE t_other;

INSERT INTO exam_papers (id, title) VALUES ('00000000-0000-0000-0000-00000000b001', 'Chemistry');
INSERT INTO exam_paper_files (exam_paper_id, filename, data) VALUES ('00000000-0000-0000-0000-00000000b001', 'c.pdf', '%PDF-1.4');
INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000b0b0', 's-existing');

-- ---- examq_admin
SELECT is(pg_temp.as_role('t_admin', $$INSERT INTO processing_jobs (job_type) VALUES ('s-admin')$$), 'ok', 'admin: may insert jobs');
SELECT ok(pg_temp.rows_as('t_admin', 'SELECT * FROM processing_jobs') >= 2, 'admin: reads all jobs');
SELECT is(pg_temp.as_role('t_admin', $$INSERT INTO processing_jobs (job_type, status, completed_at) VALUES ('s-admin', 'completed', now())$$),
          '42501', 'admin: may not insert a finished job');
SELECT is(pg_temp.as_role('t_admin', $$UPDATE processing_jobs SET status = 'completed'$$), '42501', 'admin: may not update jobs directly');
SELECT is(pg_temp.as_role('t_admin', $$DELETE FROM processing_jobs$$), '42501', 'admin: may not delete jobs directly');
SELECT is(pg_temp.as_role('t_admin', $$SELECT create_exam_paper_job('00000000-0000-0000-0000-00000000b001')$$), 'ok',
          'admin: may create exam paper jobs');
SELECT is(pg_temp.as_role('t_admin', $$SELECT cancel_processing_job('00000000-0000-0000-0000-00000000b0b0')$$), 'ok', 'admin: may cancel');
SELECT is(pg_temp.as_role('t_admin', $$SELECT retry_processing_job('00000000-0000-0000-0000-00000000b0b0')$$), 'ok', 'admin: may retry');
SELECT is(pg_temp.as_role('t_admin', $$SELECT * FROM processing_job_stats$$), 'ok', 'admin: may read statistics');
SELECT is(pg_temp.as_role('t_admin', $$SELECT cleanup_old_processing_jobs()$$), 'ok', 'admin: may run the cleanup');
SELECT is(pg_temp.as_role('t_admin', $$SELECT get_next_processing_job()$$), '42501', 'admin: may not claim jobs');
SELECT is(pg_temp.as_role('t_admin', $$SELECT complete_processing_job('00000000-0000-0000-0000-00000000b0b0')$$), '42501',
          'admin: may not settle jobs');
SELECT is(pg_temp.as_role('t_admin', $$INSERT INTO exam_papers (title) VALUES ('Biology')$$), 'ok', 'admin: may add exam papers');

-- ---- examq_worker
SELECT ok(pg_temp.rows_as('t_worker', 'SELECT payload FROM processing_jobs') >= 2, 'worker: reads jobs and payloads');
SELECT is(pg_temp.rows_as('t_worker', 'SELECT data FROM exam_paper_files'), 1::bigint, 'worker: reads the PDFs');
SELECT is(pg_temp.as_role('t_worker', $$SELECT get_next_processing_job('tw', ARRAY['s-existing'])$$), 'ok', 'worker: may claim');
SELECT is(pg_temp.as_role('t_worker', $$SELECT update_job_progress('00000000-0000-0000-0000-00000000b0b0', 50, 'x', worker_id => 'tw', attempt => 1)$$), 'ok',
          'worker: may report progress');
SELECT is(pg_temp.as_role('t_worker', $$INSERT INTO questions (exam_paper_id, question_number, position) VALUES ('00000000-0000-0000-0000-00000000b001', '1', 1)$$),
          'ok', 'worker: may write questions');
SELECT is(pg_temp.as_role('t_worker', $$UPDATE exam_papers SET page_count = 3$$), 'ok', 'worker: may record page counts');
SELECT is(pg_temp.as_role('t_worker', $$UPDATE exam_papers SET title = 'x'$$), '42501', 'worker: may not rename papers');
SELECT is(pg_temp.as_role('t_worker', $$SELECT complete_processing_job('00000000-0000-0000-0000-00000000b0b0', NULL, worker_id => 'tw', attempt => 1)$$), 'ok',
          'worker: may settle');
SELECT is(pg_temp.as_role('t_worker', $$INSERT INTO processing_jobs (job_type) VALUES ('s-worker')$$), '42501', 'worker: may not insert jobs');
SELECT is(pg_temp.as_role('t_worker', $$UPDATE processing_jobs SET status = 'pending'$$), '42501', 'worker: may not update jobs directly');
SELECT is(pg_temp.as_role('t_worker', $$DELETE FROM processing_jobs$$), '42501', 'worker: may not delete jobs');
SELECT is(pg_temp.as_role('t_worker', $$SELECT cleanup_old_processing_jobs()$$), '42501', 'worker: may not run the cleanup');
SELECT is(pg_temp.as_role('t_worker', $$SELECT cancel_processing_job('00000000-0000-0000-0000-00000000b0b0')$$), '42501', 'worker: may not cancel');
SELECT is(pg_temp.as_role('t_worker', $$DROP TABLE questions$$), '42501', 'worker: may not change the schema');
SELECT is(pg_temp.as_role('t_worker', $$CREATE TABLE public.evil (x int)$$), '42501', 'worker: may not create tables');

-- ---- any other role
SELECT is(pg_temp.as_role('t_other', $$SELECT * FROM processing_jobs$$), '42501', 'other: no privilege on the jobs');
SELECT is(pg_temp.as_role('t_other', $$SELECT get_next_processing_job()$$), '42501', 'other: may not claim');
SELECT is(pg_temp.as_role('t_other', $$SELECT create_exam_paper_job('00000000-0000-0000-0000-00000000b001')$$), '42501',
          'other: may not create jobs');
SELECT is(pg_temp.as_role('t_other', $$SELECT * FROM exam_paper_files$$), '42501', 'other: may not read the PDFs');
-- Even with table privileges (as on Supabase, whose API roles get them by default), row-level
-- security shows nothing and refuses inserts.
GRANT SELECT, INSERT ON processing_jobs, exam_paper_files, questions TO t_other;
SELECT is(pg_temp.rows_as('t_other', 'SELECT * FROM processing_jobs'), 0::bigint, 'other with grants: sees zero jobs');
SELECT is(pg_temp.rows_as('t_other', 'SELECT * FROM exam_paper_files'), 0::bigint, 'other with grants: sees zero files');
SELECT is(pg_temp.as_role('t_other', $$INSERT INTO processing_jobs (job_type) VALUES ('s-other')$$), '42501',
          'other with grants: cannot insert a job');

-- ---- Supabase: the authenticated role with an admin JWT
CREATE SCHEMA auth;
CREATE ROLE authenticated;
GRANT SELECT, INSERT ON processing_jobs TO authenticated;
GRANT EXECUTE ON FUNCTION create_exam_paper_job(uuid, text[], uuid, boolean, integer), cancel_processing_job(uuid)
  TO authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000aa", "app_metadata": {"role": "teacher"}}', true);
SELECT is(pg_temp.rows_as('authenticated', 'SELECT * FROM processing_jobs'), 0::bigint, 'supabase, non-admin JWT: sees zero jobs');
SELECT is(pg_temp.as_role('authenticated', $$INSERT INTO processing_jobs (job_type) VALUES ('s-jwt')$$), '42501',
          'supabase, non-admin JWT: cannot insert');
SELECT is(pg_temp.as_role('authenticated', $$SELECT cancel_processing_job('00000000-0000-0000-0000-00000000b0b0')$$), '42501',
          'supabase, non-admin JWT: cannot call admin functions');
SELECT set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000aa", "app_metadata": {"role": "admin"}}', true);
SELECT ok(pg_temp.rows_as('authenticated', 'SELECT * FROM processing_jobs') >= 2, 'supabase, admin JWT: sees all jobs');
SELECT is(pg_temp.as_role('authenticated', $$INSERT INTO processing_jobs (job_type) VALUES ('s-jwt')$$), 'ok',
          'supabase, admin JWT: may insert');
INSERT INTO exam_papers (id, title) VALUES ('00000000-0000-0000-0000-00000000b002', 'Geography');
SELECT is(pg_temp.as_role('authenticated', $$SELECT create_exam_paper_job('00000000-0000-0000-0000-00000000b002')$$), 'ok',
          'supabase, admin JWT: may create exam paper jobs');
SELECT is((SELECT created_by FROM processing_jobs WHERE exam_paper_id = '00000000-0000-0000-0000-00000000b002'),
          '00000000-0000-0000-0000-0000000000aa'::uuid, 'the job records the JWT subject as created_by');
SELECT set_config('request.jwt.claims', 'not json', true);
SELECT is(pg_temp.rows_as('authenticated', 'SELECT * FROM processing_jobs'), 0::bigint, 'supabase, garbled JWT: sees zero jobs');
-- The JWT means nothing to other roles.
SELECT set_config('request.jwt.claims', '{"app_metadata": {"role": "admin"}}', true);
SELECT is(pg_temp.rows_as('t_other', 'SELECT * FROM processing_jobs'), 0::bigint, 'an admin JWT does not help other roles');

SELECT * FROM finish();
ROLLBACK;
