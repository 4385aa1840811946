-- The worker registry (sql/0008): register, heartbeat, deregister; live, lost and stopped; the
-- jobs a worker holds; stale rows forgotten; bounds; who may read and write it.
BEGIN;
SELECT plan(55);

\ir support/roles.psql
CREATE FUNCTION pg_temp.state(w text) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce((SELECT state FROM examq_worker_status WHERE worker_id = w), 'absent')
$$;
CREATE FUNCTION pg_temp.register(w text, types text[] DEFAULT NULL) RETURNS examq_workers LANGUAGE sql AS $$
  SELECT examq_register_worker(w, 'host-a', 4242, '0.1.0', types, 4, '60 seconds', '20 seconds')
$$;

CREATE ROLE w_admin IN ROLE examq_admin;
CREATE ROLE w_worker IN ROLE examq_worker;
CREATE ROLE w_other_worker IN ROLE examq_worker;
CREATE ROLE w_nobody;
GRANT SELECT ON examq_workers TO w_nobody;  -- a table grant alone shows no row (row-level security)

-- ---- the shape
SELECT has_table('examq_workers');
SELECT has_view('examq_worker_status');
SELECT has_view('examq_live_workers');
SELECT columns_are('examq_worker_status', ARRAY[
  'worker_id', 'state', 'host', 'pid', 'version', 'job_types', 'concurrency', 'held_jobs', 'job_ids',
  'lease', 'heartbeat_interval', 'db_user', 'started_at', 'last_seen_at', 'stopped_at']);

-- ---- register: a live, idle worker
SELECT is((pg_temp.register('w1', ARRAY['noop', 'process-exam-paper'])).host, 'host-a', 'register returns the row');
SELECT is((SELECT ROW(state, host, pid, version, job_types, concurrency, held_jobs, lease, heartbeat_interval,
                       db_user, stopped_at IS NULL)::text FROM examq_worker_status WHERE worker_id = 'w1'),
          ROW('live'::text, 'host-a'::text, 4242, '0.1.0'::text, ARRAY['noop', 'process-exam-paper'], 4, 0,
              '60 seconds'::interval, '20 seconds'::interval, session_user::text, true)::text,
              'a registered worker is live and idle, as the login that registered it');
SELECT is((SELECT count(*)::int FROM examq_live_workers WHERE worker_id = 'w1'), 1, 'and listed as live');
SELECT is((pg_temp.register('w-any')).job_types, NULL, 'job_types NULL: every type');

-- ---- the jobs it holds
INSERT INTO processing_jobs (id, job_type, status, started_at, completed_at, locked_by, locked_until, attempts) VALUES
  ('00000000-0000-0000-0000-0000000000a1', 'noop', 'processing', now() - interval '2 seconds', NULL, 'w1', now() + interval '1 minute', 1),
  ('00000000-0000-0000-0000-0000000000a2', 'noop', 'processing', now() - interval '1 second', NULL, 'w1', now() + interval '1 minute', 1),
  ('00000000-0000-0000-0000-0000000000a3', 'noop', 'completed', now(), now(), 'w1', NULL, 1);
SELECT is((SELECT ROW(held_jobs, job_ids)::text FROM examq_worker_status WHERE worker_id = 'w1'),
          ROW(2, ARRAY['00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2']::uuid[])::text,
              'held_jobs and job_ids: its processing jobs, oldest first (not the finished one)');

-- ---- heartbeat, lost, live again
UPDATE examq_workers SET last_seen_at = now() - interval '10 minutes' WHERE worker_id = 'w1';
SELECT is(pg_temp.state('w1'), 'lost', 'not seen for 10 minutes: lost (examq.worker_timeout 2 minutes)');
SELECT is((SELECT count(*)::int FROM examq_live_workers WHERE worker_id = 'w1'), 0, 'and not live');
SET LOCAL examq.worker_timeout = '1 hour';
SELECT is(pg_temp.state('w1'), 'live', 'examq.worker_timeout = 1 hour: live again');
RESET examq.worker_timeout;
UPDATE examq_workers SET heartbeat_interval = '5 minutes', lease = '15 minutes' WHERE worker_id = 'w1';
SELECT is(pg_temp.state('w1'), 'live', 'a worker that beats every 5 minutes is live for three of them');
UPDATE examq_workers SET heartbeat_interval = '20 seconds', lease = '60 seconds' WHERE worker_id = 'w1';
SELECT is(examq_worker_heartbeat('w1'), true, 'heartbeat: true for a registered worker');
SELECT is(pg_temp.state('w1'), 'live', 'a heartbeat brings a lost worker back');
SELECT ok((SELECT last_seen_at = now() FROM examq_workers WHERE worker_id = 'w1'), 'last_seen_at is now');
SELECT is(examq_worker_heartbeat('w-unknown'), false, 'heartbeat: false for an unknown worker (it registers again)');

