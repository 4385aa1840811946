-- Notifications through the queue (sql/0012): preferences, the notify jobs a settle enqueues
-- (per job, per batch, by Supabase user or database login), none for cancelled jobs, retries or
-- notify jobs themselves, none left behind by a rolled-back settle, and who may manage them.
BEGIN;
SELECT plan(23);

\ir support/roles.psql
CREATE ROLE n_admin IN ROLE examq_admin;
CREATE ROLE n_other;
CREATE FUNCTION pg_temp.notes() RETURNS TABLE (event text, outcome text, channel text, "to" text, subject uuid)
LANGUAGE sql AS $$
  SELECT payload ->> 'event', payload ->> 'outcome', payload ->> 'channel', payload ->> 'to',
         coalesce(payload ->> 'job_id', payload ->> 'batch_id')::uuid
    FROM processing_jobs WHERE job_type = 'notify'
   ORDER BY created_at, coalesce(payload ->> 'job_id', payload ->> 'batch_id'), payload ->> 'channel'
$$;
CREATE FUNCTION pg_temp.settle(job uuid, outcome text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  a integer;
BEGIN
  UPDATE processing_jobs SET run_at = now() - interval '1 hour' WHERE id = job;
  SELECT attempts INTO a FROM get_next_processing_job('nw', ARRAY[(SELECT job_type FROM processing_jobs WHERE id = job)]);
  IF outcome = 'completed' THEN
    PERFORM complete_processing_job(job, NULL, worker_id => 'nw', attempt => a);
  ELSE
    PERFORM fail_processing_job(job, 'it broke', true, worker_id => 'nw', attempt => a);
  END IF;
END $$;
DELETE FROM processing_jobs;  -- only this transaction's jobs are seen (rolled back at the end)

-- ---- preferences: what a row may say
SELECT throws_ok($$INSERT INTO examq_notification_preferences (role_name, email) VALUES ('x', 'not an address')$$,
                 '23514', NULL, 'an email address must look like one');
SELECT throws_ok($$INSERT INTO examq_notification_preferences (role_name, email) VALUES ('x', 'a@b.example>, evil@x.example')$$,
                 '23514', NULL, 'one address, no header injection');
SELECT throws_ok($$INSERT INTO examq_notification_preferences (role_name, webhook_url) VALUES ('x', 'ftp://example.org/hook')$$,
                 '23514', NULL, 'a webhook is http or https');
SELECT throws_ok($$INSERT INTO examq_notification_preferences (role_name) VALUES ('x')$$,
                 '23514', NULL, 'a row names at least one channel');
SELECT throws_ok($$INSERT INTO examq_notification_preferences (user_id, role_name, email) VALUES (gen_random_uuid(), 'x', 'a@b.example')$$,
                 '23514', NULL, 'a row is about one Supabase user or one login, not both');
SELECT throws_ok($$INSERT INTO examq_notification_preferences (role_name, email, per) VALUES ('x', 'a@b.example', 'hourly')$$,
                 '23514', NULL, 'per batch or per job');

-- ---- a Supabase user's job outside any batch: per job whatever `per` says
INSERT INTO examq_notification_preferences (user_id, email, on_failure) VALUES
  ('00000000-0000-0000-0000-0000000000e1', 'teacher@school.example', false);
INSERT INTO processing_jobs (id, job_type, created_by) VALUES
  ('00000000-0000-0000-0000-00000000e001', 'n-work', '00000000-0000-0000-0000-0000000000e1'),
  ('00000000-0000-0000-0000-00000000e002', 'n-work', '00000000-0000-0000-0000-0000000000e1'),
  ('00000000-0000-0000-0000-00000000e003', 'n-work', '00000000-0000-0000-0000-0000000000e1');
SELECT pg_temp.settle('00000000-0000-0000-0000-00000000e001', 'completed');
SELECT results_eq($$SELECT * FROM pg_temp.notes()$$,
                  $$VALUES ('job', 'completed', 'email', 'teacher@school.example', '00000000-0000-0000-0000-00000000e001'::uuid)$$,
                  'a completed job of a user who wants completions: one email notify job');
SELECT row_eq($$SELECT status, priority, max_retries, batch_id, created_by FROM processing_jobs WHERE job_type = 'notify'$$,
              ROW('pending'::text, 10, 8, NULL::uuid, NULL::uuid), 'a pending job, ahead of papers, retried up to 8 times, in no batch');
SELECT pg_temp.settle('00000000-0000-0000-0000-00000000e002', 'failed');
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'notify')::integer, 1, 'no failure notice for a user who does not want them');
SELECT cancel_processing_job('00000000-0000-0000-0000-00000000e003');
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'notify')::integer, 1, 'a cancelled job is not announced');

-- ---- settling the notify job itself announces nothing
SELECT pg_temp.settle((SELECT id FROM processing_jobs WHERE job_type = 'notify'), 'completed');
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'notify')::integer, 1, 'a notify job never causes another');

