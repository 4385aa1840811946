#include "pipeline/pdf_source.h"

#include "pipeline/bytea.h"

#include <stdexcept>

namespace examq::pipeline {
namespace {

const pg::Statement kPaperFile{
    "examq_paper_file",
    "SELECT data FROM exam_paper_files WHERE exam_paper_id = $1::uuid AND kind = $2"};
const pg::Statement kPaperUrl{
    "examq_paper_url", "SELECT file_url FROM exam_papers WHERE id = $1::uuid"};

std::optional<std::string> load_file(pg::Connection& db, const std::string& paper_id, const char* kind) {
  auto r = db.exec(kPaperFile, paper_id, kind);
  if (r.rows() == 0) return std::nullopt;
  return from_bytea_hex(r.text(0, 0));
}

}  // namespace

std::optional<PaperPdf> load_paper_pdf(pg::Connection& db, const std::string& paper_id, const FetchLimits& limits) {
  if (auto bytes = load_file(db, paper_id, "paper")) return PaperPdf{std::move(*bytes), "exam_paper_files"};
  auto r = db.exec(kPaperUrl, paper_id);
  if (r.rows() == 0) throw std::runtime_error("exam paper " + paper_id + " does not exist");
  auto url = r.get<std::optional<std::string>>(0, 0);
  if (!url || url->empty()) return std::nullopt;
  std::string body = fetch_url(*url, limits);
  return PaperPdf{std::move(body), redact_url(*url)};
}

std::optional<std::string> load_insert_pdf(pg::Connection& db, const std::string& paper_id) {
  return load_file(db, paper_id, "insert");
}

}  // namespace examq::pipeline
