-- 0002 exam-paper pipeline: rendered pages, and the functions through which the worker saves
-- what a process-exam-paper job produces and an operator submits a paper.
--
-- Every write of the worker goes through a SECURITY DEFINER function that first checks the
-- caller still holds the job (the same fencing as the settling functions), so a late worker
-- whose lease was taken over cannot overwrite a paper's pages or questions.

CREATE TABLE exam_paper_pages (
  exam_paper_id uuid NOT NULL REFERENCES exam_papers (id) ON DELETE CASCADE,
  page_number   integer NOT NULL CONSTRAINT exam_paper_pages_page_number_check CHECK (page_number >= 1),
  width         integer NOT NULL CONSTRAINT exam_paper_pages_width_check CHECK (width > 0),
  height        integer NOT NULL CONSTRAINT exam_paper_pages_height_check CHECK (height > 0),
  dpi           integer,
  jpeg          bytea NOT NULL,
  job_id        uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (exam_paper_id, page_number)
);
-- JPEG is already compressed.
ALTER TABLE exam_paper_pages ALTER COLUMN jpeg SET STORAGE EXTERNAL;
COMMENT ON TABLE exam_paper_pages IS
  'Rendered page images (JPEG) of exam papers, for the app to show and so a retry need not render again.';

ALTER TABLE exam_paper_pages ENABLE ROW LEVEL SECURITY;
CREATE POLICY exam_paper_pages_admin_all ON exam_paper_pages TO PUBLIC
  USING ((SELECT examq_is_admin())) WITH CHECK ((SELECT examq_is_admin()));
CREATE POLICY exam_paper_pages_worker_select ON exam_paper_pages FOR SELECT TO examq_worker USING (true);
REVOKE ALL ON exam_paper_pages FROM PUBLIC;
GRANT SELECT, DELETE ON exam_paper_pages TO examq_admin;
GRANT SELECT ON exam_paper_pages TO examq_worker;

-- Raises unless JOB_ID is processing, held by WORKER_ID (when given), and about an exam paper;
-- returns that paper's id.
CREATE FUNCTION processing_job_held_paper(job_id uuid, worker_id text) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  paper uuid;
BEGIN
  SELECT p.exam_paper_id INTO paper FROM processing_jobs AS p
   WHERE p.id = processing_job_held_paper.job_id AND p.status = 'processing'
     AND (processing_job_held_paper.worker_id IS NULL OR p.locked_by = processing_job_held_paper.worker_id);
  IF NOT FOUND THEN
    PERFORM processing_job_not_held(processing_job_held_paper.job_id, processing_job_held_paper.worker_id);
  END IF;
  IF paper IS NULL THEN
    RAISE EXCEPTION 'processing job % has no exam paper', job_id USING ERRCODE = '22023';
  END IF;
  RETURN paper;
END $$;
COMMENT ON FUNCTION processing_job_held_paper(uuid, text) IS
  'Internal: the exam paper of a job the caller holds; raises 55000/P0002 like the settling '
  'functions, 22023 when the job has no exam paper.';

