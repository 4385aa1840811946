-- 0004 attempt fencing, bounds and limits, and privileges that hold on Supabase.
--
-- Security findings this file answers (issue 14; docs/security.md has the threat model):
--
-- 1. Fencing by attempt. Every function a worker calls about a job it holds now names the
--    attempt (the `attempts` value of the row its claim returned) as well as the worker, and a
--    call from any other attempt is refused with 55000, even when the worker's name is the same:
--    a worker paused past its lease and then re-claiming the same job can no longer settle the
--    new attempt with the old one's outcome. The paper-writing functions fence the same way.
-- 2. worker_id and attempt are required. A NULL worker_id used to skip the holder check, so any
--    worker login could settle or park any job; now it is refused with 22023.
-- 3. Bounds: a lease is at most examq.max_lease (default 1 hour) and a snooze at most
--    examq.max_snooze (default 7 days).
-- 4. Sizes: worker_id, current_step, error_message, error_details, payload and result have
--    limits (custom settings, below). Reports that cannot be refused without losing the job
--    (a progress step, a failure's message and details) are cut to the limit; a worker_id, a
--    payload or a result over its limit is refused (22023 / 54000).
-- 5. An admin's INSERT may only create a fresh job: no bookkeeping columns (retry_count,
--    attempts, result, error_*, timestamps, cancel_requested) and no one else's created_by.
-- 6. Privileges are revoked explicitly from Supabase's API roles (anon, authenticated,
--    service_role) whatever default privileges the database has, and granted back only where
--    docs/security.md says; examq_apply_api_role_privileges() does it and every later
--    migration calls it.
-- 7. Notifications: examq.notify_payload = 'minimal' reduces what processing_jobs_changes
--    carries to op, id and status, for databases shared with logins that must not learn job
--    types, papers or steps (LISTEN has no privilege in PostgreSQL). A snooze's reason (often a
--    provider's rate-limit text) goes to error_details, not to current_step.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

-- ---------------------------------------------------------------------------------------------
-- Settings.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION examq_setting_int(name text, fallback bigint) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(nullif(current_setting(name, true), '')::bigint, fallback)
$$;
COMMENT ON FUNCTION examq_setting_int(text, bigint) IS
  'The integer value of custom setting NAME, or FALLBACK when it is unset or empty.';

