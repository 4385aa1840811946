#pragma once
// Scanned fixture papers read through the real path (the sandboxed render pool, which OCRs pages
// without a text layer, then the text extractor), and scored against the questions the generator
// drew. Shared by the OCR suites (ocr_paper_test.cc, ocr_typefaces_test.cc).
//
// The bar (issues #8 and #13), per paper: at least 95% of question numbers found (recall) and 95%
// of marks read right, no invented question from headers, footers or answer lines, and 90% of the
// wording's words.

#include <string>
#include <vector>

#include "extract/question.h"
#include "pdf/render_options.h"
#include "pdf/render_pool.h"

namespace examq::ocr_testing {

// Render options for this build's helper, without page images (the words are what is measured).
pdf::RenderOptions ocr_options();

struct Read {
  pdf::RenderedDocument document;
  std::vector<extract::Question> questions;
};

Read read_paper(const std::string& pdf_bytes, const pdf::RenderOptions& options = ocr_options());

struct Score {
  int rows = 0, numbers = 0;          // expected rows; of them, found by number
  int marked = 0, marks = 0;          // expected rows with marks; of them, found with the same marks
  int pages = 0;                      // found on the expected page
  std::vector<std::string> invented;  // numbers found that the paper does not have
  std::vector<std::string> missed;
  std::vector<std::string> wrong_marks;  // "3(a): 2 read as 7"
  int words = 0, words_found = 0;        // wording: expected words, and those in the row read

  double recall() const { return rows ? static_cast<double>(numbers) / rows : 1.0; }
  double marks_accuracy() const { return marked ? static_cast<double>(marks) / marked : 1.0; }
  double word_recall() const { return words ? static_cast<double>(words_found) / words : 1.0; }
};

Score score(const std::vector<extract::Question>& expected, const std::vector<extract::Question>& got);

// One line: "name: numbers 15/15, marks 12/12, ..." (logged at message level).
std::string summary(const std::string& name, const Score& s);

// The words read from each page, as lines, for a failure message.
std::string dump(const pdf::RenderedDocument& document);

// Logs the summary and checks the bar; on a miss, logs the words read as well.
void check_meets_targets(const std::string& name, const Score& s, const pdf::RenderedDocument& document);

}  // namespace examq::ocr_testing