CREATE FUNCTION save_exam_paper_page(job_id uuid, page_number integer, width integer, height integer,
                                     dpi integer, jpeg bytea, worker_id text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  paper uuid := processing_job_held_paper(save_exam_paper_page.job_id, save_exam_paper_page.worker_id);
BEGIN
  IF jpeg IS NULL OR octet_length(jpeg) < 4 OR substring(jpeg FROM 1 FOR 3) <> '\xffd8ff'::bytea THEN
    RAISE EXCEPTION 'page % is not a JPEG image', page_number USING ERRCODE = '22023';
  END IF;
  INSERT INTO exam_paper_pages AS e (exam_paper_id, page_number, width, height, dpi, jpeg, job_id)
  VALUES (paper, save_exam_paper_page.page_number, save_exam_paper_page.width,
          save_exam_paper_page.height, save_exam_paper_page.dpi, save_exam_paper_page.jpeg,
          save_exam_paper_page.job_id)
  ON CONFLICT (exam_paper_id, page_number) DO UPDATE
    SET width = excluded.width, height = excluded.height, dpi = excluded.dpi,
        jpeg = excluded.jpeg, job_id = excluded.job_id, created_at = now();
END $$;
COMMENT ON FUNCTION save_exam_paper_page(uuid, integer, integer, integer, integer, bytea, text) IS
  'Stores (or replaces) one rendered page of the exam paper of a job the caller holds. JPEG only.';

CREATE FUNCTION set_exam_paper_metadata(job_id uuid, page_count integer, pdf_metadata jsonb,
                                        worker_id text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  paper uuid := processing_job_held_paper(set_exam_paper_metadata.job_id, set_exam_paper_metadata.worker_id);
BEGIN
  IF page_count IS NOT NULL AND page_count < 0 THEN
    RAISE EXCEPTION 'page_count must not be negative (got %)', page_count USING ERRCODE = '22023';
  END IF;
  UPDATE exam_papers AS e
     SET page_count = coalesce(set_exam_paper_metadata.page_count, e.page_count),
         pdf_metadata = coalesce(set_exam_paper_metadata.pdf_metadata, e.pdf_metadata)
   WHERE e.id = paper;
END $$;
COMMENT ON FUNCTION set_exam_paper_metadata(uuid, integer, jsonb, text) IS
  'Records the page count and PDF metadata (title, producer, pdf_version, ...) on the exam paper '
  'of a job the caller holds.';

CREATE FUNCTION replace_exam_paper_questions(job_id uuid, questions jsonb, worker_id text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  paper uuid := processing_job_held_paper(replace_exam_paper_questions.job_id, replace_exam_paper_questions.worker_id);
  bad text;
  saved integer;
BEGIN
  IF questions IS NULL OR jsonb_typeof(questions) <> 'array' THEN
    RAISE EXCEPTION 'questions must be a JSON array' USING ERRCODE = '22023';
  END IF;
  -- Validate everything before touching the table, and say which element is wrong.
  -- CASE, not OR, so that each cast only runs once its type is known.
  SELECT format('question %s: %s', c.ord, c.problem) INTO bad
    FROM (SELECT q.ord, CASE
            WHEN jsonb_typeof(q.v) <> 'object' THEN 'not an object'
            WHEN coalesce(q.v ->> 'question_number', '') = '' THEN 'question_number is missing'
            WHEN jsonb_typeof(q.v -> 'marks') NOT IN ('number', 'null') THEN 'marks is not a number'
            WHEN jsonb_typeof(q.v -> 'marks') = 'number'
                 AND NOT ((q.v ->> 'marks')::numeric BETWEEN 0 AND 10000
                          AND (q.v ->> 'marks')::numeric = trunc((q.v ->> 'marks')::numeric))
              THEN 'marks must be a non-negative integer'
            WHEN jsonb_typeof(q.v -> 'page_number') NOT IN ('number', 'null') THEN 'page_number is not a number'
            WHEN jsonb_typeof(q.v -> 'page_number') = 'number'
                 AND NOT ((q.v ->> 'page_number')::numeric BETWEEN 1 AND 100000
                          AND (q.v ->> 'page_number')::numeric = trunc((q.v ->> 'page_number')::numeric))
              THEN 'page_number must be a positive integer'
            WHEN coalesce(q.v ->> 'source', 'text') NOT IN ('text', 'ocr', 'ai', 'manual') THEN 'unknown source'
            WHEN jsonb_typeof(q.v -> 'topic_ids') NOT IN ('array', 'null') THEN 'topic_ids is not an array'
          END AS problem
          FROM jsonb_array_elements(questions) WITH ORDINALITY AS q(v, ord)) AS c
   WHERE c.problem IS NOT NULL
   ORDER BY c.ord
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'invalid questions: %', bad USING ERRCODE = '22023';
  END IF;

  DELETE FROM questions AS q WHERE q.exam_paper_id = paper;
  INSERT INTO questions (exam_paper_id, question_number, parent_number, position, text, marks,
                         page_number, source, topic_ids, job_id)
  SELECT paper, q.v ->> 'question_number', nullif(q.v ->> 'parent_number', ''), q.ord,
         coalesce(q.v ->> 'text', ''), (q.v ->> 'marks')::integer, (q.v ->> 'page_number')::integer,
         coalesce(q.v ->> 'source', 'text'),
         coalesce(ARRAY(SELECT jsonb_array_elements_text(q.v -> 'topic_ids'))::uuid[], '{}'),
         replace_exam_paper_questions.job_id
    FROM jsonb_array_elements(questions) WITH ORDINALITY AS q(v, ord);
  GET DIAGNOSTICS saved = ROW_COUNT;
  RETURN saved;
END $$;
COMMENT ON FUNCTION replace_exam_paper_questions(uuid, jsonb, text) IS
  'Replaces all questions of the exam paper of a job the caller holds with QUESTIONS, a JSON array '
  'in paper order of {question_number, parent_number, text, marks, page_number, source, '
  'topic_ids}; position is the array order. Validates first (22023 naming the bad element). Call '
  'it in the same transaction as complete_processing_job so a paper never has half its questions.';

-- One call for an operator or the CLI: the paper, its file(s) and its job in one transaction.
CREATE FUNCTION submit_exam_paper(p_title text, p_filename text, p_pdf bytea,
                                  p_priority integer DEFAULT 0, p_syllabus_id uuid DEFAULT NULL,
                                  p_insert_filename text DEFAULT NULL, p_insert_pdf bytea DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  paper uuid;
  job jsonb;
BEGIN
  PERFORM examq_assert_admin_caller();
  IF p_pdf IS NULL OR coalesce(p_filename, '') = '' THEN
    RAISE EXCEPTION 'a file name and PDF bytes are required' USING ERRCODE = '22023';
  END IF;
  IF (p_insert_pdf IS NULL) <> (p_insert_filename IS NULL) THEN
    RAISE EXCEPTION 'an insert needs both its file name and its bytes' USING ERRCODE = '22023';
  END IF;
  INSERT INTO exam_papers (title) VALUES (coalesce(nullif(p_title, ''), p_filename)) RETURNING id INTO paper;
  UPDATE exam_papers SET syllabus_id = p_syllabus_id WHERE id = paper AND p_syllabus_id IS NOT NULL;
  INSERT INTO exam_paper_files (exam_paper_id, kind, filename, data) VALUES (paper, 'paper', p_filename, p_pdf);
  IF p_insert_pdf IS NOT NULL THEN
    INSERT INTO exam_paper_files (exam_paper_id, kind, filename, data)
    VALUES (paper, 'insert', p_insert_filename, p_insert_pdf);
  END IF;
  job := create_exam_paper_job(paper, NULL, p_syllabus_id, p_insert_pdf IS NOT NULL, p_priority);
  IF NOT (job ->> 'success')::boolean THEN
    RAISE EXCEPTION '%', job ->> 'error' USING ERRCODE = '22023';  -- undoes the paper and files
  END IF;
  RETURN job || jsonb_build_object('examPaperId', paper);
END $$;
COMMENT ON FUNCTION submit_exam_paper(text, text, bytea, integer, uuid, text, bytea) IS
  'Creates an exam paper with its PDF (and optional insert) and enqueues its process-exam-paper '
  'job, all in one transaction. Returns create_exam_paper_job''s answer plus "examPaperId".';

REVOKE EXECUTE ON FUNCTION
  processing_job_held_paper(uuid, text),
  save_exam_paper_page(uuid, integer, integer, integer, integer, bytea, text),
  set_exam_paper_metadata(uuid, integer, jsonb, text),
  replace_exam_paper_questions(uuid, jsonb, text),
  submit_exam_paper(text, text, bytea, integer, uuid, text, bytea)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  save_exam_paper_page(uuid, integer, integer, integer, integer, bytea, text),
  set_exam_paper_metadata(uuid, integer, jsonb, text),
  replace_exam_paper_questions(uuid, jsonb, text)
TO examq_worker;
GRANT EXECUTE ON FUNCTION submit_exam_paper(text, text, bytea, integer, uuid, text, bytea) TO examq_admin;
DO $$
BEGIN
  IF to_regnamespace('auth') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    GRANT EXECUTE ON FUNCTION submit_exam_paper(text, text, bytea, integer, uuid, text, bytea) TO authenticated;
  END IF;
END $$;
