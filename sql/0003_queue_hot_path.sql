-- 0003 queue hot path: the same behaviour as 0001 for every job a worker claims and settles,
-- with less server work per job and plans that do not depend on the table's statistics.
--
-- Measured on a 100,000-job drain (bench/queue/run.sh, docs/benchmarks.md): before this file
-- the server spent about 44 microseconds of CPU per job, and a table not yet ANALYZEd drained
-- at about 31,000 jobs/s against 39,000 after ANALYZE. The changes below, each measured on its
-- own before it went in:
--
-- 1. The batch settle functions lock their rows by primary key only. With a status filter in the
--    locking scan, the planner may walk processing_jobs_lease_idx (its predicate is that
--    filter): before the first ANALYZE as a bitmap scan, which cannot mark dead index entries,
--    so every call read one entry per job ever claimed (52,000 entries and 2,269 heap pages for
--    a 500-job batch halfway through a 100,000-job drain), and after ANALYZE as an index scan
--    over every running job. Locking by id alone leaves the primary key as the only usable
--    index; the status and holder are checked on the locked rows, which is also where the
--    old EvalPlanQual recheck looked. They also turn sequential scans off (the planner would
--    rather read a 20,000-row table than probe the key 500 times). Cost per call now grows with
--    the batch, not the table.
-- 2. processing_jobs_job_type_check accepts exactly the same names but without the bounded
--    repetition {0,99}, which compiles to a 100-state regular expression: every UPDATE of a job
--    re-checks it, about 2 microseconds a row (two updates per job); the unbounded class plus
--    char_length costs a tenth of that.
-- 3. processing_job_change_payload builds the same text as json_build_object did (same keys,
--    order, spacing and escaping) by concatenation: json_build_object looks up each argument's
--    type and output function on every call, about 3 microseconds a notification against 1.
-- 4. The claim function also turns sequential scans off. Once a table of some tens of thousands
--    of jobs has statistics, the planner joined the claimed ids back to the table with a hash
--    join over a sequential scan of all of it (20,000 rows read for a 500-job claim), because
--    it costs each primary-key probe as a random page read.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

-- ---------------------------------------------------------------------------------------------
-- 2. The job type rule, cheaper to check.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE processing_jobs
  DROP CONSTRAINT processing_jobs_job_type_check,
  ADD CONSTRAINT processing_jobs_job_type_check
    CHECK (job_type ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' AND char_length(job_type) <= 100);

-- ---------------------------------------------------------------------------------------------
-- 3. Notification payloads without json_build_object.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION processing_job_change_payload(op text, j processing_jobs) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  -- Ids, numbers and short text only: never the payload, result or any PDF data. job_type is at
  -- most 100 characters by constraint and current_step is cut to 200, so this stays far under
  -- NOTIFY's 8000-byte limit. The text is what json_build_object(...)::text gave (a pgTAP test
  -- compares the two); to_json() escapes the strings.
  SELECT '{"op" : ' || coalesce(to_json(op)::text, 'null')
      || ', "id" : ' || coalesce('"' || j.id::text || '"', 'null')
      || ', "job_type" : ' || coalesce(to_json(j.job_type)::text, 'null')
      || ', "status" : ' || coalesce(to_json(j.status)::text, 'null')
      || ', "progress_percentage" : ' || coalesce(j.progress_percentage::text, 'null')
      || ', "current_step" : ' || coalesce(to_json(left(j.current_step, 200))::text, 'null')
      || ', "exam_paper_id" : ' || coalesce('"' || j.exam_paper_id::text || '"', 'null')
      || ', "retry_count" : ' || coalesce(j.retry_count::text, 'null')
      || ', "cancel_requested" : ' || coalesce(j.cancel_requested::text, 'null')
      || '}'
$$;
COMMENT ON FUNCTION processing_job_change_payload(text, processing_jobs) IS
  'The JSON sent on channel processing_jobs_changes for one job.';

-- ---------------------------------------------------------------------------------------------
-- 1. Batch settle functions: lock by primary key, then check status and holder.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION heartbeat_processing_jobs(job_ids uuid[], worker_id text DEFAULT NULL,
                                                     lease interval DEFAULT '60 seconds')
