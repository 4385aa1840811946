/*
 * schedule.h: when the next cleanup is due.
 */
#ifndef EXAMQ_CLEANUP_SCHEDULE_H
#define EXAMQ_CLEANUP_SCHEDULE_H

#include "datatype/timestamp.h"

/*
 * The first instant strictly after `after` whose local time (in the session time zone, which in
 * the worker is the server's `timezone`) is `seconds_of_day` after midnight. Across a DST change
 * a local time that does not exist or exists twice resolves as timestamptz input does.
 */
extern TimestampTz examq_next_daily(TimestampTz after, int seconds_of_day);

/*
 * When the next scheduled cleanup is due, seen from `now`: `now` + examq_cleanup.period when that
 * is set, else the next examq_cleanup.at.
 */
extern TimestampTz examq_next_cleanup(TimestampTz now);

#endif
