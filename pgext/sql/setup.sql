-- Loads the queue schema into the suite's database, adds the test helpers, and checks that the
-- worker is up in this database and, finding no cleanup on record, catches up at once.
\set ECHO none
\o /dev/null
\getenv sql_dir EXAMQ_SQL_DIR
\set install_sql :sql_dir '/install.sql'
\i :install_sql
\o
\set QUIET on
\set ECHO all
RESET client_min_messages;

CREATE EXTENSION examq_cleanup;

-- Polls until `condition` (a query returning one boolean) is true; fails clearly at the deadline.
CREATE FUNCTION test_wait_until(condition text, timeout interval DEFAULT '30 s') RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + timeout;
  ok boolean;
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();  -- pg_stat_activity is otherwise frozen per transaction
    EXECUTE condition INTO ok;
    IF ok THEN
      RETURN true;
    END IF;
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'timed out after % waiting until: %', timeout, condition;
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;

-- Polls until the run log has a run of `task` (and `reason`, unless NULL) that started after
-- `after`; returns the id of the first such run. The worker creates the run log: until then the
-- query fails (to_regclass would not do: its cached answer lasts the whole transaction).
CREATE FUNCTION test_wait_for_run(task text, reason text, after timestamptz,
                                  timeout interval DEFAULT '30 s') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + timeout;
  run_id bigint;
BEGIN
  LOOP
    BEGIN
      EXECUTE 'SELECT min(id) FROM public.examq_cleanup_runs
                WHERE task = $1 AND ($2::text IS NULL OR reason = $2) AND started_at > $3'
         INTO run_id USING task, reason, after;
    EXCEPTION WHEN undefined_table THEN
      run_id := NULL;
    END;
    IF run_id IS NOT NULL THEN
      RETURN run_id;
    END IF;
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'timed out after % waiting for a % run (reason %) started after %',
        timeout, task, coalesce(reason, 'any'), after;
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;

-- The worker: one process, of its own type, connected to this database.
SELECT test_wait_until($$
  SELECT EXISTS (SELECT FROM pg_stat_activity
                  WHERE backend_type = 'examq_cleanup' AND application_name = 'examq_cleanup'
                    AND datname = current_database())$$);
SELECT count(*) AS workers FROM pg_stat_activity WHERE backend_type = 'examq_cleanup';

-- A reload makes a worker that started before the schema look for it again at once.
SELECT pg_reload_conf();
SELECT test_wait_for_run('cleanup', 'catch-up', '-infinity') AS run \gset
SELECT task, reason, rows_affected, sqlstate, error, finished_at >= started_at AS ordered
  FROM examq_cleanup_runs WHERE id = :run;
