/*
 * tasks.c: cleanup, catch-up, rescue and the run log, through SPI.
 *
 * All SQL is constant text with $n parameters. Objects are schema-qualified with public, where
 * the queue schema lives, so the worker's search_path cannot redirect them.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "settings.h"
#include "tasks.h"

/*
 * The run log. Created on first use by whichever of the worker or examq_cleanup_run_now() gets
 * there first; the advisory lock keeps two first uses from racing on CREATE TABLE.
 */
static const char *const create_run_log_sql =
"DO $examq$\n"
"BEGIN\n"
"  PERFORM pg_advisory_xact_lock(hashtext('examq_cleanup.run_log'));\n"
"  IF to_regclass('public.examq_cleanup_runs') IS NULL THEN\n"
"    CREATE TABLE public.examq_cleanup_runs (\n"
"      id            bigserial PRIMARY KEY,\n"
"      task          text NOT NULL CHECK (task IN ('cleanup', 'rescue')),\n"
"      reason        text NOT NULL,\n"
"      started_at    timestamptz NOT NULL,\n"
"      finished_at   timestamptz NOT NULL,\n"
"      rows_affected bigint,\n"
"      sqlstate      text,\n"
"      error         text,\n"
"      CHECK ((error IS NULL) = (rows_affected IS NOT NULL))\n"
"    );\n"
"    CREATE INDEX examq_cleanup_runs_task_finished_idx\n"
"      ON public.examq_cleanup_runs (task, finished_at);\n"
"    COMMENT ON TABLE public.examq_cleanup_runs IS\n"
"      'One row per examq_cleanup run: every cleanup, and each lease rescue that rescued jobs or '\n"
"      'failed. error IS NULL means it succeeded. Written by the examq_cleanup worker.';\n"
"    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'examq_admin') THEN\n"
"      GRANT SELECT ON public.examq_cleanup_runs TO examq_admin;\n"
"    END IF;\n"
"  END IF;\n"
"END\n"
"$examq$";

/* Runs one statement; any result other than `expected` is an internal error. */
static void
run_sql(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expected)
		elog(ERROR, "examq_cleanup: unexpected SPI result %s for: %s",
			 SPI_result_code_string(rc), sql);
}

/* The single column of the single row the last query returned; NULL reads as *isnull. */
static Datum
single_value(bool *isnull)
{
	if (SPI_processed != 1 || SPI_tuptable == NULL || SPI_tuptable->tupdesc->natts != 1)
		elog(ERROR, "examq_cleanup: expected exactly one value, got %lu rows",
			 (unsigned long) SPI_processed);
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
}

static bool
query_bool(const char *sql)
{
	bool		isnull;
	Datum		value;

	run_sql(sql, 0, NULL, NULL, NULL, SPI_OK_SELECT);
	value = single_value(&isnull);
	return !isnull && DatumGetBool(value);
}

static bool
queue_schema_present(void)
{
	return query_bool("SELECT to_regprocedure('public.cleanup_old_processing_jobs(interval)') IS NOT NULL");
}

static void
ensure_run_log(void)
{
	if (!query_bool("SELECT to_regclass('public.examq_cleanup_runs') IS NOT NULL"))
		run_sql(create_run_log_sql, 0, NULL, NULL, NULL, SPI_OK_UTILITY);
}

/* Inserts one run-log row; rows < 0 is stored as NULL (a failed run). */
static void
record_run(const char *task, const char *reason, TimestampTz started, int64 rows,
		   const char *sqlstate, const char *message)
{
	Oid			types[6] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, INT8OID, TEXTOID, TEXTOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = CStringGetTextDatum(task);
	values[1] = CStringGetTextDatum(reason);
	values[2] = TimestampTzGetDatum(started);
	values[3] = Int64GetDatum(rows);
	if (rows < 0)
		nulls[3] = 'n';
	values[4] = sqlstate ? CStringGetTextDatum(sqlstate) : (Datum) 0;
	if (sqlstate == NULL)
		nulls[4] = 'n';
	values[5] = message ? CStringGetTextDatum(message) : (Datum) 0;
	if (message == NULL)
		nulls[5] = 'n';

	run_sql("INSERT INTO public.examq_cleanup_runs"
			" (task, reason, started_at, finished_at, rows_affected, sqlstate, error)"
			" VALUES ($1, $2, $3, clock_timestamp(), $4, $5, $6)",
			6, types, values, nulls, SPI_OK_INSERT);
}

/* Runs a query returning one count; NULL counts as 0. */
static int64
query_count(const char *sql, int nargs, Oid *types, Datum *values)
{
	bool		isnull;
	Datum		value;

	run_sql(sql, nargs, types, values, NULL, SPI_OK_SELECT);
	value = single_value(&isnull);
	return isnull ? 0 : DatumGetInt64(value);
}

ExamqOutcome
examq_cleanup_once(const char *reason, TimestampTz started, int64 *rows)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	if (!queue_schema_present())
		return EXAMQ_NO_SCHEMA;
	ensure_run_log();

	values[0] = CStringGetTextDatum(examq_cleanup_retention);
	*rows = query_count("SELECT public.cleanup_old_processing_jobs($1::interval)::bigint",
						1, types, values);
	run_sql("DELETE FROM public.examq_cleanup_runs WHERE finished_at < now() - $1::interval",
			1, types, values, NULL, SPI_OK_DELETE);
	record_run("cleanup", reason, started, *rows, NULL, NULL);
	return EXAMQ_RAN;
}

ExamqOutcome
examq_catch_up_once(TimestampTz started, int64 *rows)
{
	if (!queue_schema_present())
		return EXAMQ_NO_SCHEMA;
	ensure_run_log();
	if (!query_bool("SELECT coalesce(max(finished_at) < now() - interval '1 day', true)"
					" FROM public.examq_cleanup_runs WHERE task = 'cleanup' AND error IS NULL"))
		return EXAMQ_NOT_DUE;
	return examq_cleanup_once("catch-up", started, rows);
}

ExamqOutcome
examq_rescue_once(TimestampTz started, int64 *rows)
{
	if (!queue_schema_present())
		return EXAMQ_NO_SCHEMA;
	if (!query_bool("SELECT to_regprocedure('public.rescue_expired_processing_jobs()') IS NOT NULL"))
		return EXAMQ_NO_RESCUE_FUNCTION;

	*rows = query_count("SELECT public.rescue_expired_processing_jobs()::bigint", 0, NULL, NULL);
	if (*rows > 0)
	{
		ensure_run_log();
		record_run("rescue", "interval", started, *rows, NULL, NULL);
	}
	return EXAMQ_RAN;
}

void
examq_record_failure(const char *task, const char *reason, TimestampTz started,
					 const char *sqlstate, const char *message)
{
	if (!queue_schema_present())
		return;
	ensure_run_log();
	record_run(task, reason, started, -1, sqlstate, message);
}
