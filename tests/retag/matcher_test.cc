#define BOOST_TEST_MODULE retag_matcher
// The embedded topic matcher of retag-questions (worker/src/retag/topic_matcher.h), without a
// database: what it reads, what it picks, and that it picks the same thing every time.
#include "retag/topic_matcher.h"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <stdexcept>

using namespace examq::retag;

namespace {

// A small physics syllabus: two sections (parents) with leaf topics under them.
std::vector<Topic> physics() {
  return {
      {"t-mech", "", "1", "Mechanics", ""},
      {"t-forces", "t-mech", "1.1", "Forces and motion", "Newton's laws, resultant force, acceleration, mass and weight"},
      {"t-energy", "t-mech", "1.2", "Energy", "Kinetic energy, gravitational potential energy, work done, power and efficiency"},
      {"t-waves", "", "2", "Waves", ""},
      {"t-sound", "t-waves", "2.1", "Sound", "Longitudinal waves, frequency, echoes, ultrasound"},
      {"t-light", "t-waves", "2.2", "Light", "Reflection, refraction, lenses, total internal reflection"},
      {"t-elec", "", "3", "Electricity", "Current, potential difference, resistance, circuits"},
  };
}

std::vector<std::string> codes(const TopicMatcher& m, const std::vector<TopicMatch>& matches) {
  std::vector<std::string> out;
  for (const auto& x : matches) out.push_back(m.topics()[x.topic].code);
  return out;
}

struct EnvVar {
  std::string name;
  EnvVar(std::string n, const char* value) : name(std::move(n)) { ::setenv(name.c_str(), value, 1); }
  ~EnvVar() { ::unsetenv(name.c_str()); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tokenizing)

BOOST_AUTO_TEST_CASE(lowercases_drops_stopwords_numbers_and_exam_instructions) {
  const auto words = tokenize("Explain why the 2 Forces ARE balanced. [3 marks]");
  BOOST_TEST(words == (std::vector<std::string>{"forc", "balanc"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(plurals_and_verb_forms_share_a_stem) {
  BOOST_TEST(tokenize("lenses")[0] == tokenize("lens")[0]);
  BOOST_TEST(tokenize("reflecting")[0] == tokenize("reflected")[0]);
  BOOST_TEST(tokenize("energies")[0] == tokenize("energy")[0]);
  BOOST_TEST(tokenize("glass")[0] == "glass");  // not a plural
}

BOOST_AUTO_TEST_CASE(keeps_utf8_words_whole) {
  const auto words = tokenize("Schrödinger équation");
  BOOST_REQUIRE_EQUAL(words.size(), 2u);
  BOOST_TEST(words[0] == "schrödinger");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(matching)

BOOST_AUTO_TEST_CASE(only_leaf_topics_are_given) {
  const TopicMatcher m(physics());
  BOOST_TEST(m.leaf_count() == 5u);  // 1.1, 1.2, 2.1, 2.2 and 3 (a section without sub-topics)
  const auto r = m.match({{"q1", "1", "", "Mechanics: describe the mechanics of a car."}});
  for (const auto& x : r[0]) BOOST_TEST(m.topics()[x.topic].code != "1");
}

BOOST_AUTO_TEST_CASE(a_question_gets_the_topic_its_words_name) {
  const TopicMatcher m(physics());
  const auto r = m.match({
      {"q1", "1", "", "Calculate the kinetic energy of a 2 kg ball moving at 3 m/s."},
      {"q2", "2", "", "A ray of light enters a glass block. Draw the refraction of the ray."},
      {"q3", "3", "", "Calculate the resistance of the circuit when the current is 2 A."},
  });
  BOOST_TEST(codes(m, r[0]).front() == "1.2");
  BOOST_TEST(codes(m, r[1]).front() == "2.2");
  BOOST_TEST(codes(m, r[2]).front() == "3");
}

BOOST_AUTO_TEST_CASE(a_sub_question_reads_the_stem_of_its_parent) {
  const TopicMatcher m(physics());
  const std::vector<Question> qs = {
      {"q4", "4", "", "An ultrasound scanner sends sound waves into the body and detects the echoes."},
      {"q4a", "4(a)", "4", "What is the frequency range?"},
  };
  const auto alone = m.match({qs[1]});
  const auto with_stem = m.match(qs);
  BOOST_REQUIRE(!with_stem[1].empty());
  BOOST_TEST(codes(m, with_stem[1]).front() == "2.1");
  const double alone_score = alone[0].empty() ? 0.0 : alone[0].front().score;
  BOOST_TEST(with_stem[1].front().score > alone_score);  // the stem made it surer
}

BOOST_AUTO_TEST_CASE(a_question_about_nothing_in_the_syllabus_gets_no_topic) {
  const TopicMatcher m(physics());
  const auto r = m.match({{"q1", "1", "", "Write your candidate number in the box."},
                          {"q2", "2", "", "The Treaty of Versailles was signed in 1919."}});
  BOOST_TEST(r[0].empty());
  BOOST_TEST(r[1].empty());
}

BOOST_AUTO_TEST_CASE(gives_at_most_max_topics_best_first_above_min_score) {
  MatchOptions one;
  one.max_topics = 1;
  one.min_score = 0.01;
  const Question q{"q1", "1", "", "Light and sound are both waves: compare the reflection of light with an echo of sound."};
  const auto r1 = TopicMatcher(physics(), one).match({q});
  BOOST_TEST(r1[0].size() == 1u);
  MatchOptions three = one;
  three.max_topics = 3;
  const auto r3 = TopicMatcher(physics(), three).match({q});
  BOOST_TEST(r3[0].size() >= 2u);
  for (std::size_t i = 1; i < r3[0].size(); ++i) BOOST_TEST(r3[0][i - 1].score >= r3[0][i].score);
  MatchOptions strict = three;
  strict.min_score = 0.99;
  BOOST_TEST(TopicMatcher(physics(), strict).match({q})[0].empty());
}

BOOST_AUTO_TEST_CASE(the_same_input_always_gives_the_same_tags) {
  const std::vector<Question> qs = {{"q1", "1", "", "Work done and power: a motor lifts a mass."},
                                    {"q2", "2", "", "Refraction and reflection in lenses."}};
  const auto a = TopicMatcher(physics()).match(qs);
  const auto b = TopicMatcher(physics()).match(qs);
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_REQUIRE_EQUAL(a[i].size(), b[i].size());
    for (std::size_t j = 0; j < a[i].size(); ++j) {
      BOOST_TEST(a[i][j].topic == b[i][j].topic);
      BOOST_TEST(a[i][j].score == b[i][j].score);
    }
  }
}

BOOST_AUTO_TEST_CASE(equal_scores_keep_syllabus_order) {
  const std::vector<Topic> twins = {{"a", "", "A", "Osmosis", ""}, {"b", "", "B", "Osmosis", ""}};
  MatchOptions o;
  o.max_topics = 1;
  const auto r = TopicMatcher(twins, o).match({{"q", "1", "", "Osmosis in plant cells."}});
  BOOST_REQUIRE_EQUAL(r[0].size(), 1u);
  BOOST_TEST(r[0][0].topic == 0u);
}

BOOST_AUTO_TEST_CASE(an_empty_question_or_syllabus_gives_nothing) {
  BOOST_TEST(TopicMatcher(physics()).match({{"q", "1", "", ""}})[0].empty());
  BOOST_TEST(TopicMatcher({}).match({{"q", "1", "", "energy"}})[0].empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(settings)

BOOST_AUTO_TEST_CASE(defaults_are_two_topics_and_the_documented_score) {
  const MatchOptions o = MatchOptions::from_env();
  BOOST_TEST(o.max_topics == 2);
  BOOST_TEST(o.min_score == MatchOptions{}.min_score);
}

BOOST_AUTO_TEST_CASE(reads_the_environment) {
  EnvVar a("EXAMQ_RETAG_MAX_TOPICS", "3");
  EnvVar b("EXAMQ_RETAG_MIN_SCORE", "0.25");
  const MatchOptions o = MatchOptions::from_env();
  BOOST_TEST(o.max_topics == 3);
  BOOST_TEST(o.min_score == 0.25);
}

BOOST_AUTO_TEST_CASE(refuses_malformed_values_naming_the_variable) {
  {
    EnvVar a("EXAMQ_RETAG_MAX_TOPICS", "0");
    BOOST_CHECK_EXCEPTION(MatchOptions::from_env(), std::invalid_argument, [](const std::invalid_argument& e) {
      return std::string(e.what()).find("EXAMQ_RETAG_MAX_TOPICS") != std::string::npos;
    });
  }
  EnvVar b("EXAMQ_RETAG_MIN_SCORE", "high");
  BOOST_CHECK_EXCEPTION(MatchOptions::from_env(), std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("EXAMQ_RETAG_MIN_SCORE") != std::string::npos;
  });
}

BOOST_AUTO_TEST_SUITE_END()
