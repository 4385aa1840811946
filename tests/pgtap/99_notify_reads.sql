-- What the worker's notify handler reads (sql/0013): a worker login that is not an admin sees
-- every batch (its label names it in the message), as it sees every job, paper and question,
-- and every notification preference; and it still may not change a batch.
BEGIN;
SELECT plan(5);

\ir support/roles.psql
CREATE ROLE nr_worker IN ROLE examq_worker;
CREATE ROLE nr_other;
SELECT examq_begin_batch('Week 12') AS nr_batch \gset
INSERT INTO processing_jobs (job_type) VALUES ('nr-job');
INSERT INTO examq_notification_preferences (role_name, email) VALUES ('nr_someone', 'a@b.example');

SELECT is(pg_temp.rows_as('nr_worker', $$SELECT label FROM processing_job_batches WHERE label = 'Week 12'$$), 1::bigint,
          'a worker login sees the batch and its label');
SELECT is(pg_temp.rows_as('nr_worker', $$SELECT 1 FROM processing_jobs WHERE job_type = 'nr-job' AND batch_id IS NOT NULL$$), 1::bigint,
          '... and its jobs');
SELECT is(pg_temp.rows_as('nr_worker', $$SELECT 1 FROM examq_notification_preferences WHERE role_name = 'nr_someone'$$), 1::bigint,
          '... and the preferences');
SELECT is(pg_temp.as_role('nr_worker', $$UPDATE processing_job_batches SET label = 'changed'$$), '42501',
          'a worker still may not change a batch');
SELECT is(pg_temp.as_role('nr_other', $$SELECT label FROM processing_job_batches$$), '42501',
          'a login in no examq role still reads no batch');

SELECT * FROM finish();
ROLLBACK;
