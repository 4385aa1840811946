-- retag-questions (sql/0014): enqueueing (errors, dedup), the fenced atomic save, roles.
BEGIN;
SELECT plan(40);

\ir support/roles.psql
CREATE ROLE r_admin IN ROLE examq_admin;
CREATE ROLE r_worker IN ROLE examq_worker;
CREATE ROLE r_other;

-- Two syllabi (one with topics), a paper with questions, one without, one being processed.
INSERT INTO syllabus_topics (id, syllabus_id, parent_id, code, title, position) VALUES
  ('00000000-0000-0000-0000-0000000e7001', '00000000-0000-0000-0000-0000000e5001', NULL, '1', 'Mechanics', 1),
  ('00000000-0000-0000-0000-0000000e7002', '00000000-0000-0000-0000-0000000e5001', '00000000-0000-0000-0000-0000000e7001', '1.1', 'Forces', 2),
  ('00000000-0000-0000-0000-0000000e7003', '00000000-0000-0000-0000-0000000e5001', '00000000-0000-0000-0000-0000000e7001', '1.2', 'Energy', 3),
  ('00000000-0000-0000-0000-0000000e7009', '00000000-0000-0000-0000-0000000e5009', NULL, 'X', 'Another syllabus', 1);
INSERT INTO exam_papers (id, title) VALUES
  ('00000000-0000-0000-0000-0000000ea001', 'Physics'),
  ('00000000-0000-0000-0000-0000000ea002', 'Empty'),
  ('00000000-0000-0000-0000-0000000ea003', 'Still processing');
INSERT INTO questions (id, exam_paper_id, question_number, position, text, topic_ids) VALUES
  ('00000000-0000-0000-0000-0000000ec001', '00000000-0000-0000-0000-0000000ea001', '1', 1, 'A force acts.', '{00000000-0000-0000-0000-0000000e7009}'),
  ('00000000-0000-0000-0000-0000000ec002', '00000000-0000-0000-0000-0000000ea001', '2', 2, 'Kinetic energy.', '{}'),
  ('00000000-0000-0000-0000-0000000ec003', '00000000-0000-0000-0000-0000000ea001', '3', 3, 'Old tags.', '{00000000-0000-0000-0000-0000000e7002}'),
  ('00000000-0000-0000-0000-0000000ec031', '00000000-0000-0000-0000-0000000ea003', '1', 1, 'x', '{}');
INSERT INTO processing_jobs (job_type, exam_paper_id) VALUES ('process-exam-paper', '00000000-0000-0000-0000-0000000ea003');

SELECT has_function('examq_retag_exam_paper', ARRAY['uuid', 'uuid', 'integer'], 'examq_retag_exam_paper(uuid, uuid, integer)');
SELECT has_function('examq_save_question_topics', ARRAY['uuid', 'jsonb', 'text', 'integer'],
                    'examq_save_question_topics(uuid, jsonb, text, integer)');

-- ---- enqueue: errors
SELECT throws_ok($$SELECT examq_retag_exam_paper(NULL, '00000000-0000-0000-0000-0000000e5001')$$,
                 '22004', NULL, 'a NULL paper is refused');
SELECT throws_ok($$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001', NULL)$$,
                 '22004', NULL, 'a NULL syllabus is refused');
SELECT throws_ok($$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001', '00000000-0000-0000-0000-0000000e5001', NULL)$$,
                 '22004', NULL, 'a NULL priority is refused');
SELECT throws_ok($$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001', '00000000-0000-0000-0000-0000000e5001', 1001)$$,
                 '22023', NULL, 'a priority out of range is refused');
SELECT throws_ok($$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000eaaaa', '00000000-0000-0000-0000-0000000e5001')$$,
                 'P0002', 'exam paper 00000000-0000-0000-0000-0000000eaaaa does not exist', 'an unknown paper is P0002');
SELECT throws_ok($$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001', '00000000-0000-0000-0000-0000000e5555')$$,
                 '22023', 'syllabus 00000000-0000-0000-0000-0000000e5555 has no topics', 'a syllabus without topics is 22023');
SELECT throws_ok($$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea002', '00000000-0000-0000-0000-0000000e5001')$$,
                 '55000', 'exam paper 00000000-0000-0000-0000-0000000ea002 has no questions yet', 'a paper without questions is 55000');
SELECT throws_ok($$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea003', '00000000-0000-0000-0000-0000000e5001')$$,
                 '55000', 'exam paper 00000000-0000-0000-0000-0000000ea003 is still being processed',
                 'a paper with a process-exam-paper job in progress is 55000');

