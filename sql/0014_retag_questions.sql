-- 0014 the retag-questions job type (issue 17, part 3): re-tag an exam paper's questions with a
-- syllabus's topics.
--
-- An admin enqueues it with examq_retag_exam_paper(paper, syllabus); the worker's
-- retag-questions handler reads the paper's questions and the syllabus's topics, matches them,
-- and writes every question's topic_ids in one fenced call, examq_save_question_topics: only the
-- worker holding that attempt of the job may write (the same fencing as the paper writes of
-- 0004), and one UPDATE replaces the tags of every question of the paper, so a re-run replaces
-- the tags atomically and a late attempt cannot overwrite a newer one.
--
-- One retag job per paper is pending or running at a time (processing_jobs_active_paper_key):
-- asking again for the same paper and syllabus returns that job's id; for another syllabus it
-- is refused (55000) until the first settles. A paper whose questions are still being extracted
-- (a pending or running process-exam-paper job) is refused too: its questions are about to be
-- replaced, with new ids.
--
-- exam_papers.syllabus_id: the save records the retag's syllabus on the paper only when the
-- paper has none yet, so retagging against another syllabus (a comparison, a draft) never
-- changes which syllabus a paper belongs to.
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

CREATE FUNCTION examq_retag_exam_paper(p_exam_paper_id uuid, p_syllabus_id uuid,
                                       p_priority integer DEFAULT 0)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  new_id uuid;
  existing processing_jobs;
BEGIN
  PERFORM examq_assert_admin_caller();
  IF p_exam_paper_id IS NULL OR p_syllabus_id IS NULL OR p_priority IS NULL THEN
    RAISE EXCEPTION 'an exam paper, a syllabus and a priority are required' USING ERRCODE = '22004';
  END IF;
  IF p_priority NOT BETWEEN -1000 AND 1000 THEN
    RAISE EXCEPTION 'priority must be an integer between -1000 and 1000 (got %)', p_priority
      USING ERRCODE = '22023';
  END IF;
  -- FOR SHARE: the paper cannot be deleted under the new job.
  PERFORM FROM exam_papers AS e WHERE e.id = p_exam_paper_id FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'exam paper % does not exist', p_exam_paper_id USING ERRCODE = 'P0002';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM syllabus_topics AS t WHERE t.syllabus_id = p_syllabus_id) THEN
    RAISE EXCEPTION 'syllabus % has no topics', p_syllabus_id
      USING ERRCODE = '22023', HINT = 'Insert its topics into syllabus_topics first.';
  END IF;
  IF EXISTS (SELECT 1 FROM processing_jobs AS p
              WHERE p.exam_paper_id = p_exam_paper_id AND p.job_type = 'process-exam-paper'
                AND p.status IN ('pending', 'processing')) THEN
    RAISE EXCEPTION 'exam paper % is still being processed', p_exam_paper_id
      USING ERRCODE = '55000', HINT = 'Retag it once its process-exam-paper job has settled.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM questions AS q WHERE q.exam_paper_id = p_exam_paper_id) THEN
    RAISE EXCEPTION 'exam paper % has no questions yet', p_exam_paper_id
      USING ERRCODE = '55000', HINT = 'Process the paper first (examq submit).';
  END IF;

  INSERT INTO processing_jobs (job_type, priority, exam_paper_id, payload)
  VALUES ('retag-questions', p_priority, p_exam_paper_id,
          jsonb_build_object('exam_paper_id', p_exam_paper_id, 'syllabus_id', p_syllabus_id))
  ON CONFLICT (exam_paper_id, job_type) WHERE status IN ('pending', 'processing')
                                          AND exam_paper_id IS NOT NULL
  DO NOTHING
  RETURNING id INTO new_id;
  IF new_id IS NOT NULL THEN
    RETURN new_id;
  END IF;

  SELECT * INTO existing FROM processing_jobs AS p
   WHERE p.exam_paper_id = p_exam_paper_id AND p.job_type = 'retag-questions'
     AND p.status IN ('pending', 'processing');
  IF existing.payload ->> 'syllabus_id' = p_syllabus_id::text THEN
    RETURN existing.id;  -- the same request: the job already queued or running
  END IF;
  RAISE EXCEPTION 'exam paper % already has a retag-questions job in progress (%) with syllabus %',
                  p_exam_paper_id, existing.id, existing.payload ->> 'syllabus_id'
    USING ERRCODE = '55000', HINT = 'Wait for it to settle, or cancel it.';
END $$;
COMMENT ON FUNCTION examq_retag_exam_paper(uuid, uuid, integer) IS
  'Admin: enqueues a retag-questions job that re-tags the questions of exam paper P_EXAM_PAPER_ID '
  'with the topics of syllabus P_SYLLABUS_ID; returns the job id. When a retag job for the same '
  'paper and syllabus is already pending or running, returns its id instead. Raises 22004 for a '
  'NULL argument, 22023 for a bad priority or a syllabus without topics, P0002 for no such paper, '
  '55000 when the paper has no questions yet, is being processed, or has a retag job with '
  'another syllabus in progress.';

