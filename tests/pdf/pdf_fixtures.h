#pragma once

// PDFs made with PoDoFo at test time, so the tests know exactly what is on each page.

#include <string>
#include <vector>

namespace examq::pdf::testing {

struct FixturePage {
  std::vector<std::string> lines;  // drawn top-down, 12 pt Liberation Sans, 18 pt apart
  double width = 595, height = 842;  // A4 in points
  int rotation = 0;                  // /Rotate
  bool red_block = false;            // a filled red square at the top left, 72 pt wide
};

struct FixtureDocument {
  std::vector<FixturePage> pages;
  std::string title;
  std::string producer;
  // Non-empty: encrypt with AES-256 and this user password (Poppler then reports it locked).
  std::string user_password;
  // Non-empty (and no user password): encrypted with AES-256, an empty user password and this
  // owner password, as a "protected" PDF that anyone may open.
  std::string owner_password;
};

// Where fixture line `index` (0-based) sits: its baseline, in points from the top.
double fixture_baseline(int index);

// Serialises the document with PoDoFo 0.9.8.
std::string make_pdf(const FixtureDocument& document);

// `pages` pages shaped like an exam paper: a header, numbered questions with marks, a footer.
FixtureDocument exam_like_document(int pages);

}  // namespace examq::pdf::testing
