#include "extract/page_furniture.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "extract/marks_parser.h"

namespace examq::extract {

namespace {

constexpr double kBand = 0.09;          // top and bottom share of the page height
constexpr double kSameHeight = 12.0;    // points: heights are compared in bands this tall
constexpr double kRepeatShare = 0.30;   // share of pages a running line must appear on
// Furniture is short. Longer text is not matched against patterns, which also keeps std::regex
// (it recurses per character) away from hostile megabyte-long lines.
constexpr std::size_t kLongestFurniture = 160;

// Lower-cases ASCII, drops arrows and other symbols papers put after "Turn over", and collapses
// spaces.
std::string normalise(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Keep "©" (C2 A9); drop arrows, triangles and bullets (E2 ..), keep other text as is.
      if (c == 0xE2 && i + 2 < s.size()) {
        i += 2;
        continue;
      }
      out += static_cast<char>(c);
      continue;
    }
    if (std::isspace(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    out += static_cast<char>(std::tolower(c));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

const std::regex& always_pattern() {
  static const std::regex re(
      R"(^(\[ ?turn over ?\]?|turn over( for (the )?next question)?|do not write (outside the box|in this margin|on this page)|blank page|end of (questions|paper|examination|test)|there are no questions printed on this page|extra space|(question \d+|this question) continues (on the next page|on page \d+|overleaf))$)",
      std::regex::optimize);
  return re;
}

const std::regex& page_number_pattern() {
  static const std::regex re(R"(^(page )?[-\[(]? ?\d{1,3} ?[-\])]?( of \d{1,3})?$)", std::regex::optimize);
  return re;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }
bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string signature(const std::string& normalised) {
  std::string sig = normalised;
  for (auto& c : sig)
    if (std::isdigit(static_cast<unsigned char>(c))) c = '#';
  return sig;
}

bool in_band(const Line& line, const PageLines& page) {
  if (!(page.height > 0) || !std::isfinite(page.height)) return false;
  return line.y1 <= page.height * kBand || line.y0 >= page.height * (1 - kBand);
}

// A footer line often holds several items on one baseline ("IB/M/Jun24/8462/1H ... Turn over"),
// not all on every page, so band lines are judged piece by piece: pieces are separated by gaps
// wider than this.
constexpr double kPieceGap = 15.0;

struct Piece {
  std::string text;  // normalised
  double x0 = 0, x1 = 0, y0 = 0;
};

std::vector<Piece> pieces(const Line& line) {
  std::vector<Piece> out;
  std::string raw;
  for (std::size_t i = 0; i < line.words.size(); ++i) {
    const auto& w = line.words[i];
    if (i == 0 || w.x0 - line.words[i - 1].x1 > kPieceGap) {
      if (!out.empty()) out.back().text = normalise(raw);
      raw.clear();
      out.push_back(Piece{"", w.x0, w.x1, line.y0});
    } else {
      raw += ' ';
    }
    raw += w.text;
    out.back().x1 = w.x1;
  }
  if (!out.empty()) out.back().text = normalise(raw);
  return out;
}

bool page_number_placed(const Piece& piece, const PageLines& page) {
  const double mid = (piece.x0 + piece.x1) / 2;
  const bool centred = std::abs(mid - page.width / 2) < page.width * 0.1;
  const bool right = piece.x0 > page.width * 0.6;
  const bool outermost = piece.y0 <= page.height * 0.05 || piece.y0 >= page.height * 0.95;
  return centred || right || outermost;
}

// Paper references such as "IB/M/Jun24/8462/1H" or "0620/42/M/J/24".
const std::regex& reference_pattern() {
  static const std::regex re(R"(^[a-z0-9]+(/[a-z0-9]+){2,}$)", std::regex::optimize);
  return re;
}

}  // namespace

bool is_furniture_text(std::string_view line_text) {
  const std::string s = normalise(line_text);
  if (s.empty()) return false;
  if (starts_with(s, "\xC2\xA9") || starts_with(s, "copyright")) return true;
  return s.size() <= kLongestFurniture && std::regex_match(s, always_pattern());
}

void remove_page_furniture(std::vector<PageLines>& pages) {
  // Which pages show each band piece at each height band: (signature, height band) -> pages.
  // Neighbouring height bands count too, so "the same height" means within about 12-24 pt.
  using Key = std::pair<std::string, long>;
  auto height_band = [](double y) { return static_cast<long>(std::floor(y / kSameHeight)); };
  std::map<Key, std::set<int>> band_pieces;
  for (std::size_t p = 0; p < pages.size(); ++p)
    for (const auto& line : pages[p].lines)
      if (in_band(line, pages[p]))
        for (const auto& piece : pieces(line))
          band_pieces[{signature(piece.text), height_band(piece.y0)}].insert(static_cast<int>(p));

  const std::size_t needed =
      std::max<std::size_t>(2, static_cast<std::size_t>(std::ceil(kRepeatShare * static_cast<double>(pages.size()))));

  auto furniture_piece = [&](const Piece& piece, const PageLines& page) {
    const std::string& s = piece.text;
    if (is_furniture_text(s)) return true;
    // "[1]" at the foot of a page repeats on many pages at the same height, but it is the marks
    // of the question above it.
    if (parse_marks_label(s)) return false;
    if (s.size() > kLongestFurniture) return false;
    if (std::regex_match(s, page_number_pattern()) && page_number_placed(piece, page)) return true;
    if (s.size() >= 3 && s.front() == '*' && s.back() == '*') return true;
    if (std::regex_match(s, reference_pattern())) return true;
    if (ends_with(s, "turn over") || ends_with(s, "[turn over")) return true;
    const std::string sig = signature(s);
    const long band = height_band(piece.y0);
    std::set<int> on_pages;
    for (long b = band - 1; b <= band + 1; ++b) {
      const auto it = band_pieces.find({sig, b});
      if (it != band_pieces.end()) on_pages.insert(it->second.begin(), it->second.end());
    }
    return on_pages.size() >= needed;
  };

  for (auto& page : pages) {
    std::erase_if(page.lines, [&](const Line& line) {
      if (is_furniture_text(line.text())) return true;
      if (!in_band(line, page)) return false;
      const auto ps = pieces(line);
      return std::all_of(ps.begin(), ps.end(), [&](const Piece& p) { return furniture_piece(p, page); });
    });
  }
}

}  // namespace examq::extract
