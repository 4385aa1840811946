#include "retag/retag_handler.h"

#include "ai/job_failure.h"
#include "ai/redact.h"
#include "pg/error.h"
#include "retag/ai_tagger.h"
#include "util/uuid.h"
#include "util/duration.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>
#include <optional>
#include <set>
#include <stop_token>

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

using util::is_uuid;

std::string payload_uuid(const tao::json::value& payload, const char* key) {
  const tao::json::value* v = payload.is_object() ? payload.find(key) : nullptr;
  if (v == nullptr || !v->is_string() || !is_uuid(v->get_string())) {
    throw JobError(std::string("retag-questions needs a uuid \"") + key + "\" in its payload", true);
  }
  return v->get_string();
}

// The AI tags of every question (nullopt where the embedded matcher must decide), and what it cost.
std::vector<std::optional<std::vector<std::size_t>>> ai_tags(const ai::TextClient& client, handlers::JobContext& ctx,
                                                            const TopicMatcher& matcher,
                                                            const std::vector<Question>& questions, int max_topics,
                                                            ai::AiUsage& usage) {
  std::vector<std::optional<std::vector<std::size_t>>> out(questions.size());
  const std::string instructions = ai_instructions(max_topics);
  const auto started = std::chrono::steady_clock::now();
  std::stop_source stop;  // cancellation is checked between requests, by ctx.progress
  const std::size_t requests = (questions.size() + kQuestionsPerRequest - 1) / kQuestionsPerRequest;
  for (std::size_t r = 0; r < requests; ++r) {
    const std::size_t first = r * kQuestionsPerRequest;
    const std::size_t last = std::min(questions.size(), first + kQuestionsPerRequest);
    ai::TextRequestInput input;
    input.instructions = instructions;
    input.text = ai_request_text(matcher.topics(), matcher.leaves(), questions, first, last);
    input.schema_name = "question_topics";
    input.schema = &ai_answer_schema();
    input.tool_description = "Records the syllabus topics of each exam question.";
    ++usage.batches;
    try {
      const tao::json::value answer = client.ask(input, usage, stop.get_token(), ctx.deadline());
      read_ai_answer(answer, questions, first, last, matcher.leaves(), max_topics, out);
    } catch (const ai::AiError& e) {
      // An answer unusable twice: these questions fall back to the embedded matcher.
      if (e.kind() != ai::AiErrorKind::bad_answer) throw;
      spdlog::warn("retag-questions {}: questions {}..{} fall back to the embedded matcher: {}", ctx.job().id, first + 1,
                   last, ai::redact(e.what(), client.config().api_key, 300));
    }
    ctx.progress(45 + static_cast<int>(40 * (r + 1) / requests), kMatchingTopics);
  }
  usage.latency_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace

RetagMethod retag_method_from_env() {
  const char* v = std::getenv("EXAMQ_RETAG_METHOD");
  if (v == nullptr || *v == '\0') return RetagMethod::automatic;
  const std::string s(v);
  if (s == "auto") return RetagMethod::automatic;
  if (s == "embedded") return RetagMethod::embedded;
  if (s == "ai") return RetagMethod::ai;
  throw std::invalid_argument("EXAMQ_RETAG_METHOD must be auto, embedded or ai (got \"" + s + "\")");
}

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

  // The AI's tags where it gave usable ones; the embedded matcher's for the rest.
  std::vector<std::optional<std::vector<std::size_t>>> from_ai(questions.size());
  ai::AiUsage usage;
  int fallback = 0;
  if (ai_) {
    const ai::AiConfig& config = ai_->config();
    usage.provider = std::string(ai::provider_name(config.provider));
    usage.model = config.model;
    try {
      from_ai = ai_tags(*ai_, ctx, matcher, questions, options_.max_topics, usage);
    } catch (const ai::RateLimited& e) {
      ai::snooze_or_fail(e, job, config, ai::to_json(usage));
    } catch (const ai::AiError& e) {
      throw ai::job_error(e, job, ai::to_json(usage));
    } catch (const extract::Cancelled&) {
      ctx.check_cancelled();
      throw JobError("retagging stopped: the worker is shutting down", false);
    }
    for (const auto& t : from_ai) {
      if (!t) ++fallback;
    }
  }

  ctx.progress(85, kSavingTags);
  tao::json::value tags = tao::json::empty_array;
  std::set<std::size_t> used;
  int tagged = 0;
  for (std::size_t i = 0; i < questions.size(); ++i) {
    std::vector<std::size_t> chosen;
    if (from_ai[i]) {
      chosen = *from_ai[i];
    } else {
      for (const TopicMatch& m : matches[i]) chosen.push_back(m.topic);
    }
    tao::json::value ids = tao::json::empty_array;
    for (std::size_t t : chosen) {
      ids.get_array().emplace_back(matcher.topics()[t].id);
      used.insert(t);
    }
    if (!chosen.empty()) ++tagged;
    tags.get_array().push_back({{"question_id", questions[i].id}, {"topic_ids", std::move(ids)}});
  }

  handlers::JobOutcome outcome;
  outcome.result = {{"questions", static_cast<int>(questions.size())},
                    {"tagged", tagged},
                    {"untagged", static_cast<int>(questions.size()) - tagged},
                    {"topics_used", static_cast<int>(used.size())},
                    {"syllabus_id", syllabus},
                    {"method", !ai_ ? "embedded" : fallback == 0 ? "ai" : "ai+embedded"}};
  if (ai_) {
    outcome.result["ai_questions"] = static_cast<int>(questions.size()) - fallback;
    outcome.result["embedded_questions"] = fallback;
    outcome.result["ai"] = ai::to_json(usage);
  }
  spdlog::info("retag-questions {}: paper {} tagged {} of {} questions with {} topics of syllabus {} ({}{})", job.id,
               paper, tagged, questions.size(), used.size(), syllabus, ai_ ? "ai" : "embedded",
               ai_ && fallback > 0 ? ", " + std::to_string(fallback) + " by the embedded matcher" : std::string());
  // In the completion's transaction: the tags and the job's completion commit together.
  outcome.in_completion = [json = std::move(tags), job_id = job.id, attempt = job.attempt,
                           worker = ctx.worker_id()](pg::Connection& c) {
    c.exec(kSaveTopics, job_id, json, worker, attempt);
  };
  return outcome;
}

void register_retag_handlers(handlers::Registry& registry, bool run) {
  MatchOptions options = MatchOptions::from_env();
  const RetagMethod method = retag_method_from_env();
  std::optional<ai::AiConfig> ai_config = ai::ai_config_from_env();
  if (method == RetagMethod::ai && !ai_config) {
    throw std::invalid_argument("EXAMQ_RETAG_METHOD=ai needs an AI extractor (EXAMQ_EXTRACTOR=openai or anthropic)");
  }
  if (!run) {
    registry.add_not_run("retag-questions");
    return;
  }
  std::shared_ptr<const ai::TextClient> client;
  if (ai_config && method != RetagMethod::embedded) client = std::make_shared<ai::TextClient>(*ai_config);
  registry.add("retag-questions", std::make_unique<RetagHandler>(options, std::move(client)));
}

}  // namespace examq::retag
