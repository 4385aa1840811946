/*
 * settings.c: definition and validation of the examq_cleanup.* parameters.
 *
 * Check hooks may run in the postmaster, where an ereport(ERROR) would be fatal, so the parsers
 * here report failure by return value and never throw.
 */
#include "postgres.h"

#include <ctype.h>

#include "datatype/timestamp.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "settings.h"

char	   *examq_cleanup_database = NULL;
char	   *examq_cleanup_role = NULL;
char	   *examq_cleanup_retention = NULL;
char	   *examq_cleanup_at = NULL;
int			examq_cleanup_rescue_interval = 60;
int			examq_cleanup_period = 0;

/* Parses like interval_in does, but reports failure instead of throwing. */
static bool
parse_interval(const char *text, Interval *out)
{
	char		copy[256];
	char		workbuf[256];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	struct pg_itm_in itm;
	int			nf;
	int			dtype = 0;
	int			dterr;

	if (text == NULL || text[0] == '\0' || strlen(text) >= sizeof(copy))
		return false;
	strlcpy(copy, text, sizeof(copy));
	memset(&itm, 0, sizeof(itm));

	dterr = ParseDateTime(copy, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE, &dtype, &itm);
	if (dterr == DTERR_BAD_FORMAT)
	{
		memset(&itm, 0, sizeof(itm));
		strlcpy(copy, text, sizeof(copy));
		dterr = DecodeISO8601Interval(copy, &dtype, &itm);
	}
	if (dterr != 0 || dtype != DTK_DELTA)
		return false;
	return itmin2interval(&itm, out) == 0;
}

/* Reads 1 or 2 digits, or exactly 2 when `exact`, into *value; advances *p past them. */
static bool
read_digits(const char **p, bool exact, int *value)
{
	int			n = 0;

	*value = 0;
	while (n < 2 && isdigit((unsigned char) **p))
	{
		*value = *value * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return exact ? n == 2 : n >= 1;
}

/* "H:MM", "HH:MM" or "HH:MM:SS" to seconds after midnight. */
static bool
parse_time_of_day(const char *text, int *seconds)
{
	const char *p = text;
	int			h,
				m,
				s = 0;

	if (text == NULL || !read_digits(&p, false, &h) || *p++ != ':' || !read_digits(&p, true, &m))
		return false;
	if (*p == ':')
	{
		p++;
		if (!read_digits(&p, true, &s))
			return false;
	}
	if (*p != '\0' || h > 23 || m > 59 || s > 59)
		return false;
	*seconds = h * 3600 + m * 60 + s;
	return true;
}

static bool
check_database(char **newval, void **extra, GucSource source)
{
	(void) extra;
	(void) source;
	if (*newval == NULL || (*newval)[0] == '\0')
	{
		GUC_check_errdetail("examq_cleanup.database must name a database.");
		return false;
	}
	return true;
}

static bool
check_retention(char **newval, void **extra, GucSource source)
{
	Interval	span;

	(void) extra;
	(void) source;

	if (!parse_interval(*newval, &span))
	{
		GUC_check_errdetail("examq_cleanup.retention must be an interval, such as '30 days'.");
		return false;
	}
	/* Same month length as interval comparison uses; a negative retention would delete
	 * jobs that are not even finished yet by the clock's reckoning. */
	if (span.month * (30 * USECS_PER_DAY) + span.day * USECS_PER_DAY + span.time < 0)
	{
		GUC_check_errdetail("examq_cleanup.retention must not be negative.");
		return false;
	}
	return true;
}

static bool
check_at(char **newval, void **extra, GucSource source)
{
	int			seconds;

	(void) extra;
	(void) source;

	if (!parse_time_of_day(*newval, &seconds))
	{
		GUC_check_errdetail("examq_cleanup.at must be a time of day as HH:MM or HH:MM:SS, such as '03:00'.");
		return false;
	}
	return true;
}

int
examq_cleanup_at_seconds(void)
{
	int			seconds = 3 * 3600;

	/* The check hook has accepted the current value, so this cannot fail. */
	(void) parse_time_of_day(examq_cleanup_at, &seconds);
	return seconds;
}

void
examq_cleanup_define_settings(void)
{
	DefineCustomStringVariable("examq_cleanup.database",
							   "Database whose queue the examq_cleanup worker maintains.",
							   "Changing it restarts the worker, which then connects to the new database.",
							   &examq_cleanup_database,
							   "postgres",
							   PGC_SIGHUP, 0,
							   check_database, NULL, NULL);

	DefineCustomStringVariable("examq_cleanup.role",
							   "Role the examq_cleanup worker runs as.",
							   "Empty means the bootstrap superuser. Changing it restarts the worker.",
							   &examq_cleanup_role,
							   NULL,
							   PGC_SIGHUP, 0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("examq_cleanup.retention",
							   "How long finished jobs are kept before the cleanup deletes them.",
							   "Passed to cleanup_old_processing_jobs(interval).",
							   &examq_cleanup_retention,
							   "30 days",
							   PGC_SIGHUP, 0,
							   check_retention, NULL, NULL);

	DefineCustomStringVariable("examq_cleanup.at",
							   "Time of day (server time zone) of the daily cleanup.",
							   "HH:MM or HH:MM:SS.",
							   &examq_cleanup_at,
							   "03:00",
							   PGC_SIGHUP, 0,
							   check_at, NULL, NULL);

	DefineCustomIntVariable("examq_cleanup.rescue_interval",
							"Time between lease rescues (rescue_expired_processing_jobs()).",
							"0 disables the rescue.",
							&examq_cleanup_rescue_interval,
							60, 0, 86400,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("examq_cleanup.period",
							"For tests: run the cleanup every this many seconds instead of daily.",
							"0 (the default) means daily at examq_cleanup.at.",
							&examq_cleanup_period,
							0, 0, 365 * 86400,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("examq_cleanup");
}
