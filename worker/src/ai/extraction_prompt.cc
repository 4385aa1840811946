#include "ai/extraction_prompt.h"

namespace examq::ai {
namespace {

constexpr const char* kRules = R"RULES(You read scanned or rendered pages of an exam paper and record its questions exactly as printed.

Record one entry per question row:
- every leaf of the paper's numbering (e.g. 1(a)(i), 1(b), or a question without parts such as 2);
- a question or part that has parts AND wording of its own before them (a stem such as "This question is about metals.") gets its own entry with that wording as its text; its parts name it as parent_number. A parent with no wording of its own gets no entry.

Fields:
- number: canonical form of the printed label. "Q3", "Question 3" and "3." become "3". Boxed digits such as "0 1" and "0 1 . 2" become "01" and "01.2". Letter and roman parts are bracketed and appended: "3(a)", "3(a)(ii)".
- parent_number: the number one level up ("3(a)" for "3(a)(ii)", "01" for "01.2"), or "" for a top-level question.
- text: the wording of the question or part, as printed, without its label, without the marks bracket, without dotted or ruled answer lines, page headers and footers, "Turn over", copyright lines or candidate-number boxes. Keep multiple-choice options, one per line ("A ...\nB ..."). Describe a diagram or table briefly in square brackets only when the question cannot be understood without it.
- marks: the marks printed for that row ([2], [2 marks], (2 marks), (4 points)) as an integer, or null when none are printed. Totals such as [Total: 7] are not questions and not marks of a row.
- page_number: the page number (from the "Page N" label before the image) on which the row's label is printed.

Pages are shown in order, each image preceded by its "Page N" label. Record rows in the order they appear in the paper. Do not invent questions: instructions, formula sheets, cover pages and blank pages have none. If there are no questions, return an empty list.)RULES";

tao::json::value question_schema(bool with_topics) {
  tao::json::value properties = {
      {"number", {{"type", "string"}}},
      {"parent_number", {{"type", "string"}}},
      {"text", {{"type", "string"}}},
      {"marks", {{"type", tao::json::value::array({"integer", "null"})}}},
      {"page_number", {{"type", "integer"}}},
  };
  tao::json::value required = tao::json::value::array({"number", "parent_number", "text", "marks", "page_number"});
  if (with_topics) {
    properties["topic_refs"] = {{"type", "array"}, {"items", {{"type", "string"}}}};
    required.get_array().emplace_back("topic_refs");
  }
  return {
      {"type", "object"},
      {"properties", std::move(properties)},
      {"required", std::move(required)},
      {"additionalProperties", false},
  };
}

}  // namespace

std::string topic_ref(std::size_t index) { return "T" + std::to_string(index + 1); }

std::string page_label(int page_number) { return "Page " + std::to_string(page_number); }

ExtractionPrompt make_extraction_prompt(const std::vector<Topic>& topics) {
  ExtractionPrompt p;
  p.with_topics = !topics.empty();
  p.instructions = kRules;
  if (p.with_topics) {
    p.instructions +=
        "\n\nTag each row with the syllabus topics it assesses, as topic_refs (the references before the "
        "colon below; use [] when none fits). Topics:\n";
    for (std::size_t i = 0; i < topics.size(); ++i) {
      p.instructions += topic_ref(i);
      p.instructions += ": ";
      if (!topics[i].code.empty()) {
        p.instructions += topics[i].code;
        p.instructions += ' ';
      }
      p.instructions += topics[i].title;
      p.instructions += '\n';
    }
  }
  p.schema = {
      {"type", "object"},
      {"properties", {{"questions", {{"type", "array"}, {"items", question_schema(p.with_topics)}}}}},
      {"required", tao::json::value::array({"questions"})},
      {"additionalProperties", false},
  };
  return p;
}

std::string batch_request_text(int first, int last, bool first_batch, bool last_batch, const std::string& previous_label) {
  std::string t = first == last ? "The image above is page " + std::to_string(first)
                                : "The images above are pages " + std::to_string(first) + " to " + std::to_string(last);
  t += " of the paper. Record every question row whose label is printed on these pages.";
  if (!first_batch) {
    t += " Page " + std::to_string(first) +
         " may begin with the end of a question whose label is on an earlier page: skip that text.";
    if (!previous_label.empty()) {
      t += " The last question label printed before page " + std::to_string(first) + " is " + previous_label +
           ": give a part printed without its question number its full number (after 5(b), a part printed as (c) is 5(c)).";
    } else {
      t += " Give a part printed without its question number its full number when these pages show it; when "
           "its question number is only on an earlier page, give the label as printed, such as (c).";
    }
  }
  if (!last_batch) {
    t += " Page " + std::to_string(last) +
         " may end in the middle of a question: record it with the text visible here.";
  }
  return t;
}

}  // namespace examq::ai
