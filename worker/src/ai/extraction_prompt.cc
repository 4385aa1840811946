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

// Label conventions and worked examples: what papers print and the rows it gives. Sent after the
// rules and before the topic list, so the same bytes start every request of every job (the
// providers' prompt caches match a prefix) and the prefix reaches the caches' minimum length
// (see stable_prefix_token_estimate in context_budget.h) with text that helps the reading.
constexpr const char* kExamples = R"EXAMPLES(

Label conventions, as papers print them:
- Boxed two-digit numbers: "0 3" is question "03", "0 3 . 1" is its part "03.1" with parent_number "03". Keep the leading zero.
- Letters and roman numerals: "4 (a) (i)" is "4(a)(i)"; "(b)" printed alone after 4(a) is "4(b)"; "(ii)" or "ii" printed under 4(b)(i) is "4(b)(ii)". Write letters and roman numerals in lower case.
- A part printed without its question number belongs to the last question number printed before it (for a part at the top of the first page shown, the request after the pages says how to number it).
- "Question 7 continues on the next page", "Continued" or a repeated question number at the top of a page start no new row: a question running over a page is one row, on the page where its label is printed.
- Marks printed at the end of a part's last line, in the right margin or in a box belong to that part. "[1 mark each]" or "(2 x 1 mark)" printed for a part gives its total: 2. A mark total printed only for a whole question with parts ("[Total: 6]", "Total for Question 3 = 6 marks") is not a row's marks.
- Optional questions ("Answer either 5 or 6") are recorded like any other question.
- Section headings ("Section A", "Part II"), answer spaces, "Do not write in this margin", data given for several parts and formula boxes are not questions; a table or passage that one part needs is described in that part's text.

Worked example 1. Page 3 shows:
2 This question is about the reactivity series.
(a) Name a metal that reacts with cold water. ..................... [1]
(b) (i) Complete the word equation for the reaction of zinc with hydrochloric acid. zinc + hydrochloric acid -> ......... + hydrogen [1]
(ii) Explain why copper does not react with dilute acids. [2]
[Total: 4]                                                   Turn over
The rows are:
{"number":"2","parent_number":"","text":"This question is about the reactivity series.","marks":null,"page_number":3}
{"number":"2(a)","parent_number":"2","text":"Name a metal that reacts with cold water.","marks":1,"page_number":3}
{"number":"2(b)(i)","parent_number":"2(b)","text":"Complete the word equation for the reaction of zinc with hydrochloric acid.\nzinc + hydrochloric acid -> ... + hydrogen","marks":1,"page_number":3}
{"number":"2(b)(ii)","parent_number":"2(b)","text":"Explain why copper does not react with dilute acids.","marks":2,"page_number":3}
2(b) has no wording of its own, so it has no row; [Total: 4] and "Turn over" are not rows.

Worked example 2. Page 6 ends with "0 4 . 1 Give one use of copper. (1 mark)" and "0 4 . 2 Calculate the mass of copper formed. Use the equation below." with the equation and answer lines running onto page 7, which continues with "Show your working. (3 marks)", then "5 Which of these numbers is prime? Tick one box. A 9 B 15 C 17 D 21 [1]". The rows are:
{"number":"04.1","parent_number":"04","text":"Give one use of copper.","marks":1,"page_number":6}
{"number":"04.2","parent_number":"04","text":"Calculate the mass of copper formed. Use the equation below. [equation: CuO + H2 -> Cu + H2O] Show your working.","marks":3,"page_number":6}
{"number":"5","parent_number":"","text":"Which of these numbers is prime? Tick one box.\nA 9\nB 15\nC 17\nD 21","marks":1,"page_number":7}
Question 04 has no wording of its own before 04.1, so it has no row; 04.2 is one row on page 6, where its label is, with its marks from page 7.
When topics are listed below, each row also has its topic_refs.)EXAMPLES";

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

ExtractionPrompt make_extraction_prompt(const std::vector<Topic>& topics, bool with_examples) {
  ExtractionPrompt p;
  p.with_topics = !topics.empty();
  p.stable_instructions = kRules;
  if (with_examples) p.stable_instructions += kExamples;
  if (p.with_topics) {
    p.job_instructions +=
        "\n\nTag each row with the syllabus topics it assesses, as topic_refs (the references before the "
        "colon below; use [] when none fits). Topics:\n";
    for (std::size_t i = 0; i < topics.size(); ++i) {
      p.job_instructions += topic_ref(i);
      p.job_instructions += ": ";
      if (!topics[i].code.empty()) {
        p.job_instructions += topics[i].code;
        p.job_instructions += ' ';
      }
      p.job_instructions += topics[i].title;
      p.job_instructions += '\n';
    }
  }
  p.instructions = p.stable_instructions + p.job_instructions;
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
