-- Supabase's API roles after sql/install.sql in a database prepared by setup.sql (default
-- privileges that give anon, authenticated and service_role everything created in public).
-- anon gets nothing; authenticated and service_role get the admin set of docs/sql-api.md
-- (filtered by row-level security and the JWT checks), never the worker functions.
BEGIN;
SELECT plan(96);

\ir ../pgtap/support/roles.psql
-- examq's functions: everything in public that no extension (pgTAP) brought.
CREATE FUNCTION pg_temp.examq_functions() RETURNS SETOF regprocedure LANGUAGE sql AS $$
  SELECT p.oid::regprocedure FROM pg_proc AS p
   WHERE p.pronamespace = 'public'::regnamespace
     AND NOT EXISTS (SELECT 1 FROM pg_depend AS d
                      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
$$;
-- The helpers that PUBLIC may run, deliberately: row-level security policies, column defaults
-- and triggers call them as the calling role, so every role that may touch a table at all needs
-- them. None is SECURITY DEFINER and none reads a table: they read settings and the JWT claims
-- (which the caller can read anyway), format notification text from a row the caller already
-- has, or are trigger functions that cannot be called directly; the id lookups' prefix check
-- (sql/0011) turns text into a uuid range, and raises the error of a prefix that names no one id.
CREATE FUNCTION pg_temp.public_helpers() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY[
    'examq_assert_admin_caller()', 'examq_id_prefix_range(text,text)', 'examq_id_prefix_unresolved(text,text,text[])',
    'examq_is_admin()', 'examq_jwt_is_admin()', 'examq_request_claims_sub()',
    'examq_request_user_id()', 'examq_setting_int(text,bigint)',
    'examq_setting_interval(text,interval)', 'processing_job_change_payload(text,processing_jobs)',
    'processing_job_minimal_payload(text,processing_jobs)', 'processing_job_retry_delay(integer)',
    'processing_jobs_available_payload(text[])', 'processing_jobs_check_insert()',
    'processing_jobs_notify_insert()', 'processing_jobs_notify_update()',
    'processing_jobs_notify_delete()']
$$;
-- The functions role R may execute, PUBLIC's helpers left out.
CREATE FUNCTION pg_temp.functions_of(r text) RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg(f::text ORDER BY f::text), '{}') FROM pg_temp.examq_functions() AS f
   WHERE has_function_privilege(r, f, 'EXECUTE') AND f::text <> ALL (pg_temp.public_helpers())
$$;
-- The privileges role R holds on relation T.
CREATE FUNCTION pg_temp.privs(r text, t text) RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg(p ORDER BY p), '{}')
    FROM unnest(ARRAY['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE']) AS p
   WHERE has_table_privilege(r, t, p)
$$;
CREATE FUNCTION pg_temp.examq_tables() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT unnest(ARRAY['processing_jobs', 'processing_job_stats', 'exam_papers', 'exam_paper_files',
                      'exam_paper_pages', 'syllabus_topics', 'questions', 'examq_migrations',
                      'examq_workers', 'examq_worker_status', 'examq_live_workers', 'examq_api_admin_relations',
                      'processing_job_batches', 'processing_job_batch_status', 'examq_notification_preferences',
                      'examq_noop_executions'])
$$;

INSERT INTO exam_papers (id, title) VALUES ('00000000-0000-0000-0000-00000000c001', 'Supabase paper'),
                                           ('00000000-0000-0000-0000-00000000c002', 'Second paper');
INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000c0b1', 'sb-existing'),
                                                  ('00000000-0000-0000-0000-00000000c0b2', 'sb-existing');
SELECT FROM examq_register_worker('sb-worker', 'sb-host', 1, '0.1.0', NULL, 1, '60s', '20s');

-- ---- the setup is Supabase's: without examq's revokes, the API roles would get everything
SELECT ok(EXISTS (SELECT 1 FROM pg_default_acl AS d, aclexplode(d.defaclacl) AS a
                   WHERE d.defaclnamespace = 'public'::regnamespace AND d.defaclobjtype = o
                     AND a.grantee = 'anon'::regrole),
          'setup: default privileges give anon every new ' || n)
  FROM (VALUES ('r', 'table'), ('f', 'function'), ('S', 'sequence')) AS v(o, n);
