#pragma once
// A query result in text format, owned (PQclear on destruction), with typed getters.

#include <tao/json/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

typedef struct pg_result PGresult;

namespace examq::pg {

class Result {
 public:
  Result() = default;
  // Takes ownership of res (may be null for "no result").
  explicit Result(PGresult* res);

  int rows() const;
  int columns() const;
  // Column index by name; throws std::out_of_range naming the column when it is absent.
  int column(std::string_view name) const;
  bool is_null(int row, int col) const;
  // The value as text; valid while this Result lives. Empty for NULL.
  std::string_view text(int row, int col) const;
  // Rows affected by INSERT/UPDATE/DELETE, 0 otherwise.
  std::int64_t affected_rows() const;
  // The command tag, e.g. "COMMIT", or "ROLLBACK" when a COMMIT found the transaction aborted.
  std::string_view command_status() const;

  // Typed getters for text-format values. T is one of std::string, std::string_view, int,
  // std::int64_t, double, bool, tao::json::value (json/jsonb), or std::optional<...> of those
  // (nullopt for NULL). A NULL for a non-optional T or an unparsable value throws
  // std::runtime_error naming the column.
  template <class T>
  T get(int row, int col) const;
  template <class T>
  T get(int row, std::string_view col) const {
    return get<T>(row, column(col));
  }

 private:
  struct Clear {
    void operator()(PGresult* r) const;
  };
  std::unique_ptr<PGresult, Clear> res_;
};

}  // namespace examq::pg
