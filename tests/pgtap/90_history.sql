-- processing_job_history (sql/0006): jobs per hour and per type over a chosen period, through
-- the caller's row-level security.
BEGIN;
SELECT plan(14);

\ir support/roles.psql

CREATE ROLE h_admin IN ROLE examq_admin;
CREATE ROLE h_other;

-- Two hours of jobs, fixed times: 10:xx three (two completed in 4 s and 8 s, one failed), 11:xx
-- one pending of another type; one outside the period.
INSERT INTO processing_jobs (job_type, status, created_at, started_at, completed_at, error_message, attempts, locked_by, locked_until) VALUES
  ('h-a', 'completed', '2026-01-01 10:05+00', '2026-01-01 10:05+00', '2026-01-01 10:05:04+00', NULL, 1, NULL, NULL),
  ('h-a', 'completed', '2026-01-01 10:20+00', '2026-01-01 10:20+00', '2026-01-01 10:20:08+00', NULL, 1, NULL, NULL),
  ('h-a', 'failed',    '2026-01-01 10:40+00', '2026-01-01 10:40+00', '2026-01-01 10:40:01+00', 'boom', 1, NULL, NULL),
  ('h-b', 'pending',   '2026-01-01 11:30+00', NULL, NULL, NULL, 0, NULL, NULL),
  ('h-a', 'completed', '2026-01-02 10:00+00', '2026-01-02 10:00+00', '2026-01-02 10:00:02+00', NULL, 1, NULL, NULL);

CREATE TEMP TABLE h AS SELECT processing_job_history('2026-01-01 00:00+00', '2026-01-02 00:00+00') AS v;

SELECT is(jsonb_array_length((SELECT v -> 'hours' FROM h)), 2, 'two hours with jobs');
SELECT is((SELECT v -> 'hours' -> 0 ->> 'created' FROM h)::int, 3, '10:00: three jobs created ...');
SELECT is((SELECT v -> 'hours' -> 0 ->> 'completed' FROM h)::int, 2, '... two completed ...');
SELECT is((SELECT v -> 'hours' -> 0 ->> 'failed' FROM h)::int, 1, '... one failed');
SELECT is((SELECT v -> 'hours' -> 1 ->> 'unfinished' FROM h)::int, 1, '11:00: one still pending');
SELECT is((SELECT t ->> 'total' FROM h, jsonb_array_elements(v -> 'types') AS t WHERE t ->> 'job_type' IS NULL)::int, 4,
          'all types: four jobs in the period (the next day''s is outside)');
SELECT is((SELECT (t ->> 'median_seconds')::numeric FROM h, jsonb_array_elements(v -> 'types') AS t WHERE t ->> 'job_type' = 'h-a'), 6.000,
          'h-a: median run time 6 s');
SELECT is((SELECT (t ->> 'failure_rate')::numeric FROM h, jsonb_array_elements(v -> 'types') AS t WHERE t ->> 'job_type' = 'h-a'), 0.3333,
          'h-a: failure rate 1 / 3');
SELECT is(jsonb_array_length(processing_job_history('2026-01-01 00:00+00', '2026-01-02 00:00+00', 'h-b') -> 'hours'), 1,
          'one job type only');

SELECT throws_ok($$SELECT processing_job_history('2026-01-02', '2026-01-01')$$, '22023', NULL, 'an end before the start is refused');
SELECT throws_ok($$SELECT processing_job_history('2026-01-01', '2026-03-01')$$, '22023', NULL, 'more than 31 days is refused');

SELECT is(pg_temp.as_role('h_admin', $$SELECT processing_job_history('2026-01-01', '2026-01-02')$$), 'ok', 'admin: may read the history');
SELECT is(pg_temp.as_role('h_other', $$SELECT processing_job_history('2026-01-01', '2026-01-02')$$), '42501', 'any other role: may not');
SELECT is(has_function_privilege('examq_worker', 'processing_job_history(timestamptz, timestamptz, text)', 'EXECUTE'), false,
          'workers may not');

SELECT * FROM finish();
ROLLBACK;
