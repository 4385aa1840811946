-- 0007 every change is announced, and the workers can be woken without a claim.
--
-- Issue 22 (the specified frontend subscribes to every INSERT, UPDATE and DELETE):
-- 1. processing_jobs_changes now also carries deletes: one statement-level trigger per DELETE,
--    sending the ids in notifications of at most 150 ids each ({"op": "DELETE", "ids": [...]}),
--    or, past 1000 rows (a cleanup), one {"op": "DELETE", "count": n, "ids": null}: re-read.
-- 2. An UPDATE is announced when anything a tracker shows changed: status, progress, step, and
--    now also priority, run_at, retries, cancel request, error message, paper, creator and
--    payload. Lease bookkeeping alone (a heartbeat: locked_until, lease_duration) stays silent,
--    so the hot path sends what it sent before. A payload is compared by its stored size first:
--    a large unchanged payload is not read (detoasted) on every progress report.
-- 3. The change payload gains "priority".
-- 4. process_background_jobs(): wakes the workers (the signal an insert gives) and names the
--    job next in line, without claiming it: the specified troubleshooting step, and what
--    POST /functions/v1/process-background-jobs calls.
-- 5. Supabase Realtime: processing_jobs joins the supabase_realtime publication when it exists.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

-- ---------------------------------------------------------------------------------------------
-- 3. The change payload: 0005's, plus priority.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION processing_job_change_payload(op text, j processing_jobs) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  -- Ids, numbers and short text only: never the payload, result or any PDF data. job_type is at
  -- most 100 characters by constraint and current_step is cut to 200, so this stays far under
  -- NOTIFY's 8000-byte limit. The text is what json_build_object(...)::text gives (a pgTAP test
  -- compares the two).
  SELECT '{"op" : ' || coalesce(to_json(op)::text, 'null')
      || ', "id" : ' || coalesce('"' || j.id::text || '"', 'null')
      || ', "job_type" : ' || coalesce(to_json(j.job_type)::text, 'null')
      || ', "status" : ' || coalesce(to_json(j.status)::text, 'null')
      || ', "priority" : ' || coalesce(j.priority::text, 'null')
      || ', "progress_percentage" : ' || coalesce(j.progress_percentage::text, 'null')
      || ', "current_step" : ' || coalesce(to_json(left(j.current_step, 200))::text, 'null')
      || ', "exam_paper_id" : ' || coalesce('"' || j.exam_paper_id::text || '"', 'null')
      || ', "retry_count" : ' || coalesce(j.retry_count::text, 'null')
      || ', "cancel_requested" : ' || coalesce(j.cancel_requested::text, 'null')
      || ', "updated_at" : ' || coalesce(to_json(j.updated_at)::text, 'null')
      || '}'
$$;
COMMENT ON FUNCTION processing_job_change_payload(text, processing_jobs) IS
  'The JSON sent on channel processing_jobs_changes for one inserted or updated job.';

-- ---------------------------------------------------------------------------------------------
-- 2. Updates: anything a tracker shows.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION processing_jobs_notify_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  minimal boolean := current_setting('examq.notify_payload', true) = 'minimal';
  ready_types text[];
BEGIN
  -- EXECUTE, not static SQL: see 0001 (plans for the rows each statement actually has). What a
  -- job list shows, cheapest and likeliest first; a heartbeat (lease columns only) changes none
  -- of it. The payload is compared by stored size (no detoasting), then in full only when small:
  -- a same-size change to a payload over 2 kB goes unseen. The columns are compared inline, not
  -- through a function of the two rows: building whole rows for a call cost the 20,000-job
  -- drain about 15% (docs/benchmarks.md).
  EXECUTE $q$
    SELECT count(pg_notify('processing_jobs_changes',
                           CASE WHEN $1 THEN processing_job_minimal_payload('UPDATE', n)
                                ELSE processing_job_change_payload('UPDATE', n) END))
      FROM new_jobs AS n JOIN old_jobs AS o ON o.id = n.id
     WHERE n.status IS DISTINCT FROM o.status
        OR n.progress_percentage IS DISTINCT FROM o.progress_percentage
        OR n.current_step IS DISTINCT FROM o.current_step
        OR n.priority IS DISTINCT FROM o.priority
        OR n.run_at IS DISTINCT FROM o.run_at
        OR n.retry_count IS DISTINCT FROM o.retry_count
        OR n.max_retries IS DISTINCT FROM o.max_retries
        OR n.cancel_requested IS DISTINCT FROM o.cancel_requested
        OR n.exam_paper_id IS DISTINCT FROM o.exam_paper_id
        OR n.created_by IS DISTINCT FROM o.created_by
        OR n.error_message IS DISTINCT FROM o.error_message
        OR pg_column_size(n.payload) IS DISTINCT FROM pg_column_size(o.payload)
        OR (pg_column_size(n.payload) <= 2048 AND n.payload IS DISTINCT FROM o.payload)$q$
    USING minimal;
  EXECUTE $q$
    SELECT array_agg(DISTINCT n.job_type)
      FROM new_jobs AS n JOIN old_jobs AS o ON o.id = n.id
     WHERE n.status = 'pending' AND o.status <> 'pending' AND n.run_at <= now()$q$
    INTO ready_types;
  IF ready_types IS NOT NULL THEN
    PERFORM pg_notify('processing_jobs_available',
                      processing_jobs_available_payload(CASE WHEN minimal THEN NULL ELSE ready_types END));
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION processing_jobs_notify_update() IS
  'Trigger: one NOTIFY per job whose visible state changed (status, progress, step, priority, '
  'run_at, retries, cancel request, paper, creator, error message or payload; minimal when '
  'examq.notify_payload = ''minimal''), and one wake-up per statement that made jobs claimable '
  'again (release, immediate retry, rescue, manual retry). A heartbeat is silent.';

