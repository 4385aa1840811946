#pragma once
// `examq retag`: enqueue a retag-questions job for an exam paper (examq_retag_exam_paper,
// sql/0014): its questions re-tagged with a syllabus's topics; --wait follows it live.

#include "cli/command.h"

namespace examq::cli {

Command add_retag_command(CLI::App& app);

}  // namespace examq::cli
