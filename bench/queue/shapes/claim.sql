-- Claim up to 200 jobs as get_next_processing_jobs does (without its checks), keep their ids.
-- @CLAIMABLE@ is the shape's claim-index predicate; @CLAIMED@ restricts the outer UPDATE to the
-- claimable rows' part of the table (a partition), or is true.
WITH c AS (UPDATE @TABLE@ AS j SET status = 'processing', started_at = now(), locked_by = 'w1',
                  locked_until = now() + interval '60 s', lease_duration = interval '60 s',
                  attempts = j.attempts + 1, updated_at = now()
             FROM (SELECT id FROM @TABLE@ WHERE @CLAIMABLE@ AND run_at <= now()
                    ORDER BY priority DESC, run_at, id LIMIT 200 FOR UPDATE SKIP LOCKED) AS n
            WHERE j.id = n.id AND @CLAIMED@ RETURNING j.id)
SELECT coalesce(array_agg(id), '{}')::text AS ids FROM c \gset
