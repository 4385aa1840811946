#define BOOST_TEST_MODULE pdf_isolation
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "pdf/render_pool.h"
#include "pdf_fixtures.h"
#include "test_support.h"

using namespace examq::pdf;
using namespace examq::pdf::testing;

namespace {

// Renders `faulty` with `fault` in another thread while a normal document renders here, and
// returns the error the faulty call threw (the normal one must succeed meanwhile).
PdfError fail_alongside_a_normal_render(RenderOptions faulty) {
  const std::string pdf = make_pdf(exam_like_document(3));
  std::optional<PdfError> error;
  bool faulty_returned = false;
  std::thread victim([&] {
    try {
      render_pdf(pdf, faulty);
      faulty_returned = true;
    } catch (const PdfError& e) {
      error = e;
    }
  });
  const RenderedDocument normal = render_pdf(pdf, test_options());
  victim.join();
  BOOST_TEST(normal.pages.size() == 3u);
  BOOST_TEST(!normal.pages[2].jpeg.empty());
  BOOST_TEST(!faulty_returned);
  BOOST_REQUIRE(error.has_value());
  BOOST_TEST(live_children() == 0);
  return *error;
}

}  // namespace

BOOST_AUTO_TEST_CASE(crashing_renderer_fails_only_its_call_naming_the_signal) {
  RenderOptions options = test_options();
  options.sandbox.fault = RenderFault::crash;
  options.sandbox.fault_page = 2;
  const PdfError e = fail_alongside_a_normal_render(options);
  BOOST_TEST(e.kind() == PdfErrorKind::renderer_crashed);
  BOOST_TEST(std::string(e.what()) == "renderer crashed: signal 11");
  BOOST_TEST(e.critical());
}

// The timeout is the child's CPU time: a page spinning in a loop uses it up and is killed, and
// that is the PDF's fault (critical, not retried).
BOOST_AUTO_TEST_CASE(hanging_renderer_is_killed_at_its_timeout) {
  RenderOptions options = test_options();
  options.sandbox.fault = RenderFault::hang;  // spins the CPU
  options.sandbox.timeout = std::chrono::seconds(2);
  options.sandbox.wall_timeout = std::chrono::seconds(600);  // never the wall backstop
  const PdfError e = fail_alongside_a_normal_render(options);
  BOOST_TEST(e.kind() == PdfErrorKind::renderer_timed_out);
  BOOST_TEST(std::string(e.what()) == "renderer timed out after 2 s of CPU");
  BOOST_TEST(e.critical());
}

namespace {

// Stops the render call's one child (SIGSTOP) as soon as it is there, and lets it go on
// (SIGCONT) once `resume` says so; for render_pdf's cancel check, polled every 100 ms.
struct Stopper {
  std::function<bool(std::chrono::steady_clock::time_point stopped_at)> resume;
  pid_t child = 0;
  std::chrono::steady_clock::time_point stopped_at;
  bool resumed = false;

  bool operator()() {
    if (child == 0) {
      const std::vector<pid_t> children = child_pids();
      if (children.size() != 1u) return false;
      child = children[0];
      kill(child, SIGSTOP);
      stopped_at = std::chrono::steady_clock::now();
    } else if (!resumed && resume && resume(stopped_at)) {
      kill(child, SIGCONT);
      resumed = true;
    }
    return false;
  }
};

RenderOptions one_child(std::chrono::seconds cpu, std::chrono::seconds wall) {
  RenderOptions options = test_options();
  options.max_processes = 1;
  options.read_metadata = false;  // no PoDoFo child beside it
  options.sandbox.timeout = cpu;
  options.sandbox.wall_timeout = wall;
  return options;
}

}  // namespace

// A child that uses no CPU (stopped here; blocked or frozen in life) is not timed out by the
// CPU clock: the wall-clock backstop kills it, says so and how much CPU it used, and the job
// is retried (the machine's state, not the PDF's).
BOOST_AUTO_TEST_CASE(stopped_renderer_is_killed_by_the_wall_clock_backstop) {
  Stopper stopper;  // never resumes
  try {
    render_pdf(make_pdf(exam_like_document(3)),
               one_child(std::chrono::seconds(1), std::chrono::seconds(2)), {}, std::ref(stopper));
    BOOST_FAIL("a stopped renderer's call returned");
  } catch (const PdfError& e) {
    BOOST_TEST(e.kind() == PdfErrorKind::renderer_hung);
    const std::string message = e.what();
    BOOST_TEST(message.rfind("renderer used ", 0) == 0u, message);
    BOOST_TEST(message.find(" s of CPU in 2 s: hung (wall-clock limit)") != std::string::npos, message);
    BOOST_TEST(!e.critical());
  }
  BOOST_TEST(stopper.child != 0);
  BOOST_TEST(live_children() == 0);
}