CREATE TABLE public.sb_control (x integer);
CREATE FUNCTION public.sb_control_fn() RETURNS integer LANGUAGE sql AS 'SELECT 1';
SELECT is(pg_temp.privs('anon', 'sb_control'),
          ARRAY['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'],
          'setup: a table created now gives anon everything (the control)');
SELECT ok(has_function_privilege('anon', 'sb_control_fn()', 'EXECUTE'), 'setup: and so does a function');
DROP FUNCTION public.sb_control_fn();
DROP TABLE public.sb_control;
SELECT ok(to_regnamespace('auth') IS NOT NULL, 'setup: an auth schema exists');
SELECT ok((SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'), 'setup: service_role bypasses RLS');

-- ---- Supabase Realtime: the install put processing_jobs in the publication (sql/0007)
SELECT ok(EXISTS (SELECT 1 FROM pg_publication_tables
                   WHERE pubname = 'supabase_realtime' AND schemaname = 'public' AND tablename = 'processing_jobs'),
          'processing_jobs is in the supabase_realtime publication');

-- ---- PUBLIC's helpers: exactly the listed ones, none SECURITY DEFINER
SELECT set_eq($$SELECT f::text FROM pg_temp.examq_functions() AS f WHERE has_function_privilege('public', f, 'EXECUTE')$$,
              (SELECT pg_temp.public_helpers()),
              'PUBLIC may execute exactly the listed policy, default and trigger helpers');
SELECT is_empty($$SELECT f::text FROM pg_temp.examq_functions() AS f JOIN pg_proc AS p ON p.oid = f
                    WHERE f::text = ANY (pg_temp.public_helpers()) AND p.prosecdef$$,
                'none of PUBLIC''s helpers is SECURITY DEFINER');

-- ---- anon: nothing
SELECT is(pg_temp.functions_of('anon'), '{}'::text[], 'anon: no examq function beyond PUBLIC''s helpers');
SELECT is_empty($$SELECT f::text FROM pg_temp.examq_functions() AS f JOIN pg_proc AS p ON p.oid = f,
                         aclexplode(p.proacl) AS a
                    WHERE a.grantee = 'anon'::regrole$$,
                'anon: no grant of its own on any examq function (the default privileges were revoked)');
SELECT is(pg_temp.privs('anon', t), '{}'::text[], 'anon: no privilege on ' || t) FROM pg_temp.examq_tables() AS t;
SELECT is(pg_temp.as_role('anon', $$SELECT get_next_processing_job()$$), '42501', 'anon: get_next_processing_job() refused');
SELECT is(pg_temp.as_role('anon', $$SELECT complete_processing_job('00000000-0000-0000-0000-00000000c0b1', NULL, 'w', 1)$$),
          '42501', 'anon: complete_processing_job refused');
SELECT is(pg_temp.as_role('anon', $$SELECT * FROM processing_jobs$$), '42501', 'anon: SELECT from processing_jobs refused');
SELECT is(pg_temp.as_role('anon', $$INSERT INTO processing_jobs (job_type) VALUES ('sb-anon')$$), '42501',
          'anon: INSERT into processing_jobs refused');
SELECT is(pg_temp.as_role('anon', $$SELECT cancel_processing_job('00000000-0000-0000-0000-00000000c0b1')$$), '42501',
          'anon: cancel_processing_job refused');
SELECT is(pg_temp.as_role('anon', $$SELECT * FROM exam_paper_files$$), '42501', 'anon: the PDFs refused');

-- ---- authenticated: the admin set, through RLS and the JWT
SELECT is(pg_temp.privs('authenticated', 'processing_jobs'), ARRAY['INSERT', 'SELECT'],
          'authenticated: SELECT and INSERT on processing_jobs only');
SELECT is(pg_temp.privs('authenticated', 'processing_job_stats'), ARRAY['SELECT'], 'authenticated: SELECT on the statistics');
SELECT is(pg_temp.privs('authenticated', 'examq_migrations'), '{}'::text[], 'authenticated: nothing on examq_migrations');
SELECT is(pg_temp.privs('authenticated', 'examq_noop_executions'), '{}'::text[], 'authenticated: nothing on the noop execution log (sql/0018)');
SELECT is(pg_temp.privs('authenticated', 'examq_workers'), ARRAY['SELECT'], 'authenticated: SELECT on the worker registry only');
SELECT is(pg_temp.privs('authenticated', 'examq_api_admin_relations'), '{}'::text[], 'authenticated: nothing on examq_api_admin_relations');
SELECT is(pg_temp.privs('authenticated', 'exam_paper_pages'), ARRAY['DELETE', 'SELECT'],
          'authenticated: read and delete rendered pages (written only by the worker)');
SELECT is(pg_temp.privs('authenticated', 'processing_job_batches'), ARRAY['INSERT', 'SELECT'],
          'authenticated: read and begin batches (sql/0010; settled only by the triggers)');
SELECT is(pg_temp.privs('service_role', 'processing_job_batch_status'), ARRAY['SELECT'], 'service_role: read the batch view');
SELECT is(pg_temp.functions_of('authenticated'),
          ARRAY['cancel_processing_job(uuid)', 'cleanup_old_processing_jobs(interval)',
                'create_exam_paper_job(uuid,text[],uuid,boolean,integer)', 'examq_begin_batch(text)',
                'examq_resolve_exam_paper_id(text)', 'examq_resolve_job_id(text)',
                'examq_retag_exam_paper(uuid,uuid,integer)',
                'process_background_jobs()', 'processing_job_batch_estimated_seconds(uuid)',
                'processing_job_estimated_seconds(text,integer,integer)',
                'processing_job_history(timestamp with time zone,timestamp with time zone,text)',
                'retry_processing_job(uuid)',
                'submit_exam_paper(text,text,bytea,integer,uuid,text,bytea)',
                'submit_exam_paper(text,text,bytea,integer,uuid,text,bytea,uuid,integer)'],
          'authenticated: exactly the admin functions, never a worker function');
SELECT is_empty($$SELECT r.rolname, t FROM pg_roles AS r, pg_temp.examq_tables() AS t
                    WHERE r.rolname IN ('anon', 'authenticated', 'service_role')
                      AND (has_table_privilege(r.rolname, t, 'TRUNCATE') OR has_table_privilege(r.rolname, t, 'TRIGGER')
                           OR has_table_privilege(r.rolname, t, 'REFERENCES'))$$,
                'no API role may TRUNCATE (which skips row-level security), or add triggers or references');

-- Without an admin JWT.
SELECT set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000a1", "role": "authenticated", "app_metadata": {"role": "teacher"}}', true);
SELECT is(pg_temp.rows_as('authenticated', 'SELECT * FROM processing_jobs'), 0::bigint, 'authenticated, no admin JWT: zero jobs visible');
SELECT is(pg_temp.rows_as('authenticated', 'SELECT * FROM processing_job_stats'), 0::bigint, 'authenticated, no admin JWT: empty statistics');
SELECT is(pg_temp.rows_as('authenticated', 'SELECT * FROM exam_papers'), 0::bigint, 'authenticated, no admin JWT: zero papers visible');
SELECT is(pg_temp.rows_as('authenticated', 'SELECT * FROM examq_worker_status'), 0::bigint, 'authenticated, no admin JWT: zero workers visible');
SELECT is(pg_temp.as_role('authenticated', $$SELECT cancel_processing_job('00000000-0000-0000-0000-00000000c0b1')$$), '42501',
          'authenticated, no admin JWT: cancel refused');
SELECT is(pg_temp.as_role('authenticated', $$SELECT examq_resolve_job_id('00000000-0000-0000-0000-00000000c0b1')$$), 'P0002',
          'authenticated, no admin JWT: a job id resolves to no job (the lookup reads through row-level security)');
SELECT is(pg_temp.as_role('authenticated', $$SELECT create_exam_paper_job('00000000-0000-0000-0000-00000000c001')$$), '42501',
          'authenticated, no admin JWT: create_exam_paper_job refused');
SELECT is(pg_temp.as_role('authenticated', $$SELECT cleanup_old_processing_jobs()$$), '42501',
          'authenticated, no admin JWT: cleanup refused');
SELECT is(pg_temp.as_role('authenticated', $$INSERT INTO processing_jobs (job_type) VALUES ('sb-user')$$), '42501',
          'authenticated, no admin JWT: INSERT refused');
SELECT is(pg_temp.as_role('authenticated', $$SELECT get_next_processing_job()$$), '42501',
          'authenticated: get_next_processing_job() refused');
SELECT is(pg_temp.as_role('authenticated', $$SELECT complete_processing_job('00000000-0000-0000-0000-00000000c0b1', NULL, 'w', 1)$$),
          '42501', 'authenticated: complete_processing_job refused');
SELECT is((SELECT status FROM processing_jobs WHERE id = '00000000-0000-0000-0000-00000000c0b1'), 'pending',
          'the refused calls changed nothing');

-- A signed-in user manages their own notification preferences (sql/0012), nobody else's.
INSERT INTO examq_notification_preferences (user_id, email) VALUES ('00000000-0000-0000-0000-0000000000b2', 'other@school.example');
SELECT is(pg_temp.as_role('authenticated', $$INSERT INTO examq_notification_preferences (user_id, email)
                                             VALUES ('00000000-0000-0000-0000-0000000000a1', 'me@school.example')$$), 'ok',
          'authenticated, no admin JWT: may add their own notification preferences');
SELECT is(pg_temp.as_role('authenticated', $$INSERT INTO examq_notification_preferences (user_id, email)
                                             VALUES ('00000000-0000-0000-0000-0000000000b3', 'them@school.example')$$), '42501',
          'but not someone else''s');
SELECT is(pg_temp.rows_as('authenticated', 'SELECT * FROM examq_notification_preferences'), 1::bigint,
          'and sees only their own');
SELECT is(pg_temp.as_role('authenticated', $$UPDATE examq_notification_preferences SET user_id = '00000000-0000-0000-0000-0000000000b4'$$), '42501',
          'nor moves their row to another user');

-- With an admin JWT (app_metadata.role = admin, as PostgREST sets it from a verified token).
SELECT set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000a1", "role": "authenticated", "app_metadata": {"role": "admin"}}', true);
SELECT is(pg_temp.rows_as('authenticated', 'SELECT * FROM processing_jobs'), 2::bigint, 'authenticated, admin JWT: every job visible');
SELECT is(pg_temp.as_role('authenticated', $$SELECT cancel_processing_job('00000000-0000-0000-0000-00000000c0b1')$$), 'ok',
          'authenticated, admin JWT: cancel works');
SELECT is((SELECT status FROM processing_jobs WHERE id = '00000000-0000-0000-0000-00000000c0b1'), 'cancelled', 'and cancelled the job');
SELECT is(pg_temp.as_role('authenticated', $$SELECT retry_processing_job('00000000-0000-0000-0000-00000000c0b1')$$), 'ok',
          'authenticated, admin JWT: retry works');
SELECT is(pg_temp.as_role('authenticated', $$SELECT create_exam_paper_job('00000000-0000-0000-0000-00000000c001')$$), 'ok',
          'authenticated, admin JWT: create_exam_paper_job works');
SELECT is(pg_temp.as_role('authenticated', $$INSERT INTO processing_jobs (job_type) VALUES ('sb-admin')$$), 'ok',
          'authenticated, admin JWT: INSERT of a fresh job works');
SELECT is((SELECT created_by FROM processing_jobs WHERE job_type = 'sb-admin'), '00000000-0000-0000-0000-0000000000a1'::uuid,
          'and created_by defaults to the JWT''s user');
SELECT is(pg_temp.as_role('authenticated', $$INSERT INTO processing_jobs (job_type, created_by) VALUES ('sb-admin', '00000000-0000-0000-0000-0000000000b2')$$),
          '42501', 'authenticated, admin JWT: not on behalf of another user');
SELECT is(pg_temp.as_role('authenticated', $$INSERT INTO processing_jobs (job_type, status, completed_at) VALUES ('sb-admin', 'completed', now())$$),
          '42501', 'authenticated, admin JWT: not a finished job');
SELECT is(pg_temp.as_role('authenticated', $$UPDATE processing_jobs SET priority = 5$$), '42501',
          'authenticated, admin JWT: no direct UPDATE');
SELECT is(pg_temp.as_role('authenticated', $$SELECT get_next_processing_job()$$), '42501',
          'authenticated, admin JWT: still no worker function');
SELECT is(pg_temp.as_role('authenticated', $$SELECT * FROM processing_job_stats$$), 'ok',
          'authenticated, admin JWT: statistics readable');
SELECT is(pg_temp.rows_as('authenticated', 'SELECT * FROM examq_live_workers'), 1::bigint, 'authenticated, admin JWT: the live workers');
SELECT is(pg_temp.as_role('authenticated', $$SELECT examq_worker_heartbeat('sb-worker')$$), '42501',
          'authenticated, admin JWT: no worker registry function');
SELECT set_config('request.jwt.claims', '', true);

-- ---- service_role: the admin set (it bypasses RLS), no worker function, no UPDATE or DELETE
SELECT is(pg_temp.privs('service_role', 'processing_jobs'), ARRAY['SELECT'],
          'service_role: SELECT on processing_jobs only (it bypasses the insert policy)');
SELECT is(pg_temp.as_role('service_role', $$INSERT INTO processing_jobs (job_type, status, locked_by) VALUES ('sb-forged', 'processing', 'w')$$),
          '42501', 'service_role: cannot insert a forged job');
SELECT is(pg_temp.functions_of('service_role'), pg_temp.functions_of('authenticated'),
          'service_role: the same admin functions, no worker function');
SELECT is(pg_temp.as_role('service_role', $$UPDATE processing_jobs SET status = 'completed'$$), '42501',
          'service_role: UPDATE refused');
SELECT is(pg_temp.as_role('service_role', $$DELETE FROM processing_jobs$$), '42501', 'service_role: DELETE refused');
SELECT is(pg_temp.as_role('service_role', $$SELECT get_next_processing_job()$$), '42501', 'service_role: claim refused');
SELECT is(pg_temp.as_role('service_role', $$SELECT complete_processing_job('00000000-0000-0000-0000-00000000c0b2', NULL, 'w', 1)$$),
          '42501', 'service_role: complete refused');
SELECT ok(pg_temp.rows_as('service_role', 'SELECT * FROM processing_jobs') >= 2, 'service_role: reads every job');
SELECT is(pg_temp.rows_as('service_role', 'SELECT * FROM examq_worker_status'), 1::bigint, 'service_role: reads the workers');
SELECT is(pg_temp.as_role('service_role', $$SELECT cancel_processing_job('00000000-0000-0000-0000-00000000c0b2')$$), 'ok',
          'service_role: may cancel');

-- ---- re-applying after someone re-granted: the function restores the intended privileges
GRANT ALL ON processing_jobs TO anon;
GRANT ALL ON examq_workers TO anon;
GRANT EXECUTE ON FUNCTION get_next_processing_job(text, text[], interval) TO authenticated;
SELECT lives_ok($$SELECT examq_apply_api_role_privileges()$$, 'examq_apply_api_role_privileges() runs again');
SELECT is(pg_temp.privs('anon', 'processing_jobs'), '{}'::text[], 'anon lost the re-granted table privileges');
SELECT is(pg_temp.privs('anon', 'examq_workers'), '{}'::text[], 'and those on the worker registry');
SELECT is(pg_temp.functions_of('authenticated'), pg_temp.functions_of('service_role'),
          'authenticated lost the re-granted worker function');
SELECT is(pg_temp.as_role('authenticated', $$SELECT examq_apply_api_role_privileges()$$), '42501',
          'the API roles cannot run it themselves');

-- ---- the privileges are data (sql/0009): one function, a new relation is a row
SELECT hasnt_function('examq_apply_api_role_privileges_0004', 'one privilege function: 0008''s wrapped copy of 0004 is gone');
SELECT throws_ok($$INSERT INTO examq_api_admin_relations (relation, privileges) VALUES ('questions', 'SELECT; DROP TABLE questions')$$,
                 '23514', NULL, 'a privileges list is only SELECT, INSERT, UPDATE, DELETE (it is spliced into GRANT)');
CREATE TABLE public.sb_later (x integer);
INSERT INTO examq_api_admin_relations (relation, privileges, service_role_privileges) VALUES ('sb_later', 'SELECT, UPDATE', 'SELECT');
SELECT lives_ok($$SELECT examq_apply_api_role_privileges()$$, 'a relation added as a row is applied');
SELECT is(pg_temp.privs('anon', 'sb_later'), '{}'::text[], 'anon: nothing on it');
SELECT is(pg_temp.privs('authenticated', 'sb_later'), ARRAY['SELECT', 'UPDATE'], 'authenticated: the row''s privileges');
SELECT is(pg_temp.privs('service_role', 'sb_later'), ARRAY['SELECT'], 'service_role: its own column''s');

SELECT * FROM finish();
ROLLBACK;
