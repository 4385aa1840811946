#pragma once
// Repairs what OCR does to the labels at the start (and the marks at the end) of a line, so that a scanned page's lines
// parse like a born-digital page's (question_numbering.h). Only label position is touched: the
// first words of a line, and only into forms the numbering parser already knows.
//
//  - Letters read for digits in a number: "Ql." -> "Q1.", "l." -> "1.", "I0." -> "10.",
//    "Question l" -> "Question 1" (l, I, | for 1; O, o for 0). A lone "I" is left alone: it is a
//    word.
//  (A number joined to its wording, "1A student", is split where it belongs, in the OCR engine,
//  which knows how far apart the letters really are: see tesseract_engine.cc.)
//  - Boxed AQA digits split or joined oddly once the boxes are gone: "0" "1.1" -> "01.1",
//    "0" "1." "2" -> "01.2", "0" "2." "1°" -> "02.1" (stray marks after the last digit dropped),
//    "0" "|" -> "01"; a first 0 read as a letter is a 0 again: "O" "1." "2" -> "01.2",
//    "O1" -> "01" (only words of at most two characters, digits and O/o, starting with 0/O/o).
//    Only sequences that start with a lone "0", or contain the ".", are joined: "1 2" may be a
//    question and its wording.
//  - Roman part labels with i read as l, 1 or |: "(l)" -> "(i)", "(1i)" -> "(ii)", "(lv)" ->
//    "(iv)", "ll)" -> "ii)".
//  - Marks brackets read as other brackets at the end of a line: "(1 mark}" -> "(1 mark)",
//    "[2}" / "[2|" -> "[2]".
//  - (b) read as (6): "(6)" -> "(b)" only when the last part label seen before it was (a),
//    which is what the segmenter's sequence rule would accept.
// Lines must be in reading order (the repair keeps the last part label seen across them).

#include <vector>

#include "extract/line.h"

namespace examq::extract {

void repair_ocr_labels(std::vector<Line>& lines);

}  // namespace examq::extract
