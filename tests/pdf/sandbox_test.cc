#define BOOST_TEST_MODULE pdf_sandbox
#include <boost/test/unit_test.hpp>

// The process plumbing on its own, with /bin/sh standing in for examq-render so each exit the
// parent must interpret can be produced on purpose.

#include <poll.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "pdf/sandbox.h"

using namespace examq::pdf;

namespace {

// Runs `script` under /bin/sh as a sandboxed child; returns it exited and reaped, with all it
// wrote to stdout/stderr collected.
std::unique_ptr<SandboxedChild> run_shell(const std::string& script, const SealedPdf& pdf) {
  auto child = std::make_unique<SandboxedChild>("/bin/sh", std::vector<std::string>{"-c", script}, pdf);
  while (child->diagnostics_fd() >= 0) {
    pollfd fd{child->diagnostics_fd(), POLLIN, 0};
    poll(&fd, 1, -1);
    child->read_diagnostics();
  }
  child->wait();
  return child;
}

PdfError described(const SandboxedChild& child) {
  return describe_child_exit(child, SandboxOptions{}, "renderer");
}

}  // namespace

BOOST_AUTO_TEST_CASE(child_inherits_only_stdio_the_channel_and_the_pdf) {
  const SealedPdf pdf("%PDF-1.4 fd check");
  // ls opens the directory it lists: the lowest free descriptor, 5, if nothing leaked.
  const auto child = run_shell("exec ls /proc/self/fd", pdf);
  BOOST_TEST(child->diagnostics() == "0\n1\n2\n3\n4\n5\n");
}

BOOST_AUTO_TEST_CASE(child_reads_the_pdf_but_cannot_change_it) {
  const SealedPdf pdf("%PDF-1.4 sealed bytes");
  const auto child =
      run_shell("cat <&4; echo; if printf x >>/proc/self/fd/4; then echo wrote; else echo refused; fi",
                pdf);
  BOOST_TEST(child->diagnostics().find("%PDF-1.4 sealed bytes\n") == 0u);
  BOOST_TEST(child->diagnostics().find("refused\n") != std::string::npos);
  BOOST_TEST(child->diagnostics().find("wrote") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(child_runs_in_its_own_process_group) {
  const SealedPdf pdf("%PDF-1.4");
  const auto child = run_shell("ps -o pgid= -p $$", pdf);
  BOOST_TEST(std::stoi(child->diagnostics()) == child->pid());
  BOOST_TEST(child->pid() != getpgrp());
}

BOOST_AUTO_TEST_CASE(segfault_is_reported_as_a_crash_with_its_signal) {
  const SealedPdf pdf("%PDF-1.4");
  const PdfError e = described(*run_shell("kill -SEGV $$", pdf));
  BOOST_TEST(e.kind() == PdfErrorKind::renderer_crashed);
  BOOST_TEST(std::string(e.what()) == "renderer crashed: signal 11");
}

// Poppler's gmalloc prints "Out of memory" and aborts when RLIMIT_AS refuses an allocation.
BOOST_AUTO_TEST_CASE(abort_after_poppler_out_of_memory_message_is_reported_as_memory) {
  const SealedPdf pdf("%PDF-1.4");
  const PdfError e = described(*run_shell("echo 'Out of memory' >&2; kill -ABRT $$", pdf));
  BOOST_TEST(e.kind() == PdfErrorKind::renderer_out_of_memory);
  BOOST_TEST(std::string(e.what()) == "renderer exceeded its memory limit (512 MB)");
}

BOOST_AUTO_TEST_CASE(abort_without_that_message_is_a_crash) {
  const SealedPdf pdf("%PDF-1.4");
  const PdfError e = described(*run_shell("echo 'double free' >&2; kill -ABRT $$", pdf));
  BOOST_TEST(e.kind() == PdfErrorKind::renderer_crashed);
  BOOST_TEST(std::string(e.what()) == "renderer crashed: signal 6");
}

BOOST_AUTO_TEST_CASE(exit_statuses_map_to_their_meaning) {
  const SealedPdf pdf("%PDF-1.4");
  BOOST_TEST(described(*run_shell("exit 4", pdf)).kind() == PdfErrorKind::renderer_out_of_memory);
  BOOST_TEST(described(*run_shell("kill -XCPU $$", pdf)).kind() == PdfErrorKind::renderer_cpu_limit);
  const PdfError unexpected = described(*run_shell("exit 5", pdf));
  BOOST_TEST(unexpected.kind() == PdfErrorKind::renderer_failed);
  BOOST_TEST(std::string(unexpected.what()) == "renderer failed: exit status 5");
}

BOOST_AUTO_TEST_CASE(kill_reaches_the_whole_process_group) {
  const SealedPdf pdf("%PDF-1.4");
  // The shell starts a grandchild that would outlive it, then waits forever itself.
  SandboxedChild child("/bin/sh", {"-c", "sleep 1000 & echo $!; wait"}, pdf);
  std::string pid_line;
  while (pid_line.find('\n') == std::string::npos) {
    pollfd fd{child.diagnostics_fd(), POLLIN, 0};
    poll(&fd, 1, -1);
    child.read_diagnostics();
    pid_line = child.diagnostics();
  }
  const pid_t grandchild = std::stoi(pid_line);
  child.kill();
  child.wait();
  BOOST_TEST(WIFSIGNALED(child.status()));
  // The grandchild got SIGKILL too; once init reaps it, it no longer exists. Its /proc entry
  // may linger briefly as a zombie, so look at its state rather than its existence.
  std::string state = "gone";
  for (;;) {
    FILE* stat = std::fopen(("/proc/" + std::to_string(grandchild) + "/stat").c_str(), "r");
    if (stat == nullptr) break;
    char buffer[512] = {};
    const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, stat);
    std::fclose(stat);
    const std::string line(buffer, n);
    state = line.substr(line.rfind(')') + 2, 1);
    if (state == "Z" || state == "X") break;
    sched_yield();
  }
  BOOST_TEST((state == "gone" || state == "Z" || state == "X"));
}
