-- 0016: snoozes are counted and carry details.
--
-- snooze_processing_job gains a 6th argument, details jsonb (default NULL): an object merged
-- into error_details together with the reason (a worker puts the provider's message and the
-- tokens spent so far there). Every snooze also counts itself in error_details:
--   snoozes          how many times the job was snoozed since its last failure or claim reset
--   snoozed_seconds  the total of the delays asked for (seconds, numeric)
-- so a worker can stop snoozing a job past a budget (EXAMQ_AI_MAX_SNOOZES /
-- EXAMQ_AI_MAX_SNOOZE_TIME) and fail it instead. fail_processing_job replaces error_details, so
-- a failure (a used retry) starts a new count: the budget is per retry.
-- The 5-argument signature is replaced; calls with 5 arguments (positional or named) still
-- resolve to the new one through the default.

DROP FUNCTION snooze_processing_job(uuid, interval, text, text, integer);
CREATE FUNCTION snooze_processing_job(job_id uuid, delay interval, reason text DEFAULT NULL,
                                      worker_id text DEFAULT NULL, attempt integer DEFAULT NULL,
                                      details jsonb DEFAULT NULL)
RETURNS processing_jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  j processing_jobs;
  extra jsonb := snooze_processing_job.details;
BEGIN
  PERFORM examq_check_holder(snooze_processing_job.worker_id, snooze_processing_job.attempt);
  IF delay IS NULL OR delay < interval '0'
     OR delay > examq_setting_interval('examq.max_snooze', '7 days') THEN
    RAISE EXCEPTION 'delay must be between 0 and % (examq.max_snooze); got %',
                    examq_setting_interval('examq.max_snooze', '7 days'), delay
      USING ERRCODE = '22023';
  END IF;
  IF extra IS NOT NULL AND jsonb_typeof(extra) <> 'object' THEN
    RAISE EXCEPTION 'details must be a JSON object or NULL; got %', jsonb_typeof(extra)
      USING ERRCODE = '22023';
  END IF;
  IF pg_column_size(extra) > examq_setting_int('examq.max_error_details_bytes', 65536) THEN
    extra := jsonb_build_object('truncated', true, 'bytes', pg_column_size(extra));
  END IF;
  -- The reason (often a provider's rate-limit text) is kept in error_details, not in
  -- current_step, which every LISTENer receives. The counters are ours: details cannot set them.
  UPDATE processing_jobs AS p SET
    status = 'pending',
    run_at = now() + delay,
    progress_percentage = 0,
    current_step = 'Snoozed',
    error_details = (CASE WHEN jsonb_typeof(p.error_details) = 'object' THEN p.error_details ELSE '{}'::jsonb END)
                    || coalesce(extra, '{}'::jsonb)
                    || CASE WHEN reason IS NULL THEN '{}'::jsonb
                            ELSE jsonb_build_object('snooze_reason',
                                   left(reason, examq_setting_int('examq.max_step_length', 500)::integer)) END
                    || jsonb_build_object(
                         'snoozes',
                         CASE WHEN jsonb_typeof(p.error_details -> 'snoozes') = 'number'
                              THEN (p.error_details ->> 'snoozes')::numeric ELSE 0 END + 1,
                         'snoozed_seconds',
                         CASE WHEN jsonb_typeof(p.error_details -> 'snoozed_seconds') = 'number'
                              THEN (p.error_details ->> 'snoozed_seconds')::numeric ELSE 0 END
                           + round(extract(epoch FROM delay)::numeric, 3)),
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
COMMENT ON FUNCTION snooze_processing_job(uuid, interval, text, text, integer, jsonb) IS
  'Puts a running job held by WORKER_ID in ATTEMPT back to pending with run_at = now() + DELAY '
  '(at most examq.max_snooze, default 7 days) without using a retry (for example while a '
  'provider rate-limits). The step reads "Snoozed". error_details (kept, made an object) gets '
  'DETAILS (an object, or NULL; 22023 otherwise; cut like fail_processing_job''s past '
  'examq.max_error_details_bytes), REASON as snooze_reason, and the counters snoozes (+1) and '
  'snoozed_seconds (+ DELAY), which a failure resets by replacing error_details.';

REVOKE EXECUTE ON FUNCTION snooze_processing_job(uuid, interval, text, text, integer, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION snooze_processing_job(uuid, interval, text, text, integer, jsonb) TO examq_worker;

SELECT examq_apply_api_role_privileges();
