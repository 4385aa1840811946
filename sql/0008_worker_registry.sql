-- 0008 the worker registry: workers you can see (issue 20).
--
-- Until now the only trace of a worker was locked_by on the jobs it held: an idle worker was
-- invisible, `examq status` guessed from running jobs, and a job whose type no worker runs
-- waited in silence. Now every worker has a row in examq_workers: it registers at start (host,
-- pid, version, job types, concurrency, lease), heartbeats once per lease-renewal round (a third
-- of its lease), and marks itself stopped on a clean shutdown. One that stops heartbeating (a
-- kill -9, a lost machine) is "lost" once it has not been seen for examq.worker_timeout (or
-- three of its heartbeat intervals, when that is longer). Rows gone for examq.worker_retention
-- are deleted by the next registration.
--
-- Admins read the registry (examq_worker_status, examq_live_workers); workers write only their
-- own row, through the functions, and only as the login that registered it.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

-- ---------------------------------------------------------------------------------------------
-- 1. The table.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE examq_workers (
  worker_id          text PRIMARY KEY,
  host               text NOT NULL,
  pid                integer NOT NULL,
  version            text NOT NULL,
  job_types          text[],
  concurrency        integer NOT NULL,
  lease              interval NOT NULL,
  heartbeat_interval interval NOT NULL,
  db_user            text NOT NULL DEFAULT session_user,
  started_at         timestamptz NOT NULL DEFAULT now(),
  last_seen_at       timestamptz NOT NULL DEFAULT now(),
  stopped_at         timestamptz
);
COMMENT ON TABLE examq_workers IS
  'The worker registry: one row per examq worker (examq_register_worker), live while it '
  'heartbeats. Read it through examq_worker_status or examq_live_workers.';
COMMENT ON COLUMN examq_workers.job_types IS 'The job types it claims; NULL: every type.';
COMMENT ON COLUMN examq_workers.lease IS 'The lease it asks for on every claim.';
COMMENT ON COLUMN examq_workers.heartbeat_interval IS 'How often it heartbeats (a third of its lease).';
COMMENT ON COLUMN examq_workers.db_user IS 'The login that registered it; only that login may heartbeat or stop it.';
COMMENT ON COLUMN examq_workers.stopped_at IS 'Set by examq_deregister_worker (a clean shutdown); NULL while it runs.';

-- Lost workers are found by last_seen_at, stale ones deleted by it.
CREATE INDEX examq_workers_last_seen_idx ON examq_workers (last_seen_at);

ALTER TABLE examq_workers ENABLE ROW LEVEL SECURITY;
CREATE POLICY examq_workers_admin_select ON examq_workers FOR SELECT TO PUBLIC
  USING ((SELECT examq_is_admin()));
REVOKE ALL ON examq_workers FROM PUBLIC;
GRANT SELECT ON examq_workers TO examq_admin;

-- ---------------------------------------------------------------------------------------------
-- 2. What admins read.
-- ---------------------------------------------------------------------------------------------
-- Through the caller's row-level security (security_invoker), like processing_job_stats.
CREATE VIEW examq_worker_status WITH (security_invoker = true) AS
SELECT w.worker_id,
       CASE WHEN w.stopped_at IS NOT NULL THEN 'stopped'
            WHEN w.last_seen_at >= now() - greatest(examq_setting_interval('examq.worker_timeout', '2 minutes'),
                                                    3 * w.heartbeat_interval) THEN 'live'
            ELSE 'lost' END AS state,
       w.host, w.pid, w.version, w.job_types, w.concurrency,
       coalesce(h.held_jobs, 0) AS held_jobs,
       coalesce(h.job_ids, '{}') AS job_ids,
       w.lease, w.heartbeat_interval, w.db_user, w.started_at, w.last_seen_at, w.stopped_at
  FROM examq_workers AS w
  LEFT JOIN (SELECT p.locked_by, count(*)::integer AS held_jobs,
                    array_agg(p.id ORDER BY p.started_at, p.id) AS job_ids
               FROM processing_jobs AS p
              WHERE p.status = 'processing'
              GROUP BY p.locked_by) AS h ON h.locked_by = w.worker_id;
