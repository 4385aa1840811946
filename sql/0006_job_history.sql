-- 0006 job history over a chosen period.
--
-- processing_job_stats covers the last day and week. The web page's statistics (issue 16) and
-- anyone in psql want a period of their choosing and jobs per hour: processing_job_history()
-- answers that in one call, read through the caller's row-level security (SECURITY INVOKER), so
-- a caller sees the history of the jobs it may see and no other.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

CREATE FUNCTION processing_job_history(since timestamptz, until timestamptz, job_type text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  out jsonb;
BEGIN
  IF since IS NULL OR until IS NULL OR until <= since THEN
    RAISE EXCEPTION 'the period must have a start before its end' USING ERRCODE = '22023';
  END IF;
  -- A month of hours at most: the answer stays small enough for a page to draw.
  IF until - since > interval '31 days' THEN
    RAISE EXCEPTION 'the period is longer than 31 days' USING ERRCODE = '22023',
      HINT = 'Use processing_job_stats for totals, or several calls.';
  END IF;
  WITH j AS MATERIALIZED (
    SELECT p.job_type, p.status, p.created_at, p.started_at, p.completed_at, p.retry_count
      FROM processing_jobs AS p
     WHERE p.created_at >= since AND p.created_at < until
       AND (processing_job_history.job_type IS NULL OR p.job_type = processing_job_history.job_type)
  )
  SELECT jsonb_build_object(
    'since', since, 'until', until,
    -- Jobs created in each hour, by what became of them (hours without jobs are left out).
    'hours', (SELECT coalesce(jsonb_agg(h ORDER BY h.hour), '[]'::jsonb) FROM (
               SELECT date_trunc('hour', j.created_at) AS hour, count(*) AS created,
                      count(*) FILTER (WHERE j.status = 'completed') AS completed,
                      count(*) FILTER (WHERE j.status = 'failed') AS failed,
                      count(*) FILTER (WHERE j.status = 'cancelled') AS cancelled,
                      count(*) FILTER (WHERE j.status IN ('pending', 'processing')) AS unfinished
                 FROM j GROUP BY 1) AS h),
    -- Per job type, and all types together (job_type null), as processing_job_stats counts.
    'types', (SELECT coalesce(jsonb_agg(t ORDER BY t.job_type NULLS FIRST), '[]'::jsonb) FROM (
               SELECT j.job_type, count(*) AS total,
                      count(*) FILTER (WHERE j.status = 'pending') AS pending,
                      count(*) FILTER (WHERE j.status = 'processing') AS processing,
                      count(*) FILTER (WHERE j.status = 'completed') AS completed,
                      count(*) FILTER (WHERE j.status = 'failed') AS failed,
                      count(*) FILTER (WHERE j.status = 'cancelled') AS cancelled,
                      round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM j.completed_at - j.started_at))
                             FILTER (WHERE j.status = 'completed'))::numeric, 3) AS median_seconds,
                      round((percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM j.completed_at - j.started_at))
                             FILTER (WHERE j.status = 'completed'))::numeric, 3) AS p95_seconds,
                      round(count(*) FILTER (WHERE j.status = 'failed')::numeric
                            / nullif(count(*) FILTER (WHERE j.status IN ('completed', 'failed')), 0), 4) AS failure_rate,
                      sum(j.retry_count) AS retries
                 FROM j GROUP BY GROUPING SETS ((j.job_type), ())
                HAVING count(*) > 0) AS t))
    INTO out;
  RETURN out;
END $$;
COMMENT ON FUNCTION processing_job_history(timestamptz, timestamptz, text) IS
  'Jobs created in [since, until) (at most 31 days), optionally of one type: {"hours": jobs per '
  'hour by outcome, "types": per type and for all types (job_type null) the counts by status, '
  'median and p95 run time in seconds, failure rate and retries}. Reads through the caller''s '
  'row-level security.';
REVOKE ALL ON FUNCTION processing_job_history(timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION processing_job_history(timestamptz, timestamptz, text) TO examq_admin;

-- Supabase: the API roles' admin set now includes the history (docs/security.md).
CREATE OR REPLACE FUNCTION examq_apply_api_role_privileges() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r text;
  f regprocedure;
  t regclass;
  -- What a signed-in Supabase user (and the service role) may do: an admin's set. The table
  -- grants are filtered by row-level security (an admin JWT sees everything, others nothing);
  -- the functions check the JWT themselves (examq_assert_admin_caller).
  admin_functions regprocedure[] := ARRAY[
    'cancel_processing_job(uuid)', 'retry_processing_job(uuid)',
    'cleanup_old_processing_jobs(interval)', 'processing_job_estimated_seconds(text, integer, integer)',
    'create_exam_paper_job(uuid, text[], uuid, boolean, integer)',
    'submit_exam_paper(text, text, bytea, integer, uuid, text, bytea)',
    'processing_job_history(timestamptz, timestamptz, text)']::regprocedure[];
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
    -- Every examq function and table: our names, owned by the installing role.
    FOR f IN
      SELECT p.oid::regprocedure FROM pg_proc AS p
       WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
         AND p.proname ~ ('^(examq_|processing_job|get_next_processing|update_job_progress|'
                          'heartbeat_processing|complete_processing|fail_processing|'
                          'release_processing|snooze_processing|confirm_processing|'
                          'cancel_processing|retry_processing|cleanup_old_processing|'
                          'rescue_expired_processing|create_exam_paper_job|submit_exam_paper|'
                          'save_exam_paper_page|set_exam_paper_metadata|replace_exam_paper_questions)')
    LOOP
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %I', f, r);
    END LOOP;
    FOR t IN
      SELECT c.oid::regclass FROM pg_class AS c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
         AND c.relname IN ('processing_jobs', 'processing_job_stats', 'exam_paper_files',
                           'exam_paper_pages', 'syllabus_topics', 'questions', 'examq_migrations')
          OR (c.oid = to_regclass('public.exam_papers')
              AND obj_description(c.oid, 'pg_class') = 'Exam papers (created by examq).')
    LOOP
      EXECUTE format('REVOKE ALL ON TABLE %s FROM %I', t, r);
    END LOOP;
    CONTINUE WHEN r = 'anon';
    -- service_role bypasses row-level security, so the insert policy that keeps a caller from
    -- writing a job's bookkeeping (status, locked_by, attempts, ...) would not hold for it: it
    -- creates jobs through create_exam_paper_job and submit_exam_paper, or as a role of its own.
    EXECUTE format('GRANT SELECT%s ON processing_jobs TO %I',
                   CASE WHEN r = 'authenticated' THEN ', INSERT' ELSE '' END, r);
    EXECUTE format('GRANT SELECT ON processing_job_stats TO %I', r);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON exam_paper_files, syllabus_topics, '
                   'questions TO %I', r);
    EXECUTE format('GRANT SELECT, DELETE ON exam_paper_pages TO %I', r);
    IF obj_description('exam_papers'::regclass, 'pg_class') = 'Exam papers (created by examq).' THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON exam_papers TO %I', r);
    END IF;
    FOREACH f IN ARRAY admin_functions LOOP
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, r);
    END LOOP;
  END LOOP;
END $$;
COMMENT ON FUNCTION examq_apply_api_role_privileges() IS
  'Revokes every privilege Supabase''s API roles (anon, authenticated, service_role) have on '
  'examq''s tables and functions, whatever default privileges gave them, then grants '
  'authenticated and service_role an admin''s set (docs/security.md). anon gets nothing. Every '
  'migration calls it last; run it again after changing default privileges.';
SELECT examq_apply_api_role_privileges();
