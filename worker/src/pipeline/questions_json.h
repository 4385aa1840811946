#pragma once
// The JSON array replace_exam_paper_questions() takes, from extracted questions.

#include "extract/question.h"

#include <tao/json/value.hpp>

#include <vector>

namespace examq::pipeline {

// [{question_number, parent_number, text, marks, page_number, source}, ...] in the given order
// (which becomes `position`). Empty parent numbers and absent marks become JSON null.
tao::json::value questions_to_json(const std::vector<extract::Question>& questions);

}  // namespace examq::pipeline
