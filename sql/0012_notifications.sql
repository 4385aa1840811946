-- 0012 notifications through the queue itself (issue 17, part 2): a transactional outbox.
--
-- When a job or a whole batch settles, the settle's own transaction inserts `notify` jobs: one
-- per recipient and channel (email, webhook). So there is no notification without its settle
-- (a rolled-back settle takes its notify jobs with it), none is lost (they are jobs: retried
-- with the queue's backoff, rescued by leases, visible in `examq jobs`), and sending never
-- slows or fails a settle (the worker's `notify` handler does the SMTP or HTTP later).
--
-- Whom: examq_notification_preferences has one row per recipient, either a Supabase user
-- (user_id, matched to processing_jobs.created_by) or a database login (role_name, matched to
-- the batch's created_by_role: a job outside any batch has no login recorded, so database users
-- hear about batches; `examq submit` always makes one). Each row says where (email,
-- webhook_url), when (on_completion, on_failure) and how often: per 'batch' (one message when
-- the batch settles, the default) or per 'job'. A job outside any batch is always per job.
-- Admins manage every row; a Supabase user manages their own, under row-level security.
--
-- Loops: notify jobs never cause notifications. Cancelled jobs are not announced (someone
-- chose to stop them); a retry that will run again is not a failure yet.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

-- ---------------------------------------------------------------------------------------------
-- 1. Preferences.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE examq_notification_preferences (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid UNIQUE,
  role_name     text UNIQUE,
  email         text
                CONSTRAINT examq_notification_preferences_email_check
                CHECK (length(email) <= 254 AND email ~ '^[^@\s<>",;]+@[^@\s<>",;]+\.[^@\s<>",;]+$'),
  webhook_url   text
                CONSTRAINT examq_notification_preferences_webhook_url_check
                CHECK (length(webhook_url) <= 2048 AND webhook_url ~ '^https?://[^\s]+$'),
  on_completion boolean NOT NULL DEFAULT true,
  on_failure    boolean NOT NULL DEFAULT true,
  per           text NOT NULL DEFAULT 'batch'
                CONSTRAINT examq_notification_preferences_per_check CHECK (per IN ('batch', 'job')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT examq_notification_preferences_recipient_check CHECK (num_nonnulls(user_id, role_name) = 1),
  CONSTRAINT examq_notification_preferences_channel_check CHECK (num_nonnulls(email, webhook_url) >= 1)
);
COMMENT ON TABLE examq_notification_preferences IS
  'Who hears about settled jobs and batches, where (email, webhook_url) and when (on_completion, '
  'on_failure; per batch or per job). One row per Supabase user (user_id = created_by) or '
  'database login (role_name = the batch''s created_by_role).';
COMMENT ON COLUMN examq_notification_preferences.webhook_url IS
  'Receives a signed JSON POST (docs/notifications.md); the worker applies the URL-fetching '
  'address policy to it, so private and loopback addresses are refused unless allowed.';

ALTER TABLE examq_notification_preferences ENABLE ROW LEVEL SECURITY;
CREATE POLICY examq_notification_preferences_admin_all ON examq_notification_preferences TO PUBLIC
  USING ((SELECT examq_is_admin())) WITH CHECK ((SELECT examq_is_admin()));
-- A signed-in Supabase user: their own row only, and only about themselves.
CREATE POLICY examq_notification_preferences_self ON examq_notification_preferences TO PUBLIC
  USING (user_id IS NOT NULL AND user_id = (SELECT examq_request_user_id()))
  WITH CHECK (user_id IS NOT NULL AND user_id = (SELECT examq_request_user_id()) AND role_name IS NULL);
REVOKE ALL ON examq_notification_preferences FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON examq_notification_preferences TO examq_admin;
GRANT SELECT ON examq_notification_preferences TO examq_worker;
CREATE POLICY examq_notification_preferences_worker_select ON examq_notification_preferences
  FOR SELECT TO examq_worker USING (true);

-- ---------------------------------------------------------------------------------------------
-- 2. Enqueueing: one notify job per recipient and channel.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION examq_enqueue_notifications(event text, subject_id uuid, outcome text,
                                            user_id uuid, role_name text, per text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  made integer;
BEGIN
  INSERT INTO processing_jobs (job_type, priority, max_retries, batch_id, created_by, payload)
  SELECT 'notify', 10, 8, NULL, NULL,
         jsonb_build_object('event', event, event || '_id', subject_id, 'outcome', outcome,
                            'channel', c.channel, 'to', c.address, 'preference_id', p.id)
    FROM examq_notification_preferences AS p
   CROSS JOIN LATERAL (VALUES ('email', p.email), ('webhook', p.webhook_url)) AS c(channel, address)
   WHERE c.address IS NOT NULL
     AND ((p.user_id IS NOT NULL AND p.user_id = examq_enqueue_notifications.user_id)
          OR (p.role_name IS NOT NULL AND p.role_name = examq_enqueue_notifications.role_name))
     AND (CASE WHEN outcome = 'completed' THEN p.on_completion
               WHEN outcome = 'failed' THEN p.on_failure
               ELSE p.on_failure OR p.on_completion END)  -- completed_with_errors
     AND (examq_enqueue_notifications.per IS NULL OR p.per = examq_enqueue_notifications.per);
  GET DIAGNOSTICS made = ROW_COUNT;
  RETURN made;
END $$;
COMMENT ON FUNCTION examq_enqueue_notifications(text, uuid, text, uuid, text, text) IS
  'Internal (the settle triggers): inserts a notify job for each channel of each preference row '
  'of USER_ID or ROLE_NAME that wants OUTCOME (completed, failed, completed_with_errors) of EVENT '
  '(job or batch) SUBJECT_ID, among the rows with PER (batch or job; NULL: any). Returns how many.';

-- Per job: a job settles completed or failed.
CREATE FUNCTION processing_jobs_notify_settled() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  login text;
BEGIN
  IF NEW.batch_id IS NOT NULL THEN
    SELECT b.created_by_role INTO login FROM processing_job_batches AS b WHERE b.id = NEW.batch_id;
  END IF;
  -- In a batch: only the rows that asked for every job (batch rows hear at the batch's settle).
  PERFORM examq_enqueue_notifications('job', NEW.id, NEW.status, NEW.created_by, login,
                                      CASE WHEN NEW.batch_id IS NOT NULL THEN 'job' END);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION processing_jobs_notify_settled() IS
  'Trigger: a job (not a notify job) settled completed or failed: enqueue the notifications its '
  'creator asked for per job (or for any job outside a batch).';
CREATE TRIGGER processing_jobs_notify_settled AFTER UPDATE OF status ON processing_jobs
  FOR EACH ROW
  WHEN ((NEW.created_by IS NOT NULL OR NEW.batch_id IS NOT NULL)
        AND NEW.status IN ('completed', 'failed') AND NEW.status IS DISTINCT FROM OLD.status
        AND NEW.job_type <> 'notify')
  EXECUTE FUNCTION processing_jobs_notify_settled();

-- Per batch: at the moment 0010's trigger marks the batch settled (settled_at from NULL to a
-- time, once per settling, in the settle's transaction), so that logic stays in one place.
CREATE FUNCTION processing_job_batches_notify_settled() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM examq_enqueue_notifications(
    'batch', NEW.id,
    CASE WHEN EXISTS (SELECT 1 FROM processing_jobs AS p
                       WHERE p.batch_id = NEW.id AND p.status IN ('failed', 'cancelled'))
         THEN 'completed_with_errors' ELSE 'completed' END,
    NEW.created_by, NEW.created_by_role, 'batch');
  RETURN NULL;
END $$;
COMMENT ON FUNCTION processing_job_batches_notify_settled() IS
  'Trigger: a batch settled: enqueue the notifications its creator asked for per batch.';
CREATE TRIGGER processing_job_batches_notify_settled AFTER UPDATE OF settled_at ON processing_job_batches
  FOR EACH ROW WHEN (OLD.settled_at IS NULL AND NEW.settled_at IS NOT NULL)
  EXECUTE FUNCTION processing_job_batches_notify_settled();

-- ---------------------------------------------------------------------------------------------
-- 3. Privileges.
-- ---------------------------------------------------------------------------------------------
REVOKE EXECUTE ON FUNCTION examq_enqueue_notifications(text, uuid, text, uuid, text, text),
  processing_jobs_notify_settled(), processing_job_batches_notify_settled() FROM PUBLIC;
INSERT INTO examq_api_admin_relations (relation, privileges) VALUES
  ('examq_notification_preferences', 'SELECT, INSERT, UPDATE, DELETE');
SELECT examq_apply_api_role_privileges();
