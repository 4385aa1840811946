-- Notifications, observed by a real listener: a second session (dblink) LISTENs while a third
-- commits changes. The data is committed and deleted at the end.
BEGIN;
SELECT plan(22);

\ir support/listener.psql
-- Leftovers of an interrupted earlier run.
SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type IN ('n-test', 'n-retry', 'n-bulk', 'n-size')$$);
SELECT dblink_exec('listener', 'LISTEN processing_jobs_changes');
SELECT dblink_exec('listener', 'LISTEN processing_jobs_available');


-- ---- insert
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (id, job_type, payload, exam_paper_id)
  VALUES ('00000000-0000-0000-0000-00000000a001', 'n-test', '{"secret": "do-not-broadcast", "base64_images": ["AAAA"]}', NULL)$$);
SELECT is(pg_temp.hear(2), 2, 'an insert sends a change and a wake-up');
SELECT is((SELECT payload - 'updated_at' FROM heard WHERE channel = 'processing_jobs_changes'),
          '{"op": "INSERT", "id": "00000000-0000-0000-0000-00000000a001", "job_type": "n-test", "status": "pending",
            "priority": 0, "progress_percentage": 0, "current_step": "Queued for processing", "exam_paper_id": null,
            "retry_count": 0, "cancel_requested": false, "batch_id": null}'::jsonb,
          'the change payload: op, id, type, status, progress, step, paper, retries ...');
SELECT is((SELECT (payload ->> 'updated_at')::timestamptz FROM heard WHERE channel = 'processing_jobs_changes'),
          (SELECT updated_at FROM processing_jobs WHERE id = '00000000-0000-0000-0000-00000000a001'),
          '... and the row''s updated_at (0005)');
SELECT is((SELECT payload FROM heard WHERE channel = 'processing_jobs_available'),
          '{"job_types": ["n-test"]}'::jsonb, 'the wake-up names the job type');
SELECT ok(NOT EXISTS (SELECT 1 FROM heard WHERE payload::text LIKE '%do-not-broadcast%' OR payload::text LIKE '%AAAA%'),
          'the job payload is never broadcast');

-- ---- claim, progress, heartbeat, complete
TRUNCATE heard;
SELECT pg_temp.w($$SELECT get_next_processing_job('wn', ARRAY['n-test'])$$);
SELECT is(pg_temp.hear(1), 1, 'a claim sends one change');
SELECT is((SELECT payload->>'status' FROM heard), 'processing', 'status processing');
TRUNCATE heard;
SELECT pg_temp.w($$SELECT update_job_progress('00000000-0000-0000-0000-00000000a001', 10, 'Analyzing exam paper with AI', 'wn', 1)$$);
SELECT pg_temp.w($$SELECT heartbeat_processing_jobs(ARRAY['00000000-0000-0000-0000-00000000a001']::uuid[], 'wn', ARRAY[1])$$);
SELECT pg_temp.w($$SELECT update_job_progress('00000000-0000-0000-0000-00000000a001', 10, 'Analyzing exam paper with AI', 'wn', 1)$$);
SELECT pg_temp.w($$SELECT complete_processing_job('00000000-0000-0000-0000-00000000a001', '{"big": "result"}', 'wn', 1)$$);
SELECT is(pg_temp.hear(2), 2, 'progress and completion each notify');
SELECT results_eq($$SELECT payload->>'status', (payload->>'progress_percentage')::int, payload->>'current_step' FROM heard ORDER BY n$$,
                  $$VALUES ('processing', 10, 'Analyzing exam paper with AI'), ('completed', 100, 'Completed')$$,
                  'in order: progress, then completion');
SELECT is((SELECT count(*) FROM heard WHERE channel = 'processing_jobs_available'), 0::bigint,
          'running and finishing wake no worker');
SELECT ok(NOT EXISTS (SELECT 1 FROM heard WHERE payload::text LIKE '%result%'), 'the result is never broadcast');

-- An unchanged progress report and a heartbeat are silent (checked with a marker after them).
TRUNCATE heard;
SELECT dblink_exec('writer', $$NOTIFY processing_jobs_changes, '{"marker": true}'$$);
SELECT is(pg_temp.hear(1), 1, 'only the marker arrived');
SELECT is((SELECT payload FROM heard), '{"marker": true}'::jsonb, 'no notification for a heartbeat or unchanged progress');

