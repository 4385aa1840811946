-- 0017 settling in one update: less server work per job (issue 18, deliverable 1, second step).
--
-- Measured before (docs/benchmarks.md, "Migration 0015"): a job cost two row locks and two
-- updates. The completion locked its rows by key (a FOR UPDATE CTE: a heap modification and a
-- WAL record per job) and then updated them (a second heap modification, found again by a second
-- primary-key probe). The fencing needs no separate lock:
-- 1. complete_processing_jobs is ONE UPDATE whose WHERE carries the fencing (status processing,
--    locked_by = worker, attempts = the attempt claimed). Under READ COMMITTED an UPDATE that
--    meets a row updated by a concurrent transaction waits for it and re-evaluates its whole
--    WHERE (join to the ids included) on the row's newest version (EvalPlanQual), so a job
--    rescued, released, cancelled or claimed again meanwhile is left alone, exactly as the
--    locking CTE left it alone; and once the UPDATE holds the row no one else can change it
--    before the commit. Deadlocks: the ids are joined in id order (a sorted subquery driving a
--    nested loop over the primary key), the order heartbeat_processing_jobs locks in, so two
--    batch calls over the same jobs queue up rather than deadlock; a plan that orders otherwise
--    can at worst deadlock with another multi-row writer, which PostgreSQL breaks with 40P01,
--    and the worker retries 40P01 (pg::Error::retryable) like any serialisation failure.
-- 2. fail_processing_job is ONE UPDATE too: the retry decision reads the row's own columns
--    (the values before the update) instead of a row locked and read first.
-- 3. processing_jobs_notify_insert makes one pass over the inserted rows (the change
--    notifications and the types made claimable together), static SQL with a generic plan
--    cached for the session, as 0015 did for the update trigger.
-- 4. processing_jobs_notify_update pins enable_hashjoin = on, whoever calls it.
-- Signatures, results, SQLSTATEs and payloads are unchanged.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

-- ---------------------------------------------------------------------------------------------
-- 1. Batch completion: one UPDATE, fenced in its WHERE.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION complete_processing_jobs(job_ids uuid[], results jsonb[] DEFAULT NULL,
                                                    worker_id text DEFAULT NULL,
                                                    job_attempts integer[] DEFAULT NULL)
RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
-- See 0003: plan each call for its batch, reach rows by primary key only. The plan is a nested
-- loop from the sorted ids to the primary key (tests/pgtap/20_progress_and_settle.sql counts the
-- scans), which also takes the row locks in id order (deadlocks: see the head of this file).
-- No enable_hashjoin = off here: SET applies to the triggers this UPDATE fires too, and the
-- update trigger's cached plan must stay a hash join (with every join method off it became a
-- nested loop over the transition tables: 3 ms a job at batches of 450, measured).
SET plan_cache_mode = force_custom_plan SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
  PERFORM examq_check_holder(complete_processing_jobs.worker_id,
                             cardinality(complete_processing_jobs.job_attempts));
  IF cardinality(job_attempts) <> cardinality(job_ids) THEN
    RAISE EXCEPTION 'job_attempts has % elements but job_ids has %', cardinality(job_attempts),
                    cardinality(job_ids) USING ERRCODE = '22023';
  END IF;
  IF array_position(job_attempts, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'job_attempts has a NULL element' USING ERRCODE = '22023';
  END IF;
  IF results IS NOT NULL AND cardinality(results) <> cardinality(job_ids) THEN
    RAISE EXCEPTION 'results has % elements but job_ids has %', cardinality(results),
                    cardinality(job_ids) USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(results) AS r
              WHERE pg_column_size(r) > examq_setting_int('examq.max_result_bytes', 16777216)) THEN
    RAISE EXCEPTION 'a result is larger than % bytes (examq.max_result_bytes)',
                    examq_setting_int('examq.max_result_bytes', 16777216)
      USING ERRCODE = '54000';
  END IF;
  -- No lock step: the fencing is in the WHERE, re-checked by PostgreSQL on a row a concurrent
  -- transaction changed (see the head of sql/0017). The ids in id order: see deadlocks there.
  RETURN QUERY
  UPDATE processing_jobs AS j SET
    status = 'completed',
    progress_percentage = 100,
    current_step = 'Completed',
    result = done.result,
    completed_at = now(),
    locked_until = NULL,
    updated_at = now()
  FROM (SELECT d.id, d.result, d.attempt
          FROM unnest(job_ids, results, job_attempts) AS d(id, result, attempt)
         ORDER BY d.id) AS done
  WHERE j.id = done.id
    -- Not `status = 'processing'`: that matches the predicate of processing_jobs_lease_idx and
    -- the planner then drives the loop from that index (every running job, and before the
    -- first ANALYZE every entry ever made), 850 ms for 500 jobs among 2,000 running where the
    -- primary key takes 2 ms (tests/pgtap/20_progress_and_settle.sql counts the scans).
    -- status is NOT NULL, so this is the same test, hidden from the index predicate prover.
    AND j.status IS NOT DISTINCT FROM 'processing'
    AND j.locked_by = complete_processing_jobs.worker_id
    AND j.attempts = done.attempt
  RETURNING j.id;
END $$;
COMMENT ON FUNCTION complete_processing_jobs(uuid[], jsonb[], text, integer[]) IS
  'Batch form of complete_processing_job: RESULTS[i] and JOB_ATTEMPTS[i] belong to JOB_IDS[i]. '
  'Completes the jobs still held by WORKER_ID in those attempts and returns their ids; the '
  'others (lease lost) are left alone. One UPDATE, fenced in its WHERE (no separate lock step).';

