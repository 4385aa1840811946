/*
 * transaction.c: one transaction per run, with error recovery, for the background worker.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/backend_status.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "transaction.h"

bool
examq_run_in_transaction(const char *activity, ExamqTransactionBody body, void *arg,
						 ErrorData **error)
{
	MemoryContext caller_context = CurrentMemoryContext;
	volatile bool ok = true;

	*error = NULL;
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "examq_cleanup: SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, activity);

		body(arg);

		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		/* As autovacuum recovers from a failed table: no interrupt may cut the recovery short. */
		HOLD_INTERRUPTS();
		/* CopyErrorData must not allocate in ErrorContext, and the transaction's memory is about
		 * to go; the caller's context outlives both. */
		MemoryContextSwitchTo(caller_context);
		*error = CopyErrorData();
		EmitErrorReport();
		/* Releases locks, SPI and snapshots of the failed run (AtEOXact_SPI, AtEOXact_Snapshot). */
		AbortCurrentTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
		ok = false;
	}
	PG_END_TRY();

	MemoryContextSwitchTo(caller_context);
	pgstat_report_stat(true);
	return ok;
}
