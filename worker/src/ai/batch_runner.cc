#include "ai/batch_runner.h"

#include <algorithm>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "ai/ai_error.h"
#include "ai/answer_parser.h"
#include "ai/batch_plan.h"
#include "ai/context_budget.h"
#include "ai/extraction_prompt.h"
#include "ai/http_transfer.h"
#include "ai/image_fit.h"
#include "ai/model_family.h"
#include "ai/provider_limits.h"
#include "ai/question_merge.h"
#include "ai/redact.h"
#include "ai/retry_policy.h"
#include "ai/streaming.h"
#include "util/log.h"

namespace examq::ai {
namespace {

using Clock = std::chrono::steady_clock;
using util::Duration;
using util::LogField;

constexpr auto kIdleWake = std::chrono::milliseconds(1000);  // upper bound on one poll

std::int64_t to_ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

double jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// Why a finished transfer cannot be retried by waiting: TLS and URL problems.
std::optional<AiErrorKind> permanent_curl_failure(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
      return AiErrorKind::tls;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
      return AiErrorKind::request_rejected;
    default:
      return std::nullopt;
  }
}

struct WakeMulti {
  CURLM* multi;
  void operator()() const noexcept { curl_multi_wakeup(multi); }
};

// A transfer attached to the multi handle; detached before it is destroyed.
class Attached {
 public:
  Attached(CURLM* multi, std::unique_ptr<Transfer> t) : multi_(multi), transfer_(std::move(t)) {
    CURLMcode mc = curl_multi_add_handle(multi_, transfer_->easy());
    if (mc != CURLM_OK) {
      throw AiError(AiErrorKind::unavailable, std::string("libcurl cannot start a request: ") + curl_multi_strerror(mc));
    }
  }
  Attached(const Attached&) = delete;
  ~Attached() { curl_multi_remove_handle(multi_, transfer_->easy()); }
  Transfer& transfer() { return *transfer_; }

 private:
  CURLM* multi_;
  std::unique_ptr<Transfer> transfer_;
};

struct BatchState {
  Batch batch;
  std::vector<const PageImage*> pages;
  std::vector<int> page_numbers;
  std::string label;  // "pages 8-15", for messages and logs
  bool first_of_paper = false;  // starts on the paper's first page (the request text says so)
  bool last_of_paper = false;
  bool split = false;           // cut off by the token limit and replaced by two halves
  std::string previous_label;   // the seam context its request was sent with (see previous_label())

  enum class State { waiting, in_flight, done } state = State::waiting;
  std::optional<HttpRequest> request;  // built when first due; dropped once done
  std::int64_t estimated_tokens = 0;   // the request's prompt tokens, estimated (context_budget.h)
  AnswerCache::Key cache_key{};
  Clock::time_point not_before{};
  int attempts = 0;
  int transient_retries = 0;
  int content_retries = 0;
  bool rate_limited = false;           // the last failure was a 429/529
  Duration last_delay{};               // the delay chosen after the last failure
  Clock::time_point sent_at{};
  RequestLimiter::Slot slot;
  std::unique_ptr<Attached> transfer;
  std::vector<AiQuestion> questions;

  // Set once an answer had rows that stayed invalid: the batch is asked once more, for the pages
  // of those rows only (all its pages when a row named none of them).
  bool reasked = false;
  std::vector<const PageImage*> reask_pages;
  std::vector<int> reask_page_numbers;
  std::vector<AiQuestion> kept;        // the first answer's rows on the other pages
  std::vector<bool> kept_repaired;
  std::vector<AiQuestion> first_on_reask_pages;  // its valid rows on those pages, if the re-ask fails
  std::vector<bool> first_on_reask_pages_repaired;
  std::vector<DroppedRow> first_dropped;

