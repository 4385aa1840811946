-- The pipeline's write functions: pages, metadata, questions (atomic, validated, fenced), submit.
BEGIN;
SELECT plan(27);

CREATE ROLE t_admin2 IN ROLE examq_admin;
\ir support/roles.psql

INSERT INTO exam_papers (id, title) VALUES ('00000000-0000-0000-0000-00000000d001', 'History');
INSERT INTO processing_jobs (id, job_type, exam_paper_id) VALUES
  ('00000000-0000-0000-0000-00000000d0b1', 'process-exam-paper', '00000000-0000-0000-0000-00000000d001');
SELECT get_next_processing_job('wp', ARRAY['process-exam-paper']);

-- ---- pages
SELECT lives_ok($$SELECT save_exam_paper_page('00000000-0000-0000-0000-00000000d0b1', 1, 1240, 1754, 150, '\xffd8ffe000104a464946'::bytea, 'wp', 1)$$,
                'a held job saves a page');
SELECT lives_ok($$SELECT save_exam_paper_page('00000000-0000-0000-0000-00000000d0b1', 1, 620, 877, 75, '\xffd8ffe0aaaa'::bytea, 'wp', 1)$$,
                'saving the same page again replaces it');
SELECT row_eq($$SELECT count(*), min(width), min(dpi) FROM exam_paper_pages WHERE exam_paper_id = '00000000-0000-0000-0000-00000000d001'$$,
              ROW(1::bigint, 620, 75), 'one row per page, the latest wins');
SELECT throws_ok($$SELECT save_exam_paper_page('00000000-0000-0000-0000-00000000d0b1', 2, 10, 10, 150, '\x89504e47'::bytea, 'wp', 1)$$,
                 '22023', 'page 2 is not a JPEG image', 'only JPEG pages');
SELECT throws_ok($$SELECT save_exam_paper_page('00000000-0000-0000-0000-00000000d0b1', 2, 10, 10, 150, '\xffd8ffe0'::bytea, 'late', 1)$$,
                 '55000', NULL, 'another worker cannot save pages');

-- ---- metadata
SELECT lives_ok($$SELECT set_exam_paper_metadata('00000000-0000-0000-0000-00000000d0b1', 12, '{"producer": "LaTeX", "pdf_version": "1.5"}', 'wp', 1)$$,
                'metadata recorded');
SELECT row_eq($$SELECT page_count, pdf_metadata ->> 'producer' FROM exam_papers WHERE id = '00000000-0000-0000-0000-00000000d001'$$,
              ROW(12, 'LaTeX'::text), 'page count and metadata on the paper');

-- ---- questions
SELECT is(replace_exam_paper_questions('00000000-0000-0000-0000-00000000d0b1', $$[
  {"question_number": "1(a)", "parent_number": "1", "text": "State the year.", "marks": 1, "page_number": 2},
  {"question_number": "1(b)", "parent_number": "1", "text": "Explain why.", "marks": 4, "page_number": 2, "source": "text"},
  {"question_number": "2", "text": "Essay.", "marks": null, "page_number": 3}
]$$, 'wp', 1), 3, 'three questions saved');
SELECT results_eq($$SELECT question_number, parent_number, position, marks, page_number, source FROM questions
                     WHERE exam_paper_id = '00000000-0000-0000-0000-00000000d001' ORDER BY position$$,
                  $$VALUES ('1(a)', '1', 1, 1, 2, 'text'), ('1(b)', '1', 2, 4, 2, 'text'), ('2', NULL, 3, NULL, 3, 'text')$$,
                  'numbers, parents, order, marks, pages as given');
SELECT is(replace_exam_paper_questions('00000000-0000-0000-0000-00000000d0b1',
            '[{"question_number": "1", "text": "Only one now", "marks": 2, "page_number": 1}]', 'wp', 1), 1,
          'replacing');
SELECT is((SELECT count(*) FROM questions WHERE exam_paper_id = '00000000-0000-0000-0000-00000000d001'), 1::bigint,
          'a retry replaces, never duplicates');
