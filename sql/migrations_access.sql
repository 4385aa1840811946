-- Who may read examq_migrations: `examq worker` and `examq serve` check there that the database
-- has every migration they need, under logins that are only members of examq_worker or
-- examq_admin. Both installers run this after the migrations, every time (it is idempotent), so
-- databases installed before it was added get it from their next install or upgrade.
GRANT SELECT ON examq_migrations TO examq_worker, examq_admin;
