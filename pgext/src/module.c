/*
 * module.c: library entry point of examq_cleanup.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "settings.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/* The worker and its settings are created by the postmaster; loaded later, in one backend,
	 * there would be settings with no worker behind them. */
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("examq_cleanup must be loaded via shared_preload_libraries"),
				 errhint("Add examq_cleanup to shared_preload_libraries in postgresql.conf and restart the server.")));

	examq_cleanup_define_settings();

	/* pg_upgrade starts the server to move catalogs; deleting jobs then would be a surprise. */
	if (IsBinaryUpgrade)
		return;
	examq_cleanup_register_worker();
}
