#pragma once
// Where a paper's PDF comes from: its exam_paper_files row (kind 'paper'), else its file_url.

#include "pg/connection.h"
#include "pipeline/url_fetcher.h"

#include <optional>
#include <string>

namespace examq::pipeline {

struct PaperPdf {
  std::string bytes;
  std::string origin;  // "exam_paper_files" or the URL as redact_url() shows it (the job's result.source)
};

// The PDF of exam paper `paper_id`, or nullopt when the paper has neither a file nor a URL.
// Throws FetchError when the URL cannot be fetched, pg::Error on database trouble, and
// std::runtime_error when the paper does not exist.
std::optional<PaperPdf> load_paper_pdf(pg::Connection& db, const std::string& paper_id, const FetchLimits& limits);

// The insert booklet stored with the paper (kind 'insert'), if any.
std::optional<std::string> load_insert_pdf(pg::Connection& db, const std::string& paper_id);

}  // namespace examq::pipeline
