/*
 * worker.c: the background worker's main loop.
 *
 * One process connected to examq_cleanup.database. It sleeps on its latch until the next thing is
 * due: the daily (or test-period) cleanup, the lease rescue, or at start the catch-up check. Each
 * run has its own transaction; a failed run is logged, recorded and followed by the next one as
 * usual. Modelled on pg_cron's launcher and PostgreSQL's worker_spi.
 */
#include "postgres.h"

#include "access/xlog.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "schedule.h"
#include "settings.h"
#include "tasks.h"
#include "transaction.h"
#include "worker.h"

/* How often to look again for a queue schema that is not installed yet. */
#define SCHEMA_RECHECK_SECONDS 10

/* Longest sleep, so that a wall-clock change delays the daily run by a minute at most. */
#define MAX_SLEEP_MS 60000L

typedef struct Schedule
{
	TimestampTz next_cleanup;
	TimestampTz next_rescue;	/* meaningful when examq_cleanup_rescue_interval > 0 */
	bool		catch_up_pending;	/* start-up catch-up not decided yet */
	TimestampTz next_catch_up_check;
} Schedule;

/* One run of a task, handed to its transaction body. */
typedef struct Run
{
	const char *task;			/* 'cleanup' or 'rescue': the run log's task */
	const char *reason;
	TimestampTz started;
	ExamqOutcome outcome;
	int64		rows;
} Run;

typedef struct Failure
{
	const Run  *run;
	const ErrorData *error;
} Failure;

/* The settings the schedule was computed from, to see what a reload changed. */
static char *connected_database;
static char *connected_role;
static char *scheduled_at;
static int	scheduled_period;
static int	scheduled_rescue_interval;

/* Log-once state: a missing schema or rescue function is reported when first seen. */
static bool schema_missing_reported = false;
static bool rescue_missing_reported = false;

static const char *
role_or_null(const char *role)
{
	return (role != NULL && role[0] != '\0') ? role : NULL;
}

static char *
copy_setting(char *old, const char *value)
{
	if (old != NULL)
		pfree(old);
	return value ? MemoryContextStrdup(TopMemoryContext, value) : NULL;
}

