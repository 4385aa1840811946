/*
 * transaction.h: running a piece of work in its own transaction from the background worker.
 */
#ifndef EXAMQ_CLEANUP_TRANSACTION_H
#define EXAMQ_CLEANUP_TRANSACTION_H

#include "utils/elog.h"

typedef void (*ExamqTransactionBody) (void *arg);

/*
 * Runs body(arg) in a fresh transaction with SPI connected and a snapshot pushed, shown in
 * pg_stat_activity as `activity`, and commits. When anything throws, the error is written to the
 * server log, the transaction is aborted, the error is copied into the caller's memory context for
 * *error and false is returned, so one failed run leaves the worker able to go on. FATAL errors
 * (shutdown, lost connection) still end the process as usual.
 */
extern bool examq_run_in_transaction(const char *activity, ExamqTransactionBody body, void *arg,
									 ErrorData **error);

#endif
