/*
 * schedule.c: daily and periodic cleanup times.
 */
#include "postgres.h"

#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "schedule.h"
#include "settings.h"

TimestampTz
examq_next_daily(TimestampTz after, int seconds_of_day)
{
	struct pg_tm today;
	fsec_t		fsec;
	int			tz;
	int			day;

	if (timestamp2tm(after, &tz, &today, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("examq_cleanup: timestamp out of range while scheduling")));

	/* Today's occurrence may be past; tomorrow's is always ahead, unless a DST shift moved it
	 * back before `after`, hence a third candidate. */
	for (day = 0; day <= 2; day++)
	{
		struct pg_tm candidate;
		TimestampTz result;
		int			offset;

		memset(&candidate, 0, sizeof(candidate));
		j2date(date2j(today.tm_year, today.tm_mon, today.tm_mday) + day,
			   &candidate.tm_year, &candidate.tm_mon, &candidate.tm_mday);
		candidate.tm_hour = seconds_of_day / 3600;
		candidate.tm_min = (seconds_of_day / 60) % 60;
		candidate.tm_sec = seconds_of_day % 60;
		offset = DetermineTimeZoneOffset(&candidate, session_timezone);
		if (tm2timestamp(&candidate, 0, &offset, &result) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("examq_cleanup: timestamp out of range while scheduling")));
		if (result > after)
			return result;
	}
	/* Unreachable: day 2 is at least 24 hours after `after`. */
	return after + USECS_PER_DAY;
}

TimestampTz
examq_next_cleanup(TimestampTz now)
{
	if (examq_cleanup_period > 0)
		return now + (TimestampTz) examq_cleanup_period * USECS_PER_SEC;
	return examq_next_daily(now, examq_cleanup_at_seconds());
}
