-- The command line's lookups (sql/0011): ids by unique prefix through row-level security, a
-- batch and the page count at submission, and an estimate that uses both page counts.
BEGIN;
SELECT plan(32);

CREATE FUNCTION pg_temp.as_role(r text, query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    EXECUTE query;
    RESET ROLE;
    RETURN 'ok';
  EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
  END;
END $$;

INSERT INTO processing_jobs (id, job_type) VALUES
  ('abcd1234-0000-4000-8000-000000000001', 'lookup-test'),
  ('abcd1234-0000-4000-8000-000000000002', 'lookup-test'),
  ('abce0000-0000-4000-8000-000000000003', 'lookup-test');
INSERT INTO exam_papers (id, title) VALUES
  ('0bad0001-0000-4000-8000-000000000001', 'Physics'),
  ('0bad0001-0000-4000-8000-000000000002', 'Chemistry'),
  ('0bae0000-0000-4000-8000-000000000003', 'Biology');

-- ---- jobs by prefix
SELECT is(examq_resolve_job_id('abce'), 'abce0000-0000-4000-8000-000000000003'::uuid, 'a unique 4-digit prefix resolves');
SELECT is(examq_resolve_job_id('ABCE0000'), 'abce0000-0000-4000-8000-000000000003'::uuid, 'upper case is accepted');
SELECT is(examq_resolve_job_id('abcd1234-0000-4000-8000-000000000002'), 'abcd1234-0000-4000-8000-000000000002'::uuid,
          'a whole uuid resolves to itself');
SELECT is(examq_resolve_job_id(' abce0000-0000 '), 'abce0000-0000-4000-8000-000000000003'::uuid,
          'a prefix with its dashes (and spaces around) resolves');
SELECT throws_ok($$SELECT examq_resolve_job_id('abcd')$$, '21000', NULL, 'an ambiguous prefix is refused');
SELECT throws_like($$SELECT examq_resolve_job_id('abcd')$$,
                   '%matches 2 jobs: abcd1234-0000-4000-8000-000000000001 (lookup-test, pending, %), abcd1234-0000-4000-8000-000000000002 (lookup-test, pending, %)',
                   'and the message lists the candidates with their type and status');
SELECT throws_ok($$SELECT examq_resolve_job_id('abc')$$, '22023', 'job id prefix "abc" is too short: give at least 4 hex digits',
                 'fewer than 4 hex digits is refused');
SELECT throws_ok($$SELECT examq_resolve_job_id('a-b-c')$$, '22023', NULL, 'dashes do not count as digits');
SELECT throws_ok($$SELECT examq_resolve_job_id('abcz')$$, '22023', NULL, 'a non-hex prefix is refused');
SELECT throws_ok($$SELECT examq_resolve_job_id(repeat('a', 33))$$, '22023', NULL, 'more than 32 digits is refused');
SELECT throws_ok($$SELECT examq_resolve_job_id(NULL)$$, '22023', NULL, 'NULL is refused');
SELECT throws_ok($$SELECT examq_resolve_job_id('ffff')$$, 'P0002', 'no job ffff', 'a prefix nothing starts with: P0002');

-- More than 10 candidates: 10 listed, and the message says there are more.
INSERT INTO processing_jobs (id, job_type)
SELECT ('dddd0000-0000-4000-8000-0000000000' || lpad(i::text, 2, '0'))::uuid, 'lookup-test' FROM generate_series(1, 12) AS i;
SELECT throws_like($$SELECT examq_resolve_job_id('dddd')$$, '%more than 10 jobs, among them%',
                   'more than 10 candidates: says so');

-- Row-level security applies: a role that may run the function and read the table but is not
-- an admin sees no job, so it resolves none.
CREATE ROLE t_lookup_reader;
GRANT SELECT ON processing_jobs, exam_papers TO t_lookup_reader;
GRANT EXECUTE ON FUNCTION examq_resolve_job_id(text), examq_resolve_exam_paper_id(text) TO t_lookup_reader;
SELECT is(pg_temp.as_role('t_lookup_reader', $$SELECT examq_resolve_job_id('abce')$$), 'P0002',
          'a caller row-level security hides the job from finds no job');
SELECT is(pg_temp.as_role('t_lookup_reader', $$SELECT examq_resolve_exam_paper_id('0bae')$$), 'P0002',
          'nor a paper');
CREATE ROLE t_lookup_admin IN ROLE examq_admin;
SELECT is(pg_temp.as_role('t_lookup_admin', $$SELECT examq_resolve_job_id('abce')$$), 'ok', 'an admin resolves every job');
CREATE ROLE t_lookup_nobody;
SELECT is(pg_temp.as_role('t_lookup_nobody', $$SELECT examq_resolve_job_id('abce')$$), '42501',
          'a role without the grant may not call it');
SELECT is((SELECT prosecdef FROM pg_proc WHERE oid = 'examq_resolve_job_id(text)'::regprocedure), false,
          'examq_resolve_job_id is SECURITY INVOKER');

-- ---- papers by prefix
SELECT is(examq_resolve_exam_paper_id('0bae'), '0bae0000-0000-4000-8000-000000000003'::uuid, 'a paper by unique prefix');
SELECT throws_like($$SELECT examq_resolve_exam_paper_id('0bad0001')$$, '%matches 2 exam papers: % (Physics), % (Chemistry)',
                   'an ambiguous paper prefix lists the candidates with their titles');
SELECT throws_ok($$SELECT examq_resolve_exam_paper_id('0ba')$$, '22023', NULL, 'a short paper prefix is refused');

-- ---- submit_exam_paper with a batch and a page count
INSERT INTO processing_job_batches (id, label) VALUES ('11111111-2222-4333-8444-555555555555', 'cli batch');
SELECT lives_ok($$SELECT set_config('t.answer', submit_exam_paper('Long paper', 'long.pdf', '\x25504446'::bytea, 0, NULL, NULL,
                                                                   NULL, '11111111-2222-4333-8444-555555555555', 23)::text, true)$$,
                'submit_exam_paper takes a batch and a page count');
SELECT is(current_setting('t.answer')::jsonb ->> 'batch', '11111111-2222-4333-8444-555555555555', 'the answer names the batch');
SELECT is((SELECT batch_id::text FROM processing_jobs WHERE id = (current_setting('t.answer')::jsonb ->> 'jobId')::uuid),
          '11111111-2222-4333-8444-555555555555', 'the job is in the batch');
SELECT is(current_setting('examq.batch_id', true), '', 'and the transaction''s default batch is left as it was');
SELECT is((SELECT page_count FROM exam_papers WHERE id = (current_setting('t.answer')::jsonb ->> 'examPaperId')::uuid), 23,
          'the paper has the submitter''s page count');
SELECT throws_ok($$SELECT submit_exam_paper('x', 'x.pdf', '\x25504446'::bytea, 0, NULL, NULL, NULL, NULL, 0)$$, '22023', NULL,
                 'a page count of 0 is refused');
SELECT throws_ok($$SELECT submit_exam_paper('x', 'x.pdf', '\x25504446'::bytea, 0, NULL, NULL, NULL, gen_random_uuid(), 1)$$, '23503', NULL,
                 'a batch that does not exist is refused');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE proname = 'submit_exam_paper'), 2,
          'the 7-argument submit_exam_paper is still there');
SELECT ok(NOT (submit_exam_paper('Plain', 'plain.pdf', '\x25504446'::bytea) ? 'batch'),
          'the 7-argument form still resolves alone, and its answer has no batch');

-- ---- the estimate: per page from history that says its pages, times the paper's pages
DELETE FROM processing_jobs;
-- Two 10-page papers at 1 s a page; one job without a page count that took 100 s (it must not
-- count as "100 s a page").
INSERT INTO processing_jobs (job_type, status, started_at, completed_at, result, attempts)
VALUES ('estimate-test', 'completed', now() - interval '10 s', now(), '{"pages": 10}', 1),
       ('estimate-test', 'completed', now() - interval '10 s', now(), '{"pages": 10}', 1),
       ('estimate-test', 'completed', now() - interval '100 s', now(), '{}', 1);
SELECT is(processing_job_estimated_seconds('estimate-test', 23), 23,
          '23 pages at the 1 s a page measured, a job without a page count left out');
SELECT is(processing_job_estimated_seconds('estimate-none', 23), 69, 'no history: 3 s a page');

SELECT * FROM finish();
ROLLBACK;