-- ---- registering again replaces the row
UPDATE examq_workers SET started_at = now() - interval '1 day', last_seen_at = now() - interval '1 hour' WHERE worker_id = 'w-any';
SELECT is((SELECT (pg_temp.register('w-any', ARRAY['noop'])).job_types), ARRAY['noop'], 'a restart under the same name replaces the row');
SELECT ok((SELECT started_at = now() AND state = 'live' FROM examq_worker_status WHERE worker_id = 'w-any'),
          'started and seen now');
SELECT is((SELECT count(*)::int FROM examq_workers WHERE worker_id = 'w-any'), 1, 'one row per worker_id');

-- ---- deregister
SELECT is(examq_deregister_worker('w-any'), true, 'deregister: true');
SELECT is(pg_temp.state('w-any'), 'stopped', 'a deregistered worker is stopped ...');
SELECT is((SELECT count(*)::int FROM examq_live_workers WHERE worker_id = 'w-any'), 0, '... and not live');
SELECT is(examq_worker_heartbeat('w-any'), false, 'a stopped worker''s heartbeat is refused (false)');
SELECT is(examq_deregister_worker('w-any'), false, 'deregistering twice: false');
SELECT is((pg_temp.register('w-any')).stopped_at, NULL, 'registering a stopped name starts it again');

-- ---- stale rows are forgotten by the next registration, recent ones kept
DO $$ BEGIN PERFORM pg_temp.register('w-old'); PERFORM pg_temp.register('w-gone'); END $$;
UPDATE examq_workers SET last_seen_at = now() - interval '2 days' WHERE worker_id = 'w-old';
UPDATE examq_workers SET last_seen_at = now() - interval '2 hours', stopped_at = now() - interval '2 hours' WHERE worker_id = 'w-gone';
DO $$ BEGIN PERFORM pg_temp.register('w-new'); END $$;
SELECT is(pg_temp.state('w-old'), 'absent', 'a worker not seen for 2 days is deleted (examq.worker_retention 1 day)');
SELECT is(pg_temp.state('w-gone'), 'stopped', 'one stopped 2 hours ago is kept');
SET LOCAL examq.worker_retention = '1 hour';
DO $$ BEGIN PERFORM pg_temp.register('w-new'); END $$;
SELECT is(pg_temp.state('w-gone'), 'absent', 'examq.worker_retention = 1 hour: deleted too');
RESET examq.worker_retention;
SELECT is(pg_temp.state('w1'), 'live', 'live workers are never deleted');

-- ---- bounds
SELECT throws_ok($$SELECT examq_register_worker(NULL, 'h', 1, 'v', NULL, 1, '60s', '20s')$$, '22023', NULL, 'register: worker_id is required');
SELECT throws_ok($$SELECT examq_register_worker('', 'h', 1, 'v', NULL, 1, '60s', '20s')$$, '22023', NULL, 'register: an empty worker_id is refused');
SET LOCAL examq.max_worker_id_length = 10;
SELECT throws_ok($$SELECT examq_register_worker('elevenchars', 'h', 1, 'v', NULL, 1, '60s', '20s')$$, '22023', NULL,
                 'register: a worker_id over examq.max_worker_id_length is refused');
