-- Claiming: order, filters, batch form, what a claim records, the partial index.
BEGIN;
SELECT plan(24);

INSERT INTO processing_jobs (id, job_type, priority, run_at) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'claim-order', 0,  now() - interval '4 min'),
  ('00000000-0000-0000-0000-00000000000b', 'claim-order', 5,  now() - interval '1 min'),
  ('00000000-0000-0000-0000-00000000000c', 'claim-order', 5,  now() - interval '3 min'),
  ('00000000-0000-0000-0000-00000000000d', 'claim-order', -1, now() - interval '9 min'),
  ('00000000-0000-0000-0000-00000000000e', 'claim-order', 9,  now() + interval '1 hour');

SELECT is((SELECT id FROM get_next_processing_job('w1', ARRAY['claim-order'])),
          '00000000-0000-0000-0000-00000000000c'::uuid, 'highest priority first, then the oldest');
SELECT is((SELECT id FROM get_next_processing_job('w1', ARRAY['claim-order'])),
          '00000000-0000-0000-0000-00000000000b'::uuid, 'same priority: the next oldest');
SELECT is((SELECT id FROM get_next_processing_job('w1', ARRAY['claim-order'])),
          '00000000-0000-0000-0000-00000000000a'::uuid, 'then lower priority');
SELECT is((SELECT id FROM get_next_processing_job('w1', ARRAY['claim-order'])),
          '00000000-0000-0000-0000-00000000000d'::uuid, 'negative priority last');
SELECT is_empty($$SELECT * FROM get_next_processing_job('w1', ARRAY['claim-order'])$$,
                'a job whose run_at has not come is not claimed');

SELECT row_eq($$SELECT status, locked_by, attempts, started_at IS NOT NULL,
                       locked_until > now() + interval '59 seconds', lease_duration
                  FROM processing_jobs WHERE id = '00000000-0000-0000-0000-00000000000c'$$,
              ROW('processing'::text, 'w1'::text, 1, true, true, interval '60 seconds'),
              'a claim marks the job processing with worker, attempt, start and a 60 s lease');

-- job_types filter and NULL meaning any.
INSERT INTO processing_jobs (job_type) VALUES ('claim-x'), ('claim-y');
SELECT is((SELECT job_type FROM get_next_processing_job('w2', ARRAY['claim-y', 'nothing'])),
          'claim-y', 'only the requested job types are claimed');
SELECT is_empty($$SELECT * FROM get_next_processing_job('w2', ARRAY['claim-y'])$$,
                'nothing left of that type');

-- A custom lease and the default worker id.
INSERT INTO processing_jobs (job_type) VALUES ('claim-lease');
SELECT ok((SELECT locked_until BETWEEN now() + interval '4 seconds' AND now() + interval '6 seconds'
             FROM get_next_processing_job(NULL, ARRAY['claim-lease'], interval '5 seconds')),
          'the lease length is the caller''s');
SELECT is((SELECT locked_by FROM processing_jobs WHERE job_type = 'claim-lease'),
          session_user || '@' || pg_backend_pid(), 'without a worker id the holder is user@pid');

-- Batch form.
INSERT INTO processing_jobs (job_type, priority) SELECT 'claim-batch', g % 3 FROM generate_series(1, 25) g;
SELECT is((SELECT count(*) FROM get_next_processing_jobs(10, 'wb', ARRAY['claim-batch'])), 10::bigint,
          'a batch claims up to N');
SELECT is((SELECT min(priority) FROM processing_jobs WHERE job_type = 'claim-batch' AND status = 'processing'),
          1, 'the batch took the most urgent jobs');
SELECT is((SELECT count(*) FROM get_next_processing_jobs(100, 'wb', ARRAY['claim-batch'])), 15::bigint,
          'a larger batch takes what is left');
SELECT is((SELECT count(DISTINCT id) FROM processing_jobs WHERE job_type = 'claim-batch' AND locked_by = 'wb'),
          25::bigint, 'every job claimed once');

SELECT throws_ok($$SELECT * FROM get_next_processing_jobs(0)$$, '22023', NULL, 'batch size 0 is refused');
SELECT throws_ok($$SELECT * FROM get_next_processing_jobs(1, 'w', NULL, interval '0')$$, '22023', NULL,
                 'a zero lease is refused');
SELECT throws_ok($$SELECT * FROM get_next_processing_job('w', NULL, interval '-1 second')$$, '22023', NULL,
                 'a negative lease is refused');

-- The seed's psql usage works as written.
INSERT INTO processing_jobs (job_type) VALUES ('claim-psql');
SELECT lives_ok($$SELECT get_next_processing_job()$$, 'SELECT get_next_processing_job() works');

-- With statistics, a 500-job claim from 20,000 pending jobs joins the claimed ids back by
-- primary key; the planner preferred reading the whole table (a hash join over a sequential
-- scan) until the function turned sequential scans off. The scan counts of this transaction
-- show which way it went.
INSERT INTO processing_jobs (job_type) SELECT 'claim-many' FROM generate_series(1, 20000);
ANALYZE processing_jobs;
SELECT pg_stat_get_xact_numscans('processing_jobs'::regclass) AS seq_before \gset
SELECT is((SELECT count(*) FROM get_next_processing_jobs(500, 'wm', ARRAY['claim-many'])), 500::bigint,
          'a 500-job claim among 20,000 pending jobs');
SELECT is(pg_stat_get_xact_numscans('processing_jobs'::regclass), :'seq_before'::bigint,
          'the claim reads no table sequentially');

-- With many finished jobs the claim still walks the partial index, never the table.
INSERT INTO processing_jobs (job_type, status, completed_at, progress_percentage)
SELECT 'claim-history', 'completed', now(), 100 FROM generate_series(1, 50000);
ANALYZE processing_jobs;
CREATE FUNCTION pg_temp.claim_plan() RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE $q$EXPLAIN (COSTS OFF)
    SELECT id FROM processing_jobs
     WHERE status = 'pending' AND run_at <= now() AND (NULL::text[] IS NULL OR job_type = ANY (NULL::text[]))
     ORDER BY priority DESC, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED$q$;
END $$;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.claim_plan() p WHERE p LIKE '%Index Scan using processing_jobs_claim_idx%'),
          'the claim query uses the partial claim index');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_temp.claim_plan() p WHERE p LIKE '%Seq Scan%' OR p LIKE '%Sort%'),
          'no sequential scan or sort over finished jobs');
SELECT ok(NOT EXISTS (SELECT 1 FROM processing_jobs WHERE job_type = 'claim-history' AND status <> 'completed'),
          'claiming never touches finished jobs');
INSERT INTO processing_jobs (job_type) SELECT 'claim-after-history' FROM generate_series(1, 5);
SELECT is((SELECT count(*) FROM get_next_processing_jobs(5, 'wh', ARRAY['claim-after-history'])), 5::bigint,
          'claims still succeed among 50,000 finished jobs');

SELECT * FROM finish();
ROLLBACK;