  const std::vector<int>& asked_page_numbers() const { return reasked ? reask_page_numbers : page_numbers; }
};

class Runner {
 public:
  Runner(const RunnerShared& shared, const std::vector<PageImage>& pages, const std::vector<Topic>& topics,
         const extract::ProgressFn& progress, std::stop_token cancel, Clock::time_point caller_deadline)
      : shared_(shared),
        config_(shared.config),
        pages_(pages),
        topics_(topics),
        progress_(progress),
        cancel_(std::move(cancel)),
        started_(Clock::now()),
        lease_(shared.multis.acquire()),
        limiter_wake_(shared.limiter.subscribe(WakeMulti{lease_.get()})),
        cancel_wake_(cancel_, WakeMulti{lease_.get()}),
        prompt_(make_extraction_prompt(topics, !shared.config.context_tokens)) {
    Clock::time_point own = started_ + config_.job_deadline;
    deadline_ = std::min(own, caller_deadline);
    deadline_is_callers_ = caller_deadline < own;
    policy_ = RetryPolicy{config_.max_retries, config_.retry_base_delay, config_.retry_max_delay};
    covered_.assign(pages.size(), false);

    usage_.provider = std::string(provider_name(config_.provider));
    usage_.model = config_.model;
    usage_.pages = static_cast<int>(pages.size());
    fit_to_limits();
    const int per_request = pages_per_request_within_context(config_, instructions_token_estimate(prompt_), pages);
    if (per_request < config_.pages_per_request && static_cast<int>(pages.size()) > per_request) {
      util::log_event(spdlog::level::info, "ai.batches.fit_context",
                      {LogField("provider", usage_.provider), LogField("pages_per_request", per_request),
                       LogField("context_tokens", static_cast<std::int64_t>(*config_.context_tokens))});
    }
    std::vector<std::size_t> sizes;
    for (const PageImage* p : page_ptrs_) sizes.push_back(p->jpeg.size());
    int splits = 0;
    for (const Batch& b : plan_within_limits(sizes, per_request, limits_for(config_.provider), &splits)) {
      batches_.push_back(make_batch(b));
    }
    usage_.batches_split = splits;
    if (splits > 0) {
      util::log_event(spdlog::level::info, "ai.request.limits_split",
                      {LogField("provider", usage_.provider), LogField("splits", splits),
                       LogField("batches", static_cast<std::int64_t>(batches_.size()))});
    }
    usage_.batches = static_cast<int>(batches_.size());
    remaining_ = batches_.size();

    // The prompt cache: the stable prefix (schema, instructions, topic list) is worth marking
    // only when it reaches the model's minimum; then a job of several requests sends the first
    // alone, so that the others, sent once it has answered, read what it wrote (sent together,
    // each would miss and pay the full price, Anthropic's cache writes 25 % more).
    const std::int64_t prefix_tokens = stable_prefix_token_estimate(prompt_, true);
    cacheable_ = prefix_tokens >= prompt_cache_min_tokens(config_.provider, config_.model);
    warming_ = config_.cache_warmup && cacheable_ && batches_.size() > 1;
    if (warming_) {
      util::log_event(spdlog::level::debug, "ai.cache.warmup",
                      {LogField("provider", usage_.provider), LogField("prefix_tokens", prefix_tokens),
                       LogField("batches", static_cast<std::int64_t>(batches_.size()))});
    }
  }

  // What was spent so far (the latency up to now).
  AiUsage usage_so_far() const {
    AiUsage u = usage_;
    u.latency_ms = to_ms(std::chrono::duration_cast<Duration>(Clock::now() - started_));
    return u;
  }

  // Pages past the provider's per-image limits (pixels on a side, bytes) are shrunk once, before
  // any request; pages_ (rendered or app-supplied) is left as it is.
  void fit_to_limits() {
    const ProviderLimits& limits = limits_for(config_.provider);
    const int per_request = std::min<int>(config_.pages_per_request, static_cast<int>(pages_.size()));
    const int max_side = side_limit(limits, per_request);
    const std::size_t max_bytes = image_byte_limit(limits);
    page_ptrs_.reserve(pages_.size());
    std::vector<int> numbers;
    std::vector<std::string_view> jpegs;
    for (const PageImage& page : pages_) {
      numbers.push_back(page.page_number);
      jpegs.push_back(page.jpeg);
    }
    std::vector<std::optional<FittedImage>> all = fit_page_images(numbers, jpegs, max_side, max_bytes);
    for (std::size_t i = 0; i < pages_.size(); ++i) {
      const PageImage& page = pages_[i];
      std::optional<FittedImage>& fitted = all[i];
      if (!fitted) {
        page_ptrs_.push_back(&page);
        continue;
      }
      const std::optional<Size> before = jpeg_dimensions(page.jpeg);
      util::log_event(spdlog::level::info, "ai.image.downscaled",
                      {LogField("provider", usage_.provider), LogField("page", page.page_number),
                       LogField("from", before ? std::to_string(before->width) + "x" + std::to_string(before->height) : "?"),
                       LogField("to", std::to_string(fitted->size.width) + "x" + std::to_string(fitted->size.height)),
                       LogField("bytes_before", static_cast<std::int64_t>(page.jpeg.size())),
                       LogField("bytes_after", static_cast<std::int64_t>(fitted->jpeg.size()))});
      fitted_.push_back(PageImage{page.page_number, fitted->size.width, fitted->size.height, std::move(fitted->jpeg)});
      page_ptrs_.push_back(&fitted_.back());
      ++usage_.images_downscaled;
    }
  }

