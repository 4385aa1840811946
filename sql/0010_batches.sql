-- 0010 batches (issue 17, part 1): jobs created together are one unit.
--
-- A school's admin uploads thirty papers at once and wants to know when "the upload" is done,
-- not to watch thirty jobs. A batch is a row of processing_job_batches; a job belongs to at most
-- one through processing_jobs.batch_id. Jobs join a batch either by naming it (batch_id in the
-- INSERT) or, for inserts that go through functions that know nothing of batches
-- (submit_exam_paper, create_exam_paper_job), by running in a transaction that called
-- examq_begin_batch(): it creates the batch and sets examq.batch_id for the rest of the
-- transaction, which is the column's default.
--
-- A batch is settled when none of its jobs is pending or running: the settle that takes the last
-- one there stamps settled_at and announces it on channel processing_job_batches_changes (issue
-- 17's notifications will hang off the same moment). A job added to, or retried in, a settled
-- batch opens it again. The two triggers lock the batch row, so the last two jobs of a batch
-- settling at once cannot both miss being last, and an insert racing the last settle either
-- lands before it (and is waited for) or reopens the batch after it.
--
-- The triggers' WHEN clauses test batch_id first: jobs without a batch (every job the hot path
-- benchmark runs) pay nothing but that test.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

-- ---------------------------------------------------------------------------------------------
-- 1. Tables.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE processing_job_batches (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  label       text CONSTRAINT processing_job_batches_label_check CHECK (length(label) <= 200),
  created_by  uuid DEFAULT examq_request_user_id(),
  created_by_role text NOT NULL DEFAULT session_user,
  created_at  timestamptz NOT NULL DEFAULT now(),
  settled_at  timestamptz
);
COMMENT ON TABLE processing_job_batches IS
  'Jobs created together (one upload of several papers). Create with examq_begin_batch(); read '
  'progress from processing_job_batch_status.';
COMMENT ON COLUMN processing_job_batches.label IS 'What the submitter called it (at most 200 characters).';
COMMENT ON COLUMN processing_job_batches.created_by_role IS
  'The database login that created it (session_user): whom a notification about it is for when '
  'no Supabase user is (created_by).';
COMMENT ON COLUMN processing_job_batches.settled_at IS
  'When its last pending or running job settled; NULL while any is pending or running.';
CREATE INDEX processing_job_batches_created_idx ON processing_job_batches (created_at DESC);

ALTER TABLE processing_jobs
  ADD COLUMN batch_id uuid
    DEFAULT nullif(current_setting('examq.batch_id', true), '')::uuid
    REFERENCES processing_job_batches (id);
COMMENT ON COLUMN processing_jobs.batch_id IS
  'The batch the job was created in, if any (default: the examq.batch_id setting, which '
  'examq_begin_batch() sets for its transaction).';
CREATE INDEX processing_jobs_batch_idx ON processing_jobs (batch_id, status) WHERE batch_id IS NOT NULL;

-- Admins see and create batches; settled_at is the triggers' (the owner's) alone. FORCE: the
-- owner gets its own policy, as on processing_jobs.
ALTER TABLE processing_job_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE processing_job_batches FORCE ROW LEVEL SECURITY;
DO $$
BEGIN
  EXECUTE format('CREATE POLICY processing_job_batches_owner_all ON processing_job_batches TO %I '
                 'USING (true) WITH CHECK (true)', current_user);
END $$;
CREATE POLICY processing_job_batches_admin_select ON processing_job_batches FOR SELECT TO PUBLIC
  USING ((SELECT examq_is_admin()));
CREATE POLICY processing_job_batches_admin_insert ON processing_job_batches FOR INSERT TO PUBLIC
  WITH CHECK ((SELECT examq_is_admin()) AND settled_at IS NULL
              AND (created_by IS NULL OR created_by = (SELECT examq_request_user_id()))
              AND created_by_role = session_user);
REVOKE ALL ON processing_job_batches FROM PUBLIC;
GRANT SELECT, INSERT (id, label, created_by) ON processing_job_batches TO examq_admin;
GRANT SELECT ON processing_job_batches TO examq_worker;

