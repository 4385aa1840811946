#include "pdf/image_sandbox.h"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "pdf/helper_locator.h"
#include "pdf/process_budget.h"
#include "pdf/sandbox.h"
#include "pdf/wire_format.h"

namespace examq::pdf {
namespace {

std::atomic<long> g_children{0};
std::mutex g_options_mutex;
SandboxOptions g_options;

}  // namespace

void set_image_sandbox_options(const SandboxOptions& options) {
  std::lock_guard lock(g_options_mutex);
  g_options = options;
}

SandboxOptions image_sandbox_options() {
  std::lock_guard lock(g_options_mutex);
  return g_options;
}

long image_children_started() { return g_children.load(); }

SandboxedJpeg::SandboxedJpeg(std::string_view jpeg, const SandboxOptions& options, int quality) : options_(options) {
  const std::string helper = locate_render_helper(options.helper_path);
  const std::vector<std::string> arguments = {
      "fit-image",
      "--memory=" + std::to_string(options.memory_bytes),
      "--cpu=" + std::to_string(cpu_seconds_per_request(options)),
      "--quality=" + std::to_string(quality),
      "--image-pixels=" + std::to_string(kMaxImagePixels),
      std::string("--fault=") + fault_name(options.fault)};
  ProcessBudget::instance().acquire();
  token_ = std::make_unique<BudgetToken>();
  sealed_ = std::make_unique<SealedPdf>(jpeg);
  child_ = std::make_unique<SandboxedChild>(helper, arguments, *sealed_);
  ++g_children;
}

SandboxedJpeg::~SandboxedJpeg() = default;  // ~SandboxedChild kills and reaps it

std::string SandboxedJpeg::shrink(int width, int height) {
  if (width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw PdfError(PdfErrorKind::image_unreadable, "image size out of range");
  }
  SandboxedChild& child = *child_;
  child.send(wire::Command::shrink_image, static_cast<std::uint32_t>(width) << 16 | static_cast<std::uint32_t>(height));
  // The request's limits (sandbox.h): its CPU time, and the wall-clock backstop.
  RequestClock clock(options_);
  clock.start(child.pid());
  wire::FrameReader reader;
  try {
    for (;;) {
      if (std::optional<wire::Frame> frame = reader.next()) {
        if (frame->type == wire::FrameType::image) {
          wire::ImageReply reply = wire::decode_image(frame->payload);
          if (reply.width != width || reply.height != height) throw wire::WireError("an image of the wrong size");
          return std::move(reply.jpeg);
        }
        if (frame->type == wire::FrameType::error) {
          const wire::ErrorReply error = wire::decode_error(frame->payload);
          if (error.code == wire::ChildError::image_unreadable || error.code == wire::ChildError::image_too_large) {
            throw PdfError(PdfErrorKind::image_unreadable, error.message);
          }
          throw PdfError(PdfErrorKind::renderer_failed, "image shrinker failed: " + error.message);
        }
        throw wire::WireError("an unexpected frame");
      }
      if (child.channel_fd() < 0) {
        child.wait();
        child.read_diagnostics();
        throw describe_child_exit(child, options_, "image shrinker");
      }
      if (clock.check() != RequestClock::State::running) {
        child.kill();
        child.wait();
        throw clock.error("image shrinker");
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(clock.next_check() - std::chrono::steady_clock::now());
      pollfd fds[2] = {{child.channel_fd(), POLLIN, 0}, {child.diagnostics_fd(), POLLIN, 0}};
      poll(fds, child.diagnostics_fd() >= 0 ? 2 : 1, static_cast<int>(std::max<long long>(0, left.count())) + 1);
      if (fds[1].revents) child.read_diagnostics();
      if (fds[0].revents) child.read_channel(reader);
    }
  } catch (const wire::WireError& e) {
    child.kill();
    throw PdfError(PdfErrorKind::renderer_failed, std::string("image shrinker sent a malformed reply: ") + e.what());
  }
}

}  // namespace examq::pdf
