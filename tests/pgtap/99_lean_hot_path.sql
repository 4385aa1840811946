-- sql/0015 (a leaner hot path): the hand-quoted change payload stays valid JSON whatever the step
-- holds, the one-pass update trigger still announces every change (and every wake-up) in a
-- session whose cached plan was made for a one-row statement, and the inlined
-- examq_request_user_id() still reads request.jwt.claims' sub for the authenticated role only.
BEGIN;
SELECT plan(19);

\ir support/listener.psql
SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type LIKE 'lean-%'$$);
SELECT dblink_exec('listener', 'LISTEN processing_jobs_changes');
SELECT dblink_exec('listener', 'LISTEN processing_jobs_available');

-- ---- the payload: valid JSON, the step as it was, for awkward steps
CREATE TEMP TABLE awkward (k int, step text);
INSERT INTO awkward VALUES
  (1, 'plain words'), (2, 'a "quoted" word'), (3, E'back\\slash and \\u0041 not an escape'),
  (4, E'line\nbreak\r\nand\ttab'), (5, E'bell \x07 and \x01 and \x1f'), (6, E'delete \x7f char'),
  (7, E'caf\u00e9 \u2603 \U0001F600'), (8, ''), (9, '}{"op": "DELETE"}'), (10, repeat('x', 199) || '"tail"'),
  (11, repeat('y', 300)), (12, NULL), (13, '\'), (14, '"'), (15, E'\u2028 line separator');
CREATE TEMP TABLE payloads AS
  SELECT a.k, a.step,
         processing_job_change_payload('UPDATE', jsonb_populate_record(NULL::processing_jobs,
           jsonb_build_object('id', '00000000-0000-0000-0000-00000000c0c0', 'job_type', 'lean-json',
                              'status', 'processing', 'current_step', a.step, 'progress_percentage', 5,
                              'retry_count', 0, 'cancel_requested', false, 'priority', 0,
                              'updated_at', now()))) AS payload
    FROM awkward AS a;
SELECT is((SELECT count(*) FROM payloads), 15::bigint, 'a payload for each awkward step');
SELECT lives_ok($$SELECT payload::json, payload::jsonb FROM payloads$$, 'every payload parses as JSON');
SELECT is_empty($$SELECT k FROM payloads WHERE (payload::jsonb ->> 'current_step') IS DISTINCT FROM left(step, 200)$$,
                'the step reads back as it was (cut to 200 characters), NULL as null');
SELECT is_empty($$SELECT k FROM payloads WHERE (payload::jsonb ->> 'op') <> 'UPDATE' OR (payload::jsonb ->> 'status') <> 'processing'
                     OR (payload::jsonb ->> 'job_type') <> 'lean-json'$$,
                'no step breaks out of its string into the other keys');
SELECT is_empty($$SELECT k FROM payloads WHERE payload ~ '[\x01-\x1f]'$$,
                'no raw control character is left in the text');

-- ---- every change announced, one pass: a one-row statement first, then 300 rows
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000c001', 'lean-one')$$);
SELECT is(pg_temp.hear(2), 2, 'a one-row insert: a change and a wake-up');
TRUNCATE heard;
SELECT pg_temp.w($$SELECT get_next_processing_job('wl', ARRAY['lean-one'])$$);
SELECT is(pg_temp.hear(1), 1, 'a one-row claim: one change (the session''s plan is made for one row)');
TRUNCATE heard;
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (job_type) SELECT 'lean-many' FROM generate_series(1, 300)$$);
SELECT is(pg_temp.hear(301), 301, '300 inserted in one statement: 300 changes and one wake-up');
TRUNCATE heard;
SELECT pg_temp.w($$SELECT get_next_processing_jobs(300, 'wl', ARRAY['lean-many'])$$);
SELECT is(pg_temp.hear(300), 300, 'a 300-job claim in the same session: 300 changes');
SELECT is((SELECT count(DISTINCT payload->>'id') FROM heard WHERE payload->>'status' = 'processing'), 300::bigint,
          'one for each job, each saying processing');
TRUNCATE heard;
-- Their leases run out (a lease-only update is silent), then one rescue takes all 300 back.
SELECT dblink_exec('writer', $$UPDATE processing_jobs SET locked_until = now() - interval '1 minute' WHERE job_type = 'lean-many'$$);
SELECT pg_temp.w($$SELECT rescue_expired_processing_jobs()$$);
SELECT is(pg_temp.hear(301), 301, 'one rescue of 300 expired jobs: 300 changes and one wake-up ...');
SELECT is((SELECT payload FROM heard WHERE channel = 'processing_jobs_available'), '{"job_types": ["lean-many"]}'::jsonb,
          '... naming the type made claimable again');
TRUNCATE heard;
SELECT dblink_exec('writer', $$SET examq.notify_payload = 'minimal'$$);
SELECT pg_temp.w($$SELECT get_next_processing_jobs(2, 'wl', ARRAY['lean-many'])$$);
SELECT is(pg_temp.hear(2), 2, 'minimal mode, same session: still one change per job ...');
SELECT is_empty($$SELECT 1 FROM heard WHERE (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(payload) AS k) <> '{id,op,status}'$$,
                '... with op, id and status only');
SELECT dblink_exec('writer', $$RESET examq.notify_payload$$);

-- ---- the request's user: inlined, and read from the claims as before
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated; END IF;
END $$;
CREATE FUNCTION pg_temp.user_as(r text, claims text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  u text;
BEGIN
  PERFORM set_config('request.jwt.claims', claims, true);
  EXECUTE format('SET LOCAL ROLE %I', r);
  u := examq_request_user_id()::text;
  RESET ROLE;
  RETURN coalesce(u, 'null');
END $$;
SELECT is(pg_temp.user_as('authenticated', '{"sub": "00000000-0000-0000-0000-0000000000aa", "role": "authenticated"}'),
          '00000000-0000-0000-0000-0000000000aa', 'authenticated: the claims'' sub');
SELECT is(ARRAY[pg_temp.user_as('authenticated', 'not json'), pg_temp.user_as('authenticated', ''),
                pg_temp.user_as('authenticated', '{"role": "authenticated"}')],
          ARRAY['null', 'null', 'null'], 'garbled claims, no claims, no sub: nobody');
SELECT throws_ok($$SELECT pg_temp.user_as('authenticated', '{"sub": "not-a-uuid"}')$$, '22P02', NULL,
                 'a sub that is no uuid is refused, as before 0015');
SELECT is(pg_temp.user_as(current_user, '{"sub": "00000000-0000-0000-0000-0000000000aa"}'), 'null',
          'any other role: nobody, whatever the claims say');
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  out text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP out := out || line || E'\n'; END LOOP;
  RETURN out;
END $$;
SELECT ok(pg_temp.plan_of('SELECT examq_request_user_id()') ~ 'CASE WHEN .*authenticated'
          AND pg_temp.plan_of('SELECT examq_request_user_id()') !~ 'examq_request_user_id',
          'the planner inlines examq_request_user_id() (the plan shows its CASE, not a call)');

SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type LIKE 'lean-%'$$);
SELECT dblink_disconnect('listener');
SELECT dblink_disconnect('writer');
SELECT * FROM finish();
ROLLBACK;
