#include "extract/dot_leaders.h"

#include <algorithm>

namespace examq::extract {

namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026 in UTF-8

// Length in bytes of the leader character starting at s[i] (0 if none), and its weight: an
// ellipsis counts as three dots.
std::size_t leader_char(std::string_view s, std::size_t i, int& weight) {
  const char c = s[i];
  if (c == '.' || c == '_' || c == '-') {
    weight = 1;
    return 1;
  }
  if (s.substr(i, kEllipsis.size()) == kEllipsis) {
    weight = 3;
    return kEllipsis.size();
  }
  return 0;
}

}  // namespace

std::string remove_leaders(std::string_view word) {
  std::string out;
  std::size_t i = 0;
  while (i < word.size()) {
    // Measure the run of leader characters starting here; it must be one kind of dash or dots,
    // so "--" inside "a--b" or "..." stays.
    std::size_t j = i;
    int weight = 0, ellipses = 0;
    char kind = 0;
    while (j < word.size()) {
      int w = 0;
      const std::size_t n = leader_char(word, j, w);
      if (n == 0) break;
      const char k = (w == 3) ? '.' : word[j];
      if (kind != 0 && k != kind) break;
      kind = k;
      weight += w;
      if (w == 3) ++ellipses;
      j += n;
    }
    if (j > i && (weight >= 4 || ellipses >= 2)) {
      if (!out.empty() && j < word.size()) out += ' ';
      i = j;
    } else if (j > i) {
      out.append(word.substr(i, j - i));
      i = j;
    } else {
      out += word[i];
      ++i;
    }
  }
  return out;
}

namespace {

// A word made only of leader characters, however few: "." or "..." or "…". Alone they are
// punctuation; four or more of them in a row across words are a leader drawn as spaced dots
// (". . . . . ." on Edexcel papers), which the text layer reports as one word per dot.
bool leader_only(const std::string& w) {
  if (w.empty()) return false;
  for (std::size_t i = 0; i < w.size();) {
    int weight = 0;
    const std::size_t n = leader_char(w, i, weight);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

constexpr std::size_t kSpacedRun = 4;

}  // namespace

bool strip_leaders(Line& line) {
  bool had = false;
  // Spaced dots first: runs of kSpacedRun or more leader-only words.
  for (std::size_t i = 0; i < line.words.size();) {
    std::size_t j = i;
    while (j < line.words.size() && leader_only(line.words[j].text)) ++j;
    if (j - i >= kSpacedRun) {
      for (std::size_t k = i; k < j; ++k) line.words[k].text.clear();
      had = true;
    }
    i = j == i ? i + 1 : j;
  }
  for (auto& w : line.words) {
    std::string cleaned = remove_leaders(w.text);
    if (cleaned != w.text) {
      had = true;
      w.text = std::move(cleaned);
    }
  }
  std::erase_if(line.words, [](const pdf::Word& w) {
    return std::all_of(w.text.begin(), w.text.end(), [](unsigned char c) { return c == ' '; });
  });
  line.update_box();
  return had;
}

}  // namespace examq::extract
