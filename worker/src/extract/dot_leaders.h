#pragma once
// Dotted answer lines ("........", "_______", "……") are where candidates write, not wording: they
// are removed before segmentation so stored text is clean.

#include <string>
#include <string_view>

#include "extract/line.h"

namespace examq::extract {

// Returns `word` with every run of leader characters removed: four or more '.', '_' or '-' in a
// row, or two or more '…' (U+2026, also mixed with dots). Shorter runs are wording ("...", "--").
// A run at either end of the word is dropped; a run inside it becomes one space, so
// "Answer........cm³" gives "Answer cm³". A word that was only leaders gives "".
std::string remove_leaders(std::string_view word);

// Removes leaders from every word of `line`, dropping words that were only leaders, and updates
// the line's box. Returns true when the line contained a leader.
bool strip_leaders(Line& line);

}  // namespace examq::extract
