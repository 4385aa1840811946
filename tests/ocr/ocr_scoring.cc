#include "ocr_scoring.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "extract/text_extractor.h"

namespace examq::ocr_testing {
namespace {

// Lower-case letter-and-digit runs: the words a reader would compare.
std::vector<std::string> plain_words(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      current += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!current.empty()) {
      out.push_back(current);
      current.clear();
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out.empty() ? "-" : out;
}

}  // namespace

pdf::RenderOptions ocr_options() {
  pdf::RenderOptions options;
  options.sandbox.helper_path = EXAMQ_RENDER_HELPER_PATH;
  options.render_images = false;
  options.read_metadata = false;
  return options;
}

Read read_paper(const std::string& pdf_bytes, const pdf::RenderOptions& options) {
  Read r;
  r.document = pdf::render_pdf(pdf_bytes, options);
  std::vector<pdf::PageText> texts;
  for (const auto& page : r.document.pages) texts.push_back(page.text);
  r.questions = extract::TextExtractor().extract(texts, nullptr, {});
  return r;
}

Score score(const std::vector<extract::Question>& expected, const std::vector<extract::Question>& got) {
  Score s;
  std::map<std::string, const extract::Question*> by_number;
  for (const auto& q : got) by_number.emplace(q.number, &q);
  std::set<std::string> known;
  for (const auto& e : expected) {
    known.insert(e.number);
    ++s.rows;
    if (e.marks) ++s.marked;
    const auto it = by_number.find(e.number);
    if (it == by_number.end()) {
      s.missed.push_back(e.number);
      continue;
    }
    ++s.numbers;
    if (e.marks && it->second->marks == e.marks) ++s.marks;
    if (it->second->marks != e.marks) {
      auto show = [](const std::optional<int>& m) { return m ? std::to_string(*m) : std::string("none"); };
      s.wrong_marks.push_back(e.number + ": " + show(e.marks) + " read as " + show(it->second->marks));
    }
    if (it->second->page_number == e.page_number) ++s.pages;
    const std::vector<std::string> got_words = plain_words(it->second->text);
    const std::set<std::string> got_set(got_words.begin(), got_words.end());
    for (const auto& w : plain_words(e.text)) {
      ++s.words;
      s.words_found += static_cast<int>(got_set.count(w));
    }
  }
  for (const auto& q : got) {
    if (!known.count(q.number)) s.invented.push_back(q.number);
  }
  return s;
}

std::string summary(const std::string& name, const Score& s) {
  std::ostringstream out;
  out << name << ": numbers " << s.numbers << "/" << s.rows << ", marks " << s.marks << "/" << s.marked << ", pages "
      << s.pages << "/" << s.numbers << ", words " << s.words_found << "/" << s.words << ", missed [" << join(s.missed)
      << "], invented [" << join(s.invented) << "], marks wrong [" << join(s.wrong_marks) << "]";
  return out.str();
}

std::string dump(const pdf::RenderedDocument& document) {
  std::ostringstream out;
  for (const auto& page : document.pages) {
    out << "--- page " << page.page_number << (page.text.source == pdf::TextSource::ocr ? " (ocr)" : "") << "\n";
    std::vector<pdf::Word> words = page.text.words;
    std::sort(words.begin(), words.end(), [](const pdf::Word& a, const pdf::Word& b) {
      const double ya = (a.y0 + a.y1) / 2, yb = (b.y0 + b.y1) / 2;
      if (std::abs(ya - yb) > 4) return ya < yb;
      return a.x0 < b.x0;
    });
    double line_y = -100;
    for (const auto& w : words) {
      const double y = (w.y0 + w.y1) / 2;
      if (std::abs(y - line_y) > 4) {
        out << "\n" << static_cast<int>(w.x0) << ": ";
        line_y = y;
      }
      out << w.text << " ";
    }
    out << "\n";
  }
  return out.str();
}

void check_meets_targets(const std::string& name, const Score& s, const pdf::RenderedDocument& document) {
  BOOST_TEST_MESSAGE(summary(name, s));
  const bool met = s.recall() >= 0.95 && s.marks_accuracy() >= 0.95 && s.invented.empty() && s.word_recall() >= 0.9;
  if (!met) BOOST_TEST_MESSAGE("words read:\n" << dump(document));
  BOOST_TEST_CONTEXT(name << ": missed [" << join(s.missed) << "], invented [" << join(s.invented) << "]") {
    BOOST_TEST(s.recall() >= 0.95);
    BOOST_TEST(s.marks_accuracy() >= 0.95);
    BOOST_TEST(s.invented.empty());
    // The wording is there too: OCR misreads a word here and there, not whole sentences.
    BOOST_TEST(s.word_recall() >= 0.9);
  }
}

}  // namespace examq::ocr_testing
