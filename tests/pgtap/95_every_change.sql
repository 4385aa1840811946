-- Every change is announced (sql/0007, issue 22): visible updates of any kind, deletes in
-- batches, a cleanup as one count; heartbeats stay silent; process_background_jobs() wakes the
-- workers without claiming. A real listener (dblink) hears what a writer session commits.
BEGIN;
SELECT plan(18);

\ir support/listener.psql
SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type LIKE 'e-%'$$);
SELECT dblink_exec('listener', 'LISTEN processing_jobs_changes');
SELECT dblink_exec('listener', 'LISTEN processing_jobs_available');

-- A marker the writer sends after the statements under test: hearing it proves everything
-- before it was heard, so "nothing else" can be checked without waiting for a timeout.
CREATE FUNCTION pg_temp.mark() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '10 seconds';
BEGIN
  PERFORM * FROM dblink('writer', $q$SELECT pg_notify('processing_jobs_changes', '{"op": "MARK"}')::text$q$) AS t(x text);
  LOOP
    INSERT INTO heard (channel, payload) SELECT notify_name, extra::jsonb FROM dblink_get_notify('listener');
    EXIT WHEN EXISTS (SELECT 1 FROM heard WHERE payload ->> 'op' = 'MARK') OR clock_timestamp() > deadline;
    PERFORM pg_sleep(0.01);
  END LOOP;
  DELETE FROM heard WHERE payload ->> 'op' = 'MARK';
  RETURN (SELECT count(*) FROM heard);
END $$;

SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (id, job_type, payload) VALUES
  ('00000000-0000-0000-0000-0000000e0001', 'e-one', '{"a": 1}')$$);
SELECT pg_temp.mark();
TRUNCATE heard;

-- ---- updates that change neither status nor progress
SELECT dblink_exec('writer', $$UPDATE processing_jobs SET priority = 7 WHERE id = '00000000-0000-0000-0000-0000000e0001'$$);
SELECT is(pg_temp.mark(), 1, 'a priority change notifies');
SELECT is((SELECT (payload ->> 'priority')::int FROM heard), 7, '... and the payload carries the new priority');
TRUNCATE heard;
SELECT dblink_exec('writer', $$UPDATE processing_jobs SET payload = '{"a": 2}' WHERE id = '00000000-0000-0000-0000-0000000e0001'$$);
SELECT is(pg_temp.mark(), 1, 'a payload change notifies');
SELECT ok(NOT EXISTS (SELECT 1 FROM heard WHERE payload::text LIKE '%"a"%'), '... without the payload itself');
TRUNCATE heard;
SELECT dblink_exec('writer', $$UPDATE processing_jobs SET payload = jsonb_build_object('big', repeat('x', 100000))
                                WHERE id = '00000000-0000-0000-0000-0000000e0001'$$);
SELECT dblink_exec('writer', $$UPDATE processing_jobs SET payload = jsonb_build_object('big', repeat('y', 100000))
                                WHERE id = '00000000-0000-0000-0000-0000000e0001'$$);
SELECT is(pg_temp.mark(), 2, 'a large payload replaced by another notifies (its stored size changed)');
TRUNCATE heard;
SELECT dblink_exec('writer', $$UPDATE processing_jobs SET priority = priority WHERE id = '00000000-0000-0000-0000-0000000e0001'$$);
SELECT is(pg_temp.mark(), 0, 'an update that changes nothing visible is silent');

-- ---- a heartbeat is silent; a progress report is not
SELECT pg_temp.w($$SELECT get_next_processing_job('ew', ARRAY['e-one'])$$);
SELECT pg_temp.mark();
TRUNCATE heard;
SELECT pg_temp.w($$SELECT heartbeat_processing_jobs(ARRAY['00000000-0000-0000-0000-0000000e0001']::uuid[], 'ew', ARRAY[1])$$);
SELECT is(pg_temp.mark(), 0, 'a heartbeat is silent (the hot path sends what it sent before)');
SELECT pg_temp.w($$SELECT update_job_progress('00000000-0000-0000-0000-0000000e0001', 30, 'Reading', 'ew', 1)$$);
SELECT is(pg_temp.mark(), 1, 'a progress report notifies');
TRUNCATE heard;

-- ---- deletes
SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE id = '00000000-0000-0000-0000-0000000e0001'$$);
SELECT is(pg_temp.mark(), 1, 'a delete notifies once');
SELECT is((SELECT payload FROM heard), '{"op": "DELETE", "count": 1, "ids": ["00000000-0000-0000-0000-0000000e0001"]}'::jsonb,
          '... with op DELETE and the id');
TRUNCATE heard;
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (job_type) SELECT 'e-batch' FROM generate_series(1, 400)$$);
SELECT pg_temp.mark();
TRUNCATE heard;
SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type = 'e-batch'$$);
SELECT is(pg_temp.mark(), 3, '400 rows deleted in one statement: 3 notifications of at most 150 ids');
SELECT is((SELECT sum(jsonb_array_length(payload -> 'ids'))::int FROM heard), 400, '... naming all 400');
SELECT ok((SELECT max(octet_length(payload::text)) < 8000 FROM heard), '... each under NOTIFY''s 8000 bytes');
TRUNCATE heard;

-- ---- a cleanup: one count, not the ids
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (job_type, status, started_at, completed_at, attempts)
                                SELECT 'e-old', 'completed', now() - interval '40 days', now() - interval '40 days', 1
                                  FROM generate_series(1, 1500)$$);
SELECT pg_temp.mark();
TRUNCATE heard;
SELECT pg_temp.w($$SELECT cleanup_old_processing_jobs(interval '30 days')$$);
SELECT is(pg_temp.mark(), 1, 'a cleanup of 1500 jobs sends one notification');
SELECT is((SELECT payload FROM heard), '{"op": "DELETE", "count": 1500, "ids": null}'::jsonb, '... with the count and no ids: re-read');
TRUNCATE heard;

-- ---- process_background_jobs: wakes, names the next job, claims nothing
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (id, job_type, priority) VALUES
  ('00000000-0000-0000-0000-0000000e0002', 'e-low', 0), ('00000000-0000-0000-0000-0000000e0003', 'e-high', 9)$$);
SELECT pg_temp.mark();
TRUNCATE heard;
SELECT is((SELECT * FROM dblink('writer', 'SELECT process_background_jobs()') AS t(v jsonb)),
          '{"success": true, "jobId": "00000000-0000-0000-0000-0000000e0003"}'::jsonb, 'process_background_jobs names the next job');
SELECT is(pg_temp.mark(), 1, '... and sends one wake-up ...');
SELECT is((SELECT payload FROM heard WHERE channel = 'processing_jobs_available'), '{"job_types": null}'::jsonb, '... for any type');

SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type LIKE 'e-%'$$);
SELECT dblink_disconnect('listener');
SELECT dblink_disconnect('writer');
SELECT * FROM finish();
ROLLBACK;
