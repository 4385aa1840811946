-- 0001 queue core: tables, claim/settle functions, notifications, roles and row-level security.
--
-- Applied once by sql/install.sql inside a transaction. Everything lives in schema public so
-- that psql users and applications can use it unqualified. SECURITY DEFINER functions pin
-- search_path to public, pg_temp. See docs/sql-api.md for the contract of each function and
-- docs/job-lifecycle.md for the state machine.

-- ---------------------------------------------------------------------------------------------
-- Roles. Cluster-wide, so created only when absent. NOLOGIN: grant them to login roles.
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'examq_admin') THEN
    CREATE ROLE examq_admin NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'examq_worker') THEN
    CREATE ROLE examq_worker NOLOGIN;
  END IF;
END $$;
COMMENT ON ROLE examq_admin IS
  'examq administrators: insert and read jobs, create exam paper jobs, cancel, retry, statistics.';
COMMENT ON ROLE examq_worker IS
  'examq workers: claim, progress and settle jobs through the functions; read papers; write questions.';

-- ---------------------------------------------------------------------------------------------
-- Exam papers and what hangs off them.
-- ---------------------------------------------------------------------------------------------

-- An application may already have exam_papers; then we only add the columns we fill in, and
-- leave its row-level security alone. (No psql meta-commands in migrations: `examq migrate`
-- applies these files through libpq too.)
DO $$
BEGIN
  IF to_regclass('exam_papers') IS NULL THEN
    CREATE TABLE exam_papers (
      id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      title       text,
      created_by  uuid,
      created_at  timestamptz NOT NULL DEFAULT now(),
      updated_at  timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON TABLE exam_papers IS 'Exam papers (created by examq).';
  END IF;
END $$;
DO $$
BEGIN
  IF (SELECT atttypid FROM pg_attribute
       WHERE attrelid = 'exam_papers'::regclass AND attname = 'id' AND NOT attisdropped)
     IS DISTINCT FROM 'uuid'::regtype THEN
    RAISE EXCEPTION 'examq needs exam_papers.id to be a uuid primary key'
      USING ERRCODE = '42804',
            HINT = 'Rename the existing exam_papers table or convert its id column to uuid.';
  END IF;
END $$;
ALTER TABLE exam_papers
  ADD COLUMN IF NOT EXISTS file_url     text,
  ADD COLUMN IF NOT EXISTS syllabus_id  uuid,
  ADD COLUMN IF NOT EXISTS page_count   integer,
  ADD COLUMN IF NOT EXISTS pdf_metadata jsonb;
COMMENT ON COLUMN exam_papers.file_url IS
  'Where the worker may fetch the PDF when no exam_paper_files row exists (https, http or file URL).';
COMMENT ON COLUMN exam_papers.pdf_metadata IS
  'Document metadata read by the worker: title, producer, pdf_version, page_count.';

CREATE TABLE exam_paper_files (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  exam_paper_id uuid NOT NULL REFERENCES exam_papers (id) ON DELETE CASCADE,
  kind          text NOT NULL DEFAULT 'paper'
                CONSTRAINT exam_paper_files_kind_check CHECK (kind IN ('paper', 'insert')),
  filename      text NOT NULL,
  content_type  text NOT NULL DEFAULT 'application/pdf',
  data          bytea NOT NULL,
  -- Derived from data so they can never disagree with it.
  size_bytes    bigint GENERATED ALWAYS AS (octet_length(data)) STORED,
  sha256        text GENERATED ALWAYS AS (encode(sha256(data), 'hex')) STORED,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT exam_paper_files_paper_kind_key UNIQUE (exam_paper_id, kind)
);
-- PDFs are already compressed: skip pglz and store out of line.
ALTER TABLE exam_paper_files ALTER COLUMN data SET STORAGE EXTERNAL;
COMMENT ON TABLE exam_paper_files IS
  'Uploaded PDF bytes: one paper file (and optionally one insert) per exam paper.';

CREATE TABLE syllabus_topics (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  syllabus_id uuid NOT NULL,
  parent_id   uuid REFERENCES syllabus_topics (id) ON DELETE CASCADE,
  code        text,
  title       text NOT NULL,
  description text,
  position    integer,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX syllabus_topics_syllabus_idx ON syllabus_topics (syllabus_id, position);
COMMENT ON TABLE syllabus_topics IS 'Topics of a syllabus, used to tag extracted questions.';

CREATE TABLE questions (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  exam_paper_id   uuid NOT NULL REFERENCES exam_papers (id) ON DELETE CASCADE,
  question_number text NOT NULL,
  parent_number   text,
  position        integer NOT NULL CONSTRAINT questions_position_check CHECK (position >= 1),
  text            text NOT NULL DEFAULT '',
  marks           integer CONSTRAINT questions_marks_check CHECK (marks >= 0),
  page_number     integer CONSTRAINT questions_page_number_check CHECK (page_number >= 1),
  source          text NOT NULL DEFAULT 'text'
                  CONSTRAINT questions_source_check CHECK (source IN ('text', 'ocr', 'ai', 'manual')),
  topic_ids       uuid[] NOT NULL DEFAULT '{}',
  job_id          uuid,  -- the job that wrote it; no foreign key because old jobs are cleaned up
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT questions_paper_position_key UNIQUE (exam_paper_id, position)
);
COMMENT ON TABLE questions IS
  'Questions extracted from exam papers, numbered as printed (e.g. 3(a)(ii)), in paper order.';
COMMENT ON COLUMN questions.parent_number IS 'The enclosing question''s number: 3(a) for 3(a)(ii).';

-- ---------------------------------------------------------------------------------------------
-- The queue.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE processing_jobs (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_type            text NOT NULL
                      CONSTRAINT processing_jobs_job_type_check
                      CHECK (job_type ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$'),
  status              text NOT NULL DEFAULT 'pending'
                      CONSTRAINT processing_jobs_status_check
                      CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
  priority            integer NOT NULL DEFAULT 0
                      CONSTRAINT processing_jobs_priority_check CHECK (priority BETWEEN -1000 AND 1000),
  exam_paper_id       uuid REFERENCES exam_papers (id) ON DELETE CASCADE,
  payload             jsonb DEFAULT '{}',
  progress_percentage integer NOT NULL DEFAULT 0
                      CONSTRAINT processing_jobs_progress_check CHECK (progress_percentage BETWEEN 0 AND 100),
  current_step        text DEFAULT 'Queued for processing',
  result              jsonb,
  error_message       text,
  retry_count         integer NOT NULL DEFAULT 0
                      CONSTRAINT processing_jobs_retry_count_check CHECK (retry_count >= 0),
  max_retries         integer NOT NULL DEFAULT 3
                      CONSTRAINT processing_jobs_max_retries_check CHECK (max_retries BETWEEN 0 AND 100),
  created_at          timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  completed_at        timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  created_by          uuid,
  -- Beyond the seed's columns (which keep its order, above):
  error_details       jsonb,
  attempts            integer NOT NULL DEFAULT 0
                      CONSTRAINT processing_jobs_attempts_check CHECK (attempts >= 0),
  run_at              timestamptz NOT NULL DEFAULT now(),
  locked_by           text,
  locked_until        timestamptz,
  lease_duration      interval,
  cancel_requested    boolean NOT NULL DEFAULT false,
  CONSTRAINT processing_jobs_lease_check
    CHECK (status <> 'processing' OR locked_until IS NOT NULL),
  CONSTRAINT processing_jobs_finished_check
    CHECK (status NOT IN ('completed', 'failed', 'cancelled') OR completed_at IS NOT NULL)
);
COMMENT ON TABLE processing_jobs IS
  'The examq job queue. Insert rows to enqueue; claim and settle only through the functions.';
COMMENT ON COLUMN processing_jobs.priority IS 'Larger is more urgent (-1000..1000).';
COMMENT ON COLUMN processing_jobs.retry_count IS 'Retries used so far; at most max_retries.';
COMMENT ON COLUMN processing_jobs.attempts IS 'How many times the job was claimed.';
COMMENT ON COLUMN processing_jobs.run_at IS 'A pending job is not claimed before this moment.';
COMMENT ON COLUMN processing_jobs.locked_by IS 'The worker that holds (or last held) the job.';
COMMENT ON COLUMN processing_jobs.locked_until IS
  'End of the current lease. A processing job past it is taken over as a failed attempt.';
COMMENT ON COLUMN processing_jobs.lease_duration IS 'Length of the lease the holder asked for.';
COMMENT ON COLUMN processing_jobs.cancel_requested IS
  'Set by cancel_processing_job on a running job; the worker stops at its next progress report.';

-- The claim walks this index in claim order; its predicate is exactly the claim's status filter.
CREATE INDEX processing_jobs_claim_idx ON processing_jobs (priority DESC, run_at, id)
  WHERE status = 'pending';
-- Lease rescue: only running jobs, ordered by lease end.
CREATE INDEX processing_jobs_lease_idx ON processing_jobs (locked_until)
  WHERE status = 'processing';
-- Cleanup and statistics over finished jobs.
CREATE INDEX processing_jobs_finished_idx ON processing_jobs (completed_at)
  WHERE status IN ('completed', 'failed', 'cancelled');
CREATE INDEX processing_jobs_created_idx ON processing_jobs (created_at DESC);
CREATE INDEX processing_jobs_exam_paper_idx ON processing_jobs (exam_paper_id)
  WHERE exam_paper_id IS NOT NULL;
-- At most one active job of a type per exam paper: a double upload cannot race two jobs that
-- would both replace the paper's questions.
CREATE UNIQUE INDEX processing_jobs_active_paper_key ON processing_jobs (exam_paper_id, job_type)
  WHERE status IN ('pending', 'processing') AND exam_paper_id IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- Settings and access helpers.
-- ---------------------------------------------------------------------------------------------

-- Settings are custom GUCs so they can be set per database, role or session:
--   ALTER DATABASE app SET examq.retry_backoff_base = '30s';
CREATE FUNCTION examq_setting_interval(name text, fallback interval) RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(nullif(current_setting(name, true), '')::interval, fallback)
$$;
COMMENT ON FUNCTION examq_setting_interval(text, interval) IS
  'The interval value of custom setting NAME, or FALLBACK when it is unset or empty.';

CREATE FUNCTION processing_job_retry_delay(retry_number integer) RETURNS interval
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  -- Exponential with "equal jitter": half the delay is fixed, half random, so retries of jobs
  -- that failed together spread out but never come sooner than half the nominal delay.
  SELECT least(s.cap, s.base * power(2, least(greatest(retry_number, 1) - 1, 30)))
         * (0.5 + random() * 0.5)
  FROM (SELECT examq_setting_interval('examq.retry_backoff_base', '10 seconds') AS base,
               examq_setting_interval('examq.retry_backoff_cap', '1 hour') AS cap) AS s
$$;
COMMENT ON FUNCTION processing_job_retry_delay(integer) IS
  'Delay before retry number N (1-based): min(cap, base * 2^(N-1)) scaled by a random factor in '
  '[0.5, 1]. base = examq.retry_backoff_base (default 10s), cap = examq.retry_backoff_cap '
  '(default 1h); a base of 0 retries at once.';

-- True when the JWT of a Supabase request marks the user as an examq admin. Only consulted for
-- Supabase's API roles, whose claims PostgREST sets from a verified token.
CREATE FUNCTION examq_jwt_is_admin() RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  claims jsonb;
BEGIN
  IF to_regnamespace('auth') IS NULL THEN
    RETURN false;
  END IF;
  BEGIN
    claims := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  EXCEPTION WHEN invalid_text_representation THEN
    RETURN false;
  END;
  RETURN coalesce(claims -> 'app_metadata' ->> 'examq_role' = 'admin'
               OR claims -> 'app_metadata' ->> 'role' IN ('admin', 'examq_admin'), false);
END $$;
COMMENT ON FUNCTION examq_jwt_is_admin() IS
  'Supabase: true when an auth schema exists and request.jwt.claims has app_metadata.role '
  '"admin" (or "examq_admin"), or app_metadata.examq_role "admin".';

CREATE FUNCTION examq_is_admin() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT pg_has_role(current_user, 'examq_admin', 'MEMBER')
      OR (current_user::text = 'authenticated' AND examq_jwt_is_admin())
$$;
COMMENT ON FUNCTION examq_is_admin() IS
  'True when the current role is (a member of) examq_admin, or is Supabase''s authenticated role '
  'with an admin JWT. Used by the row-level security policies.';

-- Inside a SECURITY DEFINER function current_user is the owner, so the role check is done by
-- EXECUTE grants. Supabase's API roles are granted EXECUTE too (see the end of this file), so for
-- them the JWT must say admin.
CREATE FUNCTION examq_assert_admin_caller() RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF current_setting('role', true) IN ('authenticated', 'anon') AND NOT examq_jwt_is_admin() THEN
    RAISE EXCEPTION 'permission denied: examq admin required'
      USING ERRCODE = '42501',
            HINT = 'Supabase: set app_metadata.role = ''admin'' in the user''s JWT.';
  END IF;
END $$;
COMMENT ON FUNCTION examq_assert_admin_caller() IS
  'Raises 42501 when a Supabase API role without an admin JWT calls an admin function.';

-- Raises the right error for a job that a settling function could not find in the expected
-- state: P0002 when it does not exist, 55000 when someone else holds it or it is finished.
CREATE FUNCTION processing_job_not_held(job_id uuid, worker_id text, expected text DEFAULT 'processing')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  j processing_jobs;
BEGIN
  SELECT * INTO j FROM processing_jobs WHERE id = processing_job_not_held.job_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'processing job % does not exist', job_id USING ERRCODE = 'P0002';
  END IF;
  IF j.status <> expected AND expected = 'processing' THEN
    RAISE EXCEPTION 'processing job % is % (expected %)', job_id, j.status, expected
      USING ERRCODE = '55000',
            HINT = 'Its lease may have expired and the job been rescued or taken over by another worker.';
  ELSIF j.status <> expected THEN
    RAISE EXCEPTION 'processing job % is % (expected %)', job_id, j.status, expected
      USING ERRCODE = '55000';
  END IF;
  RAISE EXCEPTION 'processing job % is held by %, not by %', job_id,
                  coalesce(j.locked_by, 'nobody'), worker_id
    USING ERRCODE = '55000',
          HINT = 'Its lease expired and another worker took it over; this attempt''s outcome is discarded.';
END $$;
COMMENT ON FUNCTION processing_job_not_held(uuid, text, text) IS
  'Internal: raises P0002 (no such job) or 55000 (not held by this worker / wrong state).';

-- ---------------------------------------------------------------------------------------------
-- Notifications. Statement-level triggers with transition tables: one trigger call per
-- statement however many rows it touches.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION processing_job_change_payload(op text, j processing_jobs) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  -- Ids, numbers and short text only: never the payload, result or any PDF data. job_type is at
  -- most 100 characters by constraint and current_step is cut to 200, so this stays far under
  -- NOTIFY's 8000-byte limit.
  SELECT json_build_object(
    'op', op, 'id', j.id, 'job_type', j.job_type, 'status', j.status,
    'progress_percentage', j.progress_percentage, 'current_step', left(j.current_step, 200),
    'exam_paper_id', j.exam_paper_id, 'retry_count', j.retry_count,
    'cancel_requested', j.cancel_requested)::text
$$;
COMMENT ON FUNCTION processing_job_change_payload(text, processing_jobs) IS
  'The JSON sent on channel processing_jobs_changes for one job.';

CREATE FUNCTION processing_jobs_available_payload(job_types text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  -- More than a few types in one statement: say "any" rather than grow the payload.
  SELECT json_build_object('job_types',
           CASE WHEN cardinality(job_types) <= 20 THEN to_json(job_types) END)::text
$$;
COMMENT ON FUNCTION processing_jobs_available_payload(text[]) IS
  'The JSON sent on channel processing_jobs_available: {"job_types": [...]} or null for any.';

CREATE FUNCTION processing_jobs_notify_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  ready_types text[];
BEGIN
  PERFORM pg_notify('processing_jobs_changes', processing_job_change_payload('INSERT', n))
     FROM new_jobs AS n;
  SELECT array_agg(DISTINCT n.job_type) INTO ready_types
    FROM new_jobs AS n WHERE n.status = 'pending' AND n.run_at <= now();
  IF ready_types IS NOT NULL THEN
    PERFORM pg_notify('processing_jobs_available', processing_jobs_available_payload(ready_types));
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION processing_jobs_notify_insert() IS
  'Trigger: one NOTIFY per inserted job on processing_jobs_changes, and one wake-up per '
  'statement on processing_jobs_available when it made jobs claimable now.';

CREATE FUNCTION processing_jobs_notify_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  ready_types text[];
BEGIN
  -- EXECUTE, not static SQL: PL/pgSQL would plan these joins once per session with the sizes of
  -- the first statement's transition tables, and a session whose first UPDATE touched one row
  -- then nested-loops 500 x 500 rows on every batch (measured: completions from ~22 to ~43 us a
  -- job). EXECUTE plans each statement for the rows it actually has.
  EXECUTE $q$
    SELECT count(pg_notify('processing_jobs_changes', processing_job_change_payload('UPDATE', n)))
      FROM new_jobs AS n JOIN old_jobs AS o ON o.id = n.id
     WHERE n.status IS DISTINCT FROM o.status
        OR n.progress_percentage IS DISTINCT FROM o.progress_percentage
        OR n.current_step IS DISTINCT FROM o.current_step$q$;
  EXECUTE $q$
    SELECT array_agg(DISTINCT n.job_type)
      FROM new_jobs AS n JOIN old_jobs AS o ON o.id = n.id
     WHERE n.status = 'pending' AND o.status <> 'pending' AND n.run_at <= now()$q$
    INTO ready_types;
  IF ready_types IS NOT NULL THEN
    PERFORM pg_notify('processing_jobs_available', processing_jobs_available_payload(ready_types));
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION processing_jobs_notify_update() IS
  'Trigger: one NOTIFY per job whose status, progress or step changed, and one wake-up per '
  'statement that made jobs claimable again (release, immediate retry, rescue).';

CREATE TRIGGER processing_jobs_notify_insert
  AFTER INSERT ON processing_jobs REFERENCING NEW TABLE AS new_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION processing_jobs_notify_insert();
CREATE TRIGGER processing_jobs_notify_update
  AFTER UPDATE ON processing_jobs REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION processing_jobs_notify_update();

-- ---------------------------------------------------------------------------------------------
-- Claiming.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION rescue_expired_processing_jobs() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  rescued integer;
BEGIN
  -- A job whose lease ran out lost its worker: count the attempt as failed, then retry it at
  -- once (or fail it for good when its retries are used up, or cancel it if that was asked).
  WITH expired AS (
    SELECT id FROM processing_jobs
     WHERE status = 'processing' AND locked_until < now()
     ORDER BY locked_until
     LIMIT 1000
     FOR UPDATE SKIP LOCKED
  )
  UPDATE processing_jobs AS j SET
    status = CASE WHEN j.cancel_requested THEN 'cancelled'
                  WHEN j.retry_count < j.max_retries THEN 'pending'
                  ELSE 'failed' END,
    retry_count = CASE WHEN NOT j.cancel_requested AND j.retry_count < j.max_retries
                       THEN j.retry_count + 1 ELSE j.retry_count END,
    run_at = now(),
    progress_percentage = CASE WHEN NOT j.cancel_requested AND j.retry_count < j.max_retries
                               THEN 0 ELSE j.progress_percentage END,
    current_step = CASE WHEN j.cancel_requested THEN 'Cancelled'
                        WHEN j.retry_count < j.max_retries THEN 'Queued for processing'
                        ELSE 'Failed' END,
    completed_at = CASE WHEN NOT j.cancel_requested AND j.retry_count < j.max_retries
                        THEN NULL ELSE now() END,
    error_message = 'worker lost: lease expired',
    error_details = jsonb_build_object('reason', 'lease_expired', 'locked_by', j.locked_by,
                                       'locked_until', j.locked_until, 'attempt', j.attempts),
    locked_until = NULL,
    updated_at = now()
  FROM expired WHERE j.id = expired.id;
  GET DIAGNOSTICS rescued = ROW_COUNT;
  RETURN rescued;
END $$;
COMMENT ON FUNCTION rescue_expired_processing_jobs() IS
  'Takes back up to 1000 processing jobs whose lease expired (their worker died): each counts '
  'as a failed attempt with error "worker lost: lease expired" and is retried at once, or fails '
  'for good when its retries are used up. Returns how many it took back. The claim functions '
  'call it, so no other process is needed; the examq_cleanup extension also runs it.';

CREATE FUNCTION get_next_processing_jobs(batch_size integer, worker_id text DEFAULT NULL,
                                         job_types text[] DEFAULT NULL,
                                         lease interval DEFAULT '60 seconds')
RETURNS SETOF processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
-- Right after a bulk insert, before statistics exist, the planner may pick a bitmap scan that
-- reads and sorts every pending row on every claim (measured: 125 ms a claim at 100,000 pending,
-- against 0.8 ms walking the claim index).
SET enable_bitmapscan = off ROWS 10 AS $$
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

CREATE FUNCTION get_next_processing_job(worker_id text DEFAULT NULL, job_types text[] DEFAULT NULL,
                                        lease interval DEFAULT '60 seconds')
RETURNS SETOF processing_jobs
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp ROWS 1 AS $$
  SELECT * FROM get_next_processing_jobs(1, worker_id, job_types, lease)
$$;
COMMENT ON FUNCTION get_next_processing_job(text, text[], interval) IS
  'Claims at most one job (zero rows when none is claimable); see get_next_processing_jobs.';

-- ---------------------------------------------------------------------------------------------
-- While running.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION update_job_progress(job_id uuid, progress_percentage integer, current_step text,
                                    worker_id text DEFAULT NULL, lease interval DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  wants_cancel boolean;
BEGIN
  IF update_job_progress.progress_percentage IS NULL
     OR update_job_progress.progress_percentage NOT BETWEEN 0 AND 100 THEN
    RAISE EXCEPTION 'progress_percentage must be between 0 and 100 (got %)',
                    coalesce(update_job_progress.progress_percentage::text, 'null')
      USING ERRCODE = '22023';
  END IF;
  IF lease IS NOT NULL AND lease <= interval '0' THEN
    RAISE EXCEPTION 'lease must be a positive interval (got %)', lease USING ERRCODE = '22023';
  END IF;
  UPDATE processing_jobs AS j SET
    progress_percentage = update_job_progress.progress_percentage,
    current_step = coalesce(update_job_progress.current_step, j.current_step),
    locked_until = now() + coalesce(update_job_progress.lease, j.lease_duration, interval '60 seconds'),
    lease_duration = coalesce(update_job_progress.lease, j.lease_duration),
    updated_at = now()
  WHERE j.id = update_job_progress.job_id
    AND j.status = 'processing'
    AND (update_job_progress.worker_id IS NULL OR j.locked_by = update_job_progress.worker_id)
  RETURNING j.cancel_requested INTO wants_cancel;
  IF NOT FOUND THEN
    PERFORM processing_job_not_held(update_job_progress.job_id, update_job_progress.worker_id);
  END IF;
  RETURN wants_cancel;
END $$;
COMMENT ON FUNCTION update_job_progress(uuid, integer, text, text, interval) IS
  'Records progress (0..100, else 22023) and step of a running job and extends its lease (by '
  'LEASE, else the length of the current lease). Returns true when cancellation was requested: '
  'the worker should stop and call confirm_processing_job_cancelled. Raises 55000 when the job '
  'is not processing (or not held by WORKER_ID when given), P0002 when it does not exist.';

CREATE FUNCTION heartbeat_processing_jobs(job_ids uuid[], worker_id text DEFAULT NULL,
                                          lease interval DEFAULT '60 seconds')
RETURNS TABLE (id uuid, cancel_requested boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
-- A generic plan would guess the array's size: plan each call for the batch it has.
SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
BEGIN
  IF lease IS NULL OR lease <= interval '0' THEN
    RAISE EXCEPTION 'lease must be a positive interval (got %)', lease USING ERRCODE = '22023';
  END IF;
  -- id = ANY(...) is an index scan on the primary key whatever the table's statistics (a join
  -- with unnest() became a hash join over the whole table before the first ANALYZE). Locked in
  -- id order so that concurrent batch calls of one worker cannot deadlock.
  RETURN QUERY
  WITH held AS (
    SELECT p.id FROM processing_jobs AS p
     WHERE p.id = ANY (heartbeat_processing_jobs.job_ids)
       AND p.status = 'processing'
       AND (heartbeat_processing_jobs.worker_id IS NULL
            OR p.locked_by = heartbeat_processing_jobs.worker_id)
     ORDER BY p.id
     FOR UPDATE
  )
  UPDATE processing_jobs AS j SET locked_until = now() + lease, lease_duration = lease
    FROM held WHERE j.id = held.id
  RETURNING j.id, j.cancel_requested;
END $$;
COMMENT ON FUNCTION heartbeat_processing_jobs(uuid[], text, interval) IS
  'Extends the leases of the listed jobs that are still processing (and held by WORKER_ID when '
  'given) in one round trip, without a notification. Returns one row per job still held, with '
  'its cancel_requested flag; a job missing from the result is no longer held by the caller.';

-- ---------------------------------------------------------------------------------------------
-- Settling.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION complete_processing_job(job_id uuid, result jsonb DEFAULT NULL,
                                        worker_id text DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
BEGIN
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
    AND (complete_processing_job.worker_id IS NULL OR p.locked_by = complete_processing_job.worker_id)
  RETURNING p.* INTO j;
  IF NOT FOUND THEN
    PERFORM processing_job_not_held(complete_processing_job.job_id, complete_processing_job.worker_id);
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION complete_processing_job(uuid, jsonb, text) IS
  'Settles a running job as completed (progress 100, step Completed, completed_at) with RESULT. '
  'Raises 55000 when the job is not processing or not held by WORKER_ID, P0002 when unknown.';

CREATE FUNCTION complete_processing_jobs(job_ids uuid[], results jsonb[] DEFAULT NULL,
                                         worker_id text DEFAULT NULL)
RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
-- A generic plan guesses unnest() yields 10 rows and joined a 500-job batch with itself
-- (measured: 7 ms became 43 ms a call): plan each call for the batch it has.
SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
BEGIN
  IF results IS NOT NULL AND cardinality(results) <> cardinality(job_ids) THEN
    RAISE EXCEPTION 'results has % elements but job_ids has %', cardinality(results),
                    cardinality(job_ids) USING ERRCODE = '22023';
  END IF;
  -- id = ANY(...) is an index scan on the primary key whatever the table's statistics (a join
  -- with unnest() became a hash join over the whole table before the first ANALYZE). Locked in
  -- id order so that concurrent batch calls of one worker cannot deadlock.
  RETURN QUERY
  WITH done AS (
    SELECT d.id, d.result FROM unnest(job_ids, results) AS d(id, result)
  ), held AS (
    SELECT p.id FROM processing_jobs AS p
     WHERE p.id = ANY (complete_processing_jobs.job_ids)
       AND p.status = 'processing'
       AND (complete_processing_jobs.worker_id IS NULL
            OR p.locked_by = complete_processing_jobs.worker_id)
     ORDER BY p.id
     FOR UPDATE
  )
  UPDATE processing_jobs AS j SET
    status = 'completed',
    progress_percentage = 100,
    current_step = 'Completed',
    result = done.result,
    completed_at = now(),
    locked_until = NULL,
    updated_at = now()
  FROM held JOIN done ON done.id = held.id
  WHERE j.id = held.id
  RETURNING j.id;
END $$;
COMMENT ON FUNCTION complete_processing_jobs(uuid[], jsonb[], text) IS
  'Batch form of complete_processing_job: RESULTS[i] belongs to JOB_IDS[i]. Completes the jobs '
  'still held and returns their ids; the others (lease lost) are left alone.';

CREATE FUNCTION fail_processing_job(job_id uuid, error_message text, is_critical boolean DEFAULT false,
                                    error_details jsonb DEFAULT NULL, worker_id text DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
  retrying boolean;
BEGIN
  SELECT * INTO j FROM processing_jobs AS p WHERE p.id = fail_processing_job.job_id FOR UPDATE;
  IF NOT FOUND OR j.status <> 'processing'
     OR (fail_processing_job.worker_id IS NOT NULL AND j.locked_by IS DISTINCT FROM fail_processing_job.worker_id) THEN
    PERFORM processing_job_not_held(fail_processing_job.job_id, fail_processing_job.worker_id);
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
    error_message = coalesce(nullif(fail_processing_job.error_message, ''), 'unknown error'),
    error_details = fail_processing_job.error_details,
    completed_at = CASE WHEN retrying THEN NULL ELSE now() END,
    locked_until = NULL,
    updated_at = now()
  WHERE p.id = j.id
  RETURNING p.* INTO j;
  RETURN j;
END $$;
COMMENT ON FUNCTION fail_processing_job(uuid, text, boolean, jsonb, text) IS
  'Records a failed attempt of a running job with ERROR_MESSAGE and ERROR_DETAILS. With retries '
  'left (retry_count < max_retries) and not IS_CRITICAL, the job goes back to pending with '
  'retry_count + 1 and run_at = now() + processing_job_retry_delay(retry_count + 1); otherwise it '
  'is failed for good (cancelled when cancellation had been requested). At most 1 + max_retries '
  'attempts. Raises 55000 when the job is not processing or not held by WORKER_ID.';

CREATE FUNCTION release_processing_job(job_id uuid, worker_id text DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
BEGIN
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
    AND (release_processing_job.worker_id IS NULL OR p.locked_by = release_processing_job.worker_id)
  RETURNING p.* INTO j;
  IF NOT FOUND THEN
    PERFORM processing_job_not_held(release_processing_job.job_id, release_processing_job.worker_id);
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION release_processing_job(uuid, text) IS
  'Hands a running job back to pending, claimable at once, without using a retry (a worker '
  'shutting down). A job whose cancellation was requested becomes cancelled instead.';

CREATE FUNCTION snooze_processing_job(job_id uuid, delay interval, reason text DEFAULT NULL,
                                      worker_id text DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
BEGIN
  IF delay IS NULL OR delay < interval '0' THEN
    RAISE EXCEPTION 'delay must be a non-negative interval (got %)', delay USING ERRCODE = '22023';
  END IF;
  UPDATE processing_jobs AS p SET
    status = 'pending',
    run_at = now() + delay,
    progress_percentage = 0,
    current_step = left(coalesce('Snoozed: ' || reason, 'Snoozed'), 500),
    locked_until = NULL,
    updated_at = now()
  WHERE p.id = snooze_processing_job.job_id
    AND p.status = 'processing'
    AND NOT p.cancel_requested
    AND (snooze_processing_job.worker_id IS NULL OR p.locked_by = snooze_processing_job.worker_id)
  RETURNING p.* INTO j;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM processing_jobs AS p WHERE p.id = snooze_processing_job.job_id
                 AND p.status = 'processing' AND p.cancel_requested) THEN
      RAISE EXCEPTION 'processing job % has a cancellation request; confirm it instead of snoozing',
                      job_id USING ERRCODE = '55000';
    END IF;
    PERFORM processing_job_not_held(snooze_processing_job.job_id, snooze_processing_job.worker_id);
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION snooze_processing_job(uuid, interval, text, text) IS
  'Puts a running job back to pending with run_at = now() + DELAY without using a retry (for '
  'example while a provider rate-limits). The step shows "Snoozed: REASON".';

CREATE FUNCTION confirm_processing_job_cancelled(job_id uuid, worker_id text DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
BEGIN
  UPDATE processing_jobs AS p SET
    status = 'cancelled',
    current_step = 'Cancelled',
    completed_at = now(),
    locked_until = NULL,
    updated_at = now()
  WHERE p.id = confirm_processing_job_cancelled.job_id
    AND p.status = 'processing'
    AND (confirm_processing_job_cancelled.worker_id IS NULL
         OR p.locked_by = confirm_processing_job_cancelled.worker_id)
  RETURNING p.* INTO j;
  IF NOT FOUND THEN
    PERFORM processing_job_not_held(confirm_processing_job_cancelled.job_id,
                                    confirm_processing_job_cancelled.worker_id);
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION confirm_processing_job_cancelled(uuid, text) IS
  'The worker holding a running job stopped it because cancellation was requested: the job '
  'becomes cancelled.';

-- ---------------------------------------------------------------------------------------------
-- Administration.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION cancel_processing_job(job_id uuid) RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
BEGIN
  PERFORM examq_assert_admin_caller();
  SELECT * INTO j FROM processing_jobs AS p WHERE p.id = cancel_processing_job.job_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'processing job % does not exist', job_id USING ERRCODE = 'P0002';
  END IF;
  IF j.status = 'pending' THEN
    UPDATE processing_jobs AS p SET status = 'cancelled', current_step = 'Cancelled',
           cancel_requested = true, completed_at = now(), updated_at = now()
     WHERE p.id = j.id RETURNING p.* INTO j;
  ELSIF j.status = 'processing' THEN
    UPDATE processing_jobs AS p SET cancel_requested = true, current_step = 'Cancelling',
           updated_at = now()
     WHERE p.id = j.id RETURNING p.* INTO j;
  ELSE
    RAISE EXCEPTION 'processing job % is already %', job_id, j.status USING ERRCODE = '55000';
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION cancel_processing_job(uuid) IS
  'Cancels a job: a pending one becomes cancelled at once; a running one gets cancel_requested '
  '(step Cancelling) and its worker stops at its next progress report. Raises 55000 for a job '
  'that already finished.';

CREATE FUNCTION retry_processing_job(job_id uuid) RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
BEGIN
  PERFORM examq_assert_admin_caller();
  UPDATE processing_jobs AS p SET
    status = 'pending',
    run_at = now(),
    retry_count = 0,
    progress_percentage = 0,
    current_step = 'Queued for processing',
    cancel_requested = false,
    error_message = NULL,
    error_details = NULL,
    result = NULL,
    started_at = NULL,
    completed_at = NULL,
    locked_by = NULL,
    locked_until = NULL,
    updated_at = now()
  WHERE p.id = retry_processing_job.job_id AND p.status IN ('failed', 'cancelled')
  RETURNING p.* INTO j;
  IF NOT FOUND THEN
    PERFORM processing_job_not_held(retry_processing_job.job_id, NULL, 'failed or cancelled');
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION retry_processing_job(uuid) IS
  'Puts a failed or cancelled job back to pending, claimable at once, with its retries reset '
  'and its previous error cleared. Raises 55000 for a job in any other state.';

CREATE FUNCTION cleanup_old_processing_jobs(retention interval DEFAULT '30 days') RETURNS integer
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
  RETURN deleted;
END $$;
COMMENT ON FUNCTION cleanup_old_processing_jobs(interval) IS
  'Deletes completed, failed and cancelled jobs that finished more than RETENTION ago (default '
  '30 days); never a pending or running job. Returns how many it deleted.';

-- Estimated seconds until a new job of JOB_TYPE with PAGES pages at PRIORITY would finish: its
-- own run time from recent completed jobs' time per page, plus the work queued ahead of it
-- spread over the workers seen active. Without history: 3 s a page.
CREATE FUNCTION processing_job_estimated_seconds(job_type text, pages integer, priority integer DEFAULT 0)
RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH recent AS (
    SELECT extract(epoch FROM p.completed_at - p.started_at) AS seconds,
           greatest(CASE WHEN jsonb_typeof(p.result -> 'pages') = 'number'
                         THEN (p.result ->> 'pages')::numeric END, 1) AS pages
      FROM processing_jobs AS p
     WHERE p.status = 'completed' AND p.job_type = processing_job_estimated_seconds.job_type
       AND p.completed_at > now() - interval '7 days' AND p.started_at IS NOT NULL
     ORDER BY p.completed_at DESC
     LIMIT 50
  ), rate AS (
    SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds / pages), 3.0) AS per_page,
           coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), 30.0) AS per_job
      FROM recent
  ), ahead AS (
    SELECT count(*) FILTER (WHERE p.status = 'pending') AS queued,
           count(*) FILTER (WHERE p.status = 'processing') AS running,
           greatest(count(DISTINCT p.locked_by) FILTER (WHERE p.status = 'processing'), 1) AS workers
      FROM processing_jobs AS p
     WHERE p.job_type = processing_job_estimated_seconds.job_type
       AND ((p.status = 'pending' AND p.priority >= processing_job_estimated_seconds.priority
             AND p.run_at <= now())
            OR p.status = 'processing')
  )
  SELECT ceil(rate.per_page * greatest(coalesce(pages, 10), 1)
              + rate.per_job * (ahead.queued + ahead.running / 2.0) / ahead.workers)::integer
    FROM rate, ahead
$$;
COMMENT ON FUNCTION processing_job_estimated_seconds(text, integer, integer) IS
  'Estimated seconds until a new JOB_TYPE job with PAGES pages (default 10) at PRIORITY '
  'finishes: median seconds per page of the last 50 completed jobs this week (3 s when none) '
  'times PAGES, plus the median job time for each job queued ahead, divided by active workers.';

CREATE FUNCTION create_exam_paper_job(p_exam_paper_id uuid, p_base64_images text[] DEFAULT NULL,
                                      p_syllabus_id uuid DEFAULT NULL,
                                      p_has_insert boolean DEFAULT false,
                                      p_priority integer DEFAULT 0)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  paper_pages integer;
  estimate integer;
  new_id uuid;
  existing_id uuid;
  creator uuid;
BEGIN
  PERFORM examq_assert_admin_caller();
  IF p_exam_paper_id IS NULL THEN
    RETURN jsonb_build_object('success', false, 'error', 'p_exam_paper_id is required');
  END IF;
  SELECT e.page_count INTO paper_pages FROM exam_papers AS e WHERE e.id = p_exam_paper_id;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('success', false,
                              'error', format('exam paper %s does not exist', p_exam_paper_id));
  END IF;
  IF p_priority IS NULL OR p_priority NOT BETWEEN -1000 AND 1000 THEN
    RETURN jsonb_build_object('success', false,
                              'error', 'priority must be an integer between -1000 and 1000');
  END IF;
  IF p_base64_images IS NOT NULL THEN
    IF cardinality(p_base64_images) = 0 THEN
      RETURN jsonb_build_object('success', false, 'error', 'p_base64_images is empty');
    END IF;
    IF cardinality(p_base64_images) > 200 THEN
      RETURN jsonb_build_object('success', false,
        'error', format('%s page images; the limit is 200', cardinality(p_base64_images)));
    END IF;
    IF array_position(p_base64_images, NULL) IS NOT NULL
       OR EXISTS (SELECT 1 FROM unnest(p_base64_images) AS img WHERE length(img) = 0) THEN
      RETURN jsonb_build_object('success', false, 'error', 'p_base64_images has an empty image');
    END IF;
  END IF;

  -- Estimated before the insert, so the new job does not count as queued ahead of itself.
  estimate := processing_job_estimated_seconds('process-exam-paper',
                                               coalesce(cardinality(p_base64_images), paper_pages),
                                               p_priority);
  BEGIN
    creator := nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub';
  EXCEPTION WHEN invalid_text_representation THEN
    creator := NULL;
  END;

  INSERT INTO processing_jobs (job_type, priority, exam_paper_id, payload, created_by)
  VALUES ('process-exam-paper', p_priority, p_exam_paper_id,
          jsonb_strip_nulls(jsonb_build_object(
            'syllabus_id', p_syllabus_id,
            'has_insert', coalesce(p_has_insert, false),
            'base64_images', to_jsonb(p_base64_images))),
          creator)
  ON CONFLICT (exam_paper_id, job_type) WHERE status IN ('pending', 'processing')
                                          AND exam_paper_id IS NOT NULL
  DO NOTHING
  RETURNING id INTO new_id;

  IF new_id IS NULL THEN
    SELECT p.id INTO existing_id FROM processing_jobs AS p
     WHERE p.exam_paper_id = p_exam_paper_id AND p.job_type = 'process-exam-paper'
       AND p.status IN ('pending', 'processing');
    RETURN jsonb_build_object('success', false, 'jobId', existing_id,
                              'error', 'this exam paper already has a job in progress');
  END IF;

  RETURN jsonb_build_object(
    'success', true,
    'jobId', new_id,
    'message', 'Job created successfully',
    'estimatedTime', estimate);
END $$;
COMMENT ON FUNCTION create_exam_paper_job(uuid, text[], uuid, boolean, integer) IS
  'Enqueues a process-exam-paper job for an existing exam paper (optionally with pre-rendered '
  'page images). Returns {"success": true, "jobId", "message", "estimatedTime": seconds}, or '
  '{"success": false, "error"} for an unknown paper, a bad priority, bad images, or a paper that '
  'already has a job in progress (then with that "jobId"). Never leaves a half-made job.';

-- ---------------------------------------------------------------------------------------------
-- Statistics.
-- ---------------------------------------------------------------------------------------------
CREATE VIEW processing_job_stats WITH (security_invoker = true) AS
SELECT w.period,
       j.job_type,  -- NULL: all types together
       count(*) AS total,
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
  FROM (VALUES ('last_day', interval '1 day'), ('last_week', interval '7 days')) AS w(period, span)
  JOIN processing_jobs AS j ON j.created_at >= now() - w.span
 GROUP BY GROUPING SETS ((w.period, j.job_type), (w.period));
COMMENT ON VIEW processing_job_stats IS
  'Job history and statistics over the last day and week (by created_at): counts by status, '
  'median and p95 run time of completed jobs in seconds, failure rate = failed / (completed + '
  'failed), retries used. One row per job type and one with job_type NULL for all types. '
  'Reads through the caller''s row-level security.';

-- ---------------------------------------------------------------------------------------------
-- Row-level security and privileges.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE processing_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE processing_jobs FORCE ROW LEVEL SECURITY;

-- FORCE applies the policies to the owner too, so the owner (who runs the SECURITY DEFINER
-- functions) gets its own policy. This is the role that ran the install.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY processing_jobs_owner_all ON processing_jobs TO %I '
                 'USING (true) WITH CHECK (true)', current_user);
END $$;
CREATE POLICY processing_jobs_admin_select ON processing_jobs FOR SELECT TO PUBLIC
  USING ((SELECT examq_is_admin()));
-- Admins enqueue; only pending rows, so nobody can insert a fake finished or running job.
CREATE POLICY processing_jobs_admin_insert ON processing_jobs FOR INSERT TO PUBLIC
  WITH CHECK ((SELECT examq_is_admin()) AND status = 'pending' AND locked_by IS NULL);
CREATE POLICY processing_jobs_worker_select ON processing_jobs FOR SELECT TO examq_worker
  USING (true);

DO $$
DECLARE
  t text;
BEGIN
  -- Our other tables: admins and workers through policies, everyone else sees nothing (this
  -- matters on Supabase, where the API roles get table privileges by default).
  FOREACH t IN ARRAY ARRAY['exam_paper_files', 'syllabus_topics', 'questions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I TO PUBLIC USING ((SELECT examq_is_admin())) '
                   'WITH CHECK ((SELECT examq_is_admin()))', t || '_admin_all', t);
    EXECUTE format('CREATE POLICY %I ON %I TO examq_worker USING (true) WITH CHECK (true)',
                   t || '_worker_all', t);
  END LOOP;
END $$;
DO $$
BEGIN
  IF obj_description('exam_papers'::regclass, 'pg_class') = 'Exam papers (created by examq).' THEN
    ALTER TABLE exam_papers ENABLE ROW LEVEL SECURITY;
    CREATE POLICY exam_papers_admin_all ON exam_papers TO PUBLIC
      USING ((SELECT examq_is_admin())) WITH CHECK ((SELECT examq_is_admin()));
    CREATE POLICY exam_papers_worker_all ON exam_papers TO examq_worker USING (true) WITH CHECK (true);
  END IF;
END $$;

REVOKE ALL ON processing_jobs, exam_paper_files, syllabus_topics, questions FROM PUBLIC;
REVOKE ALL ON processing_job_stats FROM PUBLIC;
GRANT SELECT, INSERT ON processing_jobs TO examq_admin;
GRANT SELECT ON processing_job_stats TO examq_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON exam_papers, exam_paper_files, syllabus_topics, questions
  TO examq_admin;
GRANT SELECT ON processing_jobs, exam_papers, exam_paper_files, syllabus_topics TO examq_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON questions TO examq_worker;
GRANT UPDATE (page_count, pdf_metadata, updated_at) ON exam_papers TO examq_worker;

-- Functions: nothing for PUBLIC but the helpers that policies and triggers call.
REVOKE EXECUTE ON FUNCTION
  processing_job_not_held(uuid, text, text),
  rescue_expired_processing_jobs(),
  get_next_processing_jobs(integer, text, text[], interval),
  get_next_processing_job(text, text[], interval),
  update_job_progress(uuid, integer, text, text, interval),
  heartbeat_processing_jobs(uuid[], text, interval),
  complete_processing_job(uuid, jsonb, text),
  complete_processing_jobs(uuid[], jsonb[], text),
  fail_processing_job(uuid, text, boolean, jsonb, text),
  release_processing_job(uuid, text),
  snooze_processing_job(uuid, interval, text, text),
  confirm_processing_job_cancelled(uuid, text),
  cancel_processing_job(uuid),
  retry_processing_job(uuid),
  cleanup_old_processing_jobs(interval),
  processing_job_estimated_seconds(text, integer, integer),
  create_exam_paper_job(uuid, text[], uuid, boolean, integer)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  rescue_expired_processing_jobs(),
  get_next_processing_jobs(integer, text, text[], interval),
  get_next_processing_job(text, text[], interval),
  update_job_progress(uuid, integer, text, text, interval),
  heartbeat_processing_jobs(uuid[], text, interval),
  complete_processing_job(uuid, jsonb, text),
  complete_processing_jobs(uuid[], jsonb[], text),
  fail_processing_job(uuid, text, boolean, jsonb, text),
  release_processing_job(uuid, text),
  snooze_processing_job(uuid, interval, text, text),
  confirm_processing_job_cancelled(uuid, text)
TO examq_worker;
GRANT EXECUTE ON FUNCTION
  rescue_expired_processing_jobs(),
  cancel_processing_job(uuid),
  retry_processing_job(uuid),
  cleanup_old_processing_jobs(interval),
  processing_job_estimated_seconds(text, integer, integer),
  create_exam_paper_job(uuid, text[], uuid, boolean, integer)
TO examq_admin;

-- Supabase: its API role for signed-in users may call the admin functions; they check the JWT.
DO $$
BEGIN
  IF to_regnamespace('auth') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    GRANT SELECT, INSERT ON processing_jobs TO authenticated;
    GRANT SELECT ON processing_job_stats TO authenticated;
    GRANT EXECUTE ON FUNCTION
      cancel_processing_job(uuid),
      retry_processing_job(uuid),
      cleanup_old_processing_jobs(interval),
      processing_job_estimated_seconds(text, integer, integer),
      create_exam_paper_job(uuid, text[], uuid, boolean, integer)
    TO authenticated;
  END IF;
END $$;
