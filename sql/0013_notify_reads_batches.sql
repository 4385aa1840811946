-- 0013 the notify handler reads batches (issue 17, part 2, worker side).
--
-- A notify job about a batch names it by its label (worker/src/notify/notification.cc).
-- processing_job_batches forces row-level security, and 0010 granted the worker role SELECT but
-- gave it no policy, so a worker login that is not an admin saw no batch at all and every batch
-- notification failed as "batch ... no longer exists". Workers already read every job
-- (processing_jobs_worker_select); they may read every batch likewise (labels, counts' owners).
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

CREATE POLICY processing_job_batches_worker_select ON processing_job_batches FOR SELECT TO examq_worker
  USING (true);
COMMENT ON POLICY processing_job_batches_worker_select ON processing_job_batches IS
  'Workers read every batch, as they read every job: the notify handler names a batch by its label.';