-- ---- retry due now wakes workers; a delayed retry does not
TRUNCATE heard;
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000a002', 'n-retry')$$);
SELECT pg_temp.w($$SELECT get_next_processing_job('wn', ARRAY['n-retry'])$$);
SELECT dblink_exec('writer', $$SET examq.retry_backoff_base = '0'$$);
SELECT pg_temp.w($$SELECT fail_processing_job('00000000-0000-0000-0000-00000000a002', 'transient', worker_id => 'wn', attempt => 1)$$);
SELECT is(pg_temp.hear(5), 5, 'insert (2), claim (1), retry (change and wake-up)');
SELECT is((SELECT payload FROM heard WHERE channel = 'processing_jobs_available' ORDER BY n DESC LIMIT 1),
          '{"job_types": ["n-retry"]}'::jsonb, 'a retry due now wakes the workers');
SELECT is((SELECT payload->>'retry_count' FROM heard WHERE channel = 'processing_jobs_changes' ORDER BY n DESC LIMIT 1),
          '1', 'the change carries the retry count');

-- ---- a bulk insert: one change per job, but one wake-up
TRUNCATE heard;
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (job_type) SELECT 'n-bulk' FROM generate_series(1, 10000)$$);
SELECT is(pg_temp.hear(10001), 10001, 'a 10,000-row insert sends 10,000 changes and a single wake-up');
SELECT is((SELECT count(*) FROM heard WHERE channel = 'processing_jobs_available'), 1::bigint,
          'one wake-up for the whole statement');
SELECT is((SELECT count(DISTINCT payload->>'id') FROM heard WHERE channel = 'processing_jobs_changes'), 10000::bigint,
          'one change per job');

-- ---- payload size stays far under the 8000-byte limit even with a huge step text
TRUNCATE heard;
SELECT dblink_exec('writer', $$INSERT INTO processing_jobs (id, job_type) VALUES ('00000000-0000-0000-0000-00000000a003', 'n-size')$$);
SELECT pg_temp.w($$SELECT get_next_processing_job('wn', ARRAY['n-size'])$$);
SELECT pg_temp.w(format('SELECT update_job_progress(%L, 5, %L, %L, 1)', '00000000-0000-0000-0000-00000000a003', repeat('x', 20000), 'wn'));
SELECT is(pg_temp.hear(4), 4, 'a 20,000-character step still notifies');
SELECT ok((SELECT max(octet_length(payload::text)) < 1000 FROM heard), 'every payload is under 1000 bytes');

-- ---- the payload text is exactly what json_build_object gave before 0003 built it by hand
SELECT is_empty($$
  SELECT j.op, processing_job_change_payload(j.op, j.job)
    FROM (SELECT (ROW(p.*)::processing_jobs) AS job, o.op
            FROM (VALUES ('00000000-0000-0000-0000-00000000b001'::uuid, 'n.pay:load-1_A', 'pending', 0,
                          NULL::uuid, E'quote " backslash \\ newline \n tab \t control \x01 caf\u00e9 \u2603',
                          0, false),
                         ('00000000-0000-0000-0000-00000000b002', 'x', 'processing', 100,
                          '00000000-0000-0000-0000-0000000000ee', repeat('long ', 100), 7, true),
                         ('00000000-0000-0000-0000-00000000b003', 'y', 'failed', 55, NULL, NULL, 3, false))
                   AS v(id, job_type, status, progress_percentage, exam_paper_id, current_step,
                        retry_count, cancel_requested)
           CROSS JOIN LATERAL (SELECT v.id, v.job_type, v.status, 0 AS priority, v.exam_paper_id,
                                      NULL::jsonb AS payload, v.progress_percentage, v.current_step,
                                      NULL::jsonb, NULL::text, v.retry_count, 3, now(), NULL::timestamptz,
                                      NULL::timestamptz, now(), NULL::uuid, NULL::jsonb, 0, now(),
                                      NULL::text, NULL::timestamptz, NULL::interval,
                                      v.cancel_requested, NULL::uuid) AS p
           CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), (NULL)) AS o(op)
          UNION ALL
          SELECT NULL::processing_jobs, 'UPDATE') AS j
   WHERE processing_job_change_payload(j.op, j.job) IS DISTINCT FROM json_build_object(
           'op', j.op, 'id', (j.job).id, 'job_type', (j.job).job_type, 'status', (j.job).status,
           'priority', (j.job).priority, 'progress_percentage', (j.job).progress_percentage,
           'current_step', left((j.job).current_step, 200), 'exam_paper_id', (j.job).exam_paper_id,
           'retry_count', (j.job).retry_count, 'cancel_requested', (j.job).cancel_requested,
           'updated_at', (j.job).updated_at, 'batch_id', (j.job).batch_id)::text$$,
  'the change payload text is the same as json_build_object''s, escapes and NULLs included');

SELECT dblink_exec('writer', $$DELETE FROM processing_jobs WHERE job_type IN ('n-test', 'n-retry', 'n-bulk', 'n-size')$$);
SELECT dblink_disconnect('listener');
SELECT dblink_disconnect('writer');
SELECT * FROM finish();
ROLLBACK;