CREATE FUNCTION examq_save_question_topics(p_job_id uuid, p_tags jsonb, p_worker_id text,
                                           p_attempt integer)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  paper uuid := processing_job_held_paper(p_job_id, p_worker_id, p_attempt);
  syllabus uuid;
  bad text;
  saved integer;
BEGIN
  SELECT CASE WHEN p.payload ->> 'syllabus_id'
                   ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              THEN (p.payload ->> 'syllabus_id')::uuid END
    INTO syllabus
    FROM processing_jobs AS p WHERE p.id = p_job_id AND p.job_type = 'retag-questions';
  IF syllabus IS NULL THEN
    RAISE EXCEPTION 'processing job % is not a retag-questions job with a syllabus', p_job_id
      USING ERRCODE = '22023';
  END IF;
  IF p_tags IS NULL OR jsonb_typeof(p_tags) <> 'array' THEN
    RAISE EXCEPTION 'tags must be a JSON array' USING ERRCODE = '22023';
  END IF;
  -- Validate everything before touching the table, and say which element is wrong. CASE, not
  -- OR, so that each cast only runs once its text is known to be a uuid.
  SELECT format('tag %s: %s', c.ord, c.problem) INTO bad
    FROM (SELECT t.ord, CASE
            WHEN jsonb_typeof(t.v) <> 'object' THEN 'not an object'
            WHEN coalesce(jsonb_typeof(t.v -> 'question_id'), '') <> 'string'
                 OR NOT (t.v ->> 'question_id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              THEN 'question_id is not a uuid'
            WHEN NOT EXISTS (SELECT 1 FROM questions AS q
                              WHERE q.id = (t.v ->> 'question_id')::uuid AND q.exam_paper_id = paper)
              THEN format('question %s is not a question of exam paper %s', t.v ->> 'question_id', paper)
            WHEN count(*) OVER (PARTITION BY lower(t.v ->> 'question_id')) > 1
              THEN format('question %s is named more than once', t.v ->> 'question_id')
            WHEN coalesce(jsonb_typeof(t.v -> 'topic_ids'), 'null') NOT IN ('array', 'null')
              THEN 'topic_ids is not an array'
            WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(t.v -> 'topic_ids', '[]')) AS x(id)
                          WHERE jsonb_typeof(x.id) <> 'string'
                             OR NOT (x.id #>> '{}') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
              THEN 'a topic id is not a uuid'
            WHEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(coalesce(t.v -> 'topic_ids', '[]')) AS x(id)
                          WHERE NOT EXISTS (SELECT 1 FROM syllabus_topics AS s
                                             WHERE s.id = x.id::uuid AND s.syllabus_id = syllabus))
              THEN format('a topic is not a topic of syllabus %s', syllabus)
          END AS problem
          FROM jsonb_array_elements(p_tags) WITH ORDINALITY AS t(v, ord)) AS c
   WHERE c.problem IS NOT NULL
   ORDER BY c.ord
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'invalid tags: %', bad USING ERRCODE = '22023';
  END IF;

  -- One statement: every question of the paper gets its new tags, '{}' when it is not named.
  WITH tags AS (
    SELECT (t.v ->> 'question_id')::uuid AS question_id,
           ARRAY(SELECT x.id::uuid
                   FROM jsonb_array_elements_text(coalesce(t.v -> 'topic_ids', '[]')) WITH ORDINALITY AS x(id, n)
                  GROUP BY x.id::uuid ORDER BY min(x.n)) AS topic_ids
      FROM jsonb_array_elements(p_tags) AS t(v))
  UPDATE questions AS q
     SET topic_ids = coalesce(tags.topic_ids, '{}')
    FROM questions AS q0 LEFT JOIN tags ON tags.question_id = q0.id
   WHERE q.id = q0.id AND q0.exam_paper_id = paper;
  GET DIAGNOSTICS saved = ROW_COUNT;

  UPDATE exam_papers AS e SET syllabus_id = syllabus WHERE e.id = paper AND e.syllabus_id IS NULL;
  RETURN saved;
END $$;
COMMENT ON FUNCTION examq_save_question_topics(uuid, jsonb, text, integer) IS
  'Worker: replaces the topic_ids of every question of the exam paper of retag-questions job '
  'P_JOB_ID, held by P_WORKER_ID in P_ATTEMPT (else 55000/P0002 like the paper writes), in one '
  'UPDATE: P_TAGS is a JSON array of {question_id, topic_ids: [uuid, ...]}; a question not named '
  'gets no topics. Validates first (22023 naming the bad element: not a question of the paper, '
  'named twice, a topic not of the job''s syllabus). Records the syllabus on the paper when it '
  'has none. Returns how many questions it updated.';

REVOKE EXECUTE ON FUNCTION examq_retag_exam_paper(uuid, uuid, integer),
  examq_save_question_topics(uuid, jsonb, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION examq_retag_exam_paper(uuid, uuid, integer) TO examq_admin;
GRANT EXECUTE ON FUNCTION examq_save_question_topics(uuid, jsonb, text, integer) TO examq_worker;

INSERT INTO examq_api_admin_functions (signature) VALUES ('examq_retag_exam_paper(uuid, uuid, integer)');
SELECT examq_apply_api_role_privileges();