// The finding this clock is for (docs/benchmarks.md): a starved child waits for a core longer
// than its timeout without using the CPU. Stopped for more than its 1 s of CPU, then let go,
// it renders every page.
BOOST_AUTO_TEST_CASE(starved_renderer_is_not_timed_out_and_renders) {
  Stopper stopper;
  stopper.resume = [](std::chrono::steady_clock::time_point stopped_at) {
    return std::chrono::steady_clock::now() - stopped_at > std::chrono::milliseconds(2500);
  };
  const RenderedDocument result =
      render_pdf(make_pdf(exam_like_document(3)),
                 one_child(std::chrono::seconds(1), std::chrono::seconds(60)), {}, std::ref(stopper));
  BOOST_TEST(stopper.child != 0);
  BOOST_TEST(stopper.resumed);  // it was stopped for longer than its timeout
  BOOST_REQUIRE(result.pages.size() == 3u);
  BOOST_TEST(!result.pages[2].jpeg.empty());
  BOOST_TEST(live_children() == 0);
}

BOOST_AUTO_TEST_CASE(renderer_over_its_memory_limit_is_stopped_and_named) {
  RenderOptions options = test_options();
  options.sandbox.fault = RenderFault::exhaust_memory;
  options.sandbox.memory_bytes = std::size_t{256} << 20;
  const PdfError e = fail_alongside_a_normal_render(options);
  BOOST_TEST(e.kind() == PdfErrorKind::renderer_out_of_memory);
  BOOST_TEST(std::string(e.what()) == "renderer exceeded its memory limit (256 MB)");
}

// RLIMIT_CPU backs up the parent's CPU timeout (for a child whose parent cannot watch it):
// with a kernel budget below the timeout, a spinning child dies of SIGXCPU.
BOOST_AUTO_TEST_CASE(spinning_renderer_is_stopped_by_its_cpu_limit) {
  RenderOptions options = test_options();
  options.sandbox.fault = RenderFault::hang;
  options.sandbox.cpu_seconds_per_request = 1;
  options.sandbox.timeout = std::chrono::seconds(30);
  const PdfError e = fail_alongside_a_normal_render(options);
  BOOST_TEST(e.kind() == PdfErrorKind::renderer_cpu_limit);
  BOOST_TEST(std::string(e.what()) == "renderer exceeded its CPU limit (1 s)");
}

BOOST_AUTO_TEST_CASE(missing_helper_is_an_installation_error_not_a_bad_pdf) {
  RenderOptions options = test_options();
  options.sandbox.helper_path = "/nonexistent/examq-render";
  try {
    render_pdf(make_pdf(exam_like_document(1)), options);
    BOOST_FAIL("render without a helper returned");
  } catch (const PdfError& e) {
    BOOST_TEST(e.kind() == PdfErrorKind::sandbox_unavailable);
    BOOST_TEST(!e.critical());
    BOOST_TEST(std::string(e.what()).find("/nonexistent/examq-render") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(helper_is_found_through_the_environment) {
  RenderOptions options = test_options();
  options.sandbox.helper_path.clear();
  setenv("EXAMQ_RENDER_HELPER", EXAMQ_RENDER_HELPER_PATH, 1);
  const RenderedDocument result = render_pdf(make_pdf(exam_like_document(1)), options);
  unsetenv("EXAMQ_RENDER_HELPER");
  BOOST_TEST(result.pages.size() == 1u);
}

// What the child may see: not the worker's secrets.
BOOST_AUTO_TEST_CASE(child_does_not_inherit_secrets_from_the_environment) {
  setenv("EXAMQ_TEST_SECRET", "do-not-leak", 1);
  RenderOptions options = test_options();
  options.sandbox.fault = RenderFault::hang;  // keep a child alive to look at
  options.sandbox.timeout = std::chrono::seconds(30);
  options.max_processes = 1;
  bool checked = false, leaked = true;
  auto look = [&]() -> bool {
    if (checked) return true;  // then cancel
    for (const pid_t pid : child_pids()) {
      const std::string environ = read_file("/proc/" + std::to_string(pid) + "/environ");
      leaked = environ.find("do-not-leak") != std::string::npos;
      checked = true;
    }
    return false;
  };
  try {
    render_pdf(make_pdf(exam_like_document(1)), options, {}, look);
  } catch (const PdfError& e) {
    BOOST_TEST(e.kind() == PdfErrorKind::cancelled);
  }
  unsetenv("EXAMQ_TEST_SECRET");
  BOOST_TEST(checked);
  BOOST_TEST(!leaked);
}