-- ---------------------------------------------------------------------------------------------
-- 2. Starting a batch.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION examq_begin_batch(label text DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  new_id uuid;
BEGIN
  -- As the caller (no SECURITY DEFINER): the admin insert policy decides who may.
  INSERT INTO processing_job_batches (label) VALUES (examq_begin_batch.label) RETURNING id INTO new_id;
  PERFORM set_config('examq.batch_id', new_id::text, true);
  RETURN new_id;
END $$;
COMMENT ON FUNCTION examq_begin_batch(text) IS
  'Creates a batch labelled LABEL and makes it the default batch of every job inserted in the '
  'rest of this transaction (setting examq.batch_id), including through submit_exam_paper and '
  'create_exam_paper_job. Call it inside the transaction that creates the jobs: in autocommit '
  'mode the setting ends with the call. Returns the batch id. Admins only.';

-- ---------------------------------------------------------------------------------------------
-- 3. Settling and reopening.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION processing_job_batch_announce(batch_id uuid, op text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  -- Ids and counts only, like the job changes.
  SELECT pg_notify('processing_job_batches_changes', json_build_object(
           'op', processing_job_batch_announce.op, 'batch_id', processing_job_batch_announce.batch_id,
           'total', count(*),
           'completed', count(*) FILTER (WHERE p.status = 'completed'),
           'failed', count(*) FILTER (WHERE p.status = 'failed'),
           'cancelled', count(*) FILTER (WHERE p.status = 'cancelled'))::text)
    FROM processing_jobs AS p
   WHERE p.batch_id = processing_job_batch_announce.batch_id
$$;
COMMENT ON FUNCTION processing_job_batch_announce(uuid, text) IS
  'Internal: sends {"op": OP, "batch_id", "total", "completed", "failed", "cancelled"} on '
  'channel processing_job_batches_changes (OP is SETTLED or REOPENED).';

CREATE FUNCTION processing_jobs_batch_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  was_settled timestamptz;
BEGIN
  -- The lock orders this insert against a settle of the batch's last job (see the header).
  SELECT b.settled_at INTO was_settled FROM processing_job_batches AS b WHERE b.id = NEW.batch_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'batch % does not exist', NEW.batch_id
      USING ERRCODE = '23503', HINT = 'Create it with examq_begin_batch().';
  END IF;
  IF was_settled IS NOT NULL AND NEW.status IN ('pending', 'processing') THEN
    UPDATE processing_job_batches AS b SET settled_at = NULL WHERE b.id = NEW.batch_id;
    PERFORM processing_job_batch_announce(NEW.batch_id, 'REOPENED');
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION processing_jobs_batch_insert() IS
  'Trigger: a job inserted into a batch locks the batch row and reopens a settled batch.';
CREATE TRIGGER processing_jobs_batch_insert BEFORE INSERT ON processing_jobs
  FOR EACH ROW WHEN (NEW.batch_id IS NOT NULL) EXECUTE FUNCTION processing_jobs_batch_insert();

CREATE FUNCTION processing_jobs_batch_status() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM 1 FROM processing_job_batches AS b WHERE b.id = NEW.batch_id FOR UPDATE;
  IF NEW.status IN ('completed', 'failed', 'cancelled') THEN
    -- A new statement, so a new snapshot (READ COMMITTED, as the settle functions run): it sees
    -- every job that settled in a transaction that held the lock before us.
    IF NOT EXISTS (SELECT 1 FROM processing_jobs AS p
                    WHERE p.batch_id = NEW.batch_id AND p.status IN ('pending', 'processing')) THEN
      UPDATE processing_job_batches AS b SET settled_at = now()
       WHERE b.id = NEW.batch_id AND b.settled_at IS NULL;
      IF FOUND THEN
        PERFORM processing_job_batch_announce(NEW.batch_id, 'SETTLED');
      END IF;
    END IF;
  ELSIF OLD.status IN ('completed', 'failed', 'cancelled') THEN
    -- retry_processing_job: back to pending.
    UPDATE processing_job_batches AS b SET settled_at = NULL
     WHERE b.id = NEW.batch_id AND b.settled_at IS NOT NULL;
    IF FOUND THEN
      PERFORM processing_job_batch_announce(NEW.batch_id, 'REOPENED');
    END IF;
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION processing_jobs_batch_status() IS
  'Trigger: when a batch''s job settles and none is left pending or running, stamps the batch''s '
  'settled_at and announces SETTLED; when a settled job goes back to pending, clears it and '
  'announces REOPENED.';
CREATE TRIGGER processing_jobs_batch_status AFTER UPDATE OF status ON processing_jobs
  FOR EACH ROW
  WHEN (NEW.batch_id IS NOT NULL AND NEW.status IS DISTINCT FROM OLD.status
        AND (NEW.status IN ('completed', 'failed', 'cancelled') OR OLD.status IN ('completed', 'failed', 'cancelled')))
  EXECUTE FUNCTION processing_jobs_batch_status();

-- ---------------------------------------------------------------------------------------------
-- 4. What admins read.
-- ---------------------------------------------------------------------------------------------
-- The time a job of a type takes, from recent history: the median seconds per page of the last
-- 50 completed jobs this week whose result says how many pages they had (3 s when none; a job
-- without the count would make its whole run a "per page" time), and the median seconds per
-- job (30 s when none). One place for both estimates (a new job's, a batch's).
CREATE FUNCTION processing_job_recent_rates(job_type text, OUT per_page double precision, OUT per_job double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH recent AS (
    SELECT extract(epoch FROM p.completed_at - p.started_at) AS seconds,
           CASE WHEN jsonb_typeof(p.result -> 'pages') = 'number' AND (p.result ->> 'pages')::numeric >= 1
                THEN (p.result ->> 'pages')::numeric END AS pages
      FROM processing_jobs AS p
     WHERE p.status = 'completed' AND p.job_type = processing_job_recent_rates.job_type
       AND p.completed_at > now() - interval '7 days' AND p.started_at IS NOT NULL
     ORDER BY p.completed_at DESC
     LIMIT 50
  )
  SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds / pages) FILTER (WHERE pages IS NOT NULL), 3.0),
         coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), 30.0)
    FROM recent
