#include "cli/pages_command.h"

#include "cli/common_options.h"
#include "cli/id_lookup.h"
#include "cli/output.h"
#include "pg/connection.h"
#include "pipeline/bytea.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace examq::cli {

namespace {

struct PagesOptions {
  std::string db;
  std::string paper;
  std::string out;
};

const pg::Statement kPageNumbers{
    "examq_cli_page_numbers",
    "SELECT p.page_number FROM exam_paper_pages p WHERE p.exam_paper_id = $1::uuid ORDER BY p.page_number"};
// One page at a time: a paper's images together can be tens of megabytes.
const pg::Statement kPage{"examq_cli_page",
                          "SELECT p.jpeg FROM exam_paper_pages p WHERE p.exam_paper_id = $1::uuid AND p.page_number = $2::integer"};

// "page-007.jpg": zero-padded so that a directory listing is in page order.
std::string page_file_name(int page) {
  char name[32];
  std::snprintf(name, sizeof name, "page-%03d.jpg", page);
  return name;
}

// Written beside its final name and renamed, so a file with the page's name is always whole.
void write_file(const std::filesystem::path& path, const std::string& bytes) {
  const std::filesystem::path partial = path.string() + ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    if (!file) throw std::runtime_error(partial.string() + ": cannot write: " + std::strerror(errno));
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    file.close();
    if (!file) throw std::runtime_error(partial.string() + ": cannot write: " + std::strerror(errno));
  }
  std::filesystem::rename(partial, path);
}

}  // namespace

Command add_pages_command(CLI::App& app) {
  auto o = std::make_shared<PagesOptions>();
  CLI::App* sub = app.add_subcommand("pages", "Write the page images stored for an exam paper (JPEG) to a directory");
  sub->add_option("EXAM_PAPER_ID", o->paper, "The exam paper: its id or a unique prefix")
      ->required()
      ->check(id_prefix_validator());
  sub->add_option("--out", o->out, "The directory to write them to (made when missing)")->required()->type_name("DIR");
  add_database_option(*sub, o->db);
  sub->footer(
      "Files are named by page number, page-001.jpg, page-002.jpg, ...; an existing file of that name is\n"
      "replaced. The images are those the worker rendered when it processed the paper. Exit 1 when the paper\n"
      "has none (not processed yet, or its pages were deleted).");
  return {sub, [o]() {
            return run_reporting("pages", [&]() {
              pg::Connection conn(resolve_database(o->db), "examq pages");
              const std::string id = resolve_exam_paper_id(conn, o->paper);
              pg::Result numbers = conn.exec(kPageNumbers, id);
              if (numbers.rows() == 0) {
                throw std::runtime_error("exam paper " + id + " has no page images stored (they are written when its job "
                                         "renders it: `examq jobs --paper " + id.substr(0, 8) + "`)");
              }
              const std::filesystem::path dir(o->out);
              std::error_code ec;
              std::filesystem::create_directories(dir, ec);
              if (ec) throw std::runtime_error(o->out + ": cannot make the directory: " + ec.message());
              for (int i = 0; i < numbers.rows(); ++i) {
                const int page = numbers.get<int>(i, 0);
                pg::Result r = conn.exec(kPage, id, page);
                if (r.rows() == 0) continue;  // deleted since the list was read
                write_file(dir / page_file_name(page), pipeline::from_bytea_hex(r.get<std::string>(0, 0)));
              }
              std::cout << "wrote " << numbers.rows() << " page image" << (numbers.rows() == 1 ? "" : "s") << " to "
                        << printable(dir.string()) << "\n";
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
