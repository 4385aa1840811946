#include "pg/result.h"

#include <libpq-fe.h>
#include <tao/json/from_string.hpp>

#include <charconv>
#include <stdexcept>

namespace examq::pg {
namespace {

template <class N>
N parse_number(std::string_view s, const PGresult* res, int col) {
  N value{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    throw std::runtime_error(std::string("column ") + PQfname(res, col) + ": not a number: " + std::string(s));
  }
  return value;
}

}  // namespace

void Result::Clear::operator()(PGresult* r) const { PQclear(r); }

Result::Result(PGresult* res) : res_(res) {}

int Result::rows() const { return res_ ? PQntuples(res_.get()) : 0; }

int Result::columns() const { return res_ ? PQnfields(res_.get()) : 0; }

int Result::column(std::string_view name) const {
  int n = columns();
  for (int i = 0; i < n; ++i) {
    if (name == PQfname(res_.get(), i)) return i;
  }
  throw std::out_of_range("result has no column \"" + std::string(name) + "\"");
}

bool Result::is_null(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }

std::string_view Result::text(int row, int col) const {
  return std::string_view(PQgetvalue(res_.get(), row, col),
                          static_cast<std::size_t>(PQgetlength(res_.get(), row, col)));
}

std::int64_t Result::affected_rows() const {
  const char* n = res_ ? PQcmdTuples(res_.get()) : "";
  return *n != '\0' ? std::stoll(n) : 0;
}

std::string_view Result::command_status() const { return res_ ? PQcmdStatus(res_.get()) : ""; }

namespace {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

}  // namespace

template <class T>
T Result::get(int row, int col) const {
  if constexpr (is_optional<T>::value) {
    if (is_null(row, col)) return std::nullopt;
    return get<typename T::value_type>(row, col);
  } else {
    if (is_null(row, col)) {
      throw std::runtime_error(std::string("column ") + PQfname(res_.get(), col) + " is NULL");
    }
    std::string_view s = text(row, col);
    if constexpr (std::is_same_v<T, std::string_view>) {
      return s;
    } else if constexpr (std::is_same_v<T, std::string>) {
      return std::string(s);
    } else if constexpr (std::is_same_v<T, bool>) {
      return s == "t" || s == "true";
    } else if constexpr (std::is_same_v<T, tao::json::value>) {
      try {
        return tao::json::from_string(s);
      } catch (const std::exception& e) {
        throw std::runtime_error(std::string("column ") + PQfname(res_.get(), col) + ": invalid json: " + e.what());
      }
    } else if constexpr (std::is_same_v<T, double>) {
      return std::stod(std::string(s));
    } else {
      return parse_number<T>(s, res_.get(), col);
    }
  }
}

template std::string Result::get<std::string>(int, int) const;
template std::string_view Result::get<std::string_view>(int, int) const;
template int Result::get<int>(int, int) const;
template std::int64_t Result::get<std::int64_t>(int, int) const;
template double Result::get<double>(int, int) const;
template bool Result::get<bool>(int, int) const;
template tao::json::value Result::get<tao::json::value>(int, int) const;
template std::optional<std::string> Result::get<std::optional<std::string>>(int, int) const;
template std::optional<std::string_view> Result::get<std::optional<std::string_view>>(int, int) const;
template std::optional<int> Result::get<std::optional<int>>(int, int) const;
template std::optional<std::int64_t> Result::get<std::optional<std::int64_t>>(int, int) const;
template std::optional<double> Result::get<std::optional<double>>(int, int) const;
template std::optional<bool> Result::get<std::optional<bool>>(int, int) const;
template std::optional<tao::json::value> Result::get<std::optional<tao::json::value>>(int, int) const;

}  // namespace examq::pg
