#include "pdf/render_pool.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "pdf/helper_locator.h"
#include "pdf/process_budget.h"
#include "pdf/sandbox.h"
#include "pdf/validator.h"
#include "pdf/wire_format.h"

namespace examq::pdf {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kCancelPollInterval = std::chrono::milliseconds(100);
// How often to look for the exit status of a child whose channel has closed.
constexpr auto kReapPollInterval = std::chrono::milliseconds(2);
// Pages requested from a child ahead of its replies, so it goes straight on to the next page
// instead of waiting for the parent to be scheduled (on a loaded machine, milliseconds a page).
constexpr std::size_t kPagesInFlight = 2;

struct Fault {
  RenderFault kind = RenderFault::none;
  int page = 1;
};

// The explicit option wins. The environment variable exists only in builds configured with
// EXAMQ_RENDER_FAULT_ENV=ON, for whole-worker tests that cannot reach RenderOptions.
Fault effective_fault(const SandboxOptions& options) {
  if (options.fault != RenderFault::none) return {options.fault, options.fault_page};
#ifdef EXAMQ_RENDER_FAULT_FROM_ENV
  if (const char* env = std::getenv("EXAMQ_RENDER_FAULT")) {
    const std::string value = env;  // crash|hang|oom, optionally ":<page>"
    const std::string kind = value.substr(0, value.find(':'));
    Fault fault;
    if (kind == "crash") fault.kind = RenderFault::crash;
    if (kind == "hang") fault.kind = RenderFault::hang;
    if (kind == "oom") fault.kind = RenderFault::exhaust_memory;
    if (const auto colon = value.find(':'); colon != std::string::npos) {
      fault.page = std::atoi(value.c_str() + colon + 1);
    }
    return fault;
  }
#endif
  return {};
}

const char* ocr_mode_name(OcrMode mode) {
  switch (mode) {
    case OcrMode::off: return "off";
    case OcrMode::automatic: return "auto";
    case OcrMode::always: return "always";
  }
  return "auto";
}

PdfError from_child_error(const wire::ErrorReply& error) {
  switch (error.code) {
    case wire::ChildError::unreadable:
      return PdfError(PdfErrorKind::unreadable, "PDF is damaged and cannot be read");
    case wire::ChildError::page_unreadable:
      return PdfError(PdfErrorKind::page_unreadable, error.message);
    case wire::ChildError::ocr_unavailable:
      return PdfError(PdfErrorKind::ocr_unavailable, error.message);
    default:
      return PdfError(PdfErrorKind::renderer_failed, "renderer failed: " + error.message);
  }
}

// One child and what the parent expects of it.
struct Slot {
  std::unique_ptr<BudgetToken> token;  // destroyed after the child is reaped
  std::unique_ptr<SandboxedChild> child;
  wire::FrameReader reader;
  bool opened = false;  // its Info (or Metadata) has arrived
  bool owes = false;    // a reply is outstanding: an exit now is a failure
  std::deque<int> pages;  // requested, in the order the child renders them
  RequestClock clock;     // the time limits of the request it is on (sandbox.h)
};

// The state of one render_pdf/inspect_pdf call.
class Session {
 public:
  Session(std::string_view pdf, const RenderOptions& options, bool render_pages,
          const ProgressCallback& progress, const CancelCheck& cancelled)
      : options_(options),
        render_pages_(render_pages),
        progress_(progress),
        cancelled_(cancelled),
        helper_(locate_render_helper(options.sandbox.helper_path)),
        sealed_(pdf),
        fault_(effective_fault(options.sandbox)),
        started_(Clock::now()) {}

  RenderedDocument run();

 private:
  std::vector<std::string> render_arguments(bool first) const;
  std::vector<std::string> metadata_arguments() const;
  // The caller has taken a unit of the ProcessBudget; the new slot's token gives it back
  // (also when spawning throws).
  void spawn_renderer();
  void grow();
  void on_frame(Slot& slot, const wire::Frame& frame);
  void on_metadata_frame(const wire::Frame& frame);
  void on_first_info(const PopplerInfo& info);
  void schedule(const PopplerInfo& info);
  void assign_next_page(Slot& slot);
  void on_closed(Slot& slot);
  void check_deadlines(Clock::time_point now);
  bool finished() const;
  void settle_metadata(std::string error);

