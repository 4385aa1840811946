-- 0006 job history over a chosen period.
--
-- processing_job_stats covers the last day and week. The web page's statistics (issue 16) and
-- anyone in psql want a period of their choosing and jobs per hour: processing_job_history()
-- answers that in one call, read through the caller's row-level security (SECURITY INVOKER), so
-- a caller sees the history of the jobs it may see and no other.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

CREATE FUNCTION processing_job_history(since timestamptz, until timestamptz, job_type text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  out jsonb;
BEGIN
  IF since IS NULL OR until IS NULL OR until <= since THEN
    RAISE EXCEPTION 'the period must have a start before its end' USING ERRCODE = '22023';
  END IF;
  -- A month of hours at most: the answer stays small enough for a page to draw.
  IF until - since > interval '31 days' THEN
    RAISE EXCEPTION 'the period is longer than 31 days' USING ERRCODE = '22023',
      HINT = 'Use processing_job_stats for totals, or several calls.';
  END IF;
  WITH j AS MATERIALIZED (
    SELECT p.job_type, p.status, p.created_at, p.started_at, p.completed_at, p.retry_count
      FROM processing_jobs AS p
     WHERE p.created_at >= since AND p.created_at < until
       AND (processing_job_history.job_type IS NULL OR p.job_type = processing_job_history.job_type)
  )
  SELECT jsonb_build_object(
    'since', since, 'until', until,
    -- Jobs created in each hour, by what became of them (hours without jobs are left out).
    'hours', (SELECT coalesce(jsonb_agg(h ORDER BY h.hour), '[]'::jsonb) FROM (
               SELECT date_trunc('hour', j.created_at) AS hour, count(*) AS created,
                      count(*) FILTER (WHERE j.status = 'completed') AS completed,
                      count(*) FILTER (WHERE j.status = 'failed') AS failed,
                      count(*) FILTER (WHERE j.status = 'cancelled') AS cancelled,
                      count(*) FILTER (WHERE j.status IN ('pending', 'processing')) AS unfinished
                 FROM j GROUP BY 1) AS h),
    -- Per job type, and all types together (job_type null), as processing_job_stats counts.
    'types', (SELECT coalesce(jsonb_agg(t ORDER BY t.job_type NULLS FIRST), '[]'::jsonb) FROM (
               SELECT j.job_type, count(*) AS total,
                      count(*) FILTER (WHERE j.status = 'pending') AS pending,
                      count(*) FILTER (WHERE j.status = 'processing') AS processing,
                      count(*) FILTER (WHERE j.status = 'completed') AS completed,
                      count(*) FILTER (WHERE j.status = 'failed') AS failed,
                      count(*) FILTER (WHERE j.status = 'cancelled') AS cancelled,
                      round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM j.completed_at - j.started_at))
                             FILTER (WHERE j.status = 'completed'))::numeric, 3) AS median_seconds,
                      round((percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM j.completed_at - j.started_at))
                             FILTER (WHERE j.status = 'completed'))::numeric, 3) AS p95_seconds,
                      round(count(*) FILTER (WHERE j.status = 'failed')::numeric
                            / nullif(count(*) FILTER (WHERE j.status IN ('completed', 'failed')), 0), 4) AS failure_rate,
                      sum(j.retry_count) AS retries
                 FROM j GROUP BY GROUPING SETS ((j.job_type), ())
                HAVING count(*) > 0) AS t))
    INTO out;
  RETURN out;
END $$;
COMMENT ON FUNCTION processing_job_history(timestamptz, timestamptz, text) IS
  'Jobs created in [since, until) (at most 31 days), optionally of one type: {"hours": jobs per '
  'hour by outcome, "types": per type and for all types (job_type null) the counts by status, '
  'median and p95 run time in seconds, failure rate and retries}. Reads through the caller''s '
  'row-level security.';
REVOKE ALL ON FUNCTION processing_job_history(timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION processing_job_history(timestamptz, timestamptz, text) TO examq_admin;

-- Supabase: the API roles' admin set now includes the history (docs/security.md).
INSERT INTO examq_api_admin_functions (signature) VALUES ('processing_job_history(timestamptz, timestamptz, text)');
SELECT examq_apply_api_role_privileges();
