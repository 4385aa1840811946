#pragma once
// Turns the paper's lines, in reading order, into questions: decides which line-start labels are
// really question numbers and parts, attaches wording and marks to them, and numbers the result.

#include <string>
#include <vector>

#include "extract/question.h"
#include "extract/reading_order.h"

namespace examq::extract {

// Segments `regions` (reading order across the whole paper, margins assigned, furniture and dot
// leaders already removed). Rules, in the order they are applied to each line:
//  - A trailing marks label is cut off the line and added to the row the line belongs to (after
//    any labels on the line are applied); a total ("[Total: 7]") is dropped.
//  - A "Section A" heading (up to 6 words; "Part 2" only alone) closes the current row: following
//    lines up to the next label (the section's instructions) belong to no question.
//  - A question number is accepted only at the region's left margin (up to 8 pt right of it), in
//    the paper's numbering style (fixed by its first question: bare, "Q"/"Question", or boxed) and
//    in sequence: the first question is 1, then +1. A bare unpunctuated number followed by an
//    ordinary word space ("2 moles of ...") is refused as the first question and when it continues
//    an unfinished sentence on the line just above; a bare number alone on its line is refused as
//    the first question (a cover page's "For Examiner's Use" table).
//  - Part labels are accepted only in sequence: letters a, b, c... for parts and roman numerals
//    i, ii, iii... for sub-parts (or, under AQA's numeric parts 01.2, either). "(i)" after "(h)" is
//    a sub-part when it is indented right of "(h)" or on the same line, else the part after (h).
//  - Any other line is wording of the most recently opened row. Lines before the first question
//    (a cover page) are dropped. Wording lines are joined with a space, except that a
//    multiple-choice option line ("A  oxygen" with a wide gap, "(B) neon", "C. 12") and the line
//    after it are joined with '\n'.
// Rows follow Question's rules (leaves, and parents with a stem of their own); positions are
// assigned in paper order; `source` is copied into every row.
std::vector<Question> segment(const std::vector<Region>& regions, const std::string& source);

}  // namespace examq::extract