SELECT throws_ok($$SELECT examq_worker_heartbeat('elevenchars')$$, '22023', NULL, 'heartbeat: the same limit');
RESET examq.max_worker_id_length;
SELECT throws_ok($$SELECT examq_register_worker('w', repeat('h', 256), 1, 'v', NULL, 1, '60s', '20s')$$, '22023', NULL, 'register: a host over 255 characters is refused');
SELECT throws_ok($$SELECT examq_register_worker('w', 'h', 0, 'v', NULL, 1, '60s', '20s')$$, '22023', NULL, 'register: pid 0 is refused');
SELECT throws_ok($$SELECT examq_register_worker('w', 'h', 1, repeat('v', 101), NULL, 1, '60s', '20s')$$, '22023', NULL, 'register: a version over 100 characters is refused');
SELECT throws_ok($$SELECT examq_register_worker('w', 'h', 1, 'v', '{}', 1, '60s', '20s')$$, '22023', NULL, 'register: an empty job_types is refused (NULL means every type)');
SELECT throws_ok($$SELECT examq_register_worker('w', 'h', 1, 'v', ARRAY['noop', NULL], 1, '60s', '20s')$$, '22023', NULL, 'register: a NULL job type is refused');
SELECT throws_ok($$SELECT examq_register_worker('w', 'h', 1, 'v', ARRAY['-noop'], 1, '60s', '20s')$$, '22023', NULL, 'register: an invalid job type is refused');
SELECT throws_ok($$SELECT examq_register_worker('w', 'h', 1, 'v', NULL, 0, '60s', '20s')$$, '22023', NULL, 'register: concurrency 0 is refused');
SELECT throws_ok($$SELECT examq_register_worker('w', 'h', 1, 'v', NULL, 1, '2 hours', '20s')$$, '22023', NULL, 'register: a lease over examq.max_lease is refused');
SELECT throws_ok($$SELECT examq_register_worker('w', 'h', 1, 'v', NULL, 1, '60s', '2 minutes')$$, '22023', NULL, 'register: a heartbeat interval longer than the lease is refused');
SELECT throws_ok($$SELECT examq_deregister_worker(NULL)$$, '22023', NULL, 'deregister: worker_id is required');

-- ---- logins: a worker's row is its login's
SELECT is(pg_temp.as_login('w_worker', $$SELECT (examq_register_worker('w-login', 'h', 1, 'v', NULL, 1, '60s', '20s')).db_user$$),
          'w_worker', 'a worker login registers itself');
SELECT is(pg_temp.as_login('w_other_worker', $$SELECT examq_register_worker('w-login', 'h', 2, 'v', NULL, 1, '60s', '20s')$$),
          '55000', 'another login cannot take over a live worker''s name');
SELECT is(pg_temp.as_login('w_other_worker', $$SELECT examq_worker_heartbeat('w-login')::text$$), 'false',
          'nor heartbeat it ...');
SELECT is(pg_temp.as_login('w_other_worker', $$SELECT examq_deregister_worker('w-login')::text$$), 'false',
          '... nor stop it');
UPDATE examq_workers SET last_seen_at = now() - interval '10 minutes' WHERE worker_id = 'w-login';
SELECT is(pg_temp.as_login('w_other_worker', $$SELECT (examq_register_worker('w-login', 'h', 2, 'v', NULL, 1, '60s', '20s')).db_user$$),
          'w_other_worker', 'once it is lost, the name is free');

-- ---- who reads it
SELECT is(pg_temp.as_role('w_admin', $$SELECT * FROM examq_live_workers$$), 'ok', 'admins read the registry');
SELECT is(pg_temp.rows_as('w_admin', 'SELECT * FROM examq_worker_status'), (SELECT count(*) FROM examq_workers),
          'admins see every worker');
SELECT is(pg_temp.as_role('w_worker', $$SELECT * FROM examq_workers$$), '42501', 'workers may not read it');
SELECT is(pg_temp.rows_as('w_nobody', 'SELECT * FROM examq_workers'), 0::bigint,
          'a role with a table grant but not admin sees no row (row-level security)');
SELECT is(pg_temp.as_role('w_nobody', $$SELECT * FROM examq_worker_status$$), '42501', 'nor may it read the views');
SELECT is(pg_temp.as_role('w_admin', $$SELECT examq_worker_heartbeat('w1')$$), '42501', 'admins may not write it');

SELECT * FROM finish();
ROLLBACK;