SELECT throws_ok($$SELECT replace_exam_paper_questions('00000000-0000-0000-0000-00000000d0b1',
                   '[{"question_number": "1"}, {"question_number": "2", "marks": -1}]', 'wp', 1)$$,
                 '22023', 'invalid questions: question 2: marks must be a non-negative integer', 'negative marks refused, element named');
SELECT throws_ok($$SELECT replace_exam_paper_questions('00000000-0000-0000-0000-00000000d0b1', '[{"question_number": "1", "marks": "two"}]', 'wp', 1)$$,
                 '22023', 'invalid questions: question 1: marks is not a number', 'non-numeric marks refused');
SELECT throws_ok($$SELECT replace_exam_paper_questions('00000000-0000-0000-0000-00000000d0b1', '[{"text": "no number"}]', 'wp', 1)$$,
                 '22023', 'invalid questions: question 1: question_number is missing', 'a question needs a number');
SELECT throws_ok($$SELECT replace_exam_paper_questions('00000000-0000-0000-0000-00000000d0b1', '[{"question_number": "1", "page_number": 0}]', 'wp', 1)$$,
                 '22023', NULL, 'page 0 refused');
SELECT throws_ok($$SELECT replace_exam_paper_questions('00000000-0000-0000-0000-00000000d0b1', '{"question_number": "1"}', 'wp', 1)$$,
                 '22023', 'questions must be a JSON array', 'an object instead of an array refused');
SELECT is((SELECT text FROM questions WHERE exam_paper_id = '00000000-0000-0000-0000-00000000d001'), 'Only one now',
          'a refused replacement leaves the saved questions intact');
SELECT throws_ok($$SELECT replace_exam_paper_questions('00000000-0000-0000-0000-00000000d0b1', '[]', 'late-worker', 1)$$,
                 '55000', NULL, 'a late worker cannot replace the questions');
SELECT lives_ok($$SELECT complete_processing_job('00000000-0000-0000-0000-00000000d0b1', '{"questions": 1}', 'wp', 1)$$, 'complete');
SELECT throws_ok($$SELECT replace_exam_paper_questions('00000000-0000-0000-0000-00000000d0b1', '[]', 'wp', 1)$$,
                 '55000', NULL, 'nor can anyone after completion');
INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000d0b2', 'no-paper');
SELECT get_next_processing_job('wp', ARRAY['no-paper']);
SELECT throws_ok($$SELECT replace_exam_paper_questions('00000000-0000-0000-0000-00000000d0b2', '[]', 'wp', 1)$$,
                 '22023', NULL, 'a job without a paper has no questions to replace');

-- ---- submit
SELECT is(pg_temp.as_role('t_admin2', $$SELECT submit_exam_paper('Maths', 'maths.pdf', '%PDF-1.7 ...', 3)$$), 'ok',
          'an admin submits a paper in one call');
SELECT row_eq($$SELECT e.title, f.filename, f.size_bytes, j.priority, j.status FROM exam_papers e
                  JOIN exam_paper_files f ON f.exam_paper_id = e.id JOIN processing_jobs j ON j.exam_paper_id = e.id
                 WHERE e.title = 'Maths'$$,
              ROW('Maths'::text, 'maths.pdf'::text, 12::bigint, 3, 'pending'::text), 'paper, file and job created together');
SELECT is((SELECT sha256 FROM exam_paper_files WHERE filename = 'maths.pdf'), encode(sha256('%PDF-1.7 ...'::bytea), 'hex'),
          'the file''s sha256 is derived from its bytes');
SELECT throws_ok($$SELECT submit_exam_paper('Bad', 'bad.pdf', '%PDF', 5000)$$, '22023',
                 'priority must be an integer between -1000 and 1000', 'a bad priority is refused');
SELECT is((SELECT count(*) FROM exam_papers WHERE title = 'Bad'), 0::bigint, 'and leaves no paper behind');
SELECT is(pg_temp.as_role('t_admin2', $$SELECT submit_exam_paper('Insert', 'p.pdf', '%PDF', 0, NULL, 'insert.pdf', NULL)$$),
          '22023', 'an insert without bytes is refused');

SELECT * FROM finish();
ROLLBACK;
