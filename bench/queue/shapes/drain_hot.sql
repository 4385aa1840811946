-- Claim up to 200 jobs as get_next_processing_jobs does (without its checks), keep their ids.
WITH c AS (UPDATE shapes.hot AS j SET status = 'processing', started_at = now(), locked_by = 'w1',
                  locked_until = now() + interval '60 s', lease_duration = interval '60 s',
                  attempts = j.attempts + 1, updated_at = now()
             FROM (SELECT id FROM shapes.hot WHERE lease_duration IS NULL AND run_at <= now()
                    ORDER BY priority DESC, run_at, id LIMIT 200 FOR UPDATE SKIP LOCKED) AS n
            WHERE j.id = n.id RETURNING j.id)
SELECT coalesce(array_agg(id), '{}')::text AS ids FROM c \gset
-- Complete them as complete_processing_jobs does: one UPDATE from the sorted ids.
UPDATE shapes.hot AS j SET status = 'completed', progress_percentage = 100, current_step = 'Completed',
       result = NULL, completed_at = now(), locked_until = NULL, updated_at = now()
  FROM (SELECT unnest(:ids::uuid[]) AS id ORDER BY 1) AS d
 WHERE j.id = d.id AND j.status IS NOT DISTINCT FROM 'processing';
