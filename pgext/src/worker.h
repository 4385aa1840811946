/*
 * worker.h: the examq_cleanup background worker.
 */
#ifndef EXAMQ_CLEANUP_WORKER_H
#define EXAMQ_CLEANUP_WORKER_H

#include "postgres.h"

/*
 * Registers the worker with the postmaster. Call from _PG_init while
 * shared_preload_libraries is being processed. The postmaster starts it once recovery has
 * finished (never on a standby) and restarts it EXAMQ_CLEANUP_RESTART_SECONDS after it exits
 * with an error, crashes, or restarts itself to apply a new database or role.
 */
extern void examq_cleanup_register_worker(void);

#define EXAMQ_CLEANUP_RESTART_SECONDS 5

/* Entry point named in the registration; runs until SIGTERM or postmaster death. */
extern PGDLLEXPORT void examq_cleanup_worker_main(Datum arg) pg_attribute_noreturn();

#endif
