#define BOOST_TEST_MODULE queue_unit
#include "queue/backoff.h"
#include "queue/claim_sizer.h"
#include "queue/config.h"
#include "queue/held_jobs.h"
#include "queue/job_run.h"
#include "queue/progress_throttle.h"
#include "queue/run_queue.h"

#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>

using namespace examq::queue;
using namespace std::chrono;
using examq::util::Duration;

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(delays_double_with_jitter_up_to_the_cap) {
  Backoff b(milliseconds(100), seconds(5), 42);
  std::int64_t nominal = 100000;
  for (int i = 0; i < 20; ++i) {
    Duration d = b.next();
    BOOST_TEST(d.count() >= nominal / 2);
    BOOST_TEST(d.count() <= nominal);
    nominal = std::min<std::int64_t>(nominal * 2, 5000000);
  }
  BOOST_TEST(b.attempts() == 20);
}

BOOST_AUTO_TEST_CASE(jitter_spreads_workers_apart) {
  // Ten workers that lost the server together do not all retry at the same moment.
  std::set<std::int64_t> first_delays;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) first_delays.insert(Backoff(seconds(1), seconds(10), seed).next().count());
  BOOST_TEST(first_delays.size() > 5u);
}

BOOST_AUTO_TEST_CASE(reset_starts_over_and_huge_attempt_counts_stay_capped) {
  Backoff b(milliseconds(100), seconds(5), 7);
  for (int i = 0; i < 100; ++i) BOOST_TEST(b.next().count() <= 5000000);
  b.reset();
  BOOST_TEST(b.attempts() == 0);
  BOOST_TEST(b.next().count() <= 100000);
}