-- The user a Supabase request acts for (the JWT's sub), NULL outside Supabase.
CREATE FUNCTION examq_request_user_id() RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
  -- Only a request running as Supabase's authenticated role acts for a user: claims a session
  -- set for itself under any other role (or inside a SECURITY DEFINER function) name nobody.
  IF current_user::text <> 'authenticated' THEN
    RETURN NULL;
  END IF;
  RETURN nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub';
EXCEPTION WHEN invalid_text_representation THEN
  RETURN NULL;
END $$;
COMMENT ON FUNCTION examq_request_user_id() IS
  'The uuid in request.jwt.claims.sub (Supabase''s signed-in user) when the current role is '
  'authenticated, otherwise NULL.';

-- Raises 22023 unless the caller named the worker and the attempt it acts for, and the lease
-- (when given) is positive and within examq.max_lease.
CREATE FUNCTION examq_check_holder(worker_id text, attempt integer, lease interval DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF worker_id IS NULL OR attempt IS NULL THEN
    RAISE EXCEPTION 'worker_id and attempt are required'
      USING ERRCODE = '22023',
            HINT = 'Pass the locked_by and attempts values of the row your claim returned.';
  END IF;
  IF lease IS NOT NULL
     AND (lease <= interval '0' OR lease > examq_setting_interval('examq.max_lease', '1 hour')) THEN
    RAISE EXCEPTION 'lease must be positive and at most % (examq.max_lease); got %',
                    examq_setting_interval('examq.max_lease', '1 hour'), lease
      USING ERRCODE = '22023';
  END IF;
END $$;
COMMENT ON FUNCTION examq_check_holder(text, integer, interval) IS
  'Internal: 22023 when WORKER_ID or ATTEMPT is missing, or LEASE is not in (0, examq.max_lease].';

-- Raises the right error for a job that a worker function could not find held by this attempt:
-- P0002 when it does not exist, 55000 when it is in another state or held by another attempt.
CREATE FUNCTION processing_job_attempt_not_held(job_id uuid, worker_id text, attempt integer)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  j processing_jobs;
BEGIN
  SELECT * INTO j FROM processing_jobs WHERE id = processing_job_attempt_not_held.job_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'processing job % does not exist', job_id USING ERRCODE = 'P0002';
  END IF;
  IF j.status <> 'processing' THEN
    RAISE EXCEPTION 'processing job % is % (expected processing)', job_id, j.status
      USING ERRCODE = '55000',
            HINT = 'Its lease may have expired and the job been rescued or taken over by another worker.';
  END IF;
  RAISE EXCEPTION 'processing job % is held by % in attempt %, not by % in attempt %', job_id,
                  coalesce(j.locked_by, 'nobody'), j.attempts, worker_id, attempt
    USING ERRCODE = '55000',
          HINT = 'Its lease expired and the job was claimed again; this attempt''s outcome is discarded.';
END $$;
COMMENT ON FUNCTION processing_job_attempt_not_held(uuid, text, integer) IS
  'Internal: raises P0002 (no such job) or 55000 (not processing, or held by another worker or '
  'attempt).';

-- ---------------------------------------------------------------------------------------------
-- Table rules: retries within their limit; admins insert only fresh jobs, within size limits.
-- ---------------------------------------------------------------------------------------------
-- NOT VALID: enforced for every new or changed row, without failing the migration on history.
ALTER TABLE processing_jobs
  ADD CONSTRAINT processing_jobs_retry_limit_check CHECK (retry_count <= max_retries) NOT VALID;

-- Supabase users get their own id when they leave created_by out.
ALTER TABLE processing_jobs ALTER COLUMN created_by SET DEFAULT examq_request_user_id();

DROP POLICY processing_jobs_admin_insert ON processing_jobs;
CREATE POLICY processing_jobs_admin_insert ON processing_jobs FOR INSERT TO PUBLIC
  WITH CHECK ((SELECT examq_is_admin())
              AND status = 'pending' AND locked_by IS NULL AND locked_until IS NULL
              AND lease_duration IS NULL AND attempts = 0 AND retry_count = 0
              AND result IS NULL AND error_message IS NULL AND error_details IS NULL
              AND started_at IS NULL AND completed_at IS NULL AND NOT cancel_requested
              AND progress_percentage = 0
              AND (created_by IS NULL OR created_by = (SELECT examq_request_user_id())));
COMMENT ON POLICY processing_jobs_admin_insert ON processing_jobs IS
  'Admins insert fresh pending jobs only: no bookkeeping columns, created_by empty or their own '
  'Supabase user. (Sizes are checked by the processing_jobs_check_insert trigger, for everyone.)';

-- ---------------------------------------------------------------------------------------------
-- Claiming: bounded lease and worker name.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION get_next_processing_jobs(batch_size integer, worker_id text DEFAULT NULL,
                                                    job_types text[] DEFAULT NULL,
                                                    lease interval DEFAULT '60 seconds')
RETURNS SETOF processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
-- See 0003 for why bitmap and sequential scans are off.
SET enable_bitmapscan = off SET enable_seqscan = off ROWS 10 AS $$
#variable_conflict use_column
DECLARE
  holder text := coalesce(get_next_processing_jobs.worker_id,
                          session_user || '@' || pg_backend_pid());
BEGIN
  IF batch_size IS NULL OR batch_size NOT BETWEEN 1 AND 10000 THEN
    RAISE EXCEPTION 'batch_size must be between 1 and 10000 (got %)', batch_size
      USING ERRCODE = '22023';
  END IF;
  IF lease IS NULL THEN
    RAISE EXCEPTION 'lease must be a positive interval (got NULL)' USING ERRCODE = '22023';
  END IF;
  PERFORM examq_check_holder(holder, 0, lease);
  IF char_length(holder) > examq_setting_int('examq.max_worker_id_length', 200) THEN
    RAISE EXCEPTION 'worker_id is % characters; the limit is % (examq.max_worker_id_length)',
                    char_length(holder), examq_setting_int('examq.max_worker_id_length', 200)
      USING ERRCODE = '22023';
  END IF;

  IF EXISTS (SELECT 1 FROM processing_jobs WHERE status = 'processing' AND locked_until < now()) THEN
    PERFORM rescue_expired_processing_jobs();
  END IF;

  RETURN QUERY
  WITH next AS (
    SELECT id FROM processing_jobs
     WHERE status = 'pending'
       AND run_at <= now()
       AND (get_next_processing_jobs.job_types IS NULL
            OR job_type = ANY (get_next_processing_jobs.job_types))
     ORDER BY priority DESC, run_at, id
     LIMIT batch_size
     FOR UPDATE SKIP LOCKED
  )
  UPDATE processing_jobs AS j SET
    status = 'processing',
    started_at = now(),
    locked_by = holder,
    locked_until = now() + lease,
    lease_duration = lease,
    attempts = j.attempts + 1,
    updated_at = now()
  FROM next WHERE j.id = next.id
  RETURNING j.*;
END $$;
COMMENT ON FUNCTION get_next_processing_jobs(integer, text, text[], interval) IS
  'Claims up to BATCH_SIZE claimable jobs (pending, run_at reached, of JOB_TYPES or any): highest '
  'priority first, then the longest due. Each becomes processing, locked_by WORKER_ID (default '
  'session_user@pid, at most examq.max_worker_id_length characters), attempts + 1, with a lease '
  'of LEASE (at most examq.max_lease). The returned row''s locked_by and attempts name this '
  'attempt in every later call about the job. Concurrent callers never get the same job (FOR '
  'UPDATE SKIP LOCKED). Jobs whose lease expired are rescued first.';

-- ---------------------------------------------------------------------------------------------
-- While running: every function names the attempt.
-- ---------------------------------------------------------------------------------------------
DROP FUNCTION update_job_progress(uuid, integer, text, text, interval);
CREATE FUNCTION update_job_progress(job_id uuid, progress_percentage integer, current_step text,
                                    worker_id text DEFAULT NULL, attempt integer DEFAULT NULL,
                                    lease interval DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  wants_cancel boolean;
BEGIN
  PERFORM examq_check_holder(update_job_progress.worker_id, update_job_progress.attempt,
                             update_job_progress.lease);
  IF update_job_progress.progress_percentage IS NULL
     OR update_job_progress.progress_percentage NOT BETWEEN 0 AND 100 THEN
    RAISE EXCEPTION 'progress_percentage must be between 0 and 100 (got %)',
                    coalesce(update_job_progress.progress_percentage::text, 'null')
      USING ERRCODE = '22023';
  END IF;
  UPDATE processing_jobs AS j SET
    progress_percentage = update_job_progress.progress_percentage,
    current_step = coalesce(left(update_job_progress.current_step,
                                 examq_setting_int('examq.max_step_length', 500)::integer),
                            j.current_step),
    locked_until = now() + coalesce(update_job_progress.lease, j.lease_duration, interval '60 seconds'),
    lease_duration = coalesce(update_job_progress.lease, j.lease_duration),
    updated_at = now()
  WHERE j.id = update_job_progress.job_id
    AND j.status = 'processing'
    AND j.locked_by = update_job_progress.worker_id
    AND j.attempts = update_job_progress.attempt
  RETURNING j.cancel_requested INTO wants_cancel;
  IF NOT FOUND THEN
    PERFORM processing_job_attempt_not_held(update_job_progress.job_id, update_job_progress.worker_id,
                                            update_job_progress.attempt);
  END IF;
  RETURN wants_cancel;
END $$;
COMMENT ON FUNCTION update_job_progress(uuid, integer, text, text, integer, interval) IS
  'Records progress (0..100, else 22023) and step (cut to examq.max_step_length, default 500) of '
  'a running job held by WORKER_ID in ATTEMPT, and extends its lease (by LEASE, else the length '
  'of the current lease). Returns true when cancellation was requested: the worker should stop '
  'and call confirm_processing_job_cancelled. Raises 55000 when the job is not processing or '
  'held by another worker or attempt, P0002 when it does not exist, 22023 without WORKER_ID and '
  'ATTEMPT.';

DROP FUNCTION heartbeat_processing_jobs(uuid[], text, interval);
CREATE FUNCTION heartbeat_processing_jobs(job_ids uuid[], worker_id text DEFAULT NULL,
                                          job_attempts integer[] DEFAULT NULL,
                                          lease interval DEFAULT '60 seconds')
RETURNS TABLE (id uuid, cancel_requested boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
-- See 0003: plan each call for its batch, lock by primary key only.
SET plan_cache_mode = force_custom_plan SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
  IF lease IS NULL THEN
    RAISE EXCEPTION 'lease must be a positive interval (got NULL)' USING ERRCODE = '22023';
  END IF;
  PERFORM examq_check_holder(heartbeat_processing_jobs.worker_id,
                             cardinality(heartbeat_processing_jobs.job_attempts), lease);
  IF cardinality(job_attempts) <> cardinality(job_ids) THEN
    RAISE EXCEPTION 'job_attempts has % elements but job_ids has %', cardinality(job_attempts),
                    cardinality(job_ids) USING ERRCODE = '22023';
  END IF;
  IF array_position(job_attempts, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'job_attempts has a NULL element' USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
  WITH locked AS MATERIALIZED (
    SELECT p.id, p.status, p.locked_by, p.attempts FROM processing_jobs AS p
     WHERE p.id = ANY (heartbeat_processing_jobs.job_ids)
     ORDER BY p.id
     FOR UPDATE
  ), claims AS (
    SELECT c.id, c.attempt FROM unnest(job_ids, job_attempts) AS c(id, attempt)
  )
  UPDATE processing_jobs AS j SET locked_until = now() + lease, lease_duration = lease
    FROM locked JOIN claims ON claims.id = locked.id
   WHERE j.id = locked.id
     AND locked.status = 'processing'
     AND locked.locked_by = heartbeat_processing_jobs.worker_id
     AND locked.attempts = claims.attempt
  RETURNING j.id, j.cancel_requested;
END $$;
COMMENT ON FUNCTION heartbeat_processing_jobs(uuid[], text, integer[], interval) IS
  'Extends the leases of the listed jobs (JOB_ATTEMPTS[i] is the attempt of JOB_IDS[i]) that are '
  'still processing and held by WORKER_ID in that attempt, in one round trip, without a '
  'notification. Returns one row per job still held, with its cancel_requested flag; a job '
  'missing from the result is no longer held by the caller.';

-- ---------------------------------------------------------------------------------------------
-- Settling.
-- ---------------------------------------------------------------------------------------------
DROP FUNCTION complete_processing_job(uuid, jsonb, text);
CREATE FUNCTION complete_processing_job(job_id uuid, result jsonb DEFAULT NULL,
                                        worker_id text DEFAULT NULL, attempt integer DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
BEGIN
  PERFORM examq_check_holder(complete_processing_job.worker_id, complete_processing_job.attempt);
  IF pg_column_size(complete_processing_job.result)
     > examq_setting_int('examq.max_result_bytes', 16777216) THEN
    RAISE EXCEPTION 'result is % bytes; the limit is % (examq.max_result_bytes)',
                    pg_column_size(complete_processing_job.result),
                    examq_setting_int('examq.max_result_bytes', 16777216)
      USING ERRCODE = '54000';
  END IF;
  UPDATE processing_jobs AS p SET
    status = 'completed',
    progress_percentage = 100,
    current_step = 'Completed',
    result = complete_processing_job.result,
    completed_at = now(),
    locked_until = NULL,
    updated_at = now()
  WHERE p.id = complete_processing_job.job_id
    AND p.status = 'processing'
    AND p.locked_by = complete_processing_job.worker_id
    AND p.attempts = complete_processing_job.attempt
  RETURNING p.* INTO j;
  IF NOT FOUND THEN
    PERFORM processing_job_attempt_not_held(complete_processing_job.job_id,
                                            complete_processing_job.worker_id,
                                            complete_processing_job.attempt);
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION complete_processing_job(uuid, jsonb, text, integer) IS
  'Settles a running job held by WORKER_ID in ATTEMPT as completed (progress 100, step '
  'Completed, completed_at) with RESULT (at most examq.max_result_bytes, default 16 MB, else '
  '54000). Raises 55000 when the job is not processing or held by another worker or attempt, '
  'P0002 when unknown, 22023 without WORKER_ID and ATTEMPT.';

DROP FUNCTION complete_processing_jobs(uuid[], jsonb[], text);
CREATE FUNCTION complete_processing_jobs(job_ids uuid[], results jsonb[] DEFAULT NULL,
                                         worker_id text DEFAULT NULL,
                                         job_attempts integer[] DEFAULT NULL)
RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
-- See 0003: plan each call for its batch, lock by primary key only.
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
  RETURN QUERY
  WITH locked AS MATERIALIZED (
    SELECT p.id, p.status, p.locked_by, p.attempts FROM processing_jobs AS p
     WHERE p.id = ANY (complete_processing_jobs.job_ids)
     ORDER BY p.id
     FOR UPDATE
  ), done AS (
    SELECT d.id, d.result, d.attempt FROM unnest(job_ids, results, job_attempts) AS d(id, result, attempt)
  )
  UPDATE processing_jobs AS j SET
    status = 'completed',
    progress_percentage = 100,
    current_step = 'Completed',
    result = done.result,
    completed_at = now(),
    locked_until = NULL,
    updated_at = now()
  FROM locked JOIN done ON done.id = locked.id
  WHERE j.id = locked.id
    AND locked.status = 'processing'
    AND locked.locked_by = complete_processing_jobs.worker_id
    AND locked.attempts = done.attempt
  RETURNING j.id;
END $$;
COMMENT ON FUNCTION complete_processing_jobs(uuid[], jsonb[], text, integer[]) IS
  'Batch form of complete_processing_job: RESULTS[i] and JOB_ATTEMPTS[i] belong to JOB_IDS[i]. '
  'Completes the jobs still held by WORKER_ID in those attempts and returns their ids; the '
  'others (lease lost) are left alone.';

DROP FUNCTION fail_processing_job(uuid, text, boolean, jsonb, text);
CREATE FUNCTION fail_processing_job(job_id uuid, error_message text, is_critical boolean DEFAULT false,
                                    error_details jsonb DEFAULT NULL, worker_id text DEFAULT NULL,
                                    attempt integer DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
  retrying boolean;
  details jsonb := fail_processing_job.error_details;
BEGIN
  PERFORM examq_check_holder(fail_processing_job.worker_id, fail_processing_job.attempt);
  SELECT * INTO j FROM processing_jobs AS p WHERE p.id = fail_processing_job.job_id FOR UPDATE;
  IF NOT FOUND OR j.status <> 'processing'
     OR j.locked_by IS DISTINCT FROM fail_processing_job.worker_id
     OR j.attempts <> fail_processing_job.attempt THEN
    PERFORM processing_job_attempt_not_held(fail_processing_job.job_id, fail_processing_job.worker_id,
                                            fail_processing_job.attempt);
  END IF;
  -- A failure is always recorded; what is too large to keep is cut, not refused.
  IF pg_column_size(details) > examq_setting_int('examq.max_error_details_bytes', 65536) THEN
    details := jsonb_build_object('truncated', true, 'bytes', pg_column_size(details));
  END IF;

  retrying := NOT coalesce(is_critical, false) AND NOT j.cancel_requested
              AND j.retry_count < j.max_retries;
  UPDATE processing_jobs AS p SET
    status = CASE WHEN retrying THEN 'pending'
                  WHEN j.cancel_requested THEN 'cancelled'
                  ELSE 'failed' END,
    retry_count = CASE WHEN retrying THEN j.retry_count + 1 ELSE j.retry_count END,
    run_at = CASE WHEN retrying THEN now() + processing_job_retry_delay(j.retry_count + 1)
                  ELSE p.run_at END,
    progress_percentage = CASE WHEN retrying THEN 0 ELSE p.progress_percentage END,
    current_step = CASE WHEN retrying THEN format('Retry %s of %s scheduled', j.retry_count + 1, j.max_retries)
                        WHEN j.cancel_requested THEN 'Cancelled'
                        ELSE 'Failed' END,
    error_message = left(coalesce(nullif(fail_processing_job.error_message, ''), 'unknown error'),
                         examq_setting_int('examq.max_error_length', 10000)::integer),
    error_details = details,
    completed_at = CASE WHEN retrying THEN NULL ELSE now() END,
    locked_until = NULL,
    updated_at = now()
  WHERE p.id = j.id
  RETURNING p.* INTO j;
  RETURN j;
END $$;
COMMENT ON FUNCTION fail_processing_job(uuid, text, boolean, jsonb, text, integer) IS
  'Records a failed attempt of a running job held by WORKER_ID in ATTEMPT, with ERROR_MESSAGE '
  '(cut to examq.max_error_length, default 10000) and ERROR_DETAILS (replaced by {"truncated": '
  'true, "bytes": n} past examq.max_error_details_bytes, default 64 kB). With retries left '
  '(retry_count < max_retries) and not IS_CRITICAL, the job goes back to pending with retry_count '
  '+ 1 and run_at = now() + processing_job_retry_delay(retry_count + 1); otherwise it is failed '
  'for good (cancelled when cancellation had been requested). At most 1 + max_retries attempts. '
  'Raises 55000 when the job is not processing or held by another worker or attempt.';

DROP FUNCTION release_processing_job(uuid, text);
CREATE FUNCTION release_processing_job(job_id uuid, worker_id text DEFAULT NULL,
                                       attempt integer DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
BEGIN
  PERFORM examq_check_holder(release_processing_job.worker_id, release_processing_job.attempt);
  UPDATE processing_jobs AS p SET
    status = CASE WHEN p.cancel_requested THEN 'cancelled' ELSE 'pending' END,
    run_at = now(),
    progress_percentage = CASE WHEN p.cancel_requested THEN p.progress_percentage ELSE 0 END,
    current_step = CASE WHEN p.cancel_requested THEN 'Cancelled' ELSE 'Queued for processing' END,
    completed_at = CASE WHEN p.cancel_requested THEN now() END,
    locked_until = NULL,
    updated_at = now()
  WHERE p.id = release_processing_job.job_id
    AND p.status = 'processing'
    AND p.locked_by = release_processing_job.worker_id
    AND p.attempts = release_processing_job.attempt
  RETURNING p.* INTO j;
  IF NOT FOUND THEN
    PERFORM processing_job_attempt_not_held(release_processing_job.job_id,
                                            release_processing_job.worker_id,
                                            release_processing_job.attempt);
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION release_processing_job(uuid, text, integer) IS
  'Hands a running job held by WORKER_ID in ATTEMPT back to pending, claimable at once, without '
  'using a retry (a worker shutting down). A job whose cancellation was requested becomes '
  'cancelled instead.';

DROP FUNCTION snooze_processing_job(uuid, interval, text, text);
CREATE FUNCTION snooze_processing_job(job_id uuid, delay interval, reason text DEFAULT NULL,
                                      worker_id text DEFAULT NULL, attempt integer DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
BEGIN
  PERFORM examq_check_holder(snooze_processing_job.worker_id, snooze_processing_job.attempt);
  IF delay IS NULL OR delay < interval '0'
     OR delay > examq_setting_interval('examq.max_snooze', '7 days') THEN
    RAISE EXCEPTION 'delay must be between 0 and % (examq.max_snooze); got %',
                    examq_setting_interval('examq.max_snooze', '7 days'), delay
      USING ERRCODE = '22023';
  END IF;
  -- The reason (often a provider's rate-limit text) is kept in error_details, not in
  -- current_step, which every LISTENer receives.
  UPDATE processing_jobs AS p SET
    status = 'pending',
    run_at = now() + delay,
    progress_percentage = 0,
    current_step = 'Snoozed',
    error_details = CASE WHEN reason IS NULL THEN p.error_details
                         ELSE CASE WHEN jsonb_typeof(p.error_details) = 'object'
                                   THEN p.error_details ELSE '{}'::jsonb END
                              || jsonb_build_object('snooze_reason',
                                   left(reason, examq_setting_int('examq.max_step_length', 500)::integer))
                    END,
    locked_until = NULL,
    updated_at = now()
  WHERE p.id = snooze_processing_job.job_id
    AND p.status = 'processing'
    AND NOT p.cancel_requested
    AND p.locked_by = snooze_processing_job.worker_id
    AND p.attempts = snooze_processing_job.attempt
  RETURNING p.* INTO j;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM processing_jobs AS p WHERE p.id = snooze_processing_job.job_id
                 AND p.status = 'processing' AND p.cancel_requested
                 AND p.locked_by = snooze_processing_job.worker_id
                 AND p.attempts = snooze_processing_job.attempt) THEN
      RAISE EXCEPTION 'processing job % has a cancellation request; confirm it instead of snoozing',
                      job_id USING ERRCODE = '55000';
    END IF;
    PERFORM processing_job_attempt_not_held(snooze_processing_job.job_id,
                                            snooze_processing_job.worker_id,
                                            snooze_processing_job.attempt);
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION snooze_processing_job(uuid, interval, text, text, integer) IS
  'Puts a running job held by WORKER_ID in ATTEMPT back to pending with run_at = now() + DELAY '
  '(at most examq.max_snooze, default 7 days) without using a retry (for example while a '
  'provider rate-limits). The step reads "Snoozed"; REASON is kept as error_details.snooze_reason.';

DROP FUNCTION confirm_processing_job_cancelled(uuid, text);
CREATE FUNCTION confirm_processing_job_cancelled(job_id uuid, worker_id text DEFAULT NULL,
                                                 attempt integer DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
BEGIN
  PERFORM examq_check_holder(confirm_processing_job_cancelled.worker_id,
                             confirm_processing_job_cancelled.attempt);
  UPDATE processing_jobs AS p SET
    status = 'cancelled',
    current_step = 'Cancelled',
    completed_at = now(),
    locked_until = NULL,
    updated_at = now()
  WHERE p.id = confirm_processing_job_cancelled.job_id
    AND p.status = 'processing'
    AND p.locked_by = confirm_processing_job_cancelled.worker_id
    AND p.attempts = confirm_processing_job_cancelled.attempt
  RETURNING p.* INTO j;
  IF NOT FOUND THEN
    PERFORM processing_job_attempt_not_held(confirm_processing_job_cancelled.job_id,
                                            confirm_processing_job_cancelled.worker_id,
                                            confirm_processing_job_cancelled.attempt);
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION confirm_processing_job_cancelled(uuid, text, integer) IS
  'The worker holding a running job in ATTEMPT stopped it because cancellation was requested: '
  'the job becomes cancelled.';

-- ---------------------------------------------------------------------------------------------
-- The paper-writing functions of 0002, fenced the same way.
-- ---------------------------------------------------------------------------------------------
DROP FUNCTION save_exam_paper_page(uuid, integer, integer, integer, integer, bytea, text);
DROP FUNCTION set_exam_paper_metadata(uuid, integer, jsonb, text);
DROP FUNCTION replace_exam_paper_questions(uuid, jsonb, text);
DROP FUNCTION processing_job_held_paper(uuid, text);

CREATE FUNCTION processing_job_held_paper(job_id uuid, worker_id text, attempt integer) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  paper uuid;
BEGIN
  PERFORM examq_check_holder(processing_job_held_paper.worker_id, processing_job_held_paper.attempt);
  SELECT p.exam_paper_id INTO paper FROM processing_jobs AS p
   WHERE p.id = processing_job_held_paper.job_id AND p.status = 'processing'
     AND p.locked_by = processing_job_held_paper.worker_id
     AND p.attempts = processing_job_held_paper.attempt;
  IF NOT FOUND THEN
    PERFORM processing_job_attempt_not_held(processing_job_held_paper.job_id,
                                            processing_job_held_paper.worker_id,
                                            processing_job_held_paper.attempt);
  END IF;
  IF paper IS NULL THEN
    RAISE EXCEPTION 'processing job % has no exam paper', job_id USING ERRCODE = '22023';
  END IF;
  RETURN paper;
END $$;
COMMENT ON FUNCTION processing_job_held_paper(uuid, text, integer) IS
  'Internal: the exam paper of a job held by WORKER_ID in ATTEMPT; raises 55000/P0002 like the '
  'settling functions, 22023 when the job has no exam paper.';

CREATE FUNCTION save_exam_paper_page(job_id uuid, page_number integer, width integer, height integer,
                                     dpi integer, jpeg bytea, worker_id text DEFAULT NULL,
                                     attempt integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  paper uuid := processing_job_held_paper(save_exam_paper_page.job_id, save_exam_paper_page.worker_id,
                                          save_exam_paper_page.attempt);
BEGIN
  IF jpeg IS NULL OR octet_length(jpeg) < 4 OR substring(jpeg FROM 1 FOR 3) <> '\xffd8ff'::bytea THEN
    RAISE EXCEPTION 'page % is not a JPEG image', page_number USING ERRCODE = '22023';
  END IF;
  INSERT INTO exam_paper_pages AS e (exam_paper_id, page_number, width, height, dpi, jpeg, job_id)
  VALUES (paper, save_exam_paper_page.page_number, save_exam_paper_page.width,
          save_exam_paper_page.height, save_exam_paper_page.dpi, save_exam_paper_page.jpeg,
          save_exam_paper_page.job_id)
  ON CONFLICT (exam_paper_id, page_number) DO UPDATE
    SET width = excluded.width, height = excluded.height, dpi = excluded.dpi,
        jpeg = excluded.jpeg, job_id = excluded.job_id, created_at = now();
END $$;
COMMENT ON FUNCTION save_exam_paper_page(uuid, integer, integer, integer, integer, bytea, text, integer) IS
  'Stores (or replaces) one rendered page of the exam paper of a job held by WORKER_ID in '
  'ATTEMPT. JPEG only.';

CREATE FUNCTION set_exam_paper_metadata(job_id uuid, page_count integer, pdf_metadata jsonb,
                                        worker_id text DEFAULT NULL, attempt integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  paper uuid := processing_job_held_paper(set_exam_paper_metadata.job_id,
                                          set_exam_paper_metadata.worker_id,
                                          set_exam_paper_metadata.attempt);
BEGIN
  IF page_count IS NOT NULL AND page_count < 0 THEN
    RAISE EXCEPTION 'page_count must not be negative (got %)', page_count USING ERRCODE = '22023';
  END IF;
  UPDATE exam_papers AS e
     SET page_count = coalesce(set_exam_paper_metadata.page_count, e.page_count),
         pdf_metadata = coalesce(set_exam_paper_metadata.pdf_metadata, e.pdf_metadata)
   WHERE e.id = paper;
END $$;
COMMENT ON FUNCTION set_exam_paper_metadata(uuid, integer, jsonb, text, integer) IS
  'Records the page count and PDF metadata (title, producer, pdf_version, ...) on the exam paper '
  'of a job held by WORKER_ID in ATTEMPT.';

CREATE FUNCTION replace_exam_paper_questions(job_id uuid, questions jsonb, worker_id text DEFAULT NULL,
                                             attempt integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  paper uuid := processing_job_held_paper(replace_exam_paper_questions.job_id,
                                          replace_exam_paper_questions.worker_id,
                                          replace_exam_paper_questions.attempt);
  bad text;
  saved integer;
BEGIN
  IF questions IS NULL OR jsonb_typeof(questions) <> 'array' THEN
    RAISE EXCEPTION 'questions must be a JSON array' USING ERRCODE = '22023';
  END IF;
  SELECT format('question %s: %s', c.ord, c.problem) INTO bad
    FROM (SELECT q.ord, CASE
            WHEN jsonb_typeof(q.v) <> 'object' THEN 'not an object'
            WHEN coalesce(q.v ->> 'question_number', '') = '' THEN 'question_number is missing'
            WHEN jsonb_typeof(q.v -> 'marks') NOT IN ('number', 'null') THEN 'marks is not a number'
            WHEN jsonb_typeof(q.v -> 'marks') = 'number'
                 AND NOT ((q.v ->> 'marks')::numeric BETWEEN 0 AND 10000
                          AND (q.v ->> 'marks')::numeric = trunc((q.v ->> 'marks')::numeric))
              THEN 'marks must be a non-negative integer'
            WHEN jsonb_typeof(q.v -> 'page_number') NOT IN ('number', 'null') THEN 'page_number is not a number'
            WHEN jsonb_typeof(q.v -> 'page_number') = 'number'
                 AND NOT ((q.v ->> 'page_number')::numeric BETWEEN 1 AND 100000
                          AND (q.v ->> 'page_number')::numeric = trunc((q.v ->> 'page_number')::numeric))
              THEN 'page_number must be a positive integer'
            WHEN coalesce(q.v ->> 'source', 'text') NOT IN ('text', 'ocr', 'ai', 'manual') THEN 'unknown source'
            WHEN jsonb_typeof(q.v -> 'topic_ids') NOT IN ('array', 'null') THEN 'topic_ids is not an array'
          END AS problem
          FROM jsonb_array_elements(questions) WITH ORDINALITY AS q(v, ord)) AS c
   WHERE c.problem IS NOT NULL
   ORDER BY c.ord
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'invalid questions: %', bad USING ERRCODE = '22023';
  END IF;

  DELETE FROM questions AS q WHERE q.exam_paper_id = paper;
  INSERT INTO questions (exam_paper_id, question_number, parent_number, position, text, marks,
                         page_number, source, topic_ids, job_id)
  SELECT paper, q.v ->> 'question_number', nullif(q.v ->> 'parent_number', ''), q.ord,
         coalesce(q.v ->> 'text', ''), (q.v ->> 'marks')::integer, (q.v ->> 'page_number')::integer,
         coalesce(q.v ->> 'source', 'text'),
         coalesce(ARRAY(SELECT jsonb_array_elements_text(q.v -> 'topic_ids'))::uuid[], '{}'),
         replace_exam_paper_questions.job_id
    FROM jsonb_array_elements(questions) WITH ORDINALITY AS q(v, ord);
  GET DIAGNOSTICS saved = ROW_COUNT;
  RETURN saved;
END $$;
COMMENT ON FUNCTION replace_exam_paper_questions(uuid, jsonb, text, integer) IS
  'Replaces all questions of the exam paper of a job held by WORKER_ID in ATTEMPT with QUESTIONS, '
  'a JSON array in paper order of {question_number, parent_number, text, marks, page_number, '
  'source, topic_ids}; position is the array order. Validates first (22023 naming the bad '
  'element). Call it in the same transaction as complete_processing_job so a paper never has '
  'half its questions.';

-- ---------------------------------------------------------------------------------------------
-- Sizes of what is inserted, for every inserter (admins, the owner, create_exam_paper_job).
-- ---------------------------------------------------------------------------------------------
-- A row trigger on INSERT only, whose WHEN clause lets a row within the limits through without
-- calling the function: the claim and settle path is all UPDATEs and pays nothing.
CREATE FUNCTION processing_jobs_check_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF pg_column_size(NEW.payload) > examq_setting_int('examq.max_payload_bytes', 33554432) THEN
    RAISE EXCEPTION 'payload is % bytes; the limit is % (examq.max_payload_bytes)',
                    pg_column_size(NEW.payload), examq_setting_int('examq.max_payload_bytes', 33554432)
      USING ERRCODE = '54000';
  END IF;
  RAISE EXCEPTION 'current_step is % characters; the limit is % (examq.max_step_length)',
                  char_length(NEW.current_step), examq_setting_int('examq.max_step_length', 500)
    USING ERRCODE = '22001';
END $$;
COMMENT ON FUNCTION processing_jobs_check_insert() IS
  'Trigger: refuses a job whose payload is larger than examq.max_payload_bytes (54000, default '
  '32 MB) or whose current_step is longer than examq.max_step_length (22001, default 500).';
CREATE TRIGGER processing_jobs_check_insert BEFORE INSERT ON processing_jobs
  FOR EACH ROW
  WHEN (pg_column_size(NEW.payload) > examq_setting_int('examq.max_payload_bytes', 33554432)
        OR char_length(NEW.current_step) > examq_setting_int('examq.max_step_length', 500))
  EXECUTE FUNCTION processing_jobs_check_insert();

-- ---------------------------------------------------------------------------------------------
-- Notifications: a minimal payload for shared databases.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION processing_job_minimal_payload(op text, j processing_jobs) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT '{"op" : ' || coalesce(to_json(op)::text, 'null')
      || ', "id" : ' || coalesce('"' || j.id::text || '"', 'null')
      || ', "status" : ' || coalesce(to_json(j.status)::text, 'null')
      || '}'
$$;
COMMENT ON FUNCTION processing_job_minimal_payload(text, processing_jobs) IS
  'The JSON sent on processing_jobs_changes when examq.notify_payload = ''minimal'': op, id, status.';

CREATE OR REPLACE FUNCTION processing_jobs_notify_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  ready_types text[];
BEGIN
  IF current_setting('examq.notify_payload', true) = 'minimal' THEN
    PERFORM pg_notify('processing_jobs_changes', processing_job_minimal_payload('INSERT', n))
       FROM new_jobs AS n;
  ELSE
    PERFORM pg_notify('processing_jobs_changes', processing_job_change_payload('INSERT', n))
       FROM new_jobs AS n;
  END IF;
  SELECT array_agg(DISTINCT n.job_type) INTO ready_types
    FROM new_jobs AS n WHERE n.status = 'pending' AND n.run_at <= now();
  IF ready_types IS NOT NULL THEN
    PERFORM pg_notify('processing_jobs_available', processing_jobs_available_payload(
      CASE WHEN current_setting('examq.notify_payload', true) = 'minimal' THEN NULL ELSE ready_types END));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION processing_jobs_notify_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  ready_types text[];
BEGIN
  -- EXECUTE, not static SQL: see 0001 (plans for the rows each statement actually has).
  IF current_setting('examq.notify_payload', true) = 'minimal' THEN
    EXECUTE $q$
      SELECT count(pg_notify('processing_jobs_changes', processing_job_minimal_payload('UPDATE', n)))
        FROM new_jobs AS n JOIN old_jobs AS o ON o.id = n.id
       WHERE n.status IS DISTINCT FROM o.status
          OR n.progress_percentage IS DISTINCT FROM o.progress_percentage
          OR n.current_step IS DISTINCT FROM o.current_step$q$;
  ELSE
    EXECUTE $q$
      SELECT count(pg_notify('processing_jobs_changes', processing_job_change_payload('UPDATE', n)))
        FROM new_jobs AS n JOIN old_jobs AS o ON o.id = n.id
       WHERE n.status IS DISTINCT FROM o.status
          OR n.progress_percentage IS DISTINCT FROM o.progress_percentage
          OR n.current_step IS DISTINCT FROM o.current_step$q$;
  END IF;
  EXECUTE $q$
    SELECT array_agg(DISTINCT n.job_type)
      FROM new_jobs AS n JOIN old_jobs AS o ON o.id = n.id
     WHERE n.status = 'pending' AND o.status <> 'pending' AND n.run_at <= now()$q$
    INTO ready_types;
  IF ready_types IS NOT NULL THEN
    PERFORM pg_notify('processing_jobs_available', processing_jobs_available_payload(
      CASE WHEN current_setting('examq.notify_payload', true) = 'minimal' THEN NULL ELSE ready_types END));
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION processing_jobs_notify_insert() IS
  'Trigger: one NOTIFY per inserted job on processing_jobs_changes (minimal when '
  'examq.notify_payload = ''minimal''), and one wake-up per statement on '
  'processing_jobs_available when it made jobs claimable now.';
COMMENT ON FUNCTION processing_jobs_notify_update() IS
  'Trigger: one NOTIFY per job whose status, progress or step changed (minimal when '
  'examq.notify_payload = ''minimal''), and one wake-up per statement that made jobs claimable '
  'again (release, immediate retry, rescue).';

-- ---------------------------------------------------------------------------------------------
-- Privileges of the new signatures, and of Supabase's API roles whatever their defaults.
-- ---------------------------------------------------------------------------------------------
REVOKE EXECUTE ON FUNCTION
  examq_check_holder(text, integer, interval),
  processing_job_attempt_not_held(uuid, text, integer),
  processing_job_held_paper(uuid, text, integer),
  update_job_progress(uuid, integer, text, text, integer, interval),
  heartbeat_processing_jobs(uuid[], text, integer[], interval),
  complete_processing_job(uuid, jsonb, text, integer),
  complete_processing_jobs(uuid[], jsonb[], text, integer[]),
  fail_processing_job(uuid, text, boolean, jsonb, text, integer),
  release_processing_job(uuid, text, integer),
  snooze_processing_job(uuid, interval, text, text, integer),
  confirm_processing_job_cancelled(uuid, text, integer),
  save_exam_paper_page(uuid, integer, integer, integer, integer, bytea, text, integer),
  set_exam_paper_metadata(uuid, integer, jsonb, text, integer),
  replace_exam_paper_questions(uuid, jsonb, text, integer)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  update_job_progress(uuid, integer, text, text, integer, interval),
  heartbeat_processing_jobs(uuid[], text, integer[], interval),
  complete_processing_job(uuid, jsonb, text, integer),
  complete_processing_jobs(uuid[], jsonb[], text, integer[]),
  fail_processing_job(uuid, text, boolean, jsonb, text, integer),
  release_processing_job(uuid, text, integer),
  snooze_processing_job(uuid, interval, text, text, integer),
  confirm_processing_job_cancelled(uuid, text, integer),
  save_exam_paper_page(uuid, integer, integer, integer, integer, bytea, text, integer),
  set_exam_paper_metadata(uuid, integer, jsonb, text, integer),
  replace_exam_paper_questions(uuid, jsonb, text, integer)
TO examq_worker;

-- The functions an admin may call through Supabase's API roles, as data: a later migration that
-- adds one inserts a row here (and calls examq_apply_api_role_privileges()).
CREATE TABLE examq_api_admin_functions (signature text PRIMARY KEY);
COMMENT ON TABLE examq_api_admin_functions IS
  'Functions examq_apply_api_role_privileges() grants to Supabase''s authenticated and '
  'service_role (an admin''s set; the functions check the JWT themselves).';
REVOKE ALL ON examq_api_admin_functions FROM PUBLIC;
INSERT INTO examq_api_admin_functions (signature) VALUES
  ('cancel_processing_job(uuid)'), ('retry_processing_job(uuid)'),
  ('cleanup_old_processing_jobs(interval)'), ('processing_job_estimated_seconds(text, integer, integer)'),
  ('create_exam_paper_job(uuid, text[], uuid, boolean, integer)'),
  ('submit_exam_paper(text, text, bytea, integer, uuid, text, bytea)');

CREATE FUNCTION examq_apply_api_role_privileges() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r text;
  f regprocedure;
  t regclass;
  -- What a signed-in Supabase user (and the service role) may do: an admin's set. The table
  -- grants are filtered by row-level security (an admin JWT sees everything, others nothing);
  -- the functions check the JWT themselves (examq_assert_admin_caller).
  admin_functions regprocedure[] := ARRAY(
    SELECT to_regprocedure(a.signature) FROM examq_api_admin_functions AS a
     WHERE to_regprocedure(a.signature) IS NOT NULL);
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
                          'save_exam_paper_page|set_exam_paper_metadata|replace_exam_paper_questions|'
                          'process_background_jobs)')
    LOOP
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %I', f, r);
    END LOOP;
    FOR t IN
      SELECT c.oid::regclass FROM pg_class AS c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
         AND c.relname IN ('processing_jobs', 'processing_job_stats', 'exam_paper_files',
                           'exam_paper_pages', 'syllabus_topics', 'questions', 'examq_migrations',
                           'examq_api_admin_functions')
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
  'authenticated and service_role an admin''s set (the functions in examq_api_admin_functions; '
  'docs/security.md). anon gets nothing. Every migration calls it last; run it again after '
  'changing default privileges.';
REVOKE EXECUTE ON FUNCTION examq_apply_api_role_privileges() FROM PUBLIC;

SELECT examq_apply_api_role_privileges();
