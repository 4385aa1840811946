-- Claim up to 200 jobs as get_next_processing_jobs does (without its checks), keep their ids.
WITH c AS (UPDATE shapes.lean AS j SET status = 'processing', started_at = now(), locked_by = 'w1',
                  locked_until = now() + interval '60 s', lease_duration = interval '60 s',
                  attempts = j.attempts + 1, updated_at = now()
             FROM (SELECT id FROM shapes.lean WHERE status = 'pending' AND run_at <= now()
                    ORDER BY priority DESC, run_at, id LIMIT 200 FOR UPDATE SKIP LOCKED) AS n
            WHERE j.id = n.id RETURNING j.id)
SELECT coalesce(array_agg(id), '{}')::text AS ids FROM c \gset
-- Complete them by moving them into the history table.
WITH d AS (DELETE FROM shapes.lean WHERE id = ANY (:ids::uuid[])
              AND status IS NOT DISTINCT FROM 'processing' RETURNING *)
INSERT INTO shapes.lean_history (id, job_type, status, priority, exam_paper_id, payload,
                            progress_percentage, current_step, result, error_message, retry_count,
                            max_retries, created_at, started_at, completed_at, updated_at,
                            created_by, error_details, attempts, run_at, locked_by, locked_until,
                            lease_duration, cancel_requested, batch_id)
SELECT id, job_type, 'completed', priority, exam_paper_id, payload, 100, 'Completed', NULL,
       error_message, retry_count, max_retries, created_at, started_at, now(), now(), created_by,
       error_details, attempts, run_at, locked_by, NULL, lease_duration, cancel_requested, batch_id
  FROM d;
