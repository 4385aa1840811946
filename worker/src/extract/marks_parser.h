#pragma once
// Marks allocations printed at the end of a question or part: "[2]", "[2 marks]", "(2 marks)",
// "(4 points)", "(3 p)", "(3)" when set apart at the right, and totals ("[Total: 7]",
// "(Total for Question 3 = 6 marks)"), which repeat the sum of the parts and are not questions.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "pdf/page_text.h"

namespace examq::extract {

struct MarksLabel {
  enum class Kind { marks, total };
  Kind kind = Kind::marks;
  int value = 0;
};

// Parses one complete bracketed label, e.g. "[2 marks]" or "[Total: 7]" (case-insensitive, any
// spacing inside the brackets). A bare "(3)" is not accepted here because inside a sentence it is
// usually a reference, not marks: see parse_trailing_marks.
std::optional<MarksLabel> parse_marks_label(std::string_view text);

struct TrailingMarks {
  MarksLabel label;
  std::size_t word_count = 0;  // how many of the line's last words the label spans
};

// Finds a marks label made of the words starting at `from`, as printed right after a question's
// label: "Problem 3 (3 points) Prove ...", "Q.2. [5 marks] List ...", "(a) (1 point) Write ...".
// Only explicit labels count here ("[2]", "(2 marks)", or a number with its unit: "12 marks",
// "[8 marks" whose bracket a scan lost); a bare "(2)" starts wording.
std::optional<TrailingMarks> parse_leading_marks(const std::vector<pdf::Word>& words, std::size_t from);

// Finds a marks label made of the last words of a line (left to right, as build_lines gives
// them). The rightmost word that opens a bracket decides: "(see part (a)) [2]" gives 2 and
// "... (in kJ)" gives nothing. A bare "(3)" counts as marks only when it stands alone on the line
// or at least 20 pt right of the previous word (Edexcel prints marks that way, right-aligned).
std::optional<TrailingMarks> parse_trailing_marks(const std::vector<pdf::Word>& words);

}  // namespace examq::extract
