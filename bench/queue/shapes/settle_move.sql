-- Complete them by moving them into the history table @HISTORY@.
WITH d AS (DELETE FROM @TABLE@ WHERE id = ANY (:ids::uuid[])
              AND status IS NOT DISTINCT FROM 'processing' RETURNING *)
INSERT INTO @HISTORY@ (id, job_type, status, priority, exam_paper_id, payload,
                       progress_percentage, current_step, result, error_message, retry_count,
                       max_retries, created_at, started_at, completed_at, updated_at, created_by,
                       error_details, attempts, run_at, locked_by, locked_until, lease_duration,
                       cancel_requested, batch_id)
SELECT id, job_type, 'completed', priority, exam_paper_id, payload, 100, 'Completed', NULL,
       error_message, retry_count, max_retries, created_at, started_at, now(), now(), created_by,
       error_details, attempts, run_at, locked_by, NULL, lease_duration, cancel_requested, batch_id
  FROM d;