BOOST_AUTO_TEST_CASE(zero_base_means_no_wait) {
  Backoff b(Duration::zero(), seconds(1), 1);
  BOOST_TEST(b.next().count() == 0);
  BOOST_TEST(b.next().count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(claim_sizing)

BOOST_AUTO_TEST_CASE(fills_free_executors_before_any_run_time_is_known) {
  ClaimSizer s(4, 500);
  BOOST_TEST(s.prefetch() == 0);
  BOOST_TEST(s.to_claim(0, 0) == 4);
  BOOST_TEST(s.to_claim(3, 3) == 1);
  BOOST_TEST(s.to_claim(4, 4) == 0);
}

BOOST_AUTO_TEST_CASE(short_jobs_are_claimed_in_large_batches) {
  ClaimSizer s(4, 500);
  for (int i = 0; i < 50; ++i) s.record_run(microseconds(5));
  s.record_claim(milliseconds(2));
  BOOST_TEST(s.prefetch() == 1000);  // capped at two batches
  BOOST_TEST(s.to_claim(0, 0) == 500);
  BOOST_TEST(s.to_claim(600, 600) == 404);
  // Busy executors and a nearly full buffer: not worth a round trip yet.
  BOOST_TEST(s.to_claim(1000, 1000) == 0);
}

BOOST_AUTO_TEST_CASE(long_jobs_are_never_held_back_by_settling) {
  ClaimSizer s(4, 500);
  for (int i = 0; i < 50; ++i) s.record_run(seconds(30));
  BOOST_TEST(s.to_claim(3, 400) == 1);  // a free executor is filled even with outcomes pending
}

BOOST_AUTO_TEST_CASE(long_jobs_get_no_prefetch) {
  ClaimSizer s(4, 500);
  for (int i = 0; i < 50; ++i) s.record_run(seconds(2));
  BOOST_TEST(s.prefetch() == 0);
  BOOST_TEST(s.to_claim(3, 3) == 1);  // a free executor is always filled
  BOOST_TEST(s.to_claim(4, 4) == 0);
}

BOOST_AUTO_TEST_CASE(outcomes_waiting_to_be_recorded_hold_claims_back) {
  ClaimSizer s(4, 500);
  for (int i = 0; i < 50; ++i) s.record_run(microseconds(5));
  s.record_claim(milliseconds(2));
  // Executors idle, but 1500 finished jobs not yet settled: no more claims.
  BOOST_TEST(s.to_claim(0, 1504) == 0);
  BOOST_TEST(s.to_claim(0, 1004) == 500);
  BOOST_TEST(s.to_claim(0, 1200) == 304);
  // Only a handful of room while settling is behind: wait for a batch's worth.
  BOOST_TEST(s.to_claim(0, 1300) == 0);
}

BOOST_AUTO_TEST_CASE(never_claims_more_than_max_batch) {
  ClaimSizer s(64, 10);
  BOOST_TEST(s.to_claim(0, 0) == 10);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(progress_throttling)

BOOST_AUTO_TEST_CASE(first_step_changes_and_completion_always_go_out) {
  ProgressThrottle t(milliseconds(200));
  auto t0 = ProgressThrottle::Clock::now();
  BOOST_TEST(t.should_send(0, "Converting", t0));
  BOOST_TEST(t.step_changed());
  BOOST_TEST(!t.should_send(1, "Converting", t0 + milliseconds(1)));
  BOOST_TEST(!t.should_send(2, "Converting", t0 + milliseconds(2)));
  BOOST_TEST(t.should_send(3, "Analyzing", t0 + milliseconds(3)));
  BOOST_TEST(t.step_changed());
  BOOST_TEST(t.should_send(100, "Analyzing", t0 + milliseconds(4)));
  BOOST_TEST(!t.step_changed());
}

BOOST_AUTO_TEST_CASE(other_reports_at_most_once_per_interval_and_never_repeated) {
  ProgressThrottle t(milliseconds(200));
  auto t0 = ProgressThrottle::Clock::now();
  BOOST_TEST(t.should_send(10, "Analyzing", t0));
  BOOST_TEST(!t.should_send(11, "Analyzing", t0 + milliseconds(199)));
  BOOST_TEST(t.should_send(12, "Analyzing", t0 + milliseconds(200)));
  BOOST_TEST(!t.should_send(12, "Analyzing", t0 + seconds(5)));  // nothing new
  BOOST_TEST(t.should_send(100, "Analyzing", t0 + seconds(6)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(configuration)

WorkerConfig valid() {
  WorkerConfig c;
  c.worker_id = "host:1";
  return c;
}

BOOST_AUTO_TEST_CASE(defaults_are_valid) {
  BOOST_CHECK_NO_THROW(validate(valid()));
  BOOST_TEST(default_concurrency() >= 1);
  BOOST_TEST(default_worker_id().find(':') != std::string::npos);
}

BOOST_AUTO_TEST_CASE(out_of_range_settings_are_named) {
  auto expect = [](WorkerConfig c, const std::string& flag) {
    try {
      validate(c);
      BOOST_FAIL("accepted an invalid " + flag);
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()).find(flag) != std::string::npos, e.what());
    }
  };
  WorkerConfig c = valid();
  c.concurrency = 0;
  expect(c, "--concurrency");
  c = valid();
  c.lease = milliseconds(500);
  expect(c, "--lease");
  c = valid();
  c.poll_interval = Duration::zero();
  expect(c, "--poll-interval");
  c = valid();
  c.worker_id = "";
  expect(c, "--worker-id");
  c = valid();
  c.max_batch = 20000;
  expect(c, "--max-batch");
  c = valid();
  c.job_types = {"noop", "bad type"};
  expect(c, "--job-types");
}

BOOST_AUTO_TEST_CASE(job_types_split_on_commas) {
  BOOST_TEST((parse_job_types(" noop, process-exam-paper,,") == std::vector<std::string>{"noop", "process-exam-paper"}));
  BOOST_TEST(parse_job_types("").empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(job_runs)

std::shared_ptr<JobRun> make_run(const std::string& id, int attempt = 1) {
  examq::handlers::Job job;
  job.id = id;
  job.type = "noop";
  job.attempt = attempt;
  return std::make_shared<JobRun>(job, JobRun::Clock::now() + seconds(60));
}

BOOST_AUTO_TEST_CASE(only_one_thread_wins_the_settle) {
  auto run = make_run("a");
  BOOST_TEST(run->transition(RunState::queued, RunState::running));
  BOOST_TEST(run->transition(RunState::running, RunState::settling));  // e.g. shutdown's release
  BOOST_TEST(!run->transition(RunState::running, RunState::settling));  // the handler's late outcome
}

BOOST_AUTO_TEST_CASE(cancellation_interrupts_a_sleeping_handler) {
  auto run = make_run("b");
  std::thread canceller([&] { run->request_cancel(); });
  BOOST_TEST(!run->sleep_for(hours(1)));  // returns early instead of after an hour
  canceller.join();
  BOOST_TEST(run->cancel_requested());
}

BOOST_AUTO_TEST_CASE(sleep_without_interruption_runs_its_course) {
  auto run = make_run("c");
  BOOST_TEST(run->sleep_for(microseconds(100)));
}

BOOST_AUTO_TEST_CASE(lease_only_moves_forward) {
  auto run = make_run("d");
  auto later = JobRun::Clock::now() + seconds(120);
  run->extend_lease(later);
  run->extend_lease(JobRun::Clock::now() + seconds(10));
  BOOST_TEST((run->lease_expires() == later));
}

BOOST_AUTO_TEST_CASE(run_queue_keeps_order_and_close_returns_the_rest) {
  RunQueue q;
  q.push({make_run("1"), make_run("2"), make_run("3")});
  BOOST_TEST(q.pop()->job().id == "1");
  auto rest = q.close();
  BOOST_TEST(rest.size() == 2u);
  BOOST_TEST(rest[0]->job().id == "2");
  BOOST_TEST(q.pop() == nullptr);
}

BOOST_AUTO_TEST_CASE(held_jobs_track_what_is_leased) {
  HeldJobs held;
  auto x = make_run("x");
  BOOST_TEST(held.add(x) == nullptr);
  held.add(make_run("y"));
  BOOST_TEST(held.contains("x", 1));
  BOOST_TEST(!held.contains("x", 2));
  held.remove(*x);
  BOOST_TEST(!held.contains("x", 1));
  BOOST_TEST(held.size() == 1u);
  BOOST_TEST(held.snapshot().front()->job().id == "y");
}

// Issue 14, finding 1: a stale attempt's cleanup must not drop the newer attempt's entry.
BOOST_AUTO_TEST_CASE(held_jobs_keep_the_newer_attempt_when_the_stale_one_finishes) {
  HeldJobs held;
  auto first = make_run("j", 1);
  auto second = make_run("j", 2);
  held.add(first);
  BOOST_TEST(held.add(second) == first);
  held.remove(*first);
  BOOST_TEST(held.contains("j", 2));
  BOOST_TEST(held.find("j") == second);
  held.remove(*second);
  BOOST_TEST(held.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_newer_attempt_waits_for_the_older_run_to_finish) {
  auto older = make_run("j", 1);
  auto newer = make_run("j", 2);
  newer->wait_for_before_start(older);
  BOOST_TEST(newer->runs_after() == older);
  BOOST_TEST(older->transition(RunState::queued, RunState::running));
  BOOST_TEST(!older->wait_done(JobRun::Clock::now() + std::chrono::milliseconds(20)));
  std::thread finisher([&] { older->transition(RunState::running, RunState::done); });
  BOOST_TEST(older->wait_done(JobRun::Clock::now() + seconds(30)));
  finisher.join();
}

BOOST_AUTO_TEST_SUITE_END()