COMMENT ON VIEW examq_worker_status IS
  'Every registered worker with its state: live (seen within examq.worker_timeout, default 2 '
  'minutes, or three heartbeat intervals when longer), lost (not seen since) or stopped (shut '
  'down cleanly), and the jobs it holds now (held_jobs, job_ids: processing, locked_by it). '
  'Reads through the caller''s row-level security: admins only.';

CREATE VIEW examq_live_workers WITH (security_invoker = true) AS
SELECT * FROM examq_worker_status WHERE state = 'live';
COMMENT ON VIEW examq_live_workers IS
  'The live workers of examq_worker_status: those that claim jobs now, idle or busy.';

REVOKE ALL ON examq_worker_status, examq_live_workers FROM PUBLIC;
GRANT SELECT ON examq_worker_status, examq_live_workers TO examq_admin;

-- ---------------------------------------------------------------------------------------------
-- 3. What workers call. SECURITY DEFINER: workers have no privilege on the table itself.
-- ---------------------------------------------------------------------------------------------
-- Raises 22023 unless WORKER_ID is given and within examq.max_worker_id_length.
CREATE FUNCTION examq_check_worker_id(worker_id text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF worker_id IS NULL OR worker_id = '' THEN
    RAISE EXCEPTION 'worker_id is required' USING ERRCODE = '22023';
  END IF;
  IF char_length(worker_id) > examq_setting_int('examq.max_worker_id_length', 200) THEN
    RAISE EXCEPTION 'worker_id is % characters; the limit is % (examq.max_worker_id_length)',
                    char_length(worker_id), examq_setting_int('examq.max_worker_id_length', 200)
      USING ERRCODE = '22023';
  END IF;
END $$;
COMMENT ON FUNCTION examq_check_worker_id(text) IS
  'Internal: 22023 when WORKER_ID is missing, empty or longer than examq.max_worker_id_length.';
REVOKE ALL ON FUNCTION examq_check_worker_id(text) FROM PUBLIC;

CREATE FUNCTION examq_register_worker(worker_id text, host text, pid integer, version text,
                                      job_types text[], concurrency integer, lease interval,
                                      heartbeat_interval interval)
RETURNS examq_workers
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  w examq_workers;
  max_lease constant interval := examq_setting_interval('examq.max_lease', '1 hour');
  timeout constant interval := examq_setting_interval('examq.worker_timeout', '2 minutes');
  retention constant interval := examq_setting_interval('examq.worker_retention', '1 day');
  p_worker_id constant text := examq_register_worker.worker_id;
  p_types constant text[] := examq_register_worker.job_types;
  p_lease constant interval := examq_register_worker.lease;
  p_interval constant interval := examq_register_worker.heartbeat_interval;
BEGIN
  PERFORM examq_check_worker_id(p_worker_id);
  IF host IS NULL OR char_length(host) NOT BETWEEN 1 AND 255 THEN
    RAISE EXCEPTION 'host must be 1 to 255 characters' USING ERRCODE = '22023';
  END IF;
  IF pid IS NULL OR pid < 1 THEN
    RAISE EXCEPTION 'pid must be positive (got %)', coalesce(pid::text, 'null') USING ERRCODE = '22023';
  END IF;
  IF version IS NULL OR char_length(version) NOT BETWEEN 1 AND 100 THEN
    RAISE EXCEPTION 'version must be 1 to 100 characters' USING ERRCODE = '22023';
  END IF;
  -- NULL claims every type; an empty list would claim none, which no worker does.
  IF cardinality(p_types) NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION 'job_types must be NULL (every type) or 1 to 1000 types (got %)', cardinality(p_types)
      USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(p_types) AS t(name)
              WHERE t.name IS NULL OR NOT (t.name ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' AND char_length(t.name) <= 100)) THEN
    RAISE EXCEPTION 'job_types has an invalid job type (1 to 100 of A-Za-z0-9_.:-)' USING ERRCODE = '22023';
  END IF;
  IF concurrency IS NULL OR concurrency NOT BETWEEN 1 AND 10000 THEN
    RAISE EXCEPTION 'concurrency must be between 1 and 10000 (got %)', coalesce(concurrency::text, 'null')
      USING ERRCODE = '22023';
  END IF;
  IF p_lease IS NULL OR p_lease <= interval '0' OR p_lease > max_lease THEN
    RAISE EXCEPTION 'lease must be positive and at most % (examq.max_lease); got %', max_lease, p_lease
      USING ERRCODE = '22023';
  END IF;
  IF p_interval IS NULL OR p_interval <= interval '0' OR p_interval > p_lease THEN
    RAISE EXCEPTION 'heartbeat_interval must be positive and at most the lease; got %', p_interval
      USING ERRCODE = '22023';
  END IF;

  -- Workers gone longer than the retention (and not live by any measure) are forgotten here:
  -- registrations are rare, so this costs nothing on the hot path.
  DELETE FROM examq_workers AS o
   WHERE o.last_seen_at < now() - greatest(retention, timeout, 3 * o.heartbeat_interval)
     AND o.worker_id <> p_worker_id;

  INSERT INTO examq_workers AS o (worker_id, host, pid, version, job_types, concurrency, lease,
                                  heartbeat_interval, db_user, started_at, last_seen_at, stopped_at)
  VALUES (p_worker_id, examq_register_worker.host, examq_register_worker.pid,
          examq_register_worker.version, p_types, examq_register_worker.concurrency, p_lease,
          p_interval, session_user, now(), now(), NULL)
  ON CONFLICT ON CONSTRAINT examq_workers_pkey DO UPDATE SET
    host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version,
    job_types = EXCLUDED.job_types, concurrency = EXCLUDED.concurrency, lease = EXCLUDED.lease,
    heartbeat_interval = EXCLUDED.heartbeat_interval, db_user = EXCLUDED.db_user,
    started_at = now(), last_seen_at = now(), stopped_at = NULL
  -- A live worker of another login keeps its name: a second worker must not take it over.
  WHERE o.db_user = EXCLUDED.db_user OR o.stopped_at IS NOT NULL
     OR o.last_seen_at < now() - greatest(timeout, 3 * o.heartbeat_interval)
  RETURNING o.* INTO w;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'worker_id % is registered by another login and is still live', p_worker_id
      USING ERRCODE = '55000',
            HINT = 'Give each worker its own --worker-id, or wait until the other one stops or is lost.';
  END IF;
  PERFORM pg_notify('examq_workers_changes', '{"op": "register"}');
  RETURN w;
END $$;
COMMENT ON FUNCTION examq_register_worker(text, text, integer, text, text[], integer, interval, interval) IS
  'A worker starting: records (or replaces) its row with HOST, PID, VERSION, the JOB_TYPES it '
  'claims (NULL: every type), CONCURRENCY, LEASE and HEARTBEAT_INTERVAL (at most the lease), '
  'started and seen now, as the calling login. Refuses bad input (22023) and a WORKER_ID still '
  'live under another login (55000). Deletes workers not seen for examq.worker_retention '
  '(default 1 day). Notifies examq_workers_changes. Returns the row.';

CREATE FUNCTION examq_worker_heartbeat(worker_id text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM examq_check_worker_id(examq_worker_heartbeat.worker_id);
  UPDATE examq_workers AS w SET last_seen_at = now()
   WHERE w.worker_id = examq_worker_heartbeat.worker_id
     AND w.stopped_at IS NULL AND w.db_user = session_user;
  RETURN FOUND;
END $$;
COMMENT ON FUNCTION examq_worker_heartbeat(text) IS
  'A running worker is still there: its last_seen_at becomes now (a lost worker is live again). '
  'Returns false when no running worker of that name was registered by this login (stopped, '
  'deleted as stale, or never registered): the worker should call examq_register_worker again. '
  '22023 for a missing or too long WORKER_ID. Sends no notification.';

CREATE FUNCTION examq_deregister_worker(worker_id text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM examq_check_worker_id(examq_deregister_worker.worker_id);
  UPDATE examq_workers AS w SET stopped_at = now(), last_seen_at = now()
   WHERE w.worker_id = examq_deregister_worker.worker_id
     AND w.stopped_at IS NULL AND w.db_user = session_user;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM pg_notify('examq_workers_changes', '{"op": "deregister"}');
  RETURN true;
END $$;
COMMENT ON FUNCTION examq_deregister_worker(text) IS
  'A worker shutting down cleanly: marks its row stopped (kept until examq.worker_retention '
  'passes, for examq_worker_status). Returns false when no running worker of that name was '
  'registered by this login. 22023 for a missing or too long WORKER_ID. Notifies '
  'examq_workers_changes.';

REVOKE ALL ON FUNCTION
  examq_register_worker(text, text, integer, text, text[], integer, interval, interval),
  examq_worker_heartbeat(text),
  examq_deregister_worker(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  examq_register_worker(text, text, integer, text, text[], integer, interval, interval),
  examq_worker_heartbeat(text),
  examq_deregister_worker(text)
TO examq_worker;

-- ---------------------------------------------------------------------------------------------
-- 4. Supabase's API roles: the registry as processing_jobs is, readable by an admin's set
--    (authenticated through row-level security, so an admin JWT only; service_role, which
--    bypasses it), nothing for anon; the worker functions for none of them.
-- ---------------------------------------------------------------------------------------------
-- 0004's examq_apply_api_role_privileges() names the relations it revokes: the relations are
-- data from here on, as the admin functions already are. A later migration adding one inserts
-- a row and calls examq_apply_api_role_privileges().
CREATE TABLE examq_api_admin_relations (
  relation   text PRIMARY KEY,
  privileges text NOT NULL CHECK (privileges IN ('SELECT'))
);
COMMENT ON TABLE examq_api_admin_relations IS
  'Relations (since 0008) on which examq_apply_api_role_privileges() revokes everything from '
  'Supabase''s API roles, then grants PRIVILEGES to authenticated and service_role.';
REVOKE ALL ON examq_api_admin_relations FROM PUBLIC;
INSERT INTO examq_api_admin_relations (relation, privileges) VALUES
  ('examq_workers', 'SELECT'), ('examq_worker_status', 'SELECT'), ('examq_live_workers', 'SELECT');

-- 0004's body stays as it is, under another name, and runs first.
ALTER FUNCTION examq_apply_api_role_privileges() RENAME TO examq_apply_api_role_privileges_0004;
COMMENT ON FUNCTION examq_apply_api_role_privileges_0004() IS
  'Internal: 0004''s examq_apply_api_role_privileges() (the relations it names, and the admin '
  'functions); the current one calls it first.';

CREATE FUNCTION examq_apply_api_role_privileges() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r text;
  a examq_api_admin_relations;
BEGIN
  PERFORM examq_apply_api_role_privileges_0004();
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
    EXECUTE format('REVOKE ALL ON TABLE examq_api_admin_relations FROM %I', r);
    FOR a IN SELECT * FROM examq_api_admin_relations WHERE to_regclass(relation) IS NOT NULL LOOP
      EXECUTE format('REVOKE ALL ON TABLE %s FROM %I', a.relation::regclass, r);
      CONTINUE WHEN r = 'anon';
      EXECUTE format('GRANT %s ON TABLE %s TO %I', a.privileges, a.relation::regclass, r);
    END LOOP;
  END LOOP;
END $$;
COMMENT ON FUNCTION examq_apply_api_role_privileges() IS
  'Revokes every privilege Supabase''s API roles (anon, authenticated, service_role) have on '
  'examq''s tables and functions, whatever default privileges gave them, then grants '
  'authenticated and service_role an admin''s set (the functions in examq_api_admin_functions, '
  'the relations in examq_api_admin_relations; docs/security.md). anon gets nothing. Every '
  'migration calls it last; run it again after changing default privileges.';
REVOKE EXECUTE ON FUNCTION examq_apply_api_role_privileges() FROM PUBLIC;

SELECT examq_apply_api_role_privileges();
