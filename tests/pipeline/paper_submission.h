#pragma once
// Submitting exam papers the way an application does (submit_exam_paper), for the tests.

#include "pg/connection.h"

#include <string>

namespace examq::testing {

struct Submitted {
  std::string job_id;
  std::string exam_paper_id;
};

// Stores `pdf` as a new exam paper with its job (priority 0). Throws pg::Error.
Submitted submit_paper(pg::Connection& conn, const std::string& title, const std::string& filename,
                       const std::string& pdf);

// A paper with only a file_url, and its job.
Submitted submit_paper_url(pg::Connection& conn, const std::string& title, const std::string& url);

// The contents of a file; throws std::runtime_error naming it when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace examq::testing
