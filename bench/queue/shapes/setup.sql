-- The shapes of bench/queue/shapes.sh: the same job row (processing_jobs' columns, defaults and
-- CHECK constraints) stored five ways, bare (no functions, no triggers), so that a drain measures
-- the floor of the server's work a job costs in each. Run in a database where sql/install.sql ran.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS shapes CASCADE;
CREATE SCHEMA shapes;

-- kept: today's shape. One table; a finished job stays as history; today's indexes.
CREATE TABLE shapes.kept (LIKE public.processing_jobs INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE shapes.kept ADD PRIMARY KEY (id);
CREATE INDEX kept_claim ON shapes.kept (priority DESC, run_at, id) WHERE status = 'pending';
CREATE INDEX kept_lease ON shapes.kept (locked_until) WHERE status = 'processing';
CREATE INDEX kept_finished ON shapes.kept (completed_at)
  WHERE status IN ('completed', 'failed', 'cancelled');
CREATE INDEX kept_created ON shapes.kept (created_at DESC);
CREATE INDEX kept_paper ON shapes.kept (exam_paper_id) WHERE exam_paper_id IS NOT NULL;
CREATE UNIQUE INDEX kept_active_paper ON shapes.kept (exam_paper_id, job_type)
  WHERE status IN ('pending', 'processing') AND exam_paper_id IS NOT NULL;

-- hot: kept, but the completion can be a HOT update: no index names a column it changes (the
-- claim index keyed on lease_duration, which the claim sets; no lease or finished index, so
-- expired leases and old jobs could only be found by scanning).
CREATE TABLE shapes.hot (LIKE public.processing_jobs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  WITH (fillfactor = 70);
ALTER TABLE shapes.hot ADD PRIMARY KEY (id);
CREATE INDEX hot_claim ON shapes.hot (priority DESC, run_at, id) WHERE lease_duration IS NULL;
CREATE INDEX hot_created ON shapes.hot (created_at DESC);

-- part: one table partitioned by status: live jobs (pending, processing) and finished ones; the
-- completion moves the row between partitions. The key must hold the partition column.
CREATE TABLE shapes.part (LIKE public.processing_jobs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY LIST (status);
CREATE TABLE shapes.part_live PARTITION OF shapes.part FOR VALUES IN ('pending', 'processing');
CREATE TABLE shapes.part_done PARTITION OF shapes.part
  FOR VALUES IN ('completed', 'failed', 'cancelled');
ALTER TABLE shapes.part ADD PRIMARY KEY (id, status);
CREATE INDEX part_claim ON shapes.part_live (priority DESC, run_at, id) WHERE status = 'pending';
CREATE INDEX part_lease ON shapes.part_live (locked_until) WHERE status = 'processing';
CREATE UNIQUE INDEX part_active_paper ON shapes.part_live (exam_paper_id, job_type)
  WHERE exam_paper_id IS NOT NULL;
CREATE INDEX part_paper ON shapes.part (exam_paper_id) WHERE exam_paper_id IS NOT NULL;
CREATE INDEX part_finished ON shapes.part_done (completed_at);
CREATE INDEX part_created ON shapes.part_done (created_at DESC);

-- live: live jobs in one table, finished ones moved by the completion into a history table.
CREATE TABLE shapes.live (LIKE public.processing_jobs INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE shapes.live ADD PRIMARY KEY (id);
CREATE INDEX live_claim ON shapes.live (priority DESC, run_at, id) WHERE status = 'pending';
CREATE INDEX live_lease ON shapes.live (locked_until) WHERE status = 'processing';
CREATE INDEX live_paper ON shapes.live (exam_paper_id) WHERE exam_paper_id IS NOT NULL;
CREATE UNIQUE INDEX live_active_paper ON shapes.live (exam_paper_id, job_type)
  WHERE exam_paper_id IS NOT NULL;
CREATE TABLE shapes.history (LIKE public.processing_jobs INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE shapes.history ADD PRIMARY KEY (id);
CREATE INDEX history_finished ON shapes.history (completed_at);
CREATE INDEX history_created ON shapes.history (created_at DESC);
CREATE INDEX history_paper ON shapes.history (exam_paper_id) WHERE exam_paper_id IS NOT NULL;

-- gone: graphile-worker's shape on the same row: the completion deletes the job (no history).
CREATE TABLE shapes.gone (LIKE shapes.live INCLUDING ALL);

-- lean: live, with the least a kept history can have: its primary key (a job is still found by
-- id) and BRIN instead of B-tree indexes on the append-ordered times.
CREATE TABLE shapes.lean (LIKE shapes.live INCLUDING ALL);
CREATE TABLE shapes.lean_history (LIKE public.processing_jobs INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE shapes.lean_history ADD PRIMARY KEY (id);
CREATE INDEX lean_history_times ON shapes.lean_history USING brin (completed_at, created_at);