$$;
COMMENT ON FUNCTION processing_job_recent_rates(text) IS
  'Internal (the estimates): median seconds per page of the last 50 completed JOB_TYPE jobs this '
  'week whose result says their pages (3 when none), and median seconds per job (30 when none).';
REVOKE EXECUTE ON FUNCTION processing_job_recent_rates(text) FROM PUBLIC;

CREATE FUNCTION processing_job_batch_estimated_seconds(batch_id uuid) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  -- The work left in the batch (each unsettled job's pages, 10 when unknown, times what is left
  -- of its progress) at the job type's recent seconds a page (processing_job_recent_rates),
  -- spread over the workers running the batch's jobs now (at least one).
  -- Work queued ahead of the batch is not counted: processing_job_estimated_seconds does that
  -- for one new job; a batch's jobs are mostly behind one another.
  WITH left_to_do AS (
    SELECT p.job_type,
           greatest(coalesce(CASE WHEN jsonb_typeof(p.payload -> 'base64_images') = 'array'
                                  THEN jsonb_array_length(p.payload -> 'base64_images') END,
                             e.page_count, 10), 1)
             * (100 - CASE WHEN p.status = 'processing' THEN p.progress_percentage ELSE 0 END) / 100.0 AS pages,
           p.locked_by, p.status
      FROM processing_jobs AS p
      LEFT JOIN exam_papers AS e ON e.id = p.exam_paper_id
     WHERE p.batch_id = processing_job_batch_estimated_seconds.batch_id
       AND p.status IN ('pending', 'processing')
  ), rates AS (
    SELECT t.job_type, (processing_job_recent_rates(t.job_type)).per_page
      FROM (SELECT DISTINCT job_type FROM left_to_do) AS t
  )
  SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM left_to_do) THEN 0 ELSE
         ceil(sum(l.pages * r.per_page)
              / greatest((SELECT count(DISTINCT locked_by) FROM left_to_do WHERE status = 'processing'), 1))::integer END
    FROM left_to_do AS l JOIN rates AS r USING (job_type)
$$;
COMMENT ON FUNCTION processing_job_batch_estimated_seconds(uuid) IS
  'Estimated seconds until batch BATCH_ID settles: its unsettled jobs'' remaining pages times the '
  'recent seconds per page of their type (processing_job_recent_rates), divided by '
  'the workers running its jobs now. 0 for a settled batch.';

