#pragma once
// The interface every extraction backend implements: the embedded layout segmenter ("text") now,
// an AI provider over HTTP or OCR later. The job handler only sees this interface.

#include <functional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "extract/question.h"
#include "pdf/page_text.h"

namespace examq::extract {

// Called after each page has been analysed (pages_done in 1..pages_total), on the thread that
// called extract(). It may be called several times a second; the caller throttles its own
// progress writes. It must not throw.
using ProgressFn = std::function<void(int pages_done, int pages_total)>;

// Thrown by extract() when the stop token was triggered; no partial result is returned.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("extraction cancelled") {}
};

// Thrown by a backend that cannot produce a result. transient() tells the job whether a retry can
// help (a provider outage: true) or not (the provider rejected the document: false). The "text"
// backend never throws it: a paper it cannot segment simply yields no questions.
class ExtractError : public std::runtime_error {
 public:
  ExtractError(const std::string& what, bool transient) : std::runtime_error(what), transient_(transient) {}
  bool transient() const { return transient_; }

 private:
  bool transient_;
};

class Extractor {
 public:
  virtual ~Extractor() = default;

  // Short stable name, stored as Question::source and in the job's result ("text").
  virtual std::string_view name() const = 0;

  // Segments the paper whose text layer is `pages` (in page order, page_number 1-based) into its
  // questions, in paper order with position 1..n. Returns an empty vector when no question could
  // be recognised (the caller decides whether that fails the job). Checks `cancel` at least once
  // per page and throws Cancelled when it is set. Thread-safe for distinct calls: an Extractor
  // holds no per-call state.
  virtual std::vector<Question> extract(const std::vector<pdf::PageText>& pages, const ProgressFn& progress,
                                        std::stop_token cancel) const = 0;
};

}  // namespace examq::extract
