-- What a Supabase project has before examq is installed, recreated on a plain cluster so that
-- tests/pgtap-supabase can check examq's privileges against it. Run as the superuser that will
-- then run sql/install.sql (Supabase's `postgres`), in a fresh database, BEFORE the install:
--
--   createdb examq_supabase
--   psql -d examq_supabase -v ON_ERROR_STOP=1 -f tests/pgtap-supabase/setup.sql
--   psql -d examq_supabase -v ON_ERROR_STOP=1 -f sql/install.sql
--
-- The roles are cluster-wide: drop them afterwards (ci/test does) so that other suites never
-- see them. After Supabase's initial schema (supabase/postgres, migrations/db/init-scripts):
-- the three API roles, an auth schema, USAGE on public, and default privileges that give the
-- API roles everything the installing role creates in public.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS auth;

GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;

-- Supabase Realtime's publication, empty as a new project has it (sql/0007 adds processing_jobs).
CREATE PUBLICATION supabase_realtime;
