-- 0011 the command line's lookups (issue 20): ids by unique prefix, a batch of submitted
-- papers, and estimates that use the paper's page count.
--
-- 1. examq_resolve_job_id / examq_resolve_exam_paper_id: `examq watch` prints 8-character ids;
--    every command that takes an id accepts such a prefix. Read-only and SECURITY INVOKER, so a
--    caller resolves only among the rows row-level security lets it see.
-- 2. submit_exam_paper with a batch and a page count: the jobs one `examq submit` creates join
--    one batch (0010's processing_job_batches, created by examq_begin_batch), which `examq jobs
--    --batch` filters on; the page count the submitter
--    read from the PDF is stored on the paper before the job is estimated (the worker replaces
--    it with its own reading), so a 23-page paper is no longer estimated as 10 pages.
-- 3. processing_job_estimated_seconds: the per-page rate only from completed jobs whose result
--    says how many pages they had (a job without the count counted as one page, so its whole
--    run time became a "per page" time).

-- ---------------------------------------------------------------------------------------------
-- 1. Ids by unique prefix.
-- ---------------------------------------------------------------------------------------------

-- The uuids a prefix covers, as a range: every hex digit given, then all 0s (LOW) or all fs
-- (HIGH). uuids compare as their bytes, the order of their hex text, so "id BETWEEN low AND
-- high" is a range scan of a primary key. Reads no table and is not SECURITY DEFINER, so PUBLIC
-- may run it: the lookups below run as their caller and need it.
CREATE FUNCTION examq_id_prefix_range(prefix text, what text, OUT low uuid, OUT high uuid)
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
DECLARE
  digits text := lower(replace(coalesce(btrim(prefix), ''), '-', ''));
BEGIN
  IF digits !~ '^[0-9a-f]{0,32}$' THEN
    RAISE EXCEPTION '% id "%" is not a uuid or a prefix of one (hex digits and dashes)', what, prefix
      USING ERRCODE = '22023';
  END IF;
  IF length(digits) < 4 THEN
    RAISE EXCEPTION '% id prefix "%" is too short: give at least 4 hex digits', what, prefix
      USING ERRCODE = '22023';
  END IF;
  low := rpad(digits, 32, '0')::uuid;
  high := rpad(digits, 32, 'f')::uuid;
END $$;
COMMENT ON FUNCTION examq_id_prefix_range(text, text) IS
  'The uuid range [LOW, HIGH] of the ids that start with PREFIX (4 to 32 hex digits, any case, '
  'dashes ignored); 22023 naming WHAT ("job", "exam paper") for anything else. For '
  'examq_resolve_job_id and examq_resolve_exam_paper_id.';

-- The error for a prefix that did not name one id: P0002 when CANDIDATES (the matches, at most
-- 11, each described) is empty, else 21000 listing up to 10 of them. Reads no table, like the
-- range above.
CREATE FUNCTION examq_id_prefix_unresolved(prefix text, what text, candidates text[]) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
BEGIN
  IF coalesce(cardinality(candidates), 0) = 0 THEN
    RAISE EXCEPTION 'no % %', what, prefix USING ERRCODE = 'P0002';
  END IF;
  RAISE EXCEPTION '% id prefix % is ambiguous: it matches % %', what, prefix,
    CASE WHEN cardinality(candidates) > 10 THEN format('more than 10 %ss, among them', what)
         ELSE format('%s %ss:', cardinality(candidates), what) END,
    array_to_string(candidates[1:10], ', ')
    USING ERRCODE = '21000', HINT = 'give more of the id';
END $$;
COMMENT ON FUNCTION examq_id_prefix_unresolved(text, text, text[]) IS
  'Raises the error of an id PREFIX of WHAT that matched no row (P0002) or several (21000, '
  'listing up to 10 of CANDIDATES). For examq_resolve_job_id and examq_resolve_exam_paper_id.';

-- Each lookup reads one more match than it lists, to know whether there are more.
CREATE FUNCTION examq_resolve_job_id(prefix text) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
  matches uuid[];
  described text[];
BEGIN
  SELECT array_agg(j.id ORDER BY j.id),
         array_agg(format('%s (%s, %s, %s)', j.id, j.job_type, j.status,
                          to_char(j.created_at, 'YYYY-MM-DD HH24:MI:SS')) ORDER BY j.id)
    INTO matches, described
    FROM examq_id_prefix_range(prefix, 'job') AS r,
         LATERAL (SELECT p.id, p.job_type, p.status, p.created_at FROM processing_jobs AS p
                   WHERE p.id BETWEEN r.low AND r.high ORDER BY p.id LIMIT 11) AS j;
  IF cardinality(matches) = 1 THEN
    RETURN matches[1];
  END IF;
  PERFORM examq_id_prefix_unresolved(prefix, 'job', described);
END $$;
COMMENT ON FUNCTION examq_resolve_job_id(text) IS
  'The id of the one job whose id starts with PREFIX (4 to 32 hex digits, dashes ignored; a '
  'whole uuid works too), among the jobs the caller may see (row-level security applies: '
  'SECURITY INVOKER). Raises P0002 when none matches, 21000 listing up to 10 candidates (id, '
  'type, status, created) when several do, 22023 for a prefix that is too short or not hex.';

CREATE FUNCTION examq_resolve_exam_paper_id(prefix text) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
  matches uuid[];
  described text[];
BEGIN
  SELECT array_agg(e.id ORDER BY e.id), array_agg(format('%s (%s)', e.id, e.title) ORDER BY e.id)
    INTO matches, described
    FROM examq_id_prefix_range(prefix, 'exam paper') AS r,
         LATERAL (SELECT p.id, p.title FROM exam_papers AS p
                   WHERE p.id BETWEEN r.low AND r.high ORDER BY p.id LIMIT 11) AS e;
  IF cardinality(matches) = 1 THEN
    RETURN matches[1];
  END IF;
  PERFORM examq_id_prefix_unresolved(prefix, 'exam paper', described);
END $$;
COMMENT ON FUNCTION examq_resolve_exam_paper_id(text) IS
  'The id of the one exam paper whose id starts with PREFIX, as examq_resolve_job_id does for '
  'jobs (row-level security applies; P0002 none, 21000 several with up to 10 listed with their '
  'titles, 22023 a bad prefix).';

REVOKE ALL ON FUNCTION examq_resolve_job_id(text), examq_resolve_exam_paper_id(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION examq_resolve_job_id(text), examq_resolve_exam_paper_id(text) TO examq_admin;

-- ---------------------------------------------------------------------------------------------
-- 2. A batch, and the page count, at submission.
-- ---------------------------------------------------------------------------------------------
-- A new overload rather than new defaulted parameters: the 7-argument function stays exactly as
-- documented (calls with 3 to 7 arguments still resolve to it alone), and this one has no
-- defaults, so no call is ambiguous.
CREATE FUNCTION submit_exam_paper(p_title text, p_filename text, p_pdf bytea, p_priority integer,
                                  p_syllabus_id uuid, p_insert_filename text, p_insert_pdf bytea,
                                  p_batch uuid, p_page_count integer)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  paper uuid;
  job jsonb;
  outer_batch text;
BEGIN
  PERFORM examq_assert_admin_caller();
  IF p_pdf IS NULL OR coalesce(p_filename, '') = '' THEN
    RAISE EXCEPTION 'a file name and PDF bytes are required' USING ERRCODE = '22023';
  END IF;
  IF (p_insert_pdf IS NULL) <> (p_insert_filename IS NULL) THEN
    RAISE EXCEPTION 'an insert needs both its file name and its bytes' USING ERRCODE = '22023';
  END IF;
  IF p_page_count IS NOT NULL AND p_page_count NOT BETWEEN 1 AND 100000 THEN
    RAISE EXCEPTION 'page count must be between 1 and 100000 (got %)', p_page_count USING ERRCODE = '22023';
  END IF;
  -- The submitter's count is what the estimate uses; the worker's set_exam_paper_metadata
  -- replaces it with what it read.
  INSERT INTO exam_papers (title, page_count)
  VALUES (coalesce(nullif(p_title, ''), p_filename), p_page_count) RETURNING id INTO paper;
  UPDATE exam_papers SET syllabus_id = p_syllabus_id WHERE id = paper AND p_syllabus_id IS NOT NULL;
  INSERT INTO exam_paper_files (exam_paper_id, kind, filename, data) VALUES (paper, 'paper', p_filename, p_pdf);
  IF p_insert_pdf IS NOT NULL THEN
    INSERT INTO exam_paper_files (exam_paper_id, kind, filename, data)
    VALUES (paper, 'insert', p_insert_filename, p_insert_pdf);
  END IF;
  IF p_batch IS NOT NULL THEN
    -- The job joins the batch through batch_id's default (0010), so that the batch's insert
    -- trigger runs (it checks the batch exists and reopens a settled one); the caller's own
    -- setting is put back afterwards.
    outer_batch := current_setting('examq.batch_id', true);
    PERFORM set_config('examq.batch_id', p_batch::text, true);
  END IF;
  job := create_exam_paper_job(paper, NULL, p_syllabus_id, p_insert_pdf IS NOT NULL, p_priority);
  IF p_batch IS NOT NULL THEN
    PERFORM set_config('examq.batch_id', coalesce(outer_batch, ''), true);
  END IF;
  IF NOT (job ->> 'success')::boolean THEN
    RAISE EXCEPTION '%', job ->> 'error' USING ERRCODE = '22023';  -- undoes the paper and files
  END IF;
  RETURN job || jsonb_strip_nulls(jsonb_build_object('examPaperId', paper, 'batch', p_batch));
END $$;
COMMENT ON FUNCTION submit_exam_paper(text, text, bytea, integer, uuid, text, bytea, uuid, integer) IS
  'submit_exam_paper with two more arguments, neither defaulted: P_BATCH (a batch made by '
  'examq_begin_batch, or NULL) is the job''s batch_id, returned as "batch", so the jobs '
  'submitted together are one batch; P_PAGE_COUNT (1..100000, or NULL) is the '
  'paper''s page count as the submitter read it, stored on the paper so the estimate uses it '
  '(the worker replaces it with its own reading).';
-- One body: the documented 7-argument form is now this one without a batch or a page count.
CREATE OR REPLACE FUNCTION submit_exam_paper(p_title text, p_filename text, p_pdf bytea,
                                             p_priority integer DEFAULT 0, p_syllabus_id uuid DEFAULT NULL,
                                             p_insert_filename text DEFAULT NULL, p_insert_pdf bytea DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT submit_exam_paper(p_title, p_filename, p_pdf, p_priority, p_syllabus_id, p_insert_filename,
                           p_insert_pdf, NULL::uuid, NULL::integer)
$$;
REVOKE ALL ON FUNCTION submit_exam_paper(text, text, bytea, integer, uuid, text, bytea, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION submit_exam_paper(text, text, bytea, integer, uuid, text, bytea, uuid, integer) TO examq_admin;

-- ---------------------------------------------------------------------------------------------
-- 3. The estimate: per-page time only from jobs that say how many pages they had.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION processing_job_estimated_seconds(job_type text, pages integer, priority integer DEFAULT 0)
RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH rate AS (
    SELECT * FROM processing_job_recent_rates(processing_job_estimated_seconds.job_type)
  ), ahead AS (
    SELECT count(*) FILTER (WHERE p.status = 'pending') AS queued,
           count(*) FILTER (WHERE p.status = 'processing') AS running,
           greatest(count(DISTINCT p.locked_by) FILTER (WHERE p.status = 'processing'), 1) AS workers
      FROM processing_jobs AS p
     WHERE p.job_type = processing_job_estimated_seconds.job_type
       AND ((p.status = 'pending' AND p.priority >= processing_job_estimated_seconds.priority
             AND p.run_at <= now())
            OR p.status = 'processing')
  )
  SELECT ceil(rate.per_page * greatest(coalesce(pages, 10), 1)
              + rate.per_job * (ahead.queued + ahead.running / 2.0) / ahead.workers)::integer
    FROM rate, ahead
$$;
COMMENT ON FUNCTION processing_job_estimated_seconds(text, integer, integer) IS
  'Estimated seconds until a new JOB_TYPE job with PAGES pages (default 10) at PRIORITY '
  'finishes: median seconds per page of the last 50 completed jobs this week whose result says '
  'how many pages they had (3 s a page when none) times PAGES, plus the median job time for each '
  'job queued ahead, divided by active workers. submit_exam_paper passes the page count the '
  'submitter read (0011), so a paper is estimated by its own length.';

-- Supabase: the API roles' admin set gains the lookups and the new submit_exam_paper
-- (docs/security.md); the lookups see only the rows the caller's JWT lets it see.
INSERT INTO examq_api_admin_functions (signature) VALUES
  ('examq_resolve_job_id(text)'), ('examq_resolve_exam_paper_id(text)'),
  ('submit_exam_paper(text, text, bytea, integer, uuid, text, bytea, uuid, integer)');
SELECT examq_apply_api_role_privileges();
