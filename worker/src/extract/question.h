#pragma once
// A question as an extractor recovers it from an exam paper: the unit the pipeline stores.

#include <optional>
#include <string>

namespace examq::extract {

// One stored row of a paper. What is a row:
//  - every leaf of the paper's numbering (1(a)(i), 1(b), or a question with no parts: 2);
//  - a question or part that has parts *and* wording of its own before them (its "stem", e.g.
//    "0 1  This question is about metals.") becomes its own row, with the stem as its text and
//    normally no marks. Its parts name it in parent_number. A parent with no wording of its own
//    (e.g. "1 (a) (i) ..." all on one line) has no row.
// Numbers are canonical, not raw: "Q3." / "Question 3" / "3." give "3"; boxed AQA digits
// "0 1 . 2" give "01.2"; letter and roman parts are bracketed: "3(a)(ii)".
struct Question {
  std::string number;         // e.g. "3(a)(ii)", "01.2", "7"
  std::string parent_number;  // the number one level up ("3(a)", "01"), or "" for a question
  int position = 0;           // 1-based order of the row within the paper
  std::string text;           // clean wording: no dot leaders, no marks brackets, no page furniture;
                              // multiple-choice options are kept, one per line ("A ...\nB ...")
  std::optional<int> marks;   // as printed ([2], [2 marks], (4 points)); empty when none printed
  int page_number = 0;        // 1-based page where the row's label is printed
  std::string source;         // how it was read: "text" (a text layer), "ocr" (a scanned page), "ai"
};

}  // namespace examq::extract