-- Through the caller's row-level security, like processing_job_stats.
CREATE VIEW processing_job_batch_status WITH (security_invoker = true) AS
SELECT b.id AS batch_id, b.label, b.created_by, b.created_by_role, b.created_at, b.settled_at,
       CASE WHEN b.settled_at IS NOT NULL
              THEN CASE WHEN coalesce(j.failed, 0) + coalesce(j.cancelled, 0) = 0 THEN 'completed'
                        ELSE 'completed_with_errors' END
            WHEN coalesce(j.processing, 0) > 0 OR coalesce(j.settled, 0) > 0 THEN 'running'
            ELSE 'pending' END AS state,
       coalesce(j.total, 0) AS total, coalesce(j.pending, 0) AS pending,
       coalesce(j.processing, 0) AS processing, coalesce(j.completed, 0) AS completed,
       coalesce(j.failed, 0) AS failed, coalesce(j.cancelled, 0) AS cancelled,
       coalesce(j.progress_percentage, 0) AS progress_percentage,
       CASE WHEN b.settled_at IS NULL THEN processing_job_batch_estimated_seconds(b.id) ELSE 0 END
         AS estimated_seconds_remaining
  FROM processing_job_batches AS b
  LEFT JOIN LATERAL (
    SELECT count(*)::integer AS total,
           count(*) FILTER (WHERE p.status = 'pending')::integer AS pending,
           count(*) FILTER (WHERE p.status = 'processing')::integer AS processing,
           count(*) FILTER (WHERE p.status = 'completed')::integer AS completed,
           count(*) FILTER (WHERE p.status = 'failed')::integer AS failed,
           count(*) FILTER (WHERE p.status = 'cancelled')::integer AS cancelled,
           count(*) FILTER (WHERE p.status IN ('completed', 'failed', 'cancelled'))::integer AS settled,
           round(avg(CASE WHEN p.status IN ('completed', 'failed', 'cancelled') THEN 100
                          ELSE p.progress_percentage END))::integer AS progress_percentage
      FROM processing_jobs AS p
     WHERE p.batch_id = b.id) AS j ON true;
COMMENT ON VIEW processing_job_batch_status IS
  'Each batch with its state (pending: nothing started; running; completed: every job '
  'completed; completed_with_errors: settled with some failed or cancelled), counts per status, '
  'progress (settled jobs count as 100) and estimated seconds until it settles. Jobs deleted by '
  'the cleanup no longer count. Reads through the caller''s row-level security.';
REVOKE ALL ON processing_job_batch_status FROM PUBLIC;
GRANT SELECT ON processing_job_batch_status TO examq_admin;

-- ---------------------------------------------------------------------------------------------
-- 5. Job changes name the batch, so a page or `examq watch --batch` can follow one from the
--    notifications alone. 0007's payload plus batch_id.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION processing_job_change_payload(op text, j processing_jobs) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  -- Ids, numbers and short text only: never the payload, result or any PDF data (see 0007).
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
      || ', "batch_id" : ' || coalesce('"' || j.batch_id::text || '"', 'null')
      || '}'
$$;
COMMENT ON FUNCTION processing_job_change_payload(text, processing_jobs) IS
  'The JSON sent on channel processing_jobs_changes for one inserted or updated job.';

-- ---------------------------------------------------------------------------------------------
-- 6. The cleanup forgets batches whose jobs it has all deleted.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION cleanup_old_processing_jobs(retention interval DEFAULT '30 days') RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  deleted integer;
BEGIN
  PERFORM examq_assert_admin_caller();
  IF retention IS NULL OR retention < interval '0' THEN
    RAISE EXCEPTION 'retention must be a non-negative interval (got %)', retention
      USING ERRCODE = '22023';
  END IF;
  DELETE FROM processing_jobs AS p
   WHERE p.status IN ('completed', 'failed', 'cancelled')
     AND p.completed_at < now() - retention;
  GET DIAGNOSTICS deleted = ROW_COUNT;
  DELETE FROM processing_job_batches AS b
   WHERE b.settled_at < now() - retention
     AND NOT EXISTS (SELECT 1 FROM processing_jobs AS p WHERE p.batch_id = b.id);
  RETURN deleted;
END $$;
COMMENT ON FUNCTION cleanup_old_processing_jobs(interval) IS
  'Deletes completed, failed and cancelled jobs that finished more than RETENTION ago (default '
  '30 days); never a pending or running job; then the batches settled as long ago that have no '
  'job left. Returns how many jobs it deleted.';

-- ---------------------------------------------------------------------------------------------
-- 7. Privileges.
-- ---------------------------------------------------------------------------------------------
REVOKE EXECUTE ON FUNCTION examq_begin_batch(text), processing_job_batch_announce(uuid, text),
  processing_jobs_batch_insert(), processing_jobs_batch_status(),
  processing_job_batch_estimated_seconds(uuid) FROM PUBLIC;
-- The view calls the estimate as the reader.
GRANT EXECUTE ON FUNCTION examq_begin_batch(text), processing_job_batch_estimated_seconds(uuid) TO examq_admin;

INSERT INTO examq_api_admin_functions (signature) VALUES
  ('examq_begin_batch(text)'), ('processing_job_batch_estimated_seconds(uuid)');
INSERT INTO examq_api_admin_relations (relation, privileges, service_role_privileges) VALUES
  ('processing_job_batches', 'SELECT, INSERT', 'SELECT, INSERT'),
  ('processing_job_batch_status', 'SELECT', NULL);
SELECT examq_apply_api_role_privileges();
