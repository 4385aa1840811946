#define BOOST_TEST_MODULE retag_ai_answer
// The AI method's request text and answer reading (worker/src/retag/ai_tagger.h), without a
// network or a database: what a request holds, and what an answer's rows become.
#include "retag/ai_tagger.h"

#include <boost/test/unit_test.hpp>
#include <tao/json.hpp>

using namespace examq::retag;

namespace {

// Leaves T1 = 1.1, T2 = 1.2, T3 = 2.1 (topic indices 1, 2, 4).
std::vector<Topic> topics() {
  return {
      {"id-mech", "", "1", "Mechanics", ""},
      {"id-forces", "id-mech", "1.1", "Forces", "Newton's laws"},
      {"id-energy", "id-mech", "1.2", "Energy", ""},
      {"id-waves", "", "2", "Waves", ""},
      {"id-sound", "id-waves", "", "Sound", "echoes"},
  };
}

const std::vector<std::size_t> kLeaves = {1, 2, 4};

std::vector<Question> questions(int n) {
  std::vector<Question> qs;
  for (int i = 1; i <= n; ++i) qs.push_back({"qid-" + std::to_string(i), std::to_string(i), "", "Text " + std::to_string(i)});
  return qs;
}

using Tags = std::vector<std::optional<std::vector<std::size_t>>>;

Tags read(const std::string& answer, int n, int max_topics = 2) {
  Tags out(static_cast<std::size_t>(n));
  read_ai_answer(tao::json::from_string(answer), questions(n), 0, static_cast<std::size_t>(n), kLeaves, max_topics, out);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_request_holds_leaf_references_and_its_range_of_questions_but_no_ids) {
  const std::string text = ai_request_text(topics(), kLeaves, questions(130), 60, 120);
  BOOST_TEST(text.find("T1: 1.1 Forces - Newton's laws (in: Mechanics)\n") != std::string::npos, text);
  BOOST_TEST(text.find("T3: Sound - echoes (in: Waves)\n") != std::string::npos, text);
  BOOST_TEST(text.find("T4") == std::string::npos);
  BOOST_TEST(text.find("id-") == std::string::npos, "no topic id");
  BOOST_TEST(text.find("qid-") == std::string::npos, "no question id");
  BOOST_TEST(text.find(R"({"number":"61","text":"Text 61"})") != std::string::npos);
  BOOST_TEST(text.find(R"({"number":"120","text":"Text 120"})") != std::string::npos);
  BOOST_TEST(text.find(R"("number":"60")") == std::string::npos);
  BOOST_TEST(text.find(R"("number":"121")") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_references_and_repeats_are_dropped_and_at_most_max_topics_kept) {
  const Tags t = read(R"({"questions": [{"number": "1", "topics": ["T9", "T2", "T2", "t3", "T1"]},
                                        {"number": "2", "topics": []}]})",
                      2);
  BOOST_TEST_REQUIRE(t[0].has_value());
  BOOST_TEST((*t[0] == std::vector<std::size_t>{2, 4}));
  BOOST_TEST_REQUIRE(t[1].has_value());
  BOOST_TEST(t[1]->empty(), "an empty list is an answer: no topic");
  BOOST_TEST((*read(R"({"questions": [{"number": "1", "topics": ["T3", "T1", "T2"]}]})", 1, 3)[0] ==
              std::vector<std::size_t>{4, 1, 2}));
}

BOOST_AUTO_TEST_CASE(missing_repeated_and_garbled_rows_fall_back) {
  const Tags t = read(R"({"questions": [
      {"number": "1", "topics": "T1"},
      {"number": "2", "topics": ["T1"]}, {"number": "2", "topics": ["T2"]},
      {"number": "3", "topics": ["T1", 4]},
      {"number": "4", "topics": ["T7", "Forces"]},
      {"number": "99", "topics": ["T1"]},
      {"topics": ["T1"]},
      "junk"]})",
                      5);
  for (int i = 0; i < 5; ++i) BOOST_TEST(!t[static_cast<std::size_t>(i)].has_value(), "question " << i + 1);
  for (const char* answer : {"[]", "{}", R"({"questions": {}})", "null"}) {
    BOOST_TEST(!read(answer, 1)[0].has_value(), answer);
  }
}

BOOST_AUTO_TEST_CASE(the_schema_requires_every_field_as_strict_structured_output_wants) {
  const auto& schema = ai_answer_schema();
  BOOST_TEST(schema.at("additionalProperties").get_boolean() == false);
  const auto& row = schema.at("properties").at("questions").at("items");
  BOOST_TEST(row.at("required").get_array().size() == 2u);
  BOOST_TEST(row.at("additionalProperties").get_boolean() == false);
  BOOST_TEST(ai_instructions(3).find("at most 3") != std::string::npos);
}
