#include "cli/questions_command.h"

#include "cli/common_options.h"
#include "cli/id_lookup.h"
#include "cli/output.h"
#include "cli/review_summary.h"
#include "pg/connection.h"

#include <tao/json/to_string.hpp>
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
  bool csv = false;
};

const pg::Statement kPaper{"examq_cli_paper",
                           "SELECT jsonb_build_object('id', p.id, 'title', p.title, 'page_count', p.page_count) "
                           "FROM exam_papers p WHERE p.id = $1::uuid"};
const pg::Statement kQuestions{
    "examq_cli_questions",
    "SELECT coalesce(jsonb_agg(jsonb_build_object('question_number', q.question_number, 'parent_number',"
    " q.parent_number, 'position', q.position, 'text', q.text, 'marks', q.marks, 'page_number', q.page_number,"
    " 'source', q.source, 'topic_ids', to_jsonb(q.topic_ids),"
    " 'topics', (SELECT coalesce(jsonb_agg(jsonb_build_object('code', t.code, 'title', t.title) ORDER BY u.n), '[]')"
    "            FROM unnest(q.topic_ids) WITH ORDINALITY AS u(id, n) JOIN syllabus_topics t ON t.id = u.id))"
    " ORDER BY q.position), '[]')"
    " FROM questions q WHERE q.exam_paper_id = $1::uuid"};
// The review of the job that wrote the rows shown: the paper's latest completed processing (each
// completion replaces the paper's questions). NULL when none has a review.
const pg::Statement kReview{
    "examq_cli_paper_review",
    "SELECT (SELECT j.result -> 'review' FROM processing_jobs j WHERE j.exam_paper_id = $1::uuid"
    "  AND j.job_type = 'process-exam-paper' AND j.status = 'completed'"
    "  ORDER BY j.completed_at DESC NULLS LAST, j.created_at DESC LIMIT 1)"};

// The paper's latest process-exam-paper job, to say why there are no questions: its id,
// status and error. No row when no job was ever made for it.
const pg::Statement kLatestJob{
    "examq_cli_paper_latest_job",
    "SELECT j.id::text, j.status, j.error_message FROM processing_jobs j WHERE j.exam_paper_id = $1::uuid"
    "  AND j.job_type = 'process-exam-paper' ORDER BY j.created_at DESC, j.id LIMIT 1"};

// Why a paper has no questions, from its latest job.
std::string no_questions_reason(pg::Connection& conn, const std::string& paper) {
  pg::Result r = conn.exec(kLatestJob, paper);
  if (r.rows() == 0) return "none: no job has processed this paper";
  const std::string id = r.get<std::string>(0, 0), status = r.get<std::string>(0, 1);
  if (status == "failed") {
    const std::string error = r.is_null(0, 2) ? "no error recorded" : r.get<std::string>(0, 2);
    return "none: its job " + id + " failed: " + printable(error) + " (`examq show " + id + "`; `examq retry " + id + "`)";
  }
  if (status == "cancelled") return "none: its job " + id + " was cancelled (`examq retry " + id + "` runs it again)";
  if (status == "completed") return "none: its job " + id + " completed without finding any (`examq show " + id + "`)";
  return "none yet: its job " + id + " is " + status + " (`examq watch " + id + "`)";
}

// One CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote or a
// line break; as it is otherwise.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// A JSON value as a CSV field: strings as they are, null as empty, arrays of strings joined by
// ";" (topic_ids), anything else as JSON prints it.
std::string csv_value(const tao::json::value* v) {
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return csv_field(v->get_string());
  if (v->is_array()) {
    std::string joined;
    for (const auto& e : v->get_array()) joined += (joined.empty() ? "" : ";") + (e.is_string() ? e.get_string() : tao::json::to_string(e));
    return csv_field(joined);
  }
  return csv_field(tao::json::to_string(*v));
}

// A question's topics (sql/0014's retag, or the AI extraction) as their codes, a topic without a
// code by its title, joined by `separator`.
std::string topic_codes(const tao::json::value& q, const std::string& separator, bool with_titles = false) {
  std::string joined;
  if (const auto* topics = q.find("topics"); topics != nullptr && topics->is_array()) {
    for (const auto& t : topics->get_array()) {
      const auto* code = t.find("code");
      const bool has_code = code != nullptr && code->is_string() && !code->get_string().empty();
      std::string item = has_code ? code->get_string() : t.at("title").get_string();
      if (with_titles && has_code) item += " " + t.at("title").get_string();
      joined += (joined.empty() ? "" : separator) + item;
    }
  }
  return joined;
}

// The questions as CSV: a header line, then one record per question; CRLF line ends, as RFC
// 4180 has them. Text is as stored (line breaks inside quotes), not escaped for a terminal:
// CSV is for programs.
void print_csv(std::ostream& out, const tao::json::value& questions) {
  static const std::vector<std::string> columns = {"position", "question_number", "parent_number", "text",
                                                   "marks", "page_number", "source", "topic_ids", "topic_codes"};
  std::string line;
  for (const auto& c : columns) line += (line.empty() ? "" : ",") + c;
  out << line << "\r\n";
  for (const auto& q : questions.get_array()) {
    line.clear();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      line += i == 0 ? "" : ",";
      line += columns[i] == "topic_codes" ? csv_field(topic_codes(q, ";")) : csv_value(q.find(columns[i]));
    }
    out << line << "\r\n";
  }
}

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
  sub->add_option("EXAM_PAPER_ID", o->paper, "The exam paper (submit prints it): its id or a unique prefix")
      ->required()
      ->check(id_prefix_validator());
  CLI::Option* json = sub->add_flag("--json", o->json, "Print {exam_paper, review, questions: [...]} as JSON");
  sub->add_flag("--csv", o->csv,
                "Print the questions as CSV (RFC 4180): position, question_number, parent_number, text, marks, "
                "page_number, source, topic_ids, topic_codes")
      ->excludes(json);
  add_database_option(*sub, o->db);
  return {sub, [o]() {
            return run_reporting("questions", o->json, [&]() {
              pg::Connection conn(resolve_database(o->db), "examq questions");
              const std::string id = resolve_exam_paper_id(conn, o->paper);
              pg::Result paper_row = conn.exec(kPaper, id);
              if (paper_row.rows() == 0) throw std::runtime_error("no exam paper " + id);
              tao::json::value paper = paper_row.get<tao::json::value>(0, 0);
              tao::json::value questions = conn.exec(kQuestions, id).get<tao::json::value>(0, 0);
              if (o->csv) {
                print_csv(std::cout, questions);
                return kExitOk;
              }
              pg::Result review_row = conn.exec(kReview, id);
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
                std::cout << "(" << no_questions_reason(conn, id) << ")\n";
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
                const std::string topics = topic_codes(q, "; ", true);
                if (!topics.empty()) {
                  std::cout << std::string(indent, ' ')
                            << wrap("topics: " + printable(topics), indent < 60 ? 100 - indent : 40, indent) << "\n";
                }
              }
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
