-- Claim up to 200 jobs as get_next_processing_jobs does (without its checks), keep their ids.
WITH c AS (UPDATE shapes.gone AS j SET status = 'processing', started_at = now(), locked_by = 'w1',
                  locked_until = now() + interval '60 s', lease_duration = interval '60 s',
                  attempts = j.attempts + 1, updated_at = now()
             FROM (SELECT id FROM shapes.gone WHERE status = 'pending' AND run_at <= now()
                    ORDER BY priority DESC, run_at, id LIMIT 200 FOR UPDATE SKIP LOCKED) AS n
            WHERE j.id = n.id RETURNING j.id)
SELECT coalesce(array_agg(id), '{}')::text AS ids FROM c \gset
-- Complete them by deleting them, as graphile-worker does.
DELETE FROM shapes.gone WHERE id = ANY (:ids::uuid[]) AND status IS NOT DISTINCT FROM 'processing';