-- ---------------------------------------------------------------------------------------------
-- 1. Deletes: the ids, a statement at a time.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION processing_jobs_notify_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE 'SELECT count(*) FROM old_jobs' INTO n;
  IF n = 0 THEN
    RETURN NULL;
  END IF;
  IF n > 1000 THEN
    -- A cleanup: say how many, not which; listeners re-read.
    PERFORM pg_notify('processing_jobs_changes', json_build_object('op', 'DELETE', 'count', n, 'ids', NULL)::text);
  ELSE
    -- 150 ids (39 bytes each in JSON) keep a notification under 6 kB, below NOTIFY's 8000.
    EXECUTE $q$
      SELECT count(pg_notify('processing_jobs_changes', g.payload))
        FROM (SELECT json_build_object('op', 'DELETE', 'count', count(*), 'ids', json_agg(c.id ORDER BY c.id))::text AS payload
                FROM (SELECT o.id, (row_number() OVER (ORDER BY o.id) - 1) / 150 AS chunk FROM old_jobs AS o) AS c
               GROUP BY c.chunk) AS g$q$;
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION processing_jobs_notify_delete() IS
  'Trigger: deleted jobs on processing_jobs_changes, per statement: {"op": "DELETE", "count", '
  '"ids"} with at most 150 ids a notification, or past 1000 rows one with "ids": null.';
CREATE TRIGGER processing_jobs_notify_delete
  AFTER DELETE ON processing_jobs REFERENCING OLD TABLE AS old_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION processing_jobs_notify_delete();

-- ---------------------------------------------------------------------------------------------
-- 4. Waking the workers without a claim.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION process_background_jobs() RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
  next uuid;
BEGIN
  -- The claim order (get_next_processing_jobs), read through the caller's row-level security.
  SELECT p.id INTO next FROM processing_jobs AS p
   WHERE p.status = 'pending' AND p.run_at <= now()
   ORDER BY p.priority DESC, p.run_at, p.id
   LIMIT 1;
  PERFORM pg_notify('processing_jobs_available', processing_jobs_available_payload(NULL));
  RETURN jsonb_build_object('success', true, 'jobId', next);
END $$;
COMMENT ON FUNCTION process_background_jobs() IS
  'Wakes every worker (a processing_jobs_available notification for any type) and returns '
  '{"success": true, "jobId": the job next in line or null}, without claiming it. Unlike '
  'SELECT get_next_processing_job() by hand, which holds the job for its lease.';
REVOKE ALL ON FUNCTION process_background_jobs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION process_background_jobs() TO examq_admin;

COMMENT ON FUNCTION get_next_processing_job(text, text[], interval) IS
  'Claims at most one job (see get_next_processing_jobs). A claim by hand holds the job for its '
  'lease (60 s by default): to wake the workers without claiming, call process_background_jobs().';

-- ---------------------------------------------------------------------------------------------
-- 5. Supabase Realtime.
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'supabase_realtime')
     AND NOT EXISTS (SELECT 1 FROM pg_publication_tables
                      WHERE pubname = 'supabase_realtime' AND schemaname = 'public' AND tablename = 'processing_jobs') THEN
    ALTER PUBLICATION supabase_realtime ADD TABLE processing_jobs;
    RAISE NOTICE 'examq: processing_jobs added to the supabase_realtime publication';
  END IF;
END $$;

-- Supabase: the API roles' admin set gains process_background_jobs (docs/security.md).
INSERT INTO examq_api_admin_functions (signature) VALUES ('process_background_jobs()');
SELECT examq_apply_api_role_privileges();
