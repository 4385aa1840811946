#define BOOST_TEST_MODULE pipeline_corpus
// Every real-world PDF of the shared corpus ($EXAMQ_CORPUS) through the whole job, alongside a
// normal paper: valid files complete; each malformed one completes or fails with a clear message
// within the render time limit; the worker survives all of them and the normal job completes.
#include "exam_paper.h"
#include "job_watcher.h"
#include "paper_submission.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <stdlib.h>

#include <filesystem>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_CASE(every_corpus_pdf_settles_and_the_worker_survives) {
  const char* corpus = getenv("EXAMQ_CORPUS");
  if (corpus == nullptr || !fs::is_directory(corpus)) {
    BOOST_TEST_MESSAGE("EXAMQ_CORPUS not set or missing: nothing to run");
    return;
  }
  TestDatabase db("pipe_corpus");
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();

  struct Entry {
    std::string path;
    bool valid;
    Submitted sub;
  };
  std::vector<Entry> entries;
  for (const auto& dir : {"valid", "malformed"}) {
    for (const auto& f : fs::recursive_directory_iterator(fs::path(corpus) / dir)) {
      if (!f.is_regular_file() || f.path().extension() != ".pdf") continue;
      std::string rel = fs::relative(f.path(), corpus).string();
      entries.push_back({rel, std::string(dir) == "valid", submit_paper(c, rel, f.path().filename().string(), read_file(f.path()))});
    }
  }
  BOOST_REQUIRE_GT(entries.size(), 50u);
  auto normal = submit_paper(c, "normal", "normal.pdf", fixtures::make_exam_paper(fixtures::layout("simple-q")).pdf);
  c.exec("UPDATE processing_jobs SET priority = -1 WHERE id = $1::uuid", normal.job_id);  // behind the corpus

  // A per-request render limit under the known 25-second reject, so that it is cut short, with
  // room for the slower valid files on a machine busy with other tests.
  setenv("EXAMQ_RENDER_TIMEOUT", "20s", 1);
  setenv("EXAMQ_RENDER_PROCESSES", "1", 1);
  WorkerProcess worker(db.conninfo(), "corpus", {"--concurrency", "3", "--lease", "30s"});
  unsetenv("EXAMQ_RENDER_TIMEOUT");
  unsetenv("EXAMQ_RENDER_PROCESSES");

  BOOST_REQUIRE_MESSAGE(
      watcher.wait_until(
          [](pg::Connection& conn) {
            return conn.exec("SELECT count(*) = 0 FROM processing_jobs WHERE status IN ('pending', 'processing')").get<bool>(0, 0);
          },
          480s),
      "corpus did not settle; log tail:\n" + worker.log().substr(worker.log().size() > 4000 ? worker.log().size() - 4000 : 0));

  int completed = 0, failed = 0;
  for (const auto& e : entries) {
    std::string status = job_field(c, e.sub.job_id, "status");
    std::string error = job_field(c, e.sub.job_id, "error_message");
    BOOST_TEST_CONTEXT(e.path << ": " << status << " " << error) {
      if (e.valid) {
        BOOST_TEST(status == "completed");
      } else {
        BOOST_TEST((status == "completed" || status == "failed"));
      }
      if (status == "failed") {
        ++failed;
        BOOST_TEST(error != "<NULL>");
        BOOST_TEST(!error.empty());
        BOOST_TEST(error.find("std::") == std::string::npos);        // a sentence, not an exception dump
        BOOST_TEST(job_field(c, e.sub.job_id, "retry_count") == "0");  // a bad file is not retried
      } else {
        ++completed;
      }
    }
  }
  BOOST_TEST_MESSAGE(entries.size() << " corpus files: " << completed << " completed, " << failed << " failed");
  BOOST_TEST(job_field(c, normal.job_id, "status") == "completed");
  BOOST_TEST(c.exec("SELECT count(*)::int FROM questions WHERE exam_paper_id = $1::uuid", normal.exam_paper_id).get<int>(0, 0) > 0);
  BOOST_TEST(worker.running(), "the worker died; log:\n" + worker.log());
}
