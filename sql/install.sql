-- examq schema installer.
--
--   psql -v ON_ERROR_STOP=1 -d YOURDB -f sql/install.sql
--
-- Applies every migration in sql/NNNN_*.sql that this database has not recorded yet, each in its
-- own transaction together with its row in examq_migrations, so re-running is harmless and an
-- interrupted install resumes where it stopped. Migrations are forward-only: a released file
-- never changes; a fix is a new file. A session-level advisory lock serialises concurrent installs.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;

SELECT pg_advisory_lock(hashtext('examq.install')) AS locked \gset

\ir migrations_table.sql

-- One block per migration file, in order. To add one: create sql/NNNN_name.sql and copy a block
-- (`examq migrate` finds the files by name at build time; a test checks both installers agree).
SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 1) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0001_queue_core.sql
INSERT INTO examq_migrations (version, name) VALUES (1, 'queue_core');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 2) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0002_exam_paper_pipeline.sql
INSERT INTO examq_migrations (version, name) VALUES (2, 'exam_paper_pipeline');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 3) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0003_queue_hot_path.sql
INSERT INTO examq_migrations (version, name) VALUES (3, 'queue_hot_path');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 4) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0004_attempt_fencing_and_limits.sql
INSERT INTO examq_migrations (version, name) VALUES (4, 'attempt_fencing_and_limits');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 5) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0005_change_payload_updated_at.sql
INSERT INTO examq_migrations (version, name) VALUES (5, 'change_payload_updated_at');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 6) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0006_job_history.sql
INSERT INTO examq_migrations (version, name) VALUES (6, 'job_history');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 7) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0007_every_change.sql
INSERT INTO examq_migrations (version, name) VALUES (7, 'every_change');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 8) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0008_worker_registry.sql
INSERT INTO examq_migrations (version, name) VALUES (8, 'worker_registry');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 9) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0009_api_privileges_as_data.sql
INSERT INTO examq_migrations (version, name) VALUES (9, 'api_privileges_as_data');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 10) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0010_batches.sql
INSERT INTO examq_migrations (version, name) VALUES (10, 'batches');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 11) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0011_cli_lookup.sql
INSERT INTO examq_migrations (version, name) VALUES (11, 'cli_lookup');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 12) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0012_notifications.sql
INSERT INTO examq_migrations (version, name) VALUES (12, 'notifications');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 13) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0013_notify_reads_batches.sql
INSERT INTO examq_migrations (version, name) VALUES (13, 'notify_reads_batches');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 14) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0014_retag_questions.sql
INSERT INTO examq_migrations (version, name) VALUES (14, 'retag_questions');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 15) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0015_lean_hot_path.sql
INSERT INTO examq_migrations (version, name) VALUES (15, 'lean_hot_path');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 16) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0016_ai_snooze_budget.sql
INSERT INTO examq_migrations (version, name) VALUES (16, 'ai_snooze_budget');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 17) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0017_settle_in_one_update.sql
INSERT INTO examq_migrations (version, name) VALUES (17, 'settle_in_one_update');
COMMIT;
\endif

SELECT NOT EXISTS (SELECT 1 FROM examq_migrations WHERE version = 18) AS examq_pending \gset
\if :examq_pending
BEGIN;
\ir 0018_noop_execution_log.sql
INSERT INTO examq_migrations (version, name) VALUES (18, 'noop_execution_log');
COMMIT;
\endif

-- After the migrations, every time (the roles it names are made by the first one).
\ir migrations_access.sql
SELECT pg_advisory_unlock(hashtext('examq.install')) AS unlocked \gset
\unset QUIET
SELECT 'examq schema at version ' || max(version) AS examq FROM examq_migrations;