-- ---------------------------------------------------------------------------------------------
-- 2. Failure: one UPDATE, the retry decision from the row's own columns.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION fail_processing_job(job_id uuid, error_message text,
                                               is_critical boolean DEFAULT false,
                                               error_details jsonb DEFAULT NULL,
                                               worker_id text DEFAULT NULL,
                                               attempt integer DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
  critical boolean := coalesce(fail_processing_job.is_critical, false);
  details jsonb := fail_processing_job.error_details;
BEGIN
  PERFORM examq_check_holder(fail_processing_job.worker_id, fail_processing_job.attempt);
  -- A failure is always recorded; what is too large to keep is cut, not refused.
  IF pg_column_size(details) > examq_setting_int('examq.max_error_details_bytes', 65536) THEN
    details := jsonb_build_object('truncated', true, 'bytes', pg_column_size(details));
  END IF;
  -- In SET, p.* are the values before this update: retrying means not critical, no cancel
  -- requested and a retry left. The fencing is in the WHERE (see the head of sql/0017).
  UPDATE processing_jobs AS p SET
    status = CASE WHEN NOT critical AND NOT p.cancel_requested AND p.retry_count < p.max_retries
                    THEN 'pending'
                  WHEN p.cancel_requested THEN 'cancelled'
                  ELSE 'failed' END,
    retry_count = CASE WHEN NOT critical AND NOT p.cancel_requested AND p.retry_count < p.max_retries
                         THEN p.retry_count + 1 ELSE p.retry_count END,
    run_at = CASE WHEN NOT critical AND NOT p.cancel_requested AND p.retry_count < p.max_retries
                    THEN now() + processing_job_retry_delay(p.retry_count + 1)
                  ELSE p.run_at END,
    progress_percentage = CASE WHEN NOT critical AND NOT p.cancel_requested
                                    AND p.retry_count < p.max_retries
                                 THEN 0 ELSE p.progress_percentage END,
    current_step = CASE WHEN NOT critical AND NOT p.cancel_requested AND p.retry_count < p.max_retries
                          THEN format('Retry %s of %s scheduled', p.retry_count + 1, p.max_retries)
                        WHEN p.cancel_requested THEN 'Cancelled'
                        ELSE 'Failed' END,
    error_message = left(coalesce(nullif(fail_processing_job.error_message, ''), 'unknown error'),
                         examq_setting_int('examq.max_error_length', 10000)::integer),
    error_details = details,
    completed_at = CASE WHEN NOT critical AND NOT p.cancel_requested AND p.retry_count < p.max_retries
                          THEN NULL ELSE now() END,
    locked_until = NULL,
    updated_at = now()
  WHERE p.id = fail_processing_job.job_id
    AND p.status = 'processing'
    AND p.locked_by = fail_processing_job.worker_id
    AND p.attempts = fail_processing_job.attempt
  RETURNING p.* INTO j;
  IF NOT FOUND THEN
    PERFORM processing_job_attempt_not_held(fail_processing_job.job_id, fail_processing_job.worker_id,
                                            fail_processing_job.attempt);
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION fail_processing_job(uuid, text, boolean, jsonb, text, integer) IS
  'Records a failed attempt of a running job held by WORKER_ID in ATTEMPT, with ERROR_MESSAGE '
  '(cut to examq.max_error_length, default 10000) and ERROR_DETAILS (replaced by {"truncated": '
  'true, "bytes": n} past examq.max_error_details_bytes, default 64 kB). With retries left '
  '(retry_count < max_retries) and not IS_CRITICAL, the job goes back to pending with retry_count '
  '+ 1 and run_at = now() + processing_job_retry_delay(retry_count + 1); otherwise it is failed '
  'for good (cancelled when cancellation had been requested). At most 1 + max_retries attempts. '
  'Raises 55000 when the job is not processing or held by another worker or attempt, P0002 when '
  'unknown, 22023 without WORKER_ID and ATTEMPT. One UPDATE, fenced in its WHERE.';

-- ---------------------------------------------------------------------------------------------
-- 3. Inserts: one pass, a cached plan.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION processing_jobs_notify_insert() RETURNS trigger
LANGUAGE plpgsql
-- One scan of the transition table, planned once a session (a scan of one relation: the plan
-- does not depend on the statement's size).
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  minimal boolean := current_setting('examq.notify_payload', true) = 'minimal';
  sent bigint;
  ready_types text[];
BEGIN
  SELECT count(pg_notify('processing_jobs_changes',
                         CASE WHEN minimal THEN processing_job_minimal_payload('INSERT', n)
                              ELSE processing_job_change_payload('INSERT', n) END)),
         array_agg(DISTINCT n.job_type) FILTER (WHERE n.status = 'pending' AND n.run_at <= now())
    INTO sent, ready_types
    FROM new_jobs AS n;
  IF ready_types IS NOT NULL THEN
    PERFORM pg_notify('processing_jobs_available',
                      processing_jobs_available_payload(CASE WHEN minimal THEN NULL ELSE ready_types END));
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION processing_jobs_notify_insert() IS
  'Trigger: one NOTIFY per inserted job on processing_jobs_changes (minimal when '
  'examq.notify_payload = ''minimal''), and one wake-up per statement on '
  'processing_jobs_available when it made jobs claimable now. One pass over the transition '
  'table, with a plan cached for the session.';

-- ---------------------------------------------------------------------------------------------
-- 4. The update trigger's plan does not depend on its caller's settings.
-- ---------------------------------------------------------------------------------------------
-- A function's SET holds for the triggers its statements fire: a caller with enable_hashjoin off
-- would leave the trigger (nested loop and merge join off, 0015) no join method of its own, and
-- the plan it caches for the session would be a nested loop over the transition tables.
ALTER FUNCTION processing_jobs_notify_update() SET enable_hashjoin = on;

SELECT examq_apply_api_role_privileges();