  BatchState make_batch(const Batch& b) const {
    BatchState s;
    s.batch = b;
    for (int i = b.first; i <= b.last; ++i) {
      s.pages.push_back(page_ptrs_[static_cast<std::size_t>(i)]);
      s.page_numbers.push_back(page_ptrs_[static_cast<std::size_t>(i)]->page_number);
    }
    s.label = s.page_numbers.size() == 1
                  ? "page " + std::to_string(s.page_numbers.front())
                  : "pages " + std::to_string(s.page_numbers.front()) + "-" + std::to_string(s.page_numbers.back());
    s.first_of_paper = b.first == 0;
    s.last_of_paper = b.last + 1 == static_cast<int>(pages_.size());
    return s;
  }

  AiResult run() {
    CURLM* multi = lease_.get();
    while (true) {
      if (cancel_.stop_requested()) throw extract::Cancelled();
      if (finished()) break;
      if (Clock::now() >= deadline_) {
        if (pending_failure_) std::rethrow_exception(pending_failure_);
        throw_deadline_error();
      }
      if (!pending_failure_) launch_due(Clock::now());
      if (finished()) break;

      int running = 0;
      CURLMcode mc = curl_multi_perform(multi, &running);
      if (mc != CURLM_OK) {
        throw AiError(AiErrorKind::unavailable, std::string("libcurl failed: ") + curl_multi_strerror(mc));
      }
      collect_finished(multi);
      if (finished()) break;

      int wait_ms = next_wait_ms(Clock::now());
      if (wait_ms > 0) curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
    }

    // In page order: halves of a split batch were added at the end.
    std::vector<BatchState*> ordered;
    for (BatchState& b : batches_) {
      if (!b.split) ordered.push_back(&b);
    }
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const BatchState* x, const BatchState* y) { return x->batch.first < y->batch.first; });
    std::vector<std::vector<AiQuestion>> per_batch;
    per_batch.reserve(ordered.size());
    for (BatchState* b : ordered) per_batch.push_back(std::move(b->questions));
    AiResult result;
    result.questions = merge_batches(std::move(per_batch));
    usage_.latency_ms = to_ms(std::chrono::duration_cast<Duration>(Clock::now() - started_));
    result.usage = usage_;
    return result;
  }

 private:
  // True when every batch is done; rethrows a pending failure once nothing is in flight.
  bool finished() {
    if (pending_failure_ && in_flight_ == 0) std::rethrow_exception(pending_failure_);
    return !pending_failure_ && remaining_ == 0;
  }

  void launch_due(Clock::time_point now) {
    const Clock::time_point held = shared_.limiter.held_until();
    if (held > now) {
      // The provider asked this worker to wait (Retry-After). When that is past the deadline,
      // waiting is pointless: snooze the job now instead of sending what would be refused.
      bool waiting = std::any_of(batches_.begin(), batches_.end(),
                                 [](const BatchState& b) { return b.state == BatchState::State::waiting; });
      if (waiting && held >= deadline_) {
        Duration snooze = std::max<Duration>(std::chrono::duration_cast<Duration>(held - now), std::chrono::seconds(1));
        pending_failure_ = std::make_exception_ptr(RateLimited(
            usage_.provider + " asked for a pause of " + util::format_duration(std::chrono::duration_cast<std::chrono::seconds>(snooze)) +
                " (Retry-After), past the " + deadline_name() + " (" + answered() + ")",
            snooze));
      }
      return;
    }
    for (BatchState& b : batches_) {
      if (in_flight_ >= config_.requests_per_job) return;
      if (b.state != BatchState::State::waiting || b.not_before > now) continue;
      // The rest once the first has answered (built then too, with its seam label if it has one).
      if (warming_ && warmup_sent_) return;
      if (!b.request) {
        BatchRequestInput input;
        input.pages = b.reasked ? b.reask_pages : b.pages;
        input.prompt = &prompt_;
        input.first_batch = b.first_of_paper;
        input.last_batch = b.last_of_paper;
        input.cache_instructions = cacheable_;
        if (!b.reasked) {
          if (!b.first_of_paper) b.previous_label = previous_label(b);
          input.previous_label = b.previous_label;
        } else {
          reask_context(b, input);
        }
        b.request = shared_.api.build_request(input);
        b.estimated_tokens = prompt_token_estimate(config_, *b.request, input.pages);
        b.cache_key = AnswerCache::key_for(b.request->url, b.request->body);
        if (b.reasked) {
          // not looked up: only whole answers are cached
        } else if (std::optional<tao::json::value> cached = shared_.cache.find(b.cache_key)) {
          try {
            complete(b, parse_answer(*cached, b.page_numbers, topics_));
            ++usage_.cached_batches;
            continue;
          } catch (const InvalidAnswer&) {
            // Cannot happen for an answer that was valid when stored; ask again.
          }
        }
      }
      RequestLimiter::Slot slot = shared_.limiter.try_acquire();
      if (!slot) return;  // woken when another job frees one
      const TransferOptions options = transfer_options(config_, std::chrono::duration_cast<Duration>(deadline_ - now));
      b.transfer = std::make_unique<Attached>(lease_.get(), std::make_unique<Transfer>(*b.request, options));
      b.slot = std::move(slot);
      b.state = BatchState::State::in_flight;
      b.sent_at = now;
      ++b.attempts;
      ++in_flight_;
      ++usage_.requests;
      if (b.attempts > 1) ++usage_.retries;
      if (warming_ && !warmup_sent_) {
        warmup_sent_ = true;
        warmup_started_ = now;
      }
    }
  }

  // A re-ask is given the context its batch had: the seam label when it starts at the batch's
  // first page; when it starts later, the last label the batch's first answer had before that
  // page (the page may begin in the middle of that question), falling back to the seam label.
  void reask_context(const BatchState& b, BatchRequestInput& input) const {
    const int first = b.reask_page_numbers.front();
    const int last = b.reask_page_numbers.back();
    input.first_batch = b.first_of_paper && first == b.page_numbers.front();
    input.last_batch = b.last_of_paper && last == b.page_numbers.back();
    if (first == b.page_numbers.front()) {
      input.previous_label = b.previous_label;
      return;
    }
    std::vector<AiQuestion> before;
    for (const AiQuestion& q : b.kept) {
      if (q.question.page_number < first) before.push_back(q);
    }
    std::stable_sort(before.begin(), before.end(), [](const AiQuestion& x, const AiQuestion& y) {
      return x.question.page_number < y.question.page_number;
    });
    const std::string own = last_label_before(before, first);
    input.previous_label = own.empty() ? b.previous_label : own;
  }

  // The last question label before b's first page, from the answer of the batch that read the
  // page before it, when that batch is done by the time b's request is built. Batches run in
  // parallel, so it is often not yet known: then the request asks for bare parts as printed and
  // question_merge.h resolves them against the previous batch's rows.
  std::string previous_label(const BatchState& b) const {
    const BatchState* previous = nullptr;
    for (const BatchState& o : batches_) {
      if (o.split || o.state != BatchState::State::done || &o == &b) continue;
      if (o.batch.first < b.batch.first && o.batch.last >= b.batch.first - 1 &&
          (previous == nullptr || o.batch.first > previous->batch.first)) {
        previous = &o;
      }
    }
    if (previous == nullptr) return "";
    return last_label_before(previous->questions, b.page_numbers.front());
  }

  void collect_finished(CURLM* multi) {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      CURLcode result = msg->data.result;
      auto it = std::find_if(batches_.begin(), batches_.end(), [easy](const BatchState& b) {
        return b.transfer && b.transfer->transfer().easy() == easy;
      });
      if (it == batches_.end()) continue;
      BatchState& b = *it;
      HttpResponse response = b.transfer->transfer().finish(result);
      b.transfer.reset();
      b.slot.reset();
      b.state = BatchState::State::waiting;
      --in_flight_;
      if (warming_) {
        // The first request has answered: its prefix is in the cache (or it failed, and waiting
        // longer would gain nothing). The others go now; what the wait cost is recorded.
        warming_ = false;
        usage_.warmup_ms = to_ms(std::chrono::duration_cast<Duration>(Clock::now() - warmup_started_));
      }
      handle(b, response);
    }
  }

  void handle(BatchState& b, const HttpResponse& r) {
    const Clock::time_point now = Clock::now();
    const std::string provider = usage_.provider;
    if (r.curl_code != CURLE_OK) {
      std::string what = redact(r.curl_error, config_.api_key);
      if (std::optional<AiErrorKind> kind = permanent_curl_failure(r.curl_code)) {
        if (*kind == AiErrorKind::tls) {
          throw AiError(*kind, "cannot reach " + provider + " securely: " + what +
                                   " (TLS verification is always on; fix the server's certificate or the system's CA store)");
        }
        throw AiError(*kind, "cannot send the request to " + provider + ": " + what);
      }
      if (r.curl_code == CURLE_WRITE_ERROR) {
        content_failure(b, "the response was larger than 32 MB", "");
        return;
      }
      retry_later(b, now, r.curl_code == CURLE_OPERATION_TIMEDOUT ? "timed out: " + what : what, false, std::nullopt);
      return;
    }

    log_request(b, r.status, now);
    if (r.status >= 200 && r.status < 300) {
      ProviderReply reply = shared_.api.read_reply(r.body);
      usage_.input_tokens += reply.tokens.input;
      usage_.output_tokens += reply.tokens.output;
      usage_.cache_write_tokens += reply.tokens.cache_write;
      usage_.cache_read_tokens += reply.tokens.cache_read;
      if (std::optional<std::string> cut = prompt_cut_error(config_, b.estimated_tokens, reply.tokens.input)) {
        throw AiError(AiErrorKind::request_rejected, provider + " model " + config_.model + ", " + b.label + ": " + *cut);
      }
      switch (reply.kind) {
        case ProviderReply::Kind::answer:
          try {
            ParsedAnswer parsed = parse_answer_rows(reply.answer, b.asked_page_numbers(), topics_);
            if (!b.reasked && parsed.dropped.empty()) shared_.cache.insert(b.cache_key, std::move(reply.answer));
            accept(b, std::move(parsed));
          } catch (const InvalidAnswer& e) {
            content_failure(b, std::string("the answer is invalid: ") + e.what(), "");
          }
          return;
        case ProviderReply::Kind::refused:
          content_failure(b, "the model refused: " + redact(reply.detail, config_.api_key, 200), "");
          return;
        case ProviderReply::Kind::truncated:
          if (!b.reasked && b.pages.size() > 1) {
            split(b);
            return;
          }
          content_failure(b, "the answer was cut off by the output token limit",
                          "; raise EXAMQ_AI_MAX_OUTPUT_TOKENS (now " + std::to_string(config_.max_output_tokens) +
                              ") or lower EXAMQ_AI_PAGES_PER_REQUEST (now " + std::to_string(config_.pages_per_request) + ")");
          return;
        case ProviderReply::Kind::malformed:
          content_failure(b, redact(reply.detail, config_.api_key, 200), "");
          return;
      }
      return;
    }
    if (r.status >= 300 && r.status < 400) {
      throw AiError(AiErrorKind::request_rejected,
                    provider + " answered HTTP " + std::to_string(r.status) + " (a redirect" +
                        (r.location ? " to " + redact(*r.location, config_.api_key, 200) : std::string()) +
                        "); examq does not follow redirects: set EXAMQ_AI_BASE_URL to the final URL");
    }

    ProviderFailure f = shared_.api.classify_failure(r.status, r.body);
    std::string status = "HTTP " + std::to_string(r.status) + (f.description.empty() ? "" : " " + redact(f.description, config_.api_key));
    switch (f.cls) {
      case FailureClass::retry:
        retry_later(b, now, status, false, retry_after(r));
        return;
      case FailureClass::rate_limited:
        retry_later(b, now, status, true, retry_after(r));
        return;
      case FailureClass::key_rejected:
        throw AiError(AiErrorKind::key_rejected,
                      provider + " rejected the API key" +
                          (config_.api_key_source.empty() ? " (none is configured)" : " from " + config_.api_key_source) +
                          " (" + status + ")");
      case FailureClass::quota_exhausted:
        throw AiError(AiErrorKind::quota_exhausted,
                      provider + " account has no quota or credit left (" + status + "); add credit or raise the limit");
      case FailureClass::rejected:
        throw AiError(AiErrorKind::request_rejected,
                      provider + " rejected the request for " + b.label + " (" + status + ")" +
                          (r.status == 404 ? "; check EXAMQ_AI_BASE_URL and EXAMQ_AI_MODEL" : ""));
    }
  }

  std::optional<Duration> retry_after(const HttpResponse& r) const {
    if (r.retry_after_ms) {
      if (auto d = parse_retry_after_ms(*r.retry_after_ms)) return d;
    }
    if (r.retry_after) return parse_retry_after(*r.retry_after, std::chrono::system_clock::now());
    return std::nullopt;
  }

  // A transient failure: try the batch again after a backoff, unless the retries or the
  // deadline are spent; then the call ends (after the requests in flight are answered).
  void retry_later(BatchState& b, Clock::time_point now, const std::string& why, bool rate_limited,
                   std::optional<Duration> server_delay) {
    if (pending_failure_) return;
    ++b.transient_retries;
    b.rate_limited = rate_limited;
    Duration delay = retry_delay(policy_, b.transient_retries, server_delay, jitter());
    b.last_delay = delay;
    // The provider's own "retry after" concerns the account, not this batch: the worker's other
    // jobs wait too.
    if (rate_limited && server_delay) shared_.limiter.hold_until(now + *server_delay);
    const bool out_of_retries = b.transient_retries > config_.max_retries;
    const bool past_deadline = now + delay >= deadline_;
    if (out_of_retries || past_deadline) {
      std::string when = out_of_retries ? "after " + std::to_string(b.attempts) + " attempts"
                                        : "before the " + deadline_name();
      if (rate_limited) {
        Duration snooze = std::max<Duration>(delay, std::chrono::seconds(1));
        pending_failure_ = std::make_exception_ptr(
            RateLimited(usage_.provider + " is rate-limiting or overloaded (" + why + "); " + b.label + " not read " + when,
                        snooze));
      } else {
        pending_failure_ = std::make_exception_ptr(
            AiError(AiErrorKind::unavailable, usage_.provider + " is unavailable (" + why + "); " + b.label + " not read " + when));
      }
      util::log_event(spdlog::level::warn, "ai.request.gave_up",
                      {LogField("provider", usage_.provider), LogField("pages", b.label), LogField("reason", why),
                       LogField("attempts", b.attempts), LogField("in_flight", in_flight_)});
      return;
    }
    b.not_before = now + delay;
    util::log_event(spdlog::level::warn, "ai.request.retry",
                    {LogField("provider", usage_.provider), LogField("pages", b.label), LogField("reason", why),
                     LogField("attempt", b.attempts), LogField("delay_ms", to_ms(delay))});
  }

  // An answer cut off by the output token limit: the batch's pages are asked again as two
  // halves (sharing their middle page when there are 3 or more), each needing about half the
  // tokens, instead of the same request paid for twice.
  void split(BatchState& b) {
    const int n = b.batch.last - b.batch.first + 1;
    const int mid = b.batch.first + n / 2;
    Batch first{b.batch.index, b.batch.first, n == 2 ? b.batch.first : mid};
    Batch second{b.batch.index, n == 2 ? b.batch.last : mid, b.batch.last};
    b.split = true;
    b.state = BatchState::State::done;
    b.request.reset();
    util::log_event(spdlog::level::warn, "ai.answer.split",
                    {LogField("provider", usage_.provider), LogField("pages", b.label),
                     LogField("reason", std::string("cut off by the output token limit (") +
                                            std::to_string(config_.max_output_tokens) + ")")});
    // A deque: the references held to other batches stay valid.
    batches_.push_back(make_batch(first));
    batches_.push_back(make_batch(second));
    remaining_ += 1;  // two new batches for the one replaced
    ++usage_.batches;
  }

  // A parsed answer: complete the batch, or ask once more for the pages of its dropped rows.
  void accept(BatchState& b, ParsedAnswer parsed) {
    if (b.reasked) {
      // The re-ask's rows replace the first answer's on its pages; what stays invalid is dropped.
      std::vector<AiQuestion> rows = std::move(b.kept);
      std::vector<bool> repaired = std::move(b.kept_repaired);
      for (std::size_t i = 0; i < parsed.questions.size(); ++i) {
        rows.push_back(std::move(parsed.questions[i]));
        repaired.push_back(parsed.repaired[i]);
      }
      finish_batch(b, std::move(rows), repaired, parsed.dropped);
      return;
    }
    if (parsed.dropped.empty()) {
      finish_batch(b, std::move(parsed.questions), parsed.repaired, {});
      return;
    }
    // Ask again for the pages whose rows were dropped; a row on no page of the batch could be on
    // any of them.
    std::vector<int> pages;
    for (const DroppedRow& d : parsed.dropped) {
      const bool in_batch = d.page && std::find(b.page_numbers.begin(), b.page_numbers.end(), *d.page) != b.page_numbers.end();
      if (!in_batch) {
        pages = b.page_numbers;
        break;
      }
      if (std::find(pages.begin(), pages.end(), *d.page) == pages.end()) pages.push_back(*d.page);
    }
    std::sort(pages.begin(), pages.end());
    b.reasked = true;
    b.reask_page_numbers = pages;
    b.reask_pages.clear();
    for (const PageImage* page : b.pages) {
      if (std::binary_search(pages.begin(), pages.end(), page->page_number)) b.reask_pages.push_back(page);
    }
    for (std::size_t i = 0; i < parsed.questions.size(); ++i) {
      const bool on_reask_page = std::binary_search(pages.begin(), pages.end(), parsed.questions[i].question.page_number);
      (on_reask_page ? b.first_on_reask_pages : b.kept).push_back(std::move(parsed.questions[i]));
      (on_reask_page ? b.first_on_reask_pages_repaired : b.kept_repaired).push_back(parsed.repaired[i]);
    }
    b.first_dropped = std::move(parsed.dropped);
    b.request.reset();
    b.not_before = Clock::now();
    ++usage_.reasked_batches;
    util::log_event(spdlog::level::warn, "ai.answer.reask",
                    {LogField("provider", usage_.provider), LogField("pages", b.label),
                     LogField("dropped", static_cast<std::int64_t>(b.first_dropped.size())),
                     LogField("reask_pages", static_cast<std::int64_t>(pages.size())),
                     LogField("reason", b.first_dropped.front().reason)});
  }

  // The re-ask gave nothing usable: keep what the first answer had, and its dropped rows.
  void settle_without_reask(BatchState& b, const std::string& why) {
    util::log_event(spdlog::level::warn, "ai.answer.reask_failed",
                    {LogField("provider", usage_.provider), LogField("pages", b.label), LogField("reason", why)});
    std::vector<AiQuestion> rows = std::move(b.kept);
    std::vector<bool> repaired = std::move(b.kept_repaired);
    for (std::size_t i = 0; i < b.first_on_reask_pages.size(); ++i) {
      rows.push_back(std::move(b.first_on_reask_pages[i]));
      repaired.push_back(b.first_on_reask_pages_repaired[i]);
    }
    finish_batch(b, std::move(rows), repaired, b.first_dropped);
  }

  void finish_batch(BatchState& b, std::vector<AiQuestion> rows, const std::vector<bool>& repaired,
                    const std::vector<DroppedRow>& dropped) {
    usage_.rows_repaired += static_cast<int>(std::count(repaired.begin(), repaired.end(), true));
    usage_.rows_dropped += static_cast<int>(dropped.size());
    for (const DroppedRow& d : dropped) {
      if (usage_.dropped_rows.size() < kMaxDroppedRowsListed) usage_.dropped_rows.push_back(d);
      util::log_event(spdlog::level::warn, "ai.answer.row_dropped",
                      {LogField("provider", usage_.provider), LogField("pages", b.label), LogField("reason", d.reason)});
    }
    if (b.reasked) {
      // Paper order within the batch: the re-ask's rows go back among the others by page.
      std::stable_sort(rows.begin(), rows.end(), [](const AiQuestion& x, const AiQuestion& y) {
        return x.question.page_number < y.question.page_number;
      });
    }
    complete(b, std::move(rows));
  }

  // An answer that cannot be used: asked once more, then the call fails for good. A re-ask for
  // dropped rows is not asked again: the first answer's rows stand.
  void content_failure(BatchState& b, const std::string& why, const std::string& hint) {
    if (pending_failure_) return;
    if (b.reasked) {
      settle_without_reask(b, why);
      return;
    }
    if (b.content_retries < 1) {
      ++b.content_retries;
      b.not_before = Clock::now();
      util::log_event(spdlog::level::warn, "ai.answer.rejected",
                      {LogField("provider", usage_.provider), LogField("pages", b.label), LogField("reason", why)});
      return;
    }
    throw AiError(AiErrorKind::bad_answer, usage_.provider + " model " + config_.model + " gave no usable answer for " +
                                               b.label + " in two attempts: " + why + hint);
  }

  void complete(BatchState& b, std::vector<AiQuestion> questions) {
    b.questions = std::move(questions);
    b.state = BatchState::State::done;
    b.request.reset();  // the images' base64 copy is no longer needed
    --remaining_;
    for (int i = b.batch.first; i <= b.batch.last; ++i) covered_[static_cast<std::size_t>(i)] = true;
    if (progress_) {
      int done = static_cast<int>(std::count(covered_.begin(), covered_.end(), true));
      progress_(done, static_cast<int>(pages_.size()));
    }
  }

  void log_request(const BatchState& b, long status, Clock::time_point now) const {
    util::log_event(spdlog::level::debug, "ai.request.done",
                    {LogField("provider", usage_.provider), LogField("pages", b.label),
                     LogField("status", static_cast<std::int64_t>(status)), LogField("attempt", b.attempts),
                     LogField("ms", to_ms(std::chrono::duration_cast<Duration>(now - b.sent_at)))});
  }

  int next_wait_ms(Clock::time_point now) const {
    Clock::time_point until = std::min(deadline_, now + kIdleWake);
    const Clock::time_point held = shared_.limiter.held_until();
    if (!pending_failure_) {
      for (const BatchState& b : batches_) {
        if (b.state != BatchState::State::waiting) continue;
        if (b.not_before <= now && held > now) {
          until = std::min(until, held);
        } else if (b.not_before <= now) {
          // Due now: start it unless this job is at its limit, warming the cache (its answer
          // wakes the poll) or the worker's slots are taken (then a released slot wakes it).
          const bool held_for_warmup = warming_ && warmup_sent_;
          if (!held_for_warmup && in_flight_ < config_.requests_per_job &&
              shared_.limiter.in_use() < shared_.limiter.capacity()) {
            return 0;
          }
        } else {
          until = std::min(until, b.not_before);
        }
      }
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1;
    return static_cast<int>(std::clamp<std::int64_t>(ms, 0, 1000));
  }

  std::string deadline_name() const {
    return deadline_is_callers_ ? "worker's deadline"
                                : "job's deadline (EXAMQ_AI_JOB_DEADLINE=" + util::format_duration(config_.job_deadline) + ")";
  }

  std::string answered() const {
    return std::to_string(batches_.size() - remaining_) + " of " + std::to_string(batches_.size()) + " requests answered";
  }

  [[noreturn]] void throw_deadline_error() const {
    const BatchState* limited = nullptr;
    for (const BatchState& b : batches_) {
      if (b.state == BatchState::State::waiting && b.rate_limited) limited = &b;
    }
    if (limited != nullptr) {
      Duration snooze = std::max<Duration>(limited->last_delay, std::chrono::seconds(1));
      throw RateLimited(usage_.provider + " kept rate-limiting until the " + deadline_name() + " (" + answered() + ")", snooze);
    }
    throw AiError(AiErrorKind::deadline, "AI extraction did not finish before the " + deadline_name() + " (" + answered() + ")");
  }

  const RunnerShared& shared_;
  const AiConfig& config_;
  const std::vector<PageImage>& pages_;
  const std::vector<Topic>& topics_;
  std::deque<PageImage> fitted_;           // shrunk copies of pages past the limits (stable addresses)
  std::vector<const PageImage*> page_ptrs_;  // what is sent for each page: pages_[i] or its shrunk copy
  const extract::ProgressFn& progress_;
  std::stop_token cancel_;
  const Clock::time_point started_;
  Clock::time_point deadline_;
  bool deadline_is_callers_ = false;
  RetryPolicy policy_;
  AiUsage usage_;

  // Declared in this order so that, on the way out, transfers are detached (batches_) before the
  // wake-ups are unregistered and the multi handle goes back to the pool.
  MultiPool::Lease lease_;
  RequestLimiter::Subscription limiter_wake_;
  std::stop_callback<WakeMulti> cancel_wake_;
  ExtractionPrompt prompt_;
  std::deque<BatchState> batches_;
  std::vector<bool> covered_;
  std::size_t remaining_ = 0;
  int in_flight_ = 0;
  bool cacheable_ = false;    // the stable prefix reaches the model's prompt cache minimum
  bool warming_ = false;      // no request has answered yet and the rest wait for the first
  bool warmup_sent_ = false;
  Clock::time_point warmup_started_{};
  std::exception_ptr pending_failure_;
};

}  // namespace

AiResult run_batches(const RunnerShared& shared, const std::vector<PageImage>& pages, const std::vector<Topic>& topics,
                     const extract::ProgressFn& progress, std::stop_token cancel, Clock::time_point deadline) {
  Runner runner(shared, pages, topics, progress, std::move(cancel), deadline);
  try {
    return runner.run();
  } catch (AiError& e) {
    e.set_usage(to_json(runner.usage_so_far()));
    throw;
  }
}

}  // namespace examq::ai
