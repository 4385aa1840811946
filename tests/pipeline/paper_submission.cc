#include "paper_submission.h"

#include "pipeline/bytea.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace examq::testing {

Submitted submit_paper(pg::Connection& conn, const std::string& title, const std::string& filename,
                       const std::string& pdf) {
  auto r = conn.exec(
      "SELECT r ->> 'jobId', r ->> 'examPaperId' FROM submit_exam_paper($1, $2, $3::bytea) AS r",
      title, filename, pipeline::to_bytea_hex(pdf));
  return {std::string(r.text(0, 0)), std::string(r.text(0, 1))};
}

Submitted submit_paper_url(pg::Connection& conn, const std::string& title, const std::string& url) {
  auto paper = conn.exec("INSERT INTO exam_papers (title, file_url) VALUES ($1, $2) RETURNING id", title, url);
  std::string paper_id(paper.text(0, 0));
  auto job = conn.exec("SELECT create_exam_paper_job($1::uuid) ->> 'jobId'", paper_id);
  return {std::string(job.text(0, 0)), paper_id};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace examq::testing
