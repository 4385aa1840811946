-- A failing cleanup is rolled back, logged and recorded with its SQLSTATE; the same worker
-- process goes on and the next run succeeds.
SELECT pid AS worker_pid FROM pg_stat_activity WHERE backend_type = 'examq_cleanup' \gset

CREATE FUNCTION test_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'deleting jobs refused by the test' USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER test_refuse_delete BEFORE DELETE ON processing_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION test_refuse_delete();
INSERT INTO processing_jobs (job_type, status, created_at, completed_at)
VALUES ('old-again', 'completed', now() - interval '41 days', now() - interval '40 days');
SELECT clock_timestamp() AS t1 \gset

SELECT test_wait_for_run('cleanup', 'period', :'t1') AS run \gset
SELECT task, reason, rows_affected, sqlstate, error FROM examq_cleanup_runs WHERE id = :run;
SELECT count(*) AS still_there FROM processing_jobs WHERE job_type = 'old-again';

DROP TRIGGER test_refuse_delete ON processing_jobs;
SELECT clock_timestamp() AS t2 \gset
SELECT test_wait_for_run('cleanup', 'period', :'t2') AS run \gset
SELECT task, reason, sqlstate, error FROM examq_cleanup_runs WHERE id = :run;
SELECT count(*) AS still_there FROM processing_jobs WHERE job_type = 'old-again';
SELECT pid = :worker_pid AS same_worker FROM pg_stat_activity WHERE backend_type = 'examq_cleanup';