RETURNS TABLE (id uuid, cancel_requested boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
-- A generic plan would guess the array's size: plan each call for the batch it has. No
-- sequential scan: see complete_processing_jobs.
SET plan_cache_mode = force_custom_plan SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
  IF lease IS NULL OR lease <= interval '0' THEN
    RAISE EXCEPTION 'lease must be a positive interval (got %)', lease USING ERRCODE = '22023';
  END IF;
  -- Locked by id alone (no status filter), so that the primary key is the only index that can
  -- serve the scan whatever the statistics; MATERIALIZED keeps the status filter out of it.
  -- Locked in id order so that concurrent batch calls of one worker cannot deadlock.
  RETURN QUERY
  WITH locked AS MATERIALIZED (
    SELECT p.id, p.status, p.locked_by FROM processing_jobs AS p
     WHERE p.id = ANY (heartbeat_processing_jobs.job_ids)
     ORDER BY p.id
     FOR UPDATE
  )
  UPDATE processing_jobs AS j SET locked_until = now() + lease, lease_duration = lease
    FROM locked
   WHERE j.id = locked.id
     AND locked.status = 'processing'
     AND (heartbeat_processing_jobs.worker_id IS NULL
          OR locked.locked_by = heartbeat_processing_jobs.worker_id)
  RETURNING j.id, j.cancel_requested;
END $$;
COMMENT ON FUNCTION heartbeat_processing_jobs(uuid[], text, interval) IS
  'Extends the leases of the listed jobs that are still processing (and held by WORKER_ID when '
  'given) in one round trip, without a notification. Returns one row per job still held, with '
  'its cancel_requested flag; a job missing from the result is no longer held by the caller.';

CREATE OR REPLACE FUNCTION complete_processing_jobs(job_ids uuid[], results jsonb[] DEFAULT NULL,
                                                    worker_id text DEFAULT NULL)
RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
-- A generic plan guesses unnest() yields 10 rows and joined a 500-job batch with itself
-- (measured: 7 ms became 43 ms a call): plan each call for the batch it has. Probing the
-- primary key once per id is costed as a random page read each, so on a table of some tens of
-- thousands of rows the planner would rather read all of it (a sequential scan, 1 to 2 ms per
-- call at 20,000 rows); with enable_seqscan off the primary key is always taken. It changes
-- nothing for the notification trigger, whose queries read only transition tables.
SET plan_cache_mode = force_custom_plan SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
  IF results IS NOT NULL AND cardinality(results) <> cardinality(job_ids) THEN
    RAISE EXCEPTION 'results has % elements but job_ids has %', cardinality(results),
                    cardinality(job_ids) USING ERRCODE = '22023';
  END IF;
  -- Locked by id alone (no status filter), so that the primary key is the only index that can
  -- serve the scan whatever the statistics (a status filter let the planner walk every entry
  -- of processing_jobs_lease_idx; a join with unnest() became a hash join over the whole
  -- table). MATERIALIZED keeps the status filter out of the scan. Locked in id order so that
  -- concurrent batch calls of one worker cannot deadlock.
  RETURN QUERY
  WITH locked AS MATERIALIZED (
    SELECT p.id, p.status, p.locked_by FROM processing_jobs AS p
     WHERE p.id = ANY (complete_processing_jobs.job_ids)
     ORDER BY p.id
     FOR UPDATE
  ), done AS (
    SELECT d.id, d.result FROM unnest(job_ids, results) AS d(id, result)
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
    AND (complete_processing_jobs.worker_id IS NULL
         OR locked.locked_by = complete_processing_jobs.worker_id)
  RETURNING j.id;
END $$;
COMMENT ON FUNCTION complete_processing_jobs(uuid[], jsonb[], text) IS
  'Batch form of complete_processing_job: RESULTS[i] belongs to JOB_IDS[i]. Completes the jobs '
  'still held and returns their ids; the others (lease lost) are left alone.';

-- ---------------------------------------------------------------------------------------------
-- 4. The claim: no sequential scan either.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION get_next_processing_jobs(batch_size integer, worker_id text DEFAULT NULL,
                                                    job_types text[] DEFAULT NULL,
                                                    lease interval DEFAULT '60 seconds')
RETURNS SETOF processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
-- Right after a bulk insert, before statistics exist, the planner may pick a bitmap scan that
-- reads and sorts every pending row on every claim (measured: 125 ms a claim at 100,000 pending,
-- against 0.8 ms walking the claim index). With statistics, on a table of some tens of thousands
-- of rows, it joined the claimed ids back to the table by reading all of it (a hash join over a
-- sequential scan: 20,000 rows for 500 claimed) rather than probing the primary key.
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
  IF lease IS NULL OR lease <= interval '0' THEN
    RAISE EXCEPTION 'lease must be a positive interval (got %)', lease USING ERRCODE = '22023';
  END IF;

  -- Cheap probe on processing_jobs_lease_idx; the rescue itself only when there is work.
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
  'session_user@pid), with a lease of LEASE. Concurrent callers never get the same job (FOR '
  'UPDATE SKIP LOCKED). Jobs whose lease expired are rescued first.';
