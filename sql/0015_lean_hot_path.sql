-- 0015 a leaner hot path: less server CPU per job (issue 18, deliverable 1).
--
-- Measured before (docs/benchmarks.md, "Where the server's work goes"): the update trigger was
-- the largest single cost of a claim or a completion after the claim itself, and the insert of
-- a job entered a PL/pgSQL exception block (a subtransaction) per row for its created_by default.
-- 1. processing_jobs_notify_update: ONE pass over the transition tables sends the change
--    notifications and collects the job types made claimable, with static SQL (its plan is
--    cached for the session) instead of two EXECUTEs planned on every statement. The plan is
--    kept a hash join whatever the first statement's size (0001 moved to EXECUTE because a
--    cached nested loop over 500 x 500 rows doubled the cost of a completion).
-- 2. processing_job_change_payload quotes job_type, status and op without to_json: the job type
--    rule (0003) and the status check allow no character JSON escapes. current_step goes
--    through to_json only when it holds a quote, a backslash or a control character. The text
--    is still exactly json_build_object's (tests/pgtap/50_notify.sql compares them).
-- 3. examq_request_user_id is a SQL function the planner inlines: outside Supabase's
--    authenticated role it is a comparison, with no call and no exception block. The claims are
--    read by examq_request_claims_sub(), which keeps the old behaviour (NULL for claims or a sub
--    that do not parse).
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

-- ---------------------------------------------------------------------------------------------
-- 3. The request's user, inlinable.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION examq_request_claims_sub() RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub';
EXCEPTION WHEN invalid_text_representation THEN
  RETURN NULL;
END $$;
COMMENT ON FUNCTION examq_request_claims_sub() IS
  'The uuid in request.jwt.claims.sub, or NULL when the claims are unset or the claims or the '
  'sub do not parse. Whoever the caller is: examq_request_user_id() checks the role.';

CREATE OR REPLACE FUNCTION examq_request_user_id() RETURNS uuid
LANGUAGE sql STABLE AS $$
  -- Only a request running as Supabase's authenticated role acts for a user: claims a session
  -- set for itself under any other role (or inside a SECURITY DEFINER function) name nobody.
  -- A single expression, no SET, not SECURITY DEFINER: the planner inlines it.
  SELECT CASE WHEN current_user::text = 'authenticated' THEN examq_request_claims_sub() END
$$;
COMMENT ON FUNCTION examq_request_user_id() IS
  'The uuid in request.jwt.claims.sub (Supabase''s signed-in user) when the current role is '
  'authenticated, otherwise NULL. Inlined by the planner (a SQL expression).';

-- ---------------------------------------------------------------------------------------------
-- 2. The change payload, quoted by hand where nothing needs escaping.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION processing_job_change_payload(op text, j processing_jobs) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  -- Ids, numbers and short text only: never the payload, result or any PDF data (see 0007);
  -- the keys of 0010's, in the same order. job_type is at
  -- most 100 characters of [A-Za-z0-9_.:-] by constraint and status one of five words, so both
  -- are quoted as they are; current_step (cut to 200) is escaped by to_json only when it holds
  -- a character JSON escapes. The text is what json_build_object(...)::text gives (a pgTAP test
  -- compares the two).
  SELECT '{"op" : ' || CASE WHEN op ~ '^[A-Z]+$' THEN '"' || op || '"'
                            ELSE coalesce(to_json(op)::text, 'null') END
      || ', "id" : ' || coalesce('"' || j.id::text || '"', 'null')
      || ', "job_type" : ' || coalesce('"' || j.job_type || '"', 'null')
      || ', "status" : ' || coalesce('"' || j.status || '"', 'null')
      || ', "priority" : ' || coalesce(j.priority::text, 'null')
      || ', "progress_percentage" : ' || coalesce(j.progress_percentage::text, 'null')
      || ', "current_step" : '
      || CASE WHEN j.current_step IS NULL THEN 'null'
              WHEN j.current_step ~ '["\\[:cntrl:]]' THEN to_json(left(j.current_step, 200))::text
              ELSE '"' || left(j.current_step, 200) || '"' END
      || ', "exam_paper_id" : ' || coalesce('"' || j.exam_paper_id::text || '"', 'null')
      || ', "retry_count" : ' || coalesce(j.retry_count::text, 'null')
      || ', "cancel_requested" : ' || coalesce(j.cancel_requested::text, 'null')
      || ', "updated_at" : ' || coalesce(to_json(j.updated_at)::text, 'null')
      || ', "batch_id" : ' || coalesce('"' || j.batch_id::text || '"', 'null')
      || '}'
$$;
COMMENT ON FUNCTION processing_job_change_payload(text, processing_jobs) IS
  'The JSON sent on channel processing_jobs_changes for one inserted or updated job.';

-- ---------------------------------------------------------------------------------------------
-- 1. Updates: one pass, a cached plan.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION processing_jobs_notify_update() RETURNS trigger
LANGUAGE plpgsql
-- The static statement below is planned once a session, with the transition tables' sizes of
-- that first statement: hash join only, so a plan made for one row is not a nested loop run
-- over a 500-job batch (see 0001). A generic plan always: with the custom plans PL/pgSQL
-- otherwise keeps choosing for the `minimal` parameter, the statement was planned again on
-- about every other call (pg_stat_statements.track_planning: 24 us a job of planning).
SET enable_nestloop = off SET enable_mergejoin = off SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  minimal boolean := current_setting('examq.notify_payload', true) = 'minimal';
  sent bigint;
  ready_types text[];
BEGIN
  -- What a job list shows, cheapest and likeliest first; a heartbeat (lease columns only)
  -- changes none of it. The payload is compared by stored size (no detoasting), then in full
  -- only when small: a same-size change to a payload over 2 kB goes unseen (0007). The same
  -- pass collects the types of the jobs made claimable again (release, retry, rescue).
  SELECT count(CASE WHEN n.status IS DISTINCT FROM o.status
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
                      OR (pg_column_size(n.payload) <= 2048 AND n.payload IS DISTINCT FROM o.payload)
                    THEN pg_notify('processing_jobs_changes',
                                   CASE WHEN minimal THEN processing_job_minimal_payload('UPDATE', n)
                                        ELSE processing_job_change_payload('UPDATE', n) END) END),
         array_agg(DISTINCT n.job_type)
           FILTER (WHERE n.status = 'pending' AND o.status <> 'pending' AND n.run_at <= now())
    INTO sent, ready_types
    FROM new_jobs AS n JOIN old_jobs AS o ON o.id = n.id;
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
  'again (release, immediate retry, rescue, manual retry). A heartbeat is silent. One pass over '
  'the transition tables, with a plan cached for the session.';

SELECT examq_apply_api_role_privileges();
