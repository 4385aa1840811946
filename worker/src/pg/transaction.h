#pragma once
// BEGIN on construction, ROLLBACK on destruction unless commit() was called.

#include "pg/connection.h"

namespace examq::pg {

class Transaction {
 public:
  explicit Transaction(Connection& conn);  // throws pg::Error
  ~Transaction();                          // rolls back if still open; never throws
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();    // throws pg::Error; the transaction is closed either way
  void rollback();  // throws pg::Error; the transaction is closed either way

 private:
  Connection& conn_;
  bool open_ = true;
};

}  // namespace examq::pg
