/*
 * settings.h: the examq_cleanup.* configuration parameters.
 *
 * All are PGC_SIGHUP: they live in postgresql.conf (or ALTER SYSTEM) and take effect on
 * pg_reload_conf(). Values are validated when set, so readers may assume they parse.
 */
#ifndef EXAMQ_CLEANUP_SETTINGS_H
#define EXAMQ_CLEANUP_SETTINGS_H

/* Database the worker connects to: where the queue schema lives. Never NULL or empty. */
extern char *examq_cleanup_database;

/* Role the worker runs as; NULL or empty means the bootstrap superuser. */
extern char *examq_cleanup_role;

/* Interval text passed to cleanup_old_processing_jobs(interval); a valid, non-negative interval. */
extern char *examq_cleanup_retention;

/* Local time of day ("HH:MM" or "HH:MM:SS", server time zone) of the daily cleanup. */
extern char *examq_cleanup_at;

/* Seconds between lease rescues; 0 disables them. */
extern int	examq_cleanup_rescue_interval;

/* Test-only: when > 0, clean up every this many seconds instead of daily at examq_cleanup.at. */
extern int	examq_cleanup_period;

/* Defines the parameters and reserves the examq_cleanup prefix. Call once from _PG_init. */
extern void examq_cleanup_define_settings(void);

/* examq_cleanup.at as seconds after local midnight (0 .. 86399). */
extern int	examq_cleanup_at_seconds(void);

#endif
