#define BOOST_TEST_MODULE pg
#include "pg/array.h"
#include "pg/connection.h"
#include "pg/error.h"
#include "pg/listener.h"
#include "pg/pool.h"
#include "pg/transaction.h"
#include "test_database.h"

#include <boost/test/unit_test.hpp>
#include <tao/json.hpp>

#include <thread>

using namespace examq;
using namespace std::chrono;

namespace {

// One throwaway (empty) database for the whole suite: these tests need no schema.
struct Db {
  testing::TestDatabase db{"pg", /*from_template=*/false};
};

pg::Error error_of(pg::Connection& conn, const char* sql) {
  try {
    conn.exec(sql);
  } catch (const pg::Error& e) {
    return e;
  }
  BOOST_FAIL(std::string("no error from ") + sql);
  throw;
}

void terminate_backend(pg::Connection& victim, const testing::TestDatabase& db) {
  pg::Connection killer = db.connect();
  killer.exec("SELECT pg_terminate_backend($1::integer)", victim.backend_pid());
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(errors, Db)

BOOST_AUTO_TEST_CASE(server_errors_carry_sqlstate_and_message) {
  pg::Connection conn = db.connect();
  pg::Error e = error_of(conn, "SELECT 1/0");
  BOOST_TEST(e.sqlstate() == "22012");
  BOOST_TEST(e.primary() == "division by zero");
  BOOST_TEST(std::string(e.what()).find("division by zero [22012]") != std::string::npos, e.what());
  BOOST_TEST(!e.retryable());
  BOOST_TEST(!e.connection_lost());
  // The connection is still usable after an ordinary error.
  BOOST_TEST(conn.exec("SELECT 1").get<int>(0, 0) == 1);
}

BOOST_AUTO_TEST_CASE(detail_hint_and_context_are_kept) {
  pg::Connection conn = db.connect();
  pg::Error e = error_of(conn,
                         "DO $$ BEGIN RAISE EXCEPTION 'job x is done' USING ERRCODE = '55000', DETAIL = 'the detail', "
                         "HINT = 'the hint'; END $$");
  BOOST_TEST(e.job_not_held());
  BOOST_TEST(!e.not_found());
  BOOST_TEST(e.detail() == "the detail");
  BOOST_TEST(e.hint() == "the hint");
  BOOST_TEST(e.context().find("PL/pgSQL") != std::string::npos, e.context());
  BOOST_TEST(error_of(conn, "DO $$ BEGIN RAISE EXCEPTION 'gone' USING ERRCODE = 'P0002'; END $$").not_found());
}

BOOST_AUTO_TEST_CASE(serialization_failures_and_deadlocks_are_retryable) {
  pg::Connection conn = db.connect();
  for (const char* sql : {"DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END $$",
                          "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40P01'; END $$",
                          "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '08006'; END $$"}) {
    BOOST_TEST(error_of(conn, sql).retryable(), sql);
  }
  BOOST_TEST(!error_of(conn, "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '22023'; END $$").retryable());
}

BOOST_AUTO_TEST_CASE(unreachable_server_is_a_lost_connection) {
  try {
    pg::Connection conn("host=127.0.0.1 port=1 connect_timeout=5");
    BOOST_FAIL("connected to port 1");
  } catch (const pg::Error& e) {
    BOOST_TEST(e.connection_lost());
    BOOST_TEST(e.retryable());
  }
}

BOOST_AUTO_TEST_CASE(terminated_backend_is_a_lost_connection) {
  pg::Connection conn = db.connect();
  terminate_backend(conn, db);
  pg::Error e = error_of(conn, "SELECT 1");
  BOOST_TEST(e.retryable());
  BOOST_TEST(conn.broken());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(queries, Db)

BOOST_AUTO_TEST_CASE(parameters_and_typed_getters_round_trip) {
  pg::Connection conn = db.connect();
  tao::json::value doc = {{"a", 1}, {"quote", "it's \"x\""}};
  pg::Result r = conn.exec("SELECT $1::text, $2::integer, $3::boolean, $4::jsonb, $5::text, $6::bigint, $7::interval = '1.5 s'",
                           "Robert'); DROP TABLE x;--", 42, true, doc, std::nullopt, 9000000000LL,
                           util::Duration(1500000));
  BOOST_TEST(r.rows() == 1);
  BOOST_TEST(r.get<std::string>(0, 0) == "Robert'); DROP TABLE x;--");
  BOOST_TEST(r.get<int>(0, 1) == 42);
  BOOST_TEST(r.get<bool>(0, 2));
  BOOST_TEST((r.get<tao::json::value>(0, 3) == doc));
  BOOST_TEST(!r.get<std::optional<std::string>>(0, 4).has_value());
  BOOST_CHECK_THROW(r.get<std::string>(0, 4), std::runtime_error);
  BOOST_TEST(r.get<std::int64_t>(0, 5) == 9000000000LL);
  BOOST_TEST(r.get<bool>(0, 6));
}

BOOST_AUTO_TEST_CASE(columns_are_found_by_name) {
  pg::Connection conn = db.connect();
  pg::Result r = conn.exec("SELECT 1 AS one, 'two' AS two");
  BOOST_TEST(r.get<std::string>(0, "two") == "two");
  BOOST_CHECK_THROW(r.column("three"), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(prepared_statements_are_prepared_once_per_connection) {
  static constexpr pg::Statement kAdd{"test_add", "SELECT $1::integer + $2::integer"};
  pg::Connection conn = db.connect();
  BOOST_TEST(conn.exec(kAdd, 1, 2).get<int>(0, 0) == 3);
  BOOST_TEST(conn.exec(kAdd, 40, 2).get<int>(0, 0) == 42);
  BOOST_TEST(conn.exec("SELECT count(*) FROM pg_prepared_statements WHERE name = 'test_add'").get<int>(0, 0) == 1);
  pg::Connection other = db.connect();  // a new session prepares it again by itself
  BOOST_TEST(other.exec(kAdd, 2, 2).get<int>(0, 0) == 4);
}

BOOST_AUTO_TEST_CASE(unnamed_statement_mode_prepares_nothing_on_the_server) {
  // What --db-pooler transaction relies on: through a transaction pool the next call may land on
  // another server session, so no statement may be left prepared on this one.
  static constexpr pg::Statement kMul{"test_mul", "SELECT $1::integer * $2::integer"};
  struct Restore {
    ~Restore() { pg::set_statement_mode(pg::StatementMode::named); }
  } restore;
  pg::set_statement_mode(pg::StatementMode::unnamed);
  pg::Connection conn = db.connect();
  BOOST_TEST(conn.exec(kMul, 6, 7).get<int>(0, 0) == 42);
  BOOST_TEST(conn.exec(kMul, 2, 3).get<int>(0, 0) == 6);
  BOOST_TEST(conn.exec("SELECT count(*) FROM pg_prepared_statements").get<int>(0, 0) == 0);
  pg::set_statement_mode(pg::StatementMode::named);
  BOOST_TEST(conn.exec(kMul, 1, 1).get<int>(0, 0) == 1);
  BOOST_TEST(conn.exec("SELECT count(*) FROM pg_prepared_statements WHERE name = 'test_mul'").get<int>(0, 0) == 1);
}

BOOST_AUTO_TEST_CASE(array_literals_survive_any_text) {
  pg::Connection conn = db.connect();
  std::vector<std::string> items = {"plain", "with space", "com,ma", "{brace}", "quote\"d", "back\\slash", "", "NULL", "ünïcode"};
  pg::Result r = conn.exec("SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n", pg::array_literal(items));
  BOOST_TEST(r.rows() == static_cast<int>(items.size()));
  for (int i = 0; i < r.rows(); ++i) BOOST_TEST(r.get<std::string>(i, 0) == items[static_cast<std::size_t>(i)]);
  // And what the server prints parses back (NULL items come back empty).
  pg::Result printed = conn.exec("SELECT $1::text[]::text", pg::array_literal(items));
  BOOST_TEST(pg::parse_array_literal(printed.text(0, 0)) == items);
  BOOST_TEST(pg::array_literal(std::vector<std::string>{}) == "{}");
}

BOOST_AUTO_TEST_CASE(transactions_roll_back_unless_committed) {
  pg::Connection conn = db.connect();
  conn.exec("CREATE TABLE IF NOT EXISTS tx_test (x integer)");
  {
    pg::Transaction tx(conn);
    conn.exec("INSERT INTO tx_test VALUES (1)");
  }
  BOOST_TEST(conn.exec("SELECT count(*) FROM tx_test").get<int>(0, 0) == 0);
  {
    pg::Transaction tx(conn);
    conn.exec("INSERT INTO tx_test VALUES (2)");
    tx.commit();
  }
  BOOST_TEST(conn.exec("SELECT count(*) FROM tx_test").get<int>(0, 0) == 1);
  {
    // An error swallowed inside the transaction must not look like a successful commit.
    pg::Transaction tx(conn);
    conn.exec("INSERT INTO tx_test VALUES (3)");
    try {
      conn.exec("SELECT 1/0");
    } catch (const pg::Error&) {
    }
    BOOST_CHECK_THROW(tx.commit(), pg::Error);
  }
  BOOST_TEST(conn.exec("SELECT count(*) FROM tx_test").get<int>(0, 0) == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(listening, Db)

BOOST_AUTO_TEST_CASE(listener_receives_notifications) {
  pg::Connection conn = db.connect();
  pg::Listener listener({"examq_test_channel"});
  listener.subscribe(conn);
  pg::Connection sender = db.connect();
  sender.exec("SELECT pg_notify('examq_test_channel', $1)", "hello");
  std::vector<pg::Notification> notes;
  auto wake = listener.wait(conn, nullptr, steady_clock::now() + seconds(30), notes);
  BOOST_TEST((wake == pg::Listener::Wake::notified));
  BOOST_TEST(notes.size() == 1u);
  BOOST_TEST(notes[0].channel == "examq_test_channel");
  BOOST_TEST(notes[0].payload == "hello");
}

BOOST_AUTO_TEST_CASE(notifications_received_during_a_query_are_not_lost) {
  pg::Connection conn = db.connect();
  pg::Listener listener({"examq_test_channel"});
  listener.subscribe(conn);
  // A session receives its own notifications: they arrive with this query's reply.
  conn.exec("SELECT pg_notify('examq_test_channel', 'mine')");
  std::vector<pg::Notification> notes;
  auto wake = listener.wait(conn, nullptr, steady_clock::now() + seconds(30), notes);
  BOOST_TEST((wake == pg::Listener::Wake::notified));
  BOOST_TEST(notes.at(0).payload == "mine");
}

BOOST_AUTO_TEST_CASE(wakeup_from_another_thread_interrupts_the_wait) {
  pg::Connection conn = db.connect();
  pg::Listener listener({"examq_test_channel"});
  listener.subscribe(conn);
  util::Wakeup wakeup;
  std::thread t([&] { wakeup.notify(); });
  std::vector<pg::Notification> notes;
  auto wake = listener.wait(conn, &wakeup, steady_clock::now() + hours(1), notes);
  t.join();
  BOOST_TEST((wake == pg::Listener::Wake::woken));
}

BOOST_AUTO_TEST_CASE(wait_ends_at_the_deadline) {
  pg::Connection conn = db.connect();
  pg::Listener listener({"examq_test_channel"});
  listener.subscribe(conn);
  std::vector<pg::Notification> notes;
  auto wake = listener.wait(conn, nullptr, steady_clock::now() + milliseconds(20), notes);
  BOOST_TEST((wake == pg::Listener::Wake::timed_out));
}

BOOST_AUTO_TEST_CASE(waiting_notices_a_lost_connection) {
  pg::Connection conn = db.connect();
  pg::Listener listener({"examq_test_channel"});
  listener.subscribe(conn);
  terminate_backend(conn, db);
  std::vector<pg::Notification> notes;
  BOOST_CHECK_THROW(listener.wait(conn, nullptr, steady_clock::now() + seconds(30), notes), pg::Error);
  BOOST_TEST(conn.broken());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(pooling, Db)

BOOST_AUTO_TEST_CASE(pool_reuses_connections_and_drops_broken_ones) {
  pg::ConnectionPool pool(db.conninfo(), "examq tests", 2);
  int first_pid;
  {
    auto lease = pool.acquire();
    first_pid = lease->backend_pid();
  }
  {
    auto lease = pool.acquire();
    BOOST_TEST(lease->backend_pid() == first_pid);
    terminate_backend(*lease, db);
    BOOST_CHECK_THROW(lease->exec("SELECT 1"), pg::Error);
  }
  auto lease = pool.acquire();
  BOOST_TEST(lease->backend_pid() != first_pid);
  BOOST_TEST(lease->exec("SELECT 1").get<int>(0, 0) == 1);
}

BOOST_AUTO_TEST_CASE(pool_blocks_at_its_size_until_a_lease_returns) {
  pg::ConnectionPool pool(db.conninfo(), "examq tests", 1);
  auto held = std::make_unique<pg::ConnectionPool::Lease>(pool.acquire());
  const int pid = (*held)->backend_pid();
  std::thread releaser([&] { held.reset(); });
  auto lease = pool.acquire();  // returns only once the other lease is back
  releaser.join();
  BOOST_TEST(lease->backend_pid() == pid);
}

BOOST_AUTO_TEST_SUITE_END()