  const RenderOptions& options_;
  const bool render_pages_;
  const ProgressCallback progress_;
  const CancelCheck cancelled_;
  const std::string helper_;
  const SealedPdf sealed_;
  const Fault fault_;
  const Clock::time_point started_;

  std::vector<std::unique_ptr<Slot>> renderers_;
  std::unique_ptr<Slot> metadata_;
  bool metadata_settled_ = false;
  std::optional<PodofoInfo> podofo_;
  std::string podofo_error_;

  std::optional<PopplerInfo> poppler_;
  double open_seconds_ = 0;
  // The pages in the order they are handed out, heaviest first by the first child's estimate
  // (page order without one), and how many have been handed out.
  std::vector<int> order_;
  std::size_t next_ = 0;
  int pages_done_ = 0;
  int ocr_pages_ = 0;
  std::vector<std::optional<RenderedPage>> pages_;
};

std::vector<std::string> Session::render_arguments(bool first) const {
  const SandboxOptions& s = options_.sandbox;
  return {"render",
          "--memory=" + std::to_string(s.memory_bytes),
          "--cpu=" + std::to_string(cpu_seconds_per_request(s)),
          "--dpi=" + std::to_string(options_.dpi),
          "--quality=" + std::to_string(options_.jpeg_quality),
          "--max-pixels=" + std::to_string(options_.max_pixels_per_page),
          std::string("--images=") + (options_.render_images ? "1" : "0"),
          std::string("--words=") + (options_.extract_words ? "1" : "0"),
          std::string("--fault=") + fault_name(fault_.kind),
          "--fault-page=" + std::to_string(fault_.page),
          std::string("--ocr=") + ocr_mode_name(options_.ocr.mode),
          "--ocr-languages=" + options_.ocr.languages,
          "--ocr-dpi=" + std::to_string(options_.ocr.dpi),
          std::string("--ocr-orientation=") + (options_.ocr.detect_orientation ? "1" : "0"),
          "--tessdata=" + options_.ocr.tessdata_dir,
          // Only the first child's Info is used for scheduling; only within the page limit.
          "--page-costs=" + std::to_string(first && render_pages_ ? options_.limits.max_pages : 0)};
}

std::vector<std::string> Session::metadata_arguments() const {
  const SandboxOptions& s = options_.sandbox;
  return {"metadata", "--memory=" + std::to_string(s.memory_bytes),
          "--cpu=" + std::to_string(cpu_seconds_per_request(s))};
}

void Session::spawn_renderer() {
  auto token = std::make_unique<BudgetToken>();
  auto slot = std::make_unique<Slot>();
  slot->token = std::move(token);
  slot->child = std::make_unique<SandboxedChild>(helper_, render_arguments(renderers_.empty()), sealed_);
  slot->owes = true;  // its Info
  slot->clock = RequestClock(options_.sandbox);
  slot->clock.start(slot->child->pid());
  renderers_.push_back(std::move(slot));
}

void Session::on_first_info(const PopplerInfo& info) {
  poppler_ = info;
  open_seconds_ = std::chrono::duration<double>(Clock::now() - started_).count();
  check_document(info, options_.limits);
  pages_.resize(static_cast<std::size_t>(info.page_count));
  if (render_pages_) schedule(info);  // else nothing to hand out
  if (options_.read_metadata) {
    metadata_ = std::make_unique<Slot>();
    metadata_->child = std::make_unique<SandboxedChild>(helper_, metadata_arguments(), sealed_);
    metadata_->owes = true;
    metadata_->clock = RequestClock(options_.sandbox);
    metadata_->clock.start(metadata_->child->pid());
  } else {
    metadata_settled_ = true;
  }
  grow();
}

// Longest first: with the heavy pages handed out at the start, the last pages to finish are
// light ones, and no child sits idle while another works through a long page at the end.
// The estimate is a hint from a child: a lying one only reorders this document's pages.
void Session::schedule(const PopplerInfo& info) {
  order_.resize(static_cast<std::size_t>(info.page_count));
  for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<int>(i) + 1;
  if (info.page_costs.size() != order_.size()) return;
  std::stable_sort(order_.begin(), order_.end(), [&](int a, int b) {
    return info.page_costs[static_cast<std::size_t>(a - 1)] >
           info.page_costs[static_cast<std::size_t>(b - 1)];
  });
}

// Adds children while pages are waiting for one, this call is under its own limit and the
// process is under the global one. Called again as pages complete, so a call that started
// while other jobs held the budget picks up children they release.
void Session::grow() {
  if (!render_pages_ || !poppler_) return;
  const int wanted = std::min(options_.max_processes > 0 ? options_.max_processes
                                                         : online_cpus(),
                              poppler_->page_count);
  // A new child must open the document before it helps: not worth it for the last page.
  while (static_cast<int>(renderers_.size()) < wanted && order_.size() - next_ >= 2 &&
         ProcessBudget::instance().try_acquire()) {
    spawn_renderer();
  }
}

void Session::assign_next_page(Slot& slot) {
  if (slot.pages.empty()) slot.clock.start(slot.child->pid());
  while (slot.pages.size() < kPagesInFlight && next_ < order_.size()) {
    slot.pages.push_back(order_[next_++]);
    // A failed send means the child is gone; its exit is reported when the channel closes.
    slot.child->send(wire::Command::render_page, static_cast<std::uint32_t>(slot.pages.back()));
  }
  slot.owes = !slot.pages.empty();
  if (!slot.owes) slot.child->send(wire::Command::quit, 0);
}

void Session::on_frame(Slot& slot, const wire::Frame& frame) {
  switch (frame.type) {
    case wire::FrameType::info: {
      if (slot.opened) throw wire::WireError("second Info");
      const PopplerInfo info = wire::decode_poppler_info(frame.payload);
      slot.opened = true;
      slot.owes = false;
      if (!poppler_) {
        on_first_info(info);
      } else if (info.page_count != poppler_->page_count) {
        throw wire::WireError("renderers disagree on the page count");
      }
      assign_next_page(slot);
      return;
    }
    case wire::FrameType::page: {
      wire::PageReply reply = wire::decode_page(frame.payload);
      if (slot.pages.empty() || reply.page_number != slot.pages.front()) {
        throw wire::WireError("unrequested page");
      }
      slot.pages.pop_front();
      // The limits run per page: the next one, already sent, starts now (an idle child's next
      // page starts when it is sent, in assign_next_page).
      if (!slot.pages.empty()) slot.clock.start(slot.child->pid());
      RenderedPage page;
      page.page_number = reply.page_number;
      page.width = reply.width;
      page.height = reply.height;
      page.dpi = reply.dpi;
      page.jpeg = std::move(reply.jpeg);
      page.text = std::move(reply.text);
      page.render_seconds = reply.render_seconds;
      page.ocr_seconds = reply.ocr_seconds;
      if (page.text.source == TextSource::ocr) ++ocr_pages_;
      pages_[static_cast<std::size_t>(page.page_number - 1)] = std::move(page);
      ++pages_done_;
      if (progress_) progress_(pages_done_, poppler_->page_count, ocr_pages_);
      assign_next_page(slot);
      return;
    }
    case wire::FrameType::error:
      throw from_child_error(wire::decode_error(frame.payload));
    case wire::FrameType::metadata:
    case wire::FrameType::ocr_ready:
    case wire::FrameType::image:
      throw wire::WireError("an unexpected frame from a renderer");
  }
}

void Session::settle_metadata(std::string error) {
  metadata_settled_ = true;
  podofo_error_ = std::move(error);
  if (metadata_) metadata_->child->kill();
}

void Session::on_metadata_frame(const wire::Frame& frame) {
  if (frame.type == wire::FrameType::metadata) {
    podofo_ = wire::decode_podofo_info(frame.payload);
    settle_metadata("");
  } else if (frame.type == wire::FrameType::error) {
    settle_metadata(wire::decode_error(frame.payload).message);
  } else {
    settle_metadata("PoDoFo reader sent a malformed reply");
  }
}

// The channel is closed: the child exited, or is exiting.
void Session::on_closed(Slot& slot) {
  if (!slot.child->try_reap()) return;  // look again shortly
  slot.child->read_diagnostics();
  if (&slot == metadata_.get()) {
    if (!metadata_settled_) {
      settle_metadata(describe_child_exit(*slot.child, options_.sandbox, "PoDoFo").what());
    }
    return;
  }
  if (slot.owes) throw describe_child_exit(*slot.child, options_.sandbox, "renderer");
}

// A child over its CPU time or its wall-clock backstop (RequestClock) is killed.
void Session::check_deadlines(Clock::time_point now) {
  for (auto& slot : renderers_) {
    if (slot->owes && slot->clock.check(now) != RequestClock::State::running) {
      slot->child->kill();
      throw slot->clock.error("renderer");
    }
  }
  if (metadata_ && !metadata_settled_ &&
      metadata_->clock.check(now) != RequestClock::State::running) {
    settle_metadata(metadata_->clock.error("PoDoFo").what());
  }
}

bool Session::finished() const {
  if (!poppler_ || !metadata_settled_) return false;
  return !render_pages_ || pages_done_ == poppler_->page_count;
}

RenderedDocument Session::run() {
  ProcessBudget::instance().acquire();  // the first child is never refused
  spawn_renderer();
  std::vector<pollfd> fds;
  struct Owner {
    Slot* slot;
    bool channel;  // else its diagnostics pipe
  };
  std::vector<Owner> owners;
  while (!finished()) {
    if (cancelled_ && cancelled_()) {
      throw PdfError(PdfErrorKind::cancelled, "rendering was cancelled");
    }
    fds.clear();
    owners.clear();
    Clock::time_point wake = Clock::now() + kCancelPollInterval;
    auto watch = [&](Slot& slot, bool live) {
      if (!live) return;
      if (slot.child->channel_fd() >= 0) {
        fds.push_back({slot.child->channel_fd(), POLLIN, 0});
        owners.push_back({&slot, true});
      } else if (!slot.child->reaped()) {
        wake = std::min(wake, Clock::now() + kReapPollInterval);
      }
      if (slot.child->diagnostics_fd() >= 0) {
        fds.push_back({slot.child->diagnostics_fd(), POLLIN, 0});
        owners.push_back({&slot, false});
      }
      // Its next time check: the wait is never longer, and it does not spin past a limit.
      if (slot.owes) wake = std::min(wake, slot.clock.next_check());
    };
    for (auto& slot : renderers_) watch(*slot, true);
    if (metadata_) watch(*metadata_, !metadata_settled_);

    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now());
    const int rc = poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(0, wait.count()) + 1));
    if (rc < 0 && errno != EINTR) {
      throw PdfError(PdfErrorKind::sandbox_unavailable, "poll failed");
    }

    try {
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        Slot& slot = *owners[i].slot;
        if (!owners[i].channel) {
          slot.child->read_diagnostics();
          continue;
        }
        const bool open = slot.child->read_channel(slot.reader);
        while (std::optional<wire::Frame> frame = slot.reader.next()) {
          if (&slot == metadata_.get()) {
            if (!metadata_settled_) on_metadata_frame(*frame);
          } else {
            on_frame(slot, *frame);
          }
        }
        if (!open && slot.child->channel_fd() < 0) on_closed(slot);
      }
      for (auto& slot : renderers_) {
        if (slot->child->channel_fd() < 0) on_closed(*slot);
      }
      if (metadata_ && !metadata_settled_ && metadata_->child->channel_fd() < 0) {
        on_closed(*metadata_);
      }
    } catch (const wire::WireError& e) {
      throw PdfError(PdfErrorKind::renderer_failed,
                     std::string("renderer sent a malformed reply: ") + e.what());
    }
    check_deadlines(Clock::now());
    grow();
  }

  RenderedDocument result;
  result.info = merge_document_info(*poppler_, podofo_ ? &*podofo_ : nullptr, podofo_error_);
  if (render_pages_) {
    result.pages.reserve(pages_.size());
    for (auto& page : pages_) result.pages.push_back(std::move(*page));
  }
  result.stats.processes = static_cast<int>(renderers_.size());
  result.stats.ocr_pages = ocr_pages_;
  result.stats.open_seconds = open_seconds_;
  result.stats.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  return result;
}

}  // namespace

void set_render_process_limit(int processes) { ProcessBudget::instance().set_limit(processes); }

RenderedDocument render_pdf(std::string_view pdf, const RenderOptions& options,
                            const ProgressCallback& progress, const CancelCheck& cancelled) {
  check_pdf_bytes(pdf, options.limits);
  Session session(pdf, options, /*render_pages=*/true, progress, cancelled);
  RenderedDocument result = session.run();
  spdlog::debug("rendered {} pages in {:.2f} s with {} processes", result.pages.size(),
                result.stats.seconds, result.stats.processes);
  return result;
}

DocumentInfo inspect_pdf(std::string_view pdf, const RenderOptions& options,
                         const CancelCheck& cancelled) {
  check_pdf_bytes(pdf, options.limits);
  Session session(pdf, options, /*render_pages=*/false, {}, cancelled);
  return session.run().info;
}

}  // namespace examq::pdf
