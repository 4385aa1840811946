#include "cli/questions_command.h"

#include "cli/common_options.h"
#include "cli/output.h"
#include "cli/review_summary.h"
#include "pg/connection.h"

#include <tao/json/value.hpp>

#include <iostream>
#include <memory>
#include <sstream>

namespace examq::cli {

namespace {

struct QuestionsOptions {
  std::string db;
  std::string paper;
  bool json = false;
};

const pg::Statement kPaper{"examq_cli_paper",
                           "SELECT jsonb_build_object('id', p.id, 'title', p.title, 'page_count', p.page_count) "
                           "FROM exam_papers p WHERE p.id = $1::uuid"};
const pg::Statement kQuestions{
    "examq_cli_questions",
    "SELECT coalesce(jsonb_agg(jsonb_build_object('question_number', q.question_number, 'parent_number',"
    " q.parent_number, 'position', q.position, 'text', q.text, 'marks', q.marks, 'page_number', q.page_number,"
    " 'source', q.source, 'topic_ids', to_jsonb(q.topic_ids)) ORDER BY q.position), '[]')"
    " FROM questions q WHERE q.exam_paper_id = $1::uuid"};
// The review of the job that wrote the rows shown: the paper's latest completed processing (each
// completion replaces the paper's questions). NULL when none has a review.
const pg::Statement kReview{
    "examq_cli_paper_review",
    "SELECT (SELECT j.result -> 'review' FROM processing_jobs j WHERE j.exam_paper_id = $1::uuid"
    "  AND j.job_type = 'process-exam-paper' AND j.status = 'completed'"
    "  ORDER BY j.completed_at DESC NULLS LAST, j.created_at DESC LIMIT 1)"};

// `text` wrapped at `width` columns, every line after the first indented by `indent`.
std::string wrap(const std::string& text, std::size_t width, std::size_t indent) {
  std::string out, line;
  std::istringstream lines(text);
  std::string raw;
  bool first_line = true;
  while (std::getline(lines, raw)) {
    std::istringstream words(raw);
    std::string word;
    line.clear();
    auto flush = [&]() {
      if (!first_line) out += "\n" + std::string(indent, ' ');
      out += line;
      first_line = false;
      line.clear();
    };
    while (words >> word) {
      if (!line.empty() && line.size() + 1 + word.size() > width) flush();
      line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) flush();
  }
  return out;
}

}  // namespace

Command add_questions_command(CLI::App& app) {
  auto o = std::make_shared<QuestionsOptions>();
  CLI::App* sub = app.add_subcommand("questions", "List the questions extracted from an exam paper, in paper order");
  sub->add_option("EXAM_PAPER_ID", o->paper, "The exam paper (submit prints it)")->required()->check(uuid_validator());
  sub->add_flag("--json", o->json, "Print {exam_paper, review, questions: [...]} as JSON");
  add_database_option(*sub, o->db);
  return {sub, [o]() {
            return run_reporting("questions", o->json, [&]() {
              pg::Connection conn(resolve_database(o->db), "examq questions");
              pg::Result paper_row = conn.exec(kPaper, o->paper);
              if (paper_row.rows() == 0) throw std::runtime_error("no exam paper " + o->paper);
              tao::json::value paper = paper_row.get<tao::json::value>(0, 0);
              tao::json::value questions = conn.exec(kQuestions, o->paper).get<tao::json::value>(0, 0);
              pg::Result review_row = conn.exec(kReview, o->paper);
              tao::json::value review = review_row.is_null(0, 0) ? tao::json::value(tao::json::null)
                                                                 : review_row.get<tao::json::value>(0, 0);
              if (o->json) {
                print_json(std::cout, {{"exam_paper", paper}, {"review", review}, {"questions", questions}});
                return kExitOk;
              }
              const auto& list = questions.get_array();
              std::cout << cell(paper, "title") << ": " << list.size() << " question" << (list.size() == 1 ? "" : "s")
                        << (paper.at("page_count").is_null() ? "" : " on " + cell(paper, "page_count") + " pages")
                        << "\n";
              if (has_review(&review)) {
                std::cout << "review " << review_headline(&review) << "\n";
                for (const auto& detail : review_details(&review)) std::cout << "  - " << printable(detail) << "\n";
              }
              if (list.empty()) {
                std::cout << "(none yet: is its job finished? `examq jobs`)\n";
                return kExitOk;
              }
              std::size_t number_width = 0;
              for (const auto& q : list) number_width = std::max(number_width, cell(q, "question_number").size());
              const std::size_t indent = 2 + number_width + 2;
              for (const auto& q : list) {
                std::string number = cell(q, "question_number");
                std::string tail = " [p." + cell(q, "page_number");
                if (cell(q, "marks") != "-") tail += ", " + cell(q, "marks") + (cell(q, "marks") == "1" ? " mark" : " marks");
                tail += "]";
                std::cout << "\n  " << number << std::string(number_width - number.size() + 2, ' ')
                          << wrap(text_block(q, "text") + tail, indent < 60 ? 100 - indent : 40, indent) << "\n";
              }
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
