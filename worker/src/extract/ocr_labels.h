#pragma once
// Repairs what OCR does to the labels at the start (and the marks at the end) of a line, so that a scanned page's lines
// parse like a born-digital page's (question_numbering.h). Only label position is touched: the
// first words of a line, and only into forms the numbering parser already knows.
//
//  - A speck read as punctuation just left of a label goes: "| b)" -> "b)", "' 3." -> "3.".
//  - Letters read for digits in a number: "Ql." -> "Q1.", "Qs." -> "Q5.", "l." -> "1.",
//    "I0." -> "10.", "Question l" -> "Question 1" (l, I, | for 1; O, o for 0; S, s for 5 only
//    after Q). A lone "I" is left alone: it is a word.
//  (A number joined to its wording, "1A student", is split where it belongs, in the OCR engine,
//  which knows how far apart the letters really are: see tesseract_engine.cc.)
//  - Boxed AQA digits split or joined oddly once the boxes are gone: "0" "1.1" -> "01.1",
//    "0" "1." "2" -> "01.2", "0" "2." "1°" -> "02.1" (stray marks after the last digit dropped),
//    "0" "|" -> "01"; a first 0 read as a letter is a 0 again: "O" "1." "2" -> "01.2",
//    "O1" -> "01" (only words of at most two characters, digits and O/o, starting with 0/O/o);
//    a stray full stop after a whole label goes: "01.3." -> "01.3".
//    Only sequences that start with a lone "0", or contain the ".", are joined: "1 2" may be a
//    question and its wording.
//  - Roman part labels with i read as l, 1 or | (or as f, t, j beside a real i): "(l)" -> "(i)",
//    "(1i)" -> "(ii)", "(lv)" -> "(iv)", "ll)" -> "ii)", "(if)" -> "(ii)", "(iti)" -> "(iii)".
//  - Marks brackets read as other brackets at the end of a line: "(1 mark}" -> "(1 mark)",
//    "[2}" / "[2|" -> "[2]".
//  - A part letter read as its look-alike digit or its capital: "(6)" -> "(b)", "(9)" -> "(g)"
//    (also 0 for o, 1 for l, 5 for s, 2 for z, 9 for q), "C)" -> "c)", only when the last part
//    label seen before it was the letter just before, which is what the segmenter's sequence
//    rule would accept.
// Lines must be in reading order (the repair keeps the last part label seen across them).

#include <vector>

#include "extract/line.h"

namespace examq::extract {

void repair_ocr_labels(std::vector<Line>& lines);

}  // namespace examq::extract
