/*
 * tasks.h: the work itself, as SPI calls into the queue schema.
 *
 * Every function here must be called inside a transaction with SPI connected and an active
 * snapshot; errors are thrown (ereport) and leave it to the caller to abort. A run and its record
 * in public.examq_cleanup_runs commit together, so the log never claims work that rolled back.
 *
 * The queue schema is taken to be installed when public.cleanup_old_processing_jobs(interval)
 * exists; before that nothing is done and nothing is recorded.
 */
#ifndef EXAMQ_CLEANUP_TASKS_H
#define EXAMQ_CLEANUP_TASKS_H

#include "datatype/timestamp.h"

typedef enum ExamqOutcome
{
	EXAMQ_RAN,					/* the task ran and was recorded */
	EXAMQ_NO_SCHEMA,			/* the queue schema is not installed: nothing done */
	EXAMQ_NO_RESCUE_FUNCTION,	/* rescue_expired_processing_jobs() is absent: nothing done */
	EXAMQ_NOT_DUE				/* catch-up only: a cleanup succeeded within the last day */
} ExamqOutcome;

/*
 * Deletes finished jobs older than examq_cleanup.retention, prunes run-log rows older than that
 * too, and records the run as task 'cleanup' with `reason`. *rows = jobs deleted.
 */
extern ExamqOutcome examq_cleanup_once(const char *reason, TimestampTz started, int64 *rows);

/*
 * Runs examq_cleanup_once(reason 'catch-up') when no cleanup has succeeded in the last day
 * (including never), else returns EXAMQ_NOT_DUE.
 */
extern ExamqOutcome examq_catch_up_once(TimestampTz started, int64 *rows);

/*
 * Calls rescue_expired_processing_jobs(); records the run (task 'rescue') only when it rescued at
 * least one job, so an idle queue does not add a row a minute.
 */
extern ExamqOutcome examq_rescue_once(TimestampTz started, int64 *rows);

/*
 * Records a failed run (rows_affected NULL) of `task`. Does nothing without the queue schema.
 */
extern void examq_record_failure(const char *task, const char *reason, TimestampTz started,
								 const char *sqlstate, const char *message);

#endif