-- ---- enqueue: the job, and dedup
SELECT lives_ok($$SELECT set_config('t.job', examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001',
                                            '00000000-0000-0000-0000-0000000e5001', 5)::text, true)$$, 'a retag job is enqueued');
SELECT row_eq($$SELECT job_type, status, priority, exam_paper_id, payload FROM processing_jobs WHERE id = current_setting('t.job')::uuid$$,
              ROW('retag-questions'::text, 'pending'::text, 5, '00000000-0000-0000-0000-0000000ea001'::uuid,
                  '{"exam_paper_id": "00000000-0000-0000-0000-0000000ea001", "syllabus_id": "00000000-0000-0000-0000-0000000e5001"}'::jsonb),
              'the job: retag-questions, pending, its priority, the paper, and the payload');
SELECT is(examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001', '00000000-0000-0000-0000-0000000e5001'),
          current_setting('t.job')::uuid, 'asking again for the same paper and syllabus returns the same job');
SELECT is((SELECT count(*) FROM processing_jobs WHERE job_type = 'retag-questions'), 1::bigint, 'and makes no second job');
SELECT throws_ok($$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001', '00000000-0000-0000-0000-0000000e5009')$$,
                 '55000', NULL, 'another syllabus while one is in progress is 55000');

-- ---- save: fencing
SELECT is((SELECT id FROM get_next_processing_job('rw', ARRAY['retag-questions'])), current_setting('t.job')::uuid, 'a worker claims it');
SELECT is(examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001', '00000000-0000-0000-0000-0000000e5001'),
          current_setting('t.job')::uuid, 'a running retag job dedups too');
SELECT throws_ok(format($$SELECT examq_save_question_topics(%L, '[]', 'late', 1)$$, current_setting('t.job')),
                 '55000', NULL, 'another worker cannot save tags');
SELECT throws_ok(format($$SELECT examq_save_question_topics(%L, '[]', 'rw', 2)$$, current_setting('t.job')),
                 '55000', NULL, 'nor another attempt of the same worker');
SELECT throws_ok(format($$SELECT examq_save_question_topics(%L, '[]', NULL, 1)$$, current_setting('t.job')),
                 '22023', NULL, 'the worker id is required');
SELECT throws_ok($$SELECT examq_save_question_topics('00000000-0000-0000-0000-0000000ebbbb', '[]', 'rw', 1)$$,
                 'P0002', NULL, 'an unknown job is P0002');

-- ---- save: validation leaves the tags alone
SELECT throws_ok(format($$SELECT examq_save_question_topics(%L, '{}', 'rw', 1)$$, current_setting('t.job')),
                 '22023', 'tags must be a JSON array', 'tags must be an array');
SELECT throws_ok(format($$SELECT examq_save_question_topics(%L, '[{"question_id": "00000000-0000-0000-0000-0000000ec031", "topic_ids": []}]', 'rw', 1)$$,
                        current_setting('t.job')),
                 '22023', 'invalid tags: tag 1: question 00000000-0000-0000-0000-0000000ec031 is not a question of exam paper 00000000-0000-0000-0000-0000000ea001',
                 'a question of another paper is refused');
SELECT throws_ok(format($$SELECT examq_save_question_topics(%L, '[{"question_id": "00000000-0000-0000-0000-0000000ec001", "topic_ids": ["00000000-0000-0000-0000-0000000e7002"]},
                                                                   {"question_id": "00000000-0000-0000-0000-0000000ec002", "topic_ids": ["00000000-0000-0000-0000-0000000e7009"]}]', 'rw', 1)$$,
                        current_setting('t.job')),
                 '22023', 'invalid tags: tag 2: a topic is not a topic of syllabus 00000000-0000-0000-0000-0000000e5001',
                 'a topic of another syllabus is refused');
SELECT throws_ok(format($$SELECT examq_save_question_topics(%L, '[{"question_id": "00000000-0000-0000-0000-0000000ec001", "topic_ids": ["nope"]}]', 'rw', 1)$$,
                        current_setting('t.job')),
                 '22023', 'invalid tags: tag 1: a topic id is not a uuid', 'a topic id that is not a uuid is refused');
SELECT throws_ok(format($$SELECT examq_save_question_topics(%L, '[{"question_id": "00000000-0000-0000-0000-0000000ec001"}, {"question_id": "00000000-0000-0000-0000-0000000ec001"}]', 'rw', 1)$$,
                        current_setting('t.job')),
                 '22023', NULL, 'a question named twice is refused');
