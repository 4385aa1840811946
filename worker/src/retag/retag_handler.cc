#include "retag/retag_handler.h"

#include "pg/error.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <set>

namespace examq::retag {
namespace {

using handlers::JobError;

const pg::Statement kQuestions{
    "examq_retag_questions",
    "SELECT id::text, question_number, coalesce(parent_number, ''), text FROM questions "
    "WHERE exam_paper_id = $1::uuid ORDER BY position"};
const pg::Statement kTopics{
    "examq_retag_topics",
    "SELECT id::text, coalesce(parent_id::text, ''), coalesce(code, ''), title, coalesce(description, '') "
    "FROM syllabus_topics WHERE syllabus_id = $1::uuid ORDER BY position NULLS LAST, code, title, id"};
const pg::Statement kSaveTopics{
    "examq_save_question_topics_v14", "SELECT examq_save_question_topics($1::uuid, $2::jsonb, $3, $4::int)"};

// A database failure while the job runs: a lost lease means the job is not ours any more.
[[noreturn]] void rethrow_db(const pg::Error& e, std::string_view doing) {
  if (e.job_not_held()) throw handlers::JobAbandoned();
  throw JobError(std::string(doing) + ": " + e.what(), false, tao::json::value{{"sqlstate", e.sqlstate()}});
}

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string payload_uuid(const tao::json::value& payload, const char* key) {
  const tao::json::value* v = payload.is_object() ? payload.find(key) : nullptr;
  if (v == nullptr || !v->is_string() || !is_uuid(v->get_string())) {
    throw JobError(std::string("retag-questions needs a uuid \"") + key + "\" in its payload", true);
  }
  return v->get_string();
}

}  // namespace

handlers::JobOutcome RetagHandler::run(handlers::JobContext& ctx) {
  const handlers::Job& job = ctx.job();
  const std::string paper = job.exam_paper_id ? *job.exam_paper_id : payload_uuid(job.payload, "exam_paper_id");
  const std::string syllabus = payload_uuid(job.payload, "syllabus_id");

  ctx.progress(5, kLoadingQuestions);
  std::vector<Question> questions;
  std::vector<Topic> topics;
  try {
    auto db = ctx.database();
    pg::Result r = db->exec(kQuestions, paper);
    for (int i = 0; i < r.rows(); ++i) {
      questions.push_back({r.get<std::string>(i, 0), r.get<std::string>(i, 1), r.get<std::string>(i, 2),
                           r.get<std::string>(i, 3)});
    }
    if (questions.empty()) throw JobError("exam paper " + paper + " has no questions", true);

    ctx.progress(25, kLoadingSyllabus);
    r = db->exec(kTopics, syllabus);
    for (int i = 0; i < r.rows(); ++i) {
      topics.push_back({r.get<std::string>(i, 0), r.get<std::string>(i, 1), r.get<std::string>(i, 2),
                        r.get<std::string>(i, 3), r.get<std::string>(i, 4)});
    }
    if (topics.empty()) throw JobError("syllabus " + syllabus + " has no topics", true);
  } catch (const pg::Error& e) {
    rethrow_db(e, "reading the paper and syllabus");
  }

  ctx.progress(45, kMatchingTopics);
  const TopicMatcher matcher(std::move(topics), options_);
  const auto matches = matcher.match(questions);

  ctx.progress(85, kSavingTags);
  tao::json::value tags = tao::json::empty_array;
  std::set<std::size_t> used;
  int tagged = 0;
  for (std::size_t i = 0; i < questions.size(); ++i) {
    tao::json::value ids = tao::json::empty_array;
    for (const TopicMatch& m : matches[i]) {
      ids.get_array().emplace_back(matcher.topics()[m.topic].id);
      used.insert(m.topic);
    }
    if (!matches[i].empty()) ++tagged;
    tags.get_array().push_back({{"question_id", questions[i].id}, {"topic_ids", std::move(ids)}});
  }

  handlers::JobOutcome outcome;
  outcome.result = {{"questions", static_cast<int>(questions.size())},
                    {"tagged", tagged},
                    {"untagged", static_cast<int>(questions.size()) - tagged},
                    {"topics_used", static_cast<int>(used.size())},
                    {"syllabus_id", syllabus},
                    {"method", "embedded"}};
  spdlog::info("retag-questions {}: paper {} tagged {} of {} questions with {} topics of syllabus {}", job.id, paper,
               tagged, questions.size(), used.size(), syllabus);
  // In the completion's transaction: the tags and the job's completion commit together.
  outcome.in_completion = [json = std::move(tags), job_id = job.id, attempt = job.attempt,
                           worker = ctx.worker_id()](pg::Connection& c) {
    c.exec(kSaveTopics, job_id, json, worker, attempt);
  };
  return outcome;
}

void register_retag_handlers(handlers::Registry& registry, bool run) {
  MatchOptions options = MatchOptions::from_env();
  if (!run) {
    registry.add_not_run("retag-questions");
    return;
  }
  registry.add("retag-questions", std::make_unique<RetagHandler>(options));
}

}  // namespace examq::retag
