-- 0016: a snooze carries details and counts itself (error_details.snoozes / snoozed_seconds), so
-- a worker can stop snoozing a job past its budget; a failure starts the count again.
BEGIN;
SELECT plan(14);

CREATE FUNCTION pg_temp.claim(t text, w text DEFAULT 'w1') RETURNS uuid LANGUAGE sql AS $$
  SELECT id FROM get_next_processing_job(w, ARRAY[t])
$$;
CREATE FUNCTION pg_temp.due(j uuid) RETURNS void LANGUAGE sql AS $$
  UPDATE processing_jobs SET run_at = now() WHERE id = j
$$;

SELECT has_function('snooze_processing_job', ARRAY['uuid', 'interval', 'text', 'text', 'integer', 'jsonb'],
                    'snooze_processing_job takes details as a 6th argument');
SELECT hasnt_function('snooze_processing_job', ARRAY['uuid', 'interval', 'text', 'text', 'integer'],
                      'the 5-argument signature is gone (5-argument calls resolve to the new one)');

INSERT INTO processing_jobs (job_type, max_retries) VALUES ('sb-ai', 2);
SELECT pg_temp.claim('sb-ai') AS job \gset

-- A 5-argument call still works, and is counted.
SELECT row_eq(format('SELECT status, error_details FROM snooze_processing_job(%L, interval ''30 seconds'', %L, %L, 1)',
                     :'job', 'HTTP 429', 'w1'),
              ROW('pending'::text, '{"snooze_reason": "HTTP 429", "snoozes": 1, "snoozed_seconds": 30.000}'::jsonb),
              'a 5-argument snooze counts one snooze of 30 s');

SELECT pg_temp.due(:'job');
SELECT is(pg_temp.claim('sb-ai'), :'job'::uuid, 'the snoozed job is claimed again');
SELECT row_eq(format($q$SELECT error_details ->> 'snoozes', error_details ->> 'snoozed_seconds', error_details -> 'usage',
                              error_details ->> 'snooze_reason', error_details ->> 'kind', retry_count
                         FROM snooze_processing_job(%L, interval '1.5 seconds', 'overloaded', 'w1', 2,
                                                    '{"kind": "rate_limited", "usage": {"input_tokens": 120}}')$q$, :'job'),
              ROW('2'::text, '31.500'::text, '{"input_tokens": 120}'::jsonb, 'overloaded'::text, 'rate_limited'::text, 0),
              'a 6-argument snooze merges the details, keeps counting and uses no retry');

SELECT pg_temp.due(:'job');
SELECT pg_temp.claim('sb-ai') AS job2 \gset
SELECT is((snooze_processing_job(:'job', interval '1 second', NULL, 'w1', 3,
                                 '{"snoozes": 0, "snoozed_seconds": 0}')).error_details ->> 'snoozes', '3',
          'details cannot reset the counters; a NULL reason keeps the last one');
SELECT is((SELECT error_details ->> 'snooze_reason' FROM processing_jobs WHERE id = :'job'), 'overloaded',
          'the last reason is kept');

-- Refused details.
SELECT pg_temp.due(:'job');
SELECT pg_temp.claim('sb-ai') AS job3 \gset
SELECT throws_ok(format('SELECT snooze_processing_job(%L, interval ''1 second'', NULL, %L, 4, ''[1, 2]'')', :'job', 'w1'),
                 '22023', NULL, 'details that are not an object are refused');
SELECT throws_ok(format('SELECT snooze_processing_job(%L, interval ''1 second'', NULL, %L, 3, NULL)', :'job', 'w1'),
                 '55000', NULL, 'a stale attempt cannot snooze');
SELECT is((SELECT status FROM processing_jobs WHERE id = :'job'), 'processing', 'the refused snoozes changed nothing');
SET examq.max_error_details_bytes = 100;
SELECT is((snooze_processing_job(:'job', interval '1 second', NULL, 'w1', 4,
                                 jsonb_build_object('blob', repeat('x', 500)))).error_details -> 'truncated', 'true'::jsonb,
          'details past examq.max_error_details_bytes are cut, not refused');
RESET examq.max_error_details_bytes;
SELECT is((SELECT (error_details ->> 'snoozes')::int FROM processing_jobs WHERE id = :'job'), 4, 'and the snooze still counts');

-- A failure replaces error_details: the next snooze starts a new count.
SELECT pg_temp.due(:'job');
SELECT pg_temp.claim('sb-ai') AS job4 \gset
SELECT is((fail_processing_job(:'job', 'snoozed too often', false, '{"kind": "rate_limited"}', 'w1', 5)).retry_count, 1,
          'a failure after the budget uses a retry');
SELECT pg_temp.due(:'job');
SELECT pg_temp.claim('sb-ai') AS job5 \gset
SELECT is((snooze_processing_job(:'job', interval '2 seconds', 'again', 'w1', 6)).error_details ->> 'snoozes', '1',
          'after a failure the snoozes are counted from 1 again');

SELECT * FROM finish();
ROLLBACK;