static bool
same_setting(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
remember_schedule_settings(void)
{
	scheduled_at = copy_setting(scheduled_at, examq_cleanup_at);
	scheduled_period = examq_cleanup_period;
	scheduled_rescue_interval = examq_cleanup_rescue_interval;
}

static TimestampTz
next_rescue_after(TimestampTz now)
{
	return now + (TimestampTz) examq_cleanup_rescue_interval * USECS_PER_SEC;
}

static void
cleanup_body(void *arg)
{
	Run		   *run = arg;

	run->outcome = examq_cleanup_once(run->reason, run->started, &run->rows);
}

static void
catch_up_body(void *arg)
{
	Run		   *run = arg;

	run->outcome = examq_catch_up_once(run->started, &run->rows);
}

static void
rescue_body(void *arg)
{
	Run		   *run = arg;

	run->outcome = examq_rescue_once(run->started, &run->rows);
}

static void
failure_body(void *arg)
{
	Failure    *failure = arg;

	examq_record_failure(failure->run->task, failure->run->reason, failure->run->started,
						 unpack_sql_state(failure->error->sqlerrcode),
						 failure->error->message ? failure->error->message : "(no message)");
}

/* Logs what a successful run means, once per change of state. */
static void
report_outcome(const Run *run)
{
	if (run->outcome == EXAMQ_NO_SCHEMA)
	{
		if (!schema_missing_reported)
			ereport(LOG,
					(errmsg("examq_cleanup: database \"%s\" has no queue schema yet; waiting for it",
							examq_cleanup_database),
					 errdetail("public.cleanup_old_processing_jobs(interval) does not exist."),
					 errhint("Install sql/install.sql in this database, or point examq_cleanup.database at the queue's database.")));
		schema_missing_reported = true;
		return;
	}
	if (schema_missing_reported)
		ereport(LOG, (errmsg("examq_cleanup: queue schema found in database \"%s\"",
							 examq_cleanup_database)));
	schema_missing_reported = false;

	switch (run->outcome)
	{
		case EXAMQ_NO_SCHEMA:
			break;
		case EXAMQ_NO_RESCUE_FUNCTION:
			if (!rescue_missing_reported)
				ereport(LOG,
						(errmsg("examq_cleanup: public.rescue_expired_processing_jobs() does not exist; lease rescue skipped")));
			rescue_missing_reported = true;
			break;
		case EXAMQ_NOT_DUE:
			ereport(DEBUG1, (errmsg("examq_cleanup: a cleanup succeeded within the last day; no catch-up")));
			break;
		case EXAMQ_RAN:
			if (strcmp(run->task, "cleanup") == 0)
				ereport(examq_cleanup_period > 0 ? DEBUG1 : LOG,
						(errmsg("examq_cleanup: cleanup (%s) deleted " INT64_FORMAT " finished jobs",
								run->reason, run->rows)));
			else
			{
				if (run->rows > 0)
					ereport(LOG,
							(errmsg("examq_cleanup: rescued " INT64_FORMAT " job(s) whose lease expired",
									run->rows)));
				rescue_missing_reported = false;
			}
			break;
	}
}

/*
 * Runs one task in its own transaction. When it fails, the error has been logged; it is recorded
 * in the run log in a second transaction and the outcome is left at EXAMQ_RAN (it was attempted).
 */
static ExamqOutcome
run_task(ExamqTransactionBody body, const char *task, const char *reason)
{
	Run			run = {task, reason, GetCurrentTimestamp(), EXAMQ_RAN, 0};
	Failure		failure;
	ErrorData  *error;
	ErrorData  *record_error;
	char	   *activity = psprintf("examq_cleanup: %s (%s)", task, reason);

	if (examq_run_in_transaction(activity, body, &run, &error))
	{
		report_outcome(&run);
		return run.outcome;
	}

	failure.run = &run;
	failure.error = error;
	if (examq_run_in_transaction("examq_cleanup: recording a failed run", failure_body, &failure,
								 &record_error))
		ereport(LOG,
				(errmsg("examq_cleanup: %s (%s) failed; recorded in examq_cleanup_runs, the worker carries on",
						task, reason)));
	else
		ereport(WARNING,
				(errmsg("examq_cleanup: %s (%s) failed and could not be recorded: %s",
						task, reason, record_error->message)));
	return EXAMQ_RAN;
}

/* Applies a configuration reload to the schedule; a new database or role needs a new process. */
static void
apply_reload(Schedule *schedule, TimestampTz now)
{
	if (!same_setting(connected_database, examq_cleanup_database) ||
		!same_setting(role_or_null(connected_role), role_or_null(examq_cleanup_role)))
	{
		ereport(LOG,
				(errmsg("examq_cleanup: examq_cleanup.database or examq_cleanup.role changed; restarting the worker in %d s to reconnect",
						EXAMQ_CLEANUP_RESTART_SECONDS)));
		/* Exit code 1 asks the postmaster for a restart, which reads the new settings. */
		proc_exit(1);
	}
	if (scheduled_period != examq_cleanup_period || !same_setting(scheduled_at, examq_cleanup_at))
	{
		schedule->next_cleanup = examq_next_cleanup(now);
		ereport(LOG, (errmsg("examq_cleanup: schedule changed; next cleanup at %s",
							 timestamptz_to_str(schedule->next_cleanup))));
	}
	if (scheduled_rescue_interval != examq_cleanup_rescue_interval)
		schedule->next_rescue = next_rescue_after(now);
	/* Someone may just have installed the schema: look again now rather than in a while. */
	if (schedule->catch_up_pending)
		schedule->next_catch_up_check = now;
	remember_schedule_settings();
}

static void
run_due_tasks(Schedule *schedule, TimestampTz now)
{
	/* Registered to start after recovery, so this is a safeguard: a standby is read-only. */
	bool		standby = RecoveryInProgress();

	if (now >= schedule->next_cleanup)
	{
		if (!standby)
			(void) run_task(cleanup_body, "cleanup", examq_cleanup_period > 0 ? "period" : "schedule");
		schedule->next_cleanup = examq_next_cleanup(GetCurrentTimestamp());
	}
	if (examq_cleanup_rescue_interval > 0 && now >= schedule->next_rescue)
	{
		if (!standby)
			(void) run_task(rescue_body, "rescue", "interval");
		schedule->next_rescue = next_rescue_after(GetCurrentTimestamp());
	}
	/* Last, so that when a run above has just found the schema the catch-up follows at once. */
	if (schedule->catch_up_pending &&
		(now >= schedule->next_catch_up_check || !schema_missing_reported))
	{
		if (!standby && run_task(catch_up_body, "cleanup", "catch-up") != EXAMQ_NO_SCHEMA)
			schedule->catch_up_pending = false;
		else
			schedule->next_catch_up_check =
				GetCurrentTimestamp() + SCHEMA_RECHECK_SECONDS * USECS_PER_SEC;
	}
}

/* Shows in pg_stat_activity.query what the worker waits for. */
static void
report_idle(const Schedule *schedule)
{
	char	   *text;

	if (schema_missing_reported)
		text = psprintf("examq_cleanup: waiting for the queue schema in this database");
	else
	{
		char	   *cleanup = pstrdup(timestamptz_to_str(schedule->next_cleanup));

		if (examq_cleanup_rescue_interval > 0)
			text = psprintf("examq_cleanup: next cleanup at %s; next lease rescue at %s",
							cleanup, timestamptz_to_str(schedule->next_rescue));
		else
			text = psprintf("examq_cleanup: next cleanup at %s; lease rescue off", cleanup);
	}
	pgstat_report_activity(STATE_IDLE, text);
}

static long
sleep_ms(const Schedule *schedule, TimestampTz now)
{
	TimestampTz wake = schedule->next_cleanup;
	long		ms;

	if (examq_cleanup_rescue_interval > 0 && schedule->next_rescue < wake)
		wake = schedule->next_rescue;
	if (schedule->catch_up_pending && schedule->next_catch_up_check < wake)
		wake = schedule->next_catch_up_check;
	ms = TimestampDifferenceMilliseconds(now, wake);
	return Min(ms, MAX_SLEEP_MS);
}

void
examq_cleanup_worker_main(Datum arg)
{
	MemoryContext loop_context;
	Schedule	schedule;
	TimestampTz now;

	(void) arg;
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	/* pg_cancel_backend() cancels a run in progress: it fails, is recorded, and the worker goes on. */
	pqsignal(SIGINT, StatementCancelHandler);
	BackgroundWorkerUnblockSignals();

	connected_database = copy_setting(NULL, examq_cleanup_database);
	connected_role = copy_setting(NULL, examq_cleanup_role);
	BackgroundWorkerInitializeConnection(connected_database, role_or_null(connected_role), 0);
	pgstat_report_appname("examq_cleanup");
	ereport(LOG, (errmsg("examq_cleanup: worker started in database \"%s\"", connected_database)));

	loop_context = AllocSetContextCreate(TopMemoryContext, "examq_cleanup loop",
										 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(loop_context);

	now = GetCurrentTimestamp();
	remember_schedule_settings();
	schedule.next_cleanup = examq_next_cleanup(now);
	schedule.next_rescue = next_rescue_after(now);
	schedule.catch_up_pending = true;
	schedule.next_catch_up_check = now;

	for (;;)
	{
		MemoryContextSwitchTo(loop_context);
		MemoryContextReset(loop_context);

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			apply_reload(&schedule, GetCurrentTimestamp());
		}

		run_due_tasks(&schedule, GetCurrentTimestamp());
		MemoryContextSwitchTo(loop_context);
		report_idle(&schedule);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms(&schedule, GetCurrentTimestamp()), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		/* A cancel that arrives between runs has nothing to cancel. */
		QueryCancelPending = false;
		CHECK_FOR_INTERRUPTS();
	}
}

void
examq_cleanup_register_worker(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = EXAMQ_CLEANUP_RESTART_SECONDS;
	strlcpy(worker.bgw_library_name, "examq_cleanup", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "examq_cleanup_worker_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "examq_cleanup worker", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "examq_cleanup", BGW_MAXLEN);
	worker.bgw_main_arg = (Datum) 0;
	worker.bgw_notify_pid = 0;
	RegisterBackgroundWorker(&worker);
}
