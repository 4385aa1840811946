/*
 * run_now.c: examq_cleanup_run_now(), the cleanup on demand for psql users.
 *
 * It runs in the caller's transaction, so its deletions and its run-log row commit or roll back
 * with the caller's work; an error reaches the caller and is not recorded.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "tasks.h"

PG_FUNCTION_INFO_V1(examq_cleanup_run_now);

Datum
examq_cleanup_run_now(PG_FUNCTION_ARGS)
{
	TimestampTz started = GetCurrentTimestamp();
	int64		rows = 0;
	ExamqOutcome outcome;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "examq_cleanup: SPI_connect failed");
	outcome = examq_cleanup_once("manual", started, &rows);
	SPI_finish();

	if (outcome == EXAMQ_NO_SCHEMA)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function public.cleanup_old_processing_jobs(interval) does not exist"),
				 errhint("Install the examq queue schema (sql/install.sql) in this database.")));
	if (rows > PG_INT32_MAX)
		rows = PG_INT32_MAX;
	PG_RETURN_INT32((int32) rows);
}