-- ---- a retry that will run again is not a failure yet
INSERT INTO processing_jobs (id, job_type, created_by) VALUES
  ('00000000-0000-0000-0000-00000000e004', 'n-work', '00000000-0000-0000-0000-0000000000e1');
UPDATE examq_notification_preferences SET on_failure = true WHERE user_id = '00000000-0000-0000-0000-0000000000e1';
SELECT attempts AS a FROM get_next_processing_job('nw', ARRAY['n-work']) \gset
SELECT fail_processing_job('00000000-0000-0000-0000-00000000e004', 'transient', false, worker_id => 'nw', attempt => :a);
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'notify')::integer, 1, 'a failure that will be retried is not announced');
SELECT pg_temp.settle('00000000-0000-0000-0000-00000000e004', 'failed');
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'notify' AND payload ->> 'outcome' = 'failed')::integer, 1,
          'the final failure is');

-- ---- a rolled-back settle leaves no notification behind
DELETE FROM processing_jobs WHERE job_type = 'notify';
INSERT INTO processing_jobs (id, job_type, created_by) VALUES
  ('00000000-0000-0000-0000-00000000e005', 'n-work', '00000000-0000-0000-0000-0000000000e1');
SAVEPOINT before_settle;
SELECT pg_temp.settle('00000000-0000-0000-0000-00000000e005', 'completed');
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'notify')::integer, 1, 'inside the settle''s transaction: enqueued');
ROLLBACK TO SAVEPOINT before_settle;
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'notify')::integer, 0, 'settle rolled back: no notification');

-- ---- a database login's batch: one email and one webhook when it settles, none per job
INSERT INTO examq_notification_preferences (role_name, email, webhook_url) VALUES
  (session_user, 'office@school.example', 'https://hooks.school.example/examq');
SELECT examq_begin_batch('n-mocks') AS batch \gset
INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000e011', 'n-work'),
                                                  ('00000000-0000-0000-0000-00000000e012', 'n-work');
SELECT set_config('examq.batch_id', '', true);
SELECT pg_temp.settle('00000000-0000-0000-0000-00000000e011', 'completed');
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'notify')::integer, 0, 'per batch: nothing while the batch runs');
SELECT pg_temp.settle('00000000-0000-0000-0000-00000000e012', 'failed');
SELECT results_eq($$SELECT event, outcome, channel, "to", subject FROM pg_temp.notes()$$,
                  format($$VALUES ('batch', 'completed_with_errors', 'email', 'office@school.example', %L::uuid),
                                  ('batch', 'completed_with_errors', 'webhook', 'https://hooks.school.example/examq', %L::uuid)$$, :'batch', :'batch'),
                  'the batch settled with a failure: one email and one webhook, for the batch');

-- ---- per job: each job of the batch, and nothing more at the end
DELETE FROM processing_jobs WHERE job_type = 'notify';
UPDATE examq_notification_preferences SET per = 'job', webhook_url = NULL WHERE role_name = session_user;
SELECT examq_begin_batch('n-per-job') AS batch2 \gset
INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000e021', 'n-work'),
                                                  ('00000000-0000-0000-0000-00000000e022', 'n-work');
SELECT set_config('examq.batch_id', '', true);
SELECT pg_temp.settle('00000000-0000-0000-0000-00000000e021', 'completed');
SELECT pg_temp.settle('00000000-0000-0000-0000-00000000e022', 'completed');
SELECT results_eq($$SELECT event, outcome, subject FROM pg_temp.notes()$$,
                  $$VALUES ('job', 'completed', '00000000-0000-0000-0000-00000000e021'::uuid),
                           ('job', 'completed', '00000000-0000-0000-0000-00000000e022'::uuid)$$,
                  'per job: one per job, none for the batch');
-- A job outside any batch has no login recorded: a login's preferences cannot match it.
INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000e031', 'n-work');
SELECT pg_temp.settle('00000000-0000-0000-0000-00000000e031', 'completed');
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'notify')::integer, 2, 'a job with no batch and no user: nobody to tell');

-- ---- who may manage preferences
SELECT is(pg_temp.as_role('n_admin', $$UPDATE examq_notification_preferences SET on_completion = false$$), 'ok', 'an admin manages every row');
SELECT is(pg_temp.rows_as('n_admin', $$SELECT * FROM examq_notification_preferences$$), 2::bigint, 'and sees them all');
SELECT is(pg_temp.as_role('n_other', $$SELECT * FROM examq_notification_preferences$$), '42501', 'another role sees none');
SELECT is(pg_temp.as_role('examq_worker', $$UPDATE examq_notification_preferences SET per = 'job'$$), '42501',
          'a worker reads them but may not change them');

SELECT * FROM finish();
ROLLBACK;
