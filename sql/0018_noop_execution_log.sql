-- 0018: an execution log for the noop handler, fenced by attempt.
--
-- The multi-host test (tests/cluster/multihost.sh) must prove that every job ran to completion
-- exactly once and that no stale attempt (a worker paused past its lease, a host cut off from
-- the database) left anything behind. A noop job whose payload says {"log_execution": true}
-- records its run in examq_noop_executions through examq_record_noop_execution(), which the
-- worker calls inside the completion transaction, just before complete_processing_job: the row
-- commits with the completion or not at all. The function writes only while the job is
-- processing, held by the caller's worker id in the caller's attempt (the row is locked until
-- the transaction ends, so no rescue slips in between); any other attempt gets 55000 and
-- writes nothing, as complete_processing_job would.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

CREATE TABLE examq_noop_executions (
  job_id uuid NOT NULL REFERENCES processing_jobs (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  worker_id text NOT NULL,
  executed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, attempt)
);
COMMENT ON TABLE examq_noop_executions IS
  'One row per noop job attempt that completed with {"log_execution": true} in its payload: the '
  'job, the attempt (processing_jobs.attempts when it ran), the worker id that held it and when. '
  'Written only by examq_record_noop_execution() in the completion transaction, so a row means '
  'that attempt completed the job. A diagnostic for tests (tests/cluster); deleted with its job.';
REVOKE ALL ON examq_noop_executions FROM PUBLIC;
GRANT SELECT ON examq_noop_executions TO examq_admin;

CREATE FUNCTION examq_record_noop_execution(job_id uuid, worker_id text, attempt integer)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
  PERFORM examq_check_holder(examq_record_noop_execution.worker_id, examq_record_noop_execution.attempt);
  -- Locks the job's row until the transaction ends: a rescue or another claim waits for the
  -- completion that follows in the same transaction.
  PERFORM 1 FROM processing_jobs AS p
   WHERE p.id = examq_record_noop_execution.job_id
     AND p.status = 'processing'
     AND p.job_type = 'noop'
     AND p.locked_by = examq_record_noop_execution.worker_id
     AND p.attempts = examq_record_noop_execution.attempt
     FOR UPDATE;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM processing_jobs AS p WHERE p.id = examq_record_noop_execution.job_id
                 AND p.job_type <> 'noop') THEN
      RAISE EXCEPTION 'processing job % is not a noop job', job_id USING ERRCODE = '22023';
    END IF;
    PERFORM processing_job_attempt_not_held(examq_record_noop_execution.job_id,
                                            examq_record_noop_execution.worker_id,
                                            examq_record_noop_execution.attempt);
  END IF;
  INSERT INTO examq_noop_executions (job_id, attempt, worker_id)
  VALUES (examq_record_noop_execution.job_id, examq_record_noop_execution.attempt,
          examq_record_noop_execution.worker_id);
END $$;
COMMENT ON FUNCTION examq_record_noop_execution(uuid, text, integer) IS
  'Records that WORKER_ID ran the noop job JOB_ID in ATTEMPT (a row of examq_noop_executions), '
  'only while the job is processing and held by WORKER_ID in that attempt; the job''s row stays '
  'locked until the transaction ends. The worker calls it in the completion transaction, just '
  'before complete_processing_job. Raises 55000 when the job is not processing or held by '
  'another worker or attempt (nothing is written), P0002 when unknown, 22023 for a job that is '
  'not noop or without WORKER_ID and ATTEMPT, 23505 when that attempt was already recorded.';

REVOKE ALL ON FUNCTION examq_record_noop_execution(uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION examq_record_noop_execution(uuid, text, integer) TO examq_worker;

INSERT INTO examq_api_admin_relations (relation, privileges) VALUES ('examq_noop_executions', '');

SELECT examq_apply_api_role_privileges();