SELECT results_eq($$SELECT topic_ids FROM questions WHERE exam_paper_id = '00000000-0000-0000-0000-0000000ea001' ORDER BY position$$,
                  $$VALUES ('{00000000-0000-0000-0000-0000000e7009}'::uuid[]), ('{}'::uuid[]), ('{00000000-0000-0000-0000-0000000e7002}'::uuid[])$$,
                  'a refused save changes no tag');

-- ---- save: one atomic replacement of every question's tags
SELECT is(examq_save_question_topics(current_setting('t.job')::uuid, '[
  {"question_id": "00000000-0000-0000-0000-0000000ec001", "topic_ids": ["00000000-0000-0000-0000-0000000e7002", "00000000-0000-0000-0000-0000000e7003", "00000000-0000-0000-0000-0000000e7002"]},
  {"question_id": "00000000-0000-0000-0000-0000000ec002", "topic_ids": ["00000000-0000-0000-0000-0000000e7003"]}]', 'rw', 1),
          3, 'the save updates every question of the paper');
SELECT results_eq($$SELECT topic_ids FROM questions WHERE exam_paper_id = '00000000-0000-0000-0000-0000000ea001' ORDER BY position$$,
                  $$VALUES ('{00000000-0000-0000-0000-0000000e7002,00000000-0000-0000-0000-0000000e7003}'::uuid[]),
                           ('{00000000-0000-0000-0000-0000000e7003}'::uuid[]), ('{}'::uuid[])$$,
                  'named questions get their topics (in order, once each); a question not named loses its old tags');
SELECT is((SELECT topic_ids FROM questions WHERE id = '00000000-0000-0000-0000-0000000ec031'), '{}'::uuid[],
          'another paper''s questions are untouched');
SELECT is((SELECT syllabus_id FROM exam_papers WHERE id = '00000000-0000-0000-0000-0000000ea001'),
          '00000000-0000-0000-0000-0000000e5001'::uuid, 'a paper without a syllabus gets the retag''s');
UPDATE exam_papers SET syllabus_id = '00000000-0000-0000-0000-0000000e5009' WHERE id = '00000000-0000-0000-0000-0000000ea001';
SELECT is(examq_save_question_topics(current_setting('t.job')::uuid, '[]', 'rw', 1), 3, 'a re-run replaces again (here: with nothing)');
SELECT is((SELECT count(*) FROM questions WHERE exam_paper_id = '00000000-0000-0000-0000-0000000ea001' AND topic_ids <> '{}'), 0::bigint,
          'every question of the paper now has no topic');
SELECT is((SELECT syllabus_id FROM exam_papers WHERE id = '00000000-0000-0000-0000-0000000ea001'),
          '00000000-0000-0000-0000-0000000e5009'::uuid, 'a paper''s own syllabus is never changed by a retag');

-- A job that is not a retag job cannot use the save.
INSERT INTO processing_jobs (id, job_type, exam_paper_id) VALUES
  ('00000000-0000-0000-0000-0000000eb0b2', 'other-type', '00000000-0000-0000-0000-0000000ea002');
SELECT get_next_processing_job('ro', ARRAY['other-type']);
SELECT throws_ok($$SELECT examq_save_question_topics('00000000-0000-0000-0000-0000000eb0b2', '[]', 'ro', 1)$$,
                 '22023', NULL, 'another job type cannot save tags');

-- ---- roles
SELECT is(pg_temp.as_role('r_worker', $$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001', '00000000-0000-0000-0000-0000000e5001')$$),
          '42501', 'worker: may not enqueue a retag');
SELECT is(pg_temp.as_role('r_other', $$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001', '00000000-0000-0000-0000-0000000e5001')$$),
          '42501', 'another role: may not enqueue a retag');
SELECT is(pg_temp.as_role('r_admin', $$SELECT examq_save_question_topics('00000000-0000-0000-0000-0000000eb0b2', '[]', 'ro', 1)$$),
          '42501', 'admin: may not save tags (only a worker holding the job)');
SELECT is(pg_temp.as_role('r_worker', format($$SELECT examq_save_question_topics(%L, '[]', 'rw', 1)$$, current_setting('t.job'))),
          'ok', 'worker: may save the tags of a job it holds');
SELECT is(pg_temp.as_role('r_admin', $$SELECT examq_retag_exam_paper('00000000-0000-0000-0000-0000000ea001', '00000000-0000-0000-0000-0000000e5001')$$),
          'ok', 'admin: may enqueue a retag');

SELECT * FROM finish();
ROLLBACK;
