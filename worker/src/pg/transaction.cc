#include "pg/transaction.h"

#include "pg/error.h"

namespace examq::pg {

Transaction::Transaction(Connection& conn) : conn_(conn) { conn_.exec("BEGIN"); }

Transaction::~Transaction() {
  if (!open_ || conn_.broken()) return;
  try {
    conn_.exec("ROLLBACK");
  } catch (...) {
    // The session is unusable; its owner will notice on the next query and discard it.
  }
}

void Transaction::commit() {
  open_ = false;
  Result res = conn_.exec("COMMIT");
  // COMMIT of a transaction that hit an error (caught and swallowed by someone) rolls back.
  if (res.command_status() != "COMMIT") {
    throw Error("COMMIT: the transaction had failed and was rolled back", "25P02",
                "the transaction had failed and was rolled back", {}, {}, {}, false);
  }
}

void Transaction::rollback() {
  open_ = false;
  conn_.exec("ROLLBACK");
}

}  // namespace examq::pg
