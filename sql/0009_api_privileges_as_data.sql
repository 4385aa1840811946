-- 0009 Supabase's API-role privileges as data, in one function (review of issue 20's 0008).
--
-- 0004's examq_apply_api_role_privileges() named the relations it revokes and grants in its
-- body; 0008 added a table of relations and kept 0004's body under another name, called first.
-- Two functions for one job, and a third would follow with the next special case. Now every
-- relation is a row of examq_api_admin_relations, saying what authenticated and service_role
-- get back (anon always gets nothing), and one function reads that table and
-- examq_api_admin_functions. A migration that adds a relation or an admin function inserts a
-- row and calls examq_apply_api_role_privileges(), as before; the grants are the same as they
-- were (tests/pgtap-supabase/10_api_roles.sql checks every one).
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

-- ---------------------------------------------------------------------------------------------
-- 1. The table says everything: what each role gets back, and when a relation is examq's.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE examq_api_admin_relations DROP CONSTRAINT examq_api_admin_relations_privileges_check;
-- privileges (and service_role_privileges) are spliced into GRANT statements: the check admits
-- only a comma-separated list of these four words, or '' for "revoke only".
ALTER TABLE examq_api_admin_relations
  ADD CONSTRAINT examq_api_admin_relations_privileges_check
    CHECK (privileges ~ '^((SELECT|INSERT|UPDATE|DELETE)(, (SELECT|INSERT|UPDATE|DELETE))*)?$'),
  ADD COLUMN service_role_privileges text
    CHECK (service_role_privileges ~ '^((SELECT|INSERT|UPDATE|DELETE)(, (SELECT|INSERT|UPDATE|DELETE))*)?$'),
  ADD COLUMN only_if_comment text;
COMMENT ON TABLE examq_api_admin_relations IS
  'Relations on which examq_apply_api_role_privileges() revokes everything from Supabase''s API '
  'roles (anon, authenticated, service_role), then grants PRIVILEGES to authenticated and '
  'SERVICE_ROLE_PRIVILEGES (when null, PRIVILEGES) to service_role; '''' grants nothing. A '
  'relation with ONLY_IF_COMMENT is touched only when its comment is that text (exam_papers may '
  'be the application''s own table).';
COMMENT ON COLUMN examq_api_admin_relations.service_role_privileges IS
  'service_role bypasses row-level security, so the insert policy that keeps a caller from '
  'writing a job''s bookkeeping would not hold for it: it gets SELECT only on processing_jobs and '
  'creates jobs through create_exam_paper_job and submit_exam_paper.';

INSERT INTO examq_api_admin_relations (relation, privileges, service_role_privileges, only_if_comment) VALUES
  ('processing_jobs', 'SELECT, INSERT', 'SELECT', NULL),
  ('processing_job_stats', 'SELECT', NULL, NULL),
  ('exam_papers', 'SELECT, INSERT, UPDATE, DELETE', NULL, 'Exam papers (created by examq).'),
  ('exam_paper_files', 'SELECT, INSERT, UPDATE, DELETE', NULL, NULL),
  ('syllabus_topics', 'SELECT, INSERT, UPDATE, DELETE', NULL, NULL),
  ('questions', 'SELECT, INSERT, UPDATE, DELETE', NULL, NULL),
  ('exam_paper_pages', 'SELECT, DELETE', NULL, NULL),
  ('examq_migrations', '', NULL, NULL),
  ('examq_api_admin_functions', '', NULL, NULL),
  ('examq_api_admin_relations', '', NULL, NULL);

-- ---------------------------------------------------------------------------------------------
-- 2. One function.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION examq_apply_api_role_privileges() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r text;
  f regprocedure;
  a record;
  wanted text;
  installer oid := (SELECT oid FROM pg_roles WHERE rolname = current_user);
  admin_functions regprocedure[] := ARRAY(
    SELECT to_regprocedure(s.signature) FROM examq_api_admin_functions AS s
     WHERE to_regprocedure(s.signature) IS NOT NULL);
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
    -- Every examq function, whatever default privileges gave: our names, owned by the installer.
    -- (A name pattern, not a list: an application's own functions in public keep their grants.)
    FOR f IN
      SELECT p.oid::regprocedure FROM pg_proc AS p
       WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = installer
         AND p.proname ~ ('^(examq_|processing_job|get_next_processing|update_job_progress|'
                          'heartbeat_processing|complete_processing|fail_processing|'
                          'release_processing|snooze_processing|confirm_processing|'
                          'cancel_processing|retry_processing|cleanup_old_processing|'
                          'rescue_expired_processing|create_exam_paper_job|submit_exam_paper|'
                          'save_exam_paper_page|set_exam_paper_metadata|replace_exam_paper_questions|'
                          'process_background_jobs)')
    LOOP
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %I', f, r);
    END LOOP;
    FOR a IN
      SELECT c.oid::regclass AS relation, e.privileges,
             coalesce(e.service_role_privileges, e.privileges) AS service_role_privileges
        FROM examq_api_admin_relations AS e
        JOIN pg_class AS c ON c.oid = to_regclass(e.relation)
       WHERE c.relowner = installer
         AND (e.only_if_comment IS NULL OR obj_description(c.oid, 'pg_class') = e.only_if_comment)
    LOOP
      EXECUTE format('REVOKE ALL ON TABLE %s FROM %I', a.relation, r);
      wanted := CASE r WHEN 'authenticated' THEN a.privileges
                       WHEN 'service_role' THEN a.service_role_privileges END;
      IF wanted <> '' THEN
        EXECUTE format('GRANT %s ON TABLE %s TO %I', wanted, a.relation, r);
      END IF;
    END LOOP;
    CONTINUE WHEN r = 'anon';
    FOREACH f IN ARRAY admin_functions LOOP
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, r);
    END LOOP;
  END LOOP;
END $$;
COMMENT ON FUNCTION examq_apply_api_role_privileges() IS
  'Revokes every privilege Supabase''s API roles (anon, authenticated, service_role) have on '
  'examq''s tables and functions, whatever default privileges gave them, then grants '
  'authenticated and service_role an admin''s set: the relations in examq_api_admin_relations '
  'with the privileges each row names, and the functions in examq_api_admin_functions '
  '(docs/security.md). anon gets nothing. Every migration calls it last; run it again after '
  'changing default privileges.';

DROP FUNCTION examq_apply_api_role_privileges_0004();

SELECT examq_apply_api_role_privileges();
