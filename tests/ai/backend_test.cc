// The AI backends against fake OpenAI and Anthropic servers on 127.0.0.1: every behaviour is
// checked once per provider (the fake speaks that provider's real wire format).
#define BOOST_TEST_MODULE ai_backend
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <stop_token>
#include <thread>

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include "ai/ai_extractor.h"
#include "ai/base64.h"
#include "ai/image_fit.h"
#include "ai/provider_limits.h"
#include "ai/text_client.h"
#include "fake_provider.h"
#include "test_support.h"

using namespace examq;
using namespace examq::test;
using namespace std::chrono_literals;

namespace {

using Wires = boost::mpl::list<OpenAiWire, AnthropicWire>;

// The fake servers are on loopback: keep a proxy in the environment from catching the requests.
struct NoProxy {
  NoProxy() { ::setenv("no_proxy", "127.0.0.1,localhost", 1); }
};
BOOST_TEST_GLOBAL_FIXTURE(NoProxy);

// The model reads the batch's pages; the part on the batch's last page is cut short unless that
// page is the paper's last (`paper_pages`).
template <typename Wire>
FakeResponse read_paper(const SentBatch& b, int paper_pages) {
  return Wire::answer(answer_json(paper_rows(b.pages, b.pages.back() != paper_pages), b.asks_for_topics));
}

ai::AiResult run(const ai::AiConfig& config, int pages, const std::vector<ai::Topic>& topics = {},
                 std::stop_token stop = {}) {
  ai::AiExtractor extractor(config);
  return extractor.extract(make_pages(pages), topics, {}, stop);
}

template <typename Error, typename F>
Error expect_throw(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  BOOST_FAIL("expected an exception");
  throw std::logic_error("unreachable");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reading)

BOOST_AUTO_TEST_CASE_TEMPLATE(reads_every_question_of_a_short_paper_in_one_request, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_paper<Wire>(b, 3); });
  std::vector<std::pair<int, int>> progress;
  ai::AiExtractor extractor(fake.config());
  ai::AiResult r = extractor.extract(make_pages(3), {}, [&](int done, int total) { progress.emplace_back(done, total); }, {});

  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  BOOST_REQUIRE_EQUAL(fake.batches().size(), 1u);
  BOOST_REQUIRE_EQUAL(r.questions.size(), 6u);
  for (int p = 1; p <= 3; ++p) {
    std::vector<FakeQuestion> expected = paper_page(p);
    for (int k = 0; k < 2; ++k) {
      const auto& q = r.questions[static_cast<std::size_t>((p - 1) * 2 + k)].question;
      BOOST_TEST(q.number == expected[k].number);
      BOOST_TEST(q.parent_number == expected[k].parent_number);
      BOOST_TEST(q.text == expected[k].text);
      BOOST_TEST((q.marks == expected[k].marks));
      BOOST_TEST(q.page_number == p);
      BOOST_TEST(q.source == "ai");
      BOOST_TEST(q.position == (p - 1) * 2 + k + 1);
    }
  }
  BOOST_TEST(r.usage.provider == Wire::name);
  BOOST_TEST(r.usage.requests == 1);
  BOOST_TEST(r.usage.retries == 0);
  BOOST_REQUIRE(!progress.empty());
  BOOST_TEST((progress.back() == std::make_pair(3, 3)));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(overlapping_batches_merge_a_question_across_the_boundary, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_paper<Wire>(b, 7); });
  ai::AiConfig c = fake.config();
  c.pages_per_request = 3;  // pages 1-3, 3-5, 5-7
  std::vector<int> done;
  ai::AiExtractor extractor(c);
  ai::AiResult r = extractor.extract(make_pages(7), {}, [&](int d, int total) {
    BOOST_TEST(total == 7);
    done.push_back(d);
  }, {});

  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  std::vector<std::vector<int>> sent;
  for (const SentBatch& b : fake.batches()) sent.push_back(b.pages);
  std::sort(sent.begin(), sent.end());
  BOOST_TEST((sent == std::vector<std::vector<int>>{{1, 2, 3}, {3, 4, 5}, {5, 6, 7}}));

  // Every row once, in paper order, with the whole text of the rows the first batch saw cut.
  BOOST_REQUIRE_EQUAL(r.questions.size(), 14u);
  for (int p = 1; p <= 7; ++p) {
    std::vector<FakeQuestion> expected = paper_page(p);
    for (int k = 0; k < 2; ++k) {
      const auto& q = r.questions[static_cast<std::size_t>((p - 1) * 2 + k)].question;
      BOOST_TEST(q.number == expected[k].number);
      BOOST_TEST(q.text == expected[k].text);
      BOOST_TEST((q.marks == expected[k].marks));
      BOOST_TEST(q.position == (p - 1) * 2 + k + 1);
    }
  }
  BOOST_TEST(r.usage.batches == 3);
  BOOST_TEST(std::is_sorted(done.begin(), done.end()));
  BOOST_TEST(done.back() == 7);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(images_are_the_pages_sent_in_order, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_paper<Wire>(b, 2); });
  std::vector<ai::PageImage> pages = make_pages(2, 4);  // pages 4 and 5
  ai::AiExtractor(fake.config()).extract(pages, {}, {}, {});
  BOOST_REQUIRE_EQUAL(fake.batches().size(), 1u);
  SentBatch b = fake.batches().front();
  BOOST_TEST((b.pages == std::vector<int>{4, 5}));
  BOOST_REQUIRE_EQUAL(b.images.size(), 2u);
  BOOST_TEST(b.images[0] == pages[0].jpeg);
  BOOST_TEST(b.images[1] == pages[1].jpeg);
  BOOST_TEST(b.request_text.find("pages 4 to 5") != std::string::npos);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(topics_are_offered_and_questions_come_back_tagged, Wire, Wires) {
  std::vector<ai::Topic> topics = {
      {"6f1c1a52-0000-4000-8000-000000000001", "3.1", "Atomic structure"},
      {"6f1c1a52-0000-4000-8000-000000000002", "3.2", "Bonding"},
  };
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    std::vector<FakeQuestion> rows = paper_rows(b.pages, false);
    rows[0].topic_refs = {"T2"};
    rows[1].topic_refs = {"T1", "T2", "T9"};  // T9 is no topic: dropped
    return Wire::answer(answer_json(rows, b.asks_for_topics));
  });
  ai::AiResult r = run(fake.config(), 1, topics);

  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  SentBatch b = fake.batches().front();
  BOOST_TEST(b.asks_for_topics);
  BOOST_TEST(b.instructions.find("T1: 3.1 Atomic structure") != std::string::npos);
  BOOST_TEST(b.instructions.find("T2: 3.2 Bonding") != std::string::npos);
  BOOST_REQUIRE_EQUAL(r.questions.size(), 2u);
  BOOST_TEST((r.questions[0].topic_ids == std::vector<std::string>{topics[1].id}));
  BOOST_TEST((r.questions[1].topic_ids == std::vector<std::string>{topics[0].id, topics[1].id}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(without_topics_the_schema_asks_for_none, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_paper<Wire>(b, 1); });
  ai::AiResult r = run(fake.config(), 1);
  BOOST_TEST(!fake.batches().front().asks_for_topics);
  BOOST_TEST(r.questions.front().topic_ids.empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_empty_paper_sends_nothing, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_paper<Wire>(b, 1); });
  ai::AiResult r = run(fake.config(), 0);
  BOOST_TEST(r.questions.empty());
  BOOST_TEST(fake.server().request_count() == 0);
  BOOST_TEST(r.usage.requests == 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(usage_counts_requests_retries_and_tokens, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    if (b.pages.front() == 3 && attempt == 1) return Wire::server_error();
    return Wire::answer(answer_json(paper_rows(b.pages, false), false), 1000 + b.pages.front(), 100);
  });
  ai::AiConfig c = fake.config();
  c.pages_per_request = 3;  // 1-3, 3-5
  ai::AiResult r = run(c, 5);
  BOOST_TEST(r.usage.model == c.model);
  BOOST_TEST(r.usage.pages == 5);
  BOOST_TEST(r.usage.batches == 2);
  BOOST_TEST(r.usage.requests == 3);
  BOOST_TEST(r.usage.retries == 1);
  BOOST_TEST(r.usage.input_tokens == 1001 + 1003);
  BOOST_TEST(r.usage.output_tokens == 200);
  tao::json::value j = ai::to_json(r.usage);
  BOOST_TEST(j.at("requests").get_signed() == 3);
  BOOST_TEST(j.at("provider").get_string() == Wire::name);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(provider_limits)

// Every request the fake received keeps to the provider's limits: image count, pixels on a side
// (2000 for Anthropic once a request has more than 20), bytes an image, bytes a request.
template <typename Wire>
void check_within_limits(const FakeProvider<Wire>& fake) {
  const ai::ProviderLimits& limits = ai::limits_for(fake.config().provider);
  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  for (const SentBatch& b : fake.batches()) {
    const int count = static_cast<int>(b.images.size());
    BOOST_TEST_CONTEXT("request for pages " << b.pages.front() << "-" << b.pages.back()) {
      BOOST_TEST(count <= limits.max_images);
      BOOST_TEST(b.body_bytes <= limits.max_request_bytes);
      for (const std::string& image : b.images) {
        std::optional<ai::Size> size = ai::jpeg_dimensions(image);
        BOOST_REQUIRE(size);
        BOOST_TEST(std::max(size->width, size->height) <= ai::side_limit(limits, count));
        if (limits.max_image_bytes > 0) BOOST_TEST(image.size() <= limits.max_image_bytes);
      }
    }
  }
}

// The paper: 300 DPI A4 scans (2479x3508), 30 of them asked for in one request.
BOOST_AUTO_TEST_CASE_TEMPLATE(large_scans_are_shrunk_and_split_so_no_request_breaks_a_limit, Wire, Wires) {
  static const std::string scan = real_jpeg(2479, 3508, true);  // noise: several MB a page
  constexpr int kPages = 30;
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_paper<Wire>(b, kPages); });
  ai::AiConfig config = fake.config();
  config.pages_per_request = kPages;
  std::vector<ai::PageImage> pages;
  for (int n = 1; n <= kPages; ++n) pages.push_back(ai::PageImage{n, 2479, 3508, scan});
  ai::AiResult r = ai::AiExtractor(config).extract(pages, {}, {}, {});

  check_within_limits(fake);
  BOOST_TEST(fake.batches().size() > 1u);  // 30 pages of this weight pass 32 MB / 50 MB even shrunk
  BOOST_TEST(r.usage.images_downscaled == kPages);
  BOOST_TEST(r.usage.batches_split > 0);
  BOOST_TEST(r.questions.size() == 2u * kPages);  // every page read once, seams merged
  tao::json::value usage = ai::to_json(r.usage);
  BOOST_TEST(usage.at("images_downscaled").get_signed() == kPages);
  BOOST_TEST(usage.at("batches_split").get_signed() == r.usage.batches_split);
}

// What an app may send as base64_images: a panorama past Anthropic's 8000 px (and OpenAI's
// 2048), and a heavy photo past Anthropic's 5 MB. Both shrunk; a small one is sent untouched.
BOOST_AUTO_TEST_CASE_TEMPLATE(oversized_single_images_are_shrunk_and_small_ones_sent_as_they_are, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_paper<Wire>(b, 3); });
  std::vector<ai::PageImage> pages = {ai::PageImage{1, 0, 0, real_jpeg(9000, 1500, false)},
                                      ai::PageImage{2, 0, 0, real_jpeg(3500, 3500, true)},
                                      ai::PageImage{3, 0, 0, real_jpeg(1000, 1400, false)}};
  BOOST_REQUIRE_GT(pages[1].jpeg.size(), 5u * 1024 * 1024);
  ai::AiResult r = ai::AiExtractor(fake.config()).extract(pages, {}, {}, {});
  check_within_limits(fake);
  BOOST_REQUIRE_EQUAL(fake.batches().size(), 1u);
  const SentBatch b = fake.batches().front();
  BOOST_REQUIRE_EQUAL(b.images.size(), 3u);
  const ai::ProviderLimits& limits = ai::limits_for(fake.config().provider);
  BOOST_TEST(ai::jpeg_dimensions(b.images[0])->width == limits.max_side);
  BOOST_TEST(b.images[1].size() < pages[1].jpeg.size());
  BOOST_TEST(b.images[2] == pages[2].jpeg);
  BOOST_TEST(r.usage.images_downscaled == 2);
  BOOST_TEST(r.usage.batches_split == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(batch_seams)

namespace {

// The leaf rows of a real paper (Pearson Edexcel International GCSE Physics 4PH1/1P, November
// 2024, 36 pages; ../shared/realpapers/truth/edx_4ph1_1p_nov24.truth.json): numbers, pages and
// marks only. The texts the fake model answers are made up.
struct TruthRow {
  const char* number;
  int page;
  std::optional<int> marks;
};
constexpr int kRealPaperPages = 36;
const std::vector<TruthRow> kRealPaper = {
    {"1(a)", 4, 2}, {"1(b)(i)", 4, 1}, {"1(b)(ii)", 4, 1}, {"1(c)", 5, 3}, {"1(d)", 5, 2}, {"2(a)(i)", 6, 1},
    {"2(a)(ii)", 6, 2}, {"2(a)(iii)", 6, 1}, {"2(a)(iv)", 6, 1}, {"2(a)(v)", 6, 3}, {"2(b)(i)", 7, 3},
    {"2(b)(ii)", 7, 1}, {"2(b)(iii)", 7, 2}, {"3(a)", 8, 2}, {"3(b)(i)", 8, 1}, {"3(b)(ii)", 8, 2}, {"3(c)", 9, 2},
    {"4(a)", 10, 1}, {"4(b)", 10, 2}, {"4(c)(i)", 10, 2}, {"4(c)(ii)", 11, 2}, {"4(d)", 11, 4}, {"5(a)", 12, 2},
    {"5(b)", 12, 2}, {"5(c)", 13, 4}, {"6(a)", 15, 5}, {"6(b)(i)", 16, 1}, {"6(b)(ii)", 16, 2},
    {"6(b)(iii)", 16, 2}, {"6(c)(i)", 17, 1}, {"6(c)(ii)", 17, 2}, {"7(a)(i)", 18, 1}, {"7(a)(ii)", 18, 2},
    {"7(b)(i)", 18, 1}, {"7(b)(ii)", 18, 2}, {"7(c)(i)", 19, 3}, {"7(c)(ii)", 19, 4}, {"8(a)", 20, 2},
    {"8(b)", 21, 3}, {"8(c)", 21, 3}, {"9(a)", 23, 4}, {"9(b)(i)", 24, 1}, {"9(b)(ii)", 24, 1},
    {"9(b)(iii)", 24, 2}, {"9(b)(iv)", 25, 4}, {"10(a)(i)", 26, 1}, {"10(a)(ii)", 26, 1}, {"10(a)(iii)", 27, 2},
    {"10(a)(iv)", 27, 2}, {"10(b)(i)", 28, 3}, {"10(b)(ii)", 28, 1}, {"11(a)", 29, 1}, {"11(b)", 29, 4}};

std::string top_of(const std::string& number) { return number.substr(0, number.find('(')); }

std::string parent_of(const std::string& number) {
  const std::size_t open = number.rfind('(');
  return open == std::string::npos ? "" : number.substr(0, open);
}

std::string made_up_text(std::size_t i) {
  const std::string n = std::to_string(i);
  return "Calculate the alpha" + n + " beta" + n + " gamma" + n + " delta" + n + " epsilon" + n + " zeta" + n +
         " of the object.";
}

// What a model reading the real paper's pages `b.pages` answers, with the seams real models
// leave: a part at the top of a batch's first page whose question began on an earlier page is
// labelled only as printed ("(c)", "(b)(i)"); the last row on a batch's last page is cut off
// there (short text, its marks not yet printed); the batch ending on page 10 misses 4(a) at the
// top of that page; and the batch starting on page 28 guesses 10(b)(ii) as "11(b)(ii)".
std::vector<FakeQuestion> read_real_paper(const SentBatch& b) {
  const int first = b.pages.front();
  const int last = b.pages.back();
  std::vector<FakeQuestion> rows;
  for (std::size_t i = 0; i < kRealPaper.size(); ++i) {
    const TruthRow& t = kRealPaper[i];
    if (std::find(b.pages.begin(), b.pages.end(), t.page) == b.pages.end()) continue;
    if (last == 10 && std::string(t.number) == "4(a)") continue;
    std::string number = t.number;
    std::string parent = parent_of(number);
    const bool began_earlier = std::any_of(kRealPaper.begin(), kRealPaper.end(), [&](const TruthRow& o) {
      return o.page < first && top_of(o.number) == top_of(t.number);
    });
    if (first != 1 && t.page == first && began_earlier) {
      number = number.substr(top_of(number).size());
      parent = "";
    }
    if (first == 28 && number == "10(b)(ii)") {
      number = "11(b)(ii)";
      parent = "11(b)";
    }
    FakeQuestion q{number, parent, made_up_text(i), t.marks, t.page, {}};
    const bool last_on_last_page = t.page == last && (i + 1 == kRealPaper.size() || kRealPaper[i + 1].page != last);
    if (last != kRealPaperPages && last_on_last_page) {
      q.text = "Calculate the alpha" + std::to_string(i) + " beta" + std::to_string(i) + " gamma" + std::to_string(i);
      q.marks = std::nullopt;
    }
    rows.push_back(std::move(q));
  }
  return rows;
}

// The result is the paper's truth: every row once, in paper order, with its marks and the whole
// made-up text.
void check_is_the_real_paper(const ai::AiResult& r) {
  BOOST_REQUIRE_EQUAL(r.questions.size(), kRealPaper.size());
  for (std::size_t i = 0; i < kRealPaper.size(); ++i) {
    const extract::Question& q = r.questions[i].question;
    BOOST_TEST_CONTEXT("row " << i + 1 << " (" << kRealPaper[i].number << ")") {
      BOOST_TEST(q.number == kRealPaper[i].number);
      BOOST_TEST(q.page_number == kRealPaper[i].page);
      BOOST_TEST((q.marks == kRealPaper[i].marks));
      BOOST_TEST(q.text == made_up_text(i));
      BOOST_TEST(q.parent_number == parent_of(kRealPaper[i].number));
      BOOST_TEST(q.position == static_cast<int>(i) + 1);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(a_real_paper_read_in_parallel_batches_has_no_seam_duplicates_and_paper_order, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return Wire::answer(answer_json(read_real_paper(b), false)); });
  ai::AiConfig c = fake.config();
  c.pages_per_request = 4;  // 1-4, 4-7, 7-10, 10-13, ...: 5(c) is alone at the top of page 13
  c.requests_per_job = 4;
  ai::AiResult r = run(c, kRealPaperPages);
  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  BOOST_TEST(r.usage.batches == 12);
  check_is_the_real_paper(r);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_batch_sent_after_the_previous_one_answered_is_told_its_last_label, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return Wire::answer(answer_json(read_real_paper(b), false)); });
  ai::AiConfig c = fake.config();
  c.pages_per_request = 4;
  c.requests_per_job = 1;  // each batch is sent after the one before it answered
  ai::AiResult r = run(c, kRealPaperPages);
  std::map<int, std::string> text_by_first_page;
  for (const SentBatch& b : fake.batches()) text_by_first_page[b.pages.front()] = b.request_text;
  BOOST_REQUIRE_EQUAL(text_by_first_page.size(), 12u);
  BOOST_TEST(text_by_first_page[1].find("last question label") == std::string::npos);
  BOOST_TEST(text_by_first_page[10].find("The last question label printed before page 10 is 3(c):") != std::string::npos);
  BOOST_TEST(text_by_first_page[13].find("The last question label printed before page 13 is 5(b):") != std::string::npos);
  BOOST_TEST(text_by_first_page[16].find("The last question label printed before page 16 is 6(a):") != std::string::npos);
  check_is_the_real_paper(r);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_batch_sent_before_the_previous_one_answered_asks_for_labels_as_printed, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return Wire::answer(answer_json(read_real_paper(b), false)); });
  ai::AiConfig c = fake.config();
  c.pages_per_request = 4;
  c.requests_per_job = 12;  // every batch is sent at once
  c.requests_per_worker = 12;
  c.cache_warmup = false;     // (with it the second batch would wait for the first's answer)
  run(c, kRealPaperPages);
  std::vector<SentBatch> sent = fake.batches();
  BOOST_REQUIRE_EQUAL(sent.size(), 12u);
  for (const SentBatch& b : sent) {
    if (b.pages.front() == 1) continue;
    BOOST_TEST(b.request_text.find("give the label as printed, such as (c)") != std::string::npos, b.request_text);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(concurrency)

BOOST_AUTO_TEST_CASE_TEMPLATE(requests_are_in_flight_together_up_to_the_job_limit, Wire, Wires) {
  FakeHttpServer* server = nullptr;
  std::atomic<int> answered{0};
  const int total = 8;
  FakeProvider<Wire> fake([&](const SentBatch& b, int) {
    // Hold each request until three are in flight (or fewer are left to come): only requests
    // that are really concurrent get past this.
    server->await([&](int in_flight) { return in_flight >= std::min(3, total - answered.load()); }, 10s);
    ++answered;
    return read_paper<Wire>(b, 9);
  });
  server = &fake.server();
  ai::AiConfig c = fake.config();
  c.pages_per_request = 2;  // 8 batches
  c.requests_per_job = 3;
  c.cache_warmup = false;    // no first request sent alone
  ai::AiResult r = run(c, 9);
  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  BOOST_TEST(fake.server().max_in_flight() == 3);
  BOOST_TEST(r.questions.size() == 18u);
  BOOST_TEST(r.usage.requests == total);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(the_worker_limit_caps_requests_across_jobs, Wire, Wires) {
  // Two jobs of 6 batches each (pages 1-7 and 11-17), 2 requests per job, 3 per worker.
  FakeHttpServer* server = nullptr;
  std::atomic<int> answered_a{0}, answered_b{0};
  auto reachable = [&] {  // how many requests the worker could have in flight right now
    return std::min(3, std::min(2, 6 - answered_a.load()) + std::min(2, 6 - answered_b.load()));
  };
  FakeProvider<Wire> fake([&](const SentBatch& b, int) {
    // Hold each request until the worker is at its limit; then give a request beyond the limit
    // the chance to show up (it must not).
    bool full = server->await([&](int in_flight) { return in_flight >= reachable(); }, 10s);
    if (full) server->await_in_flight(4, 200ms);
    ++(b.pages.front() < 10 ? answered_a : answered_b);
    return read_paper<Wire>(b, b.pages.front() < 10 ? 7 : 17);
  });
  server = &fake.server();
  ai::AiConfig c = fake.config();
  c.pages_per_request = 2;
  c.requests_per_job = 2;
  c.requests_per_worker = 3;
  c.cache_warmup = false;
  ai::AiExtractor extractor(c);
  ai::AiResult r1, r2;
  std::string error1, error2;
  auto job = [&](int first_page, ai::AiResult& r, std::string& error) {
    try {
      r = extractor.extract(make_pages(7, first_page), {}, {}, {});
    } catch (const std::exception& e) {
      error = e.what();
    }
  };
  std::thread job1(job, 1, std::ref(r1), std::ref(error1));
  std::thread job2(job, 11, std::ref(r2), std::ref(error2));
  job1.join();
  job2.join();
  BOOST_TEST(error1.empty(), error1);
  BOOST_TEST(error2.empty(), error2);
  BOOST_TEST(fake.server().max_in_flight() == 3);
  BOOST_TEST(extractor.peak_requests_in_flight() == 3);
  BOOST_TEST(r1.questions.size() == 14u);
  BOOST_TEST(r2.questions.size() == 14u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(connections_are_kept_alive_across_requests_and_jobs, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_paper<Wire>(b, 5); });
  ai::AiConfig c = fake.config();
  c.pages_per_request = 2;  // 4 batches, one at a time
  c.requests_per_job = 1;
  c.answer_cache_entries = 0;
  ai::AiExtractor extractor(c);
  extractor.extract(make_pages(5), {}, {}, {});
  extractor.extract(make_pages(5), {}, {}, {});
  BOOST_TEST(fake.server().request_count() == 8);
  BOOST_TEST(fake.server().connections() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(transient_failures)

BOOST_AUTO_TEST_CASE_TEMPLATE(rate_limit_429_is_retried, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    return attempt == 1 ? Wire::rate_limited("0") : read_paper<Wire>(b, 2);
  });
  ai::AiResult r = run(fake.config(), 2);
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(r.usage.requests == 2);
  BOOST_TEST(r.usage.retries == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(overloaded_529_is_retried, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    return attempt <= 2 ? Wire::overloaded() : read_paper<Wire>(b, 2);
  });
  ai::AiResult r = run(fake.config(), 2);
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(r.usage.requests == 3);
  BOOST_TEST(r.usage.retries == 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(server_error_500_is_retried, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    return attempt == 1 ? Wire::server_error() : read_paper<Wire>(b, 2);
  });
  ai::AiResult r = run(fake.config(), 2);
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(r.usage.retries == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(persistent_500_fails_as_transient_after_the_retries, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch&, int) { return Wire::server_error(); });
  ai::AiConfig c = fake.config();
  c.max_retries = 2;
  auto e = expect_throw<ai::AiError>([&] { run(c, 2); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::unavailable));
  BOOST_TEST(e.transient());
  BOOST_TEST(std::string(e.what()).find("HTTP 500") != std::string::npos, e.what());
  BOOST_TEST(std::string(e.what()).find("after 3 attempts") != std::string::npos, e.what());
  BOOST_TEST(fake.server().request_count() == 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_answer_slower_than_the_timeout_is_abandoned_and_retried, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    FakeResponse r = read_paper<Wire>(b, 2);
    if (attempt == 1) r.delay = 20s;
    return r;
  });
  ai::AiConfig c = fake.config();
  c.request_timeout = 300ms;
  ai::AiResult r = run(c, 2);
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(r.usage.retries == 1);
  BOOST_TEST(fake.server().await_abandoned(1, 10s));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(connection_refused_is_retried_then_transient, Wire, Wires) {
  ai::AiConfig c;
  {
    FakeHttpServer closed([](const FakeRequest&) { return FakeResponse{}; });
    c = Wire::config(closed);
  }  // the port is closed now: connections are refused
  c.max_retries = 1;
  auto e = expect_throw<ai::AiError>([&] { run(c, 1); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::unavailable));
  BOOST_TEST(e.transient());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(persistent_rate_limiting_asks_for_a_snooze, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch&, int) { return Wire::rate_limited("2"); });
  ai::AiConfig c = fake.config();
  c.max_retries = 0;
  auto e = expect_throw<ai::RateLimited>([&] { run(c, 2); });
  BOOST_TEST(e.transient());
  BOOST_TEST((e.kind() == ai::AiErrorKind::rate_limited));
  BOOST_TEST((e.retry_after() == std::chrono::seconds(2)));
  BOOST_TEST(fake.server().request_count() == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_failure_after_paid_answers_carries_the_usage, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    return b.pages.front() == 1 ? read_paper<Wire>(b, 5) : Wire::rate_limited("2");
  });
  ai::AiConfig c = fake.config();
  c.pages_per_request = 3;
  c.max_retries = 0;
  c.requests_per_job = 1;  // 1-3 is answered before 3-5 is sent
  auto e = expect_throw<ai::RateLimited>([&] { run(c, 5); });
  BOOST_REQUIRE(e.usage().is_object());
  BOOST_TEST(e.usage().at("output_tokens").get_signed() == 200);
  BOOST_TEST(e.usage().at("requests").get_signed() == 2);
}

BOOST_AUTO_TEST_CASE(openai_request_too_large_for_the_tpm_limit_is_rejected_at_once) {
  FakeProvider<OpenAiWire> fake([](const SentBatch&, int) { return OpenAiWire::request_too_large(); });
  auto e = expect_throw<ai::AiError>([&] { run(fake.config(), 2); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::request_rejected));
  BOOST_TEST(!e.transient());
  BOOST_TEST(fake.server().request_count() == 1);
  BOOST_TEST(std::string(e.what()).find("tokens per min (TPM)") != std::string::npos, e.what());
  BOOST_TEST(std::string(e.what()).find("EXAMQ_AI_PAGES_PER_REQUEST") != std::string::npos, e.what());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_retry_after_past_the_deadline_snoozes_without_retrying_early, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch&, int) { return Wire::rate_limited("3600"); });
  ai::AiConfig c = fake.config();  // 60 s job deadline, 4 retries
  auto e = expect_throw<ai::RateLimited>([&] { run(c, 2); });
  BOOST_TEST((e.retry_after() == std::chrono::seconds(3600)));
  BOOST_TEST(fake.server().request_count() == 1);  // no retry before the provider's time
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_retry_after_holds_the_other_jobs_of_the_worker_too, Wire, Wires) {
  std::atomic<bool> limited{true};
  FakeProvider<Wire> fake([&](const SentBatch& b, int) {
    return limited ? Wire::rate_limited("3600") : read_paper<Wire>(b, 1);
  });
  ai::AiExtractor extractor(fake.config());
  BOOST_CHECK_THROW(extractor.extract(make_pages(1), {}, {}, {}), ai::RateLimited);
  limited = false;
  // Another job on this worker does not knock on the door the provider just closed: it is told
  // to snooze for what is left of the pause, without a request.
  auto e = expect_throw<ai::RateLimited>([&] { extractor.extract(make_pages(2, 5), {}, {}, {}); });
  BOOST_TEST((e.retry_after() > std::chrono::minutes(59)));
  BOOST_TEST(fake.server().request_count() == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_retry_after_http_date_is_honoured, Wire, Wires) {
  char date[64];
  std::time_t in_two_hours = std::time(nullptr) + 7200;
  std::tm tm{};
  gmtime_r(&in_two_hours, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  FakeProvider<Wire> fake([&](const SentBatch&, int) { return Wire::rate_limited(date); });
  auto e = expect_throw<ai::RateLimited>([&] { run(fake.config(), 1); });
  BOOST_TEST((e.retry_after() > std::chrono::minutes(110)));
  BOOST_TEST((e.retry_after() <= std::chrono::minutes(120)));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(answers_already_paid_for_are_not_requested_again, Wire, Wires) {
  std::atomic<bool> outage{true};
  FakeProvider<Wire> fake([&](const SentBatch& b, int) {
    if (b.pages.front() == 3 && outage) return Wire::server_error();
    return read_paper<Wire>(b, 5);
  });
  ai::AiConfig c = fake.config();
  c.pages_per_request = 3;  // 1-3 succeeds, 3-5 fails
  c.max_retries = 0;
  c.requests_per_job = 1;   // 1-3 is answered before 3-5 is sent
  ai::AiExtractor extractor(c);
  auto e = expect_throw<ai::AiError>([&] { extractor.extract(make_pages(5), {}, {}, {}); });
  BOOST_TEST(e.transient());

  outage = false;  // the job is retried
  int before = fake.server().request_count();
  ai::AiResult r = extractor.extract(make_pages(5), {}, {}, {});
  BOOST_TEST(r.questions.size() == 10u);
  BOOST_TEST(r.usage.cached_batches == 1);
  BOOST_TEST(r.usage.requests == 1);
  BOOST_REQUIRE_EQUAL(fake.server().request_count(), before + 1);
  BOOST_TEST(fake.batches().back().pages.front() == 3);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(unusable_answers)

BOOST_AUTO_TEST_CASE_TEMPLATE(malformed_json_is_asked_again_once, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    return attempt == 1 ? Wire::answer_text("{\"questions\": [ {\"number\": \"1\", oops") : read_paper<Wire>(b, 1);
  });
  ai::AiResult r = run(fake.config(), 1);
  BOOST_TEST(r.questions.size() == 2u);
  BOOST_TEST(r.usage.retries == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(malformed_json_twice_fails_for_good, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch&, int) { return Wire::answer_text("Sure! Here are the questions: 1. ..."); });
  auto e = expect_throw<ai::AiError>([&] { run(fake.config(), 1); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::bad_answer));
  BOOST_TEST(!e.transient());
  BOOST_TEST(fake.server().request_count() == 2);
  BOOST_TEST(std::string(e.what()).find("page 1") != std::string::npos, e.what());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_refusal_is_asked_again_once_then_fails_with_the_reason, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch&, int) { return Wire::refusal("I can't help with reading this document."); });
  auto e = expect_throw<ai::AiError>([&] { run(fake.config(), 1); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::bad_answer));
  BOOST_TEST(!e.transient());
  BOOST_TEST(std::string(e.what()).find("refused") != std::string::npos, e.what());
  BOOST_TEST(std::string(e.what()).find("I can't help") != std::string::npos, e.what());
  BOOST_TEST(fake.server().request_count() == 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_answer_cut_off_by_the_token_limit_fails_naming_the_limit, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch&, int) { return Wire::truncated(); });
  ai::AiConfig c = fake.config();
  c.max_output_tokens = 4096;
  auto e = expect_throw<ai::AiError>([&] { run(c, 1); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::bad_answer));
  BOOST_TEST(!e.transient());
  BOOST_TEST(std::string(e.what()).find("EXAMQ_AI_MAX_OUTPUT_TOKENS (now 4096)") != std::string::npos, e.what());
  BOOST_TEST(fake.server().request_count() == 2);
  BOOST_TEST(fake.batches().front().max_tokens == 4096);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_truncated_answer_then_a_whole_one_succeeds, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    return attempt == 1 ? Wire::truncated() : read_paper<Wire>(b, 1);
  });
  ai::AiResult r = run(fake.config(), 1);
  BOOST_TEST(r.questions.size() == 2u);
  BOOST_TEST(r.usage.output_tokens == 4096 + 200);  // the cut-off answer was billed too
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(row_repair)

BOOST_AUTO_TEST_CASE_TEMPLATE(marks_and_pages_given_as_text_are_coerced_without_a_second_request, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    tao::json::value a = answer_json(paper_rows(b.pages, false), false);
    auto& rows = a.at("questions").get_array();
    rows[1]["marks"] = "2 marks";
    rows[3]["marks"] = "[3]";
    rows[2]["page_number"] = "2";
    return Wire::answer(a);
  });
  ai::AiResult r = run(fake.config(), 2);
  BOOST_REQUIRE_EQUAL(r.questions.size(), 4u);
  BOOST_TEST((r.questions[1].question.marks == std::optional<int>(2)));
  BOOST_TEST((r.questions[3].question.marks == std::optional<int>(3)));
  BOOST_TEST(r.questions[2].question.page_number == 2);
  BOOST_TEST(r.usage.rows_repaired == 3);
  BOOST_TEST(r.usage.rows_dropped == 0);
  BOOST_TEST(r.usage.reasked_batches == 0);
  BOOST_TEST(fake.server().request_count() == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_answer_sent_as_a_json_string_is_parsed, Wire, Wires) {
  // Claude now and then sends its tool input as a string holding the JSON.
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    return Wire::answer(tao::json::value(tao::json::to_string(answer_json(paper_rows(b.pages, false), false))));
  });
  ai::AiResult r = run(fake.config(), 1);
  BOOST_TEST(r.questions.size() == 2u);
  BOOST_TEST(r.usage.rows_repaired == 2);
  BOOST_TEST(fake.server().request_count() == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_invalid_row_is_asked_again_for_its_page_only, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    std::vector<FakeQuestion> rows = paper_rows(b.pages, false);
    if (b.pages.size() == 3) rows[3].marks = -2;  // 2(a), on page 2, in the first answer only
    return Wire::answer(answer_json(rows, false));
  });
  ai::AiResult r = run(fake.config(), 3);
  auto sent = fake.batches();
  BOOST_REQUIRE_EQUAL(sent.size(), 2u);
  BOOST_TEST(sent[0].pages == std::vector<int>({1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(sent[1].pages == std::vector<int>({2}), boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(r.questions.size(), 6u);
  std::vector<std::string> numbers;
  for (const auto& q : r.questions) numbers.push_back(q.question.number);
  BOOST_TEST(numbers == std::vector<std::string>({"1", "1(a)", "2", "2(a)", "3", "3(a)"}), boost::test_tools::per_element());
  BOOST_TEST((r.questions[3].question.marks == std::optional<int>(3)));
  BOOST_TEST(r.usage.reasked_batches == 1);
  BOOST_TEST(r.usage.rows_dropped == 0);
  BOOST_TEST(r.usage.requests == 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_row_still_invalid_after_the_reask_is_dropped_and_recorded, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    std::vector<FakeQuestion> rows = paper_rows(b.pages, false);
    for (auto& q : rows) {
      if (q.number == "2(a)") q.marks = -2;
    }
    return Wire::answer(answer_json(rows, false));
  });
  ai::AiResult r = run(fake.config(), 3);
  BOOST_TEST(fake.server().request_count() == 2);  // asked again once, not more
  BOOST_REQUIRE_EQUAL(r.questions.size(), 5u);
  BOOST_TEST(r.usage.rows_dropped == 1);
  BOOST_TEST(r.usage.reasked_batches == 1);
  BOOST_REQUIRE_EQUAL(r.usage.dropped_rows.size(), 1u);
  BOOST_TEST(r.usage.dropped_rows[0].number == "2(a)");
  BOOST_TEST((r.usage.dropped_rows[0].page == std::optional<int>(2)));
  BOOST_TEST(r.usage.dropped_rows[0].reason.find("marks must be a non-negative integer or null, got -2") != std::string::npos,
             r.usage.dropped_rows[0].reason);
  tao::json::value j = ai::to_json(r.usage);
  BOOST_TEST(j.at("rows_dropped").get_signed() == 1);
  BOOST_TEST(j.at("dropped_rows").at(0).at("page").get_signed() == 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_row_on_a_page_outside_the_batch_asks_again_for_every_page, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    std::vector<FakeQuestion> rows = paper_rows(b.pages, false);
    if (attempt == 1) rows[0].page_number = 9;
    return Wire::answer(answer_json(rows, false));
  });
  ai::AiResult r = run(fake.config(), 2);
  auto sent = fake.batches();
  BOOST_REQUIRE_EQUAL(sent.size(), 2u);
  BOOST_TEST(sent[1].pages == std::vector<int>({1, 2}), boost::test_tools::per_element());
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(r.usage.rows_dropped == 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_unusable_reask_keeps_the_first_answers_rows, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    if (attempt > 1) return Wire::answer_text("Sorry, I cannot see the page.");
    std::vector<FakeQuestion> rows = paper_rows(b.pages, false);
    rows[1].marks = -1;
    return Wire::answer(answer_json(rows, false));
  });
  ai::AiResult r = run(fake.config(), 2);
  BOOST_TEST(fake.server().request_count() == 2);
  BOOST_TEST(r.questions.size() == 3u);
  BOOST_TEST(r.usage.rows_dropped == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(model_settings)

BOOST_AUTO_TEST_CASE_TEMPLATE(a_chat_model_gets_temperature_0_by_default, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_paper<Wire>(b, 1); });
  run(fake.config(), 1);
  BOOST_REQUIRE_EQUAL(fake.batches().size(), 1u);
  BOOST_TEST((fake.batches()[0].temperature == std::optional<double>(0.0)));
  BOOST_TEST(fake.batches()[0].reasoning_effort.empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(the_temperature_setting_is_sent_or_left_out, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_paper<Wire>(b, 1); });
  ai::AiConfig c = fake.config();
  c.temperature = 0.5;
  run(c, 1);
  c.temperature.reset();
  c.answer_cache_entries = 0;
  run(c, 1);
  BOOST_REQUIRE_EQUAL(fake.batches().size(), 2u);
  BOOST_TEST((fake.batches()[0].temperature == std::optional<double>(0.5)));
  BOOST_TEST(!fake.batches()[1].temperature);
  BOOST_TEST(fake.bad_requests() == 0);
}

BOOST_AUTO_TEST_CASE(an_openai_reasoning_model_gets_no_temperature_but_its_reasoning_effort) {
  FakeProvider<OpenAiWire> fake([](const SentBatch& b, int) { return read_paper<OpenAiWire>(b, 1); });
  for (const char* model : {"gpt-5-mini", "o4-mini", "o3"}) {
    ai::AiConfig c = fake.config();
    c.model = model;
    c.reasoning_effort = "low";
    c.answer_cache_entries = 0;
    run(c, 1);
  }
  ai::AiConfig chat = fake.config();
  chat.model = "gpt-5-chat-latest";
  chat.reasoning_effort = "low";  // not for a chat model: left out
  chat.answer_cache_entries = 0;
  run(chat, 1);
  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  auto sent = fake.batches();
  BOOST_REQUIRE_EQUAL(sent.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(!sent[static_cast<std::size_t>(i)].temperature);
    BOOST_TEST(sent[static_cast<std::size_t>(i)].reasoning_effort == "low");
  }
  BOOST_TEST((sent[3].temperature == std::optional<double>(0.0)));
  BOOST_TEST(sent[3].reasoning_effort.empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_answer_cut_off_by_the_token_limit_is_asked_again_as_two_halves, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    return b.pages.size() == 4 ? Wire::truncated() : read_paper<Wire>(b, 4);
  });
  ai::AiResult r = run(fake.config(), 4);
  auto sent = fake.batches();
  BOOST_REQUIRE_EQUAL(sent.size(), 3u);
  BOOST_TEST(sent[0].pages == std::vector<int>({1, 2, 3, 4}), boost::test_tools::per_element());
  std::vector<std::vector<int>> halves = {sent[1].pages, sent[2].pages};
  std::sort(halves.begin(), halves.end());
  BOOST_TEST(halves[0] == std::vector<int>({1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(halves[1] == std::vector<int>({3, 4}), boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(r.questions.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    BOOST_TEST(r.questions[i].question.page_number == static_cast<int>(i / 2 + 1));
    BOOST_TEST(r.questions[i].question.position == static_cast<int>(i + 1));
  }
  BOOST_TEST(r.questions[5].question.text == paper_page(3)[1].text);  // the whole reading of the shared page
  BOOST_TEST(r.usage.batches == 2);
  BOOST_TEST(r.usage.requests == 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(two_pages_cut_off_are_asked_again_one_page_each, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    return b.pages.size() == 2 ? Wire::truncated() : read_paper<Wire>(b, 2);
  });
  ai::AiResult r = run(fake.config(), 2);
  BOOST_TEST(fake.server().request_count() == 3);
  BOOST_TEST(r.questions.size() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(permanent_failures)

BOOST_AUTO_TEST_CASE_TEMPLATE(a_rejected_key_fails_at_once_without_showing_it, Wire, Wires) {
  const std::string real_key = std::string(Wire::default_key);
  FakeProvider<Wire> fake([&](const SentBatch&, int) { return Wire::bad_key(real_key); });
  auto e = expect_throw<ai::AiError>([&] { run(fake.config(), 4); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::key_rejected));
  BOOST_TEST(!e.transient());
  std::string what = e.what();
  BOOST_TEST(what.find("rejected the API key") != std::string::npos, what);
  BOOST_TEST(what.find("HTTP 401") != std::string::npos, what);
  BOOST_TEST(what.find(real_key) == std::string::npos, what);
  BOOST_TEST(fake.server().request_count() == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_spent_quota_fails_at_once_saying_so, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch&, int) { return Wire::quota(); });
  auto e = expect_throw<ai::AiError>([&] { run(fake.config(), 1); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::quota_exhausted));
  BOOST_TEST(!e.transient());
  BOOST_TEST(std::string(e.what()).find("no quota or credit left") != std::string::npos, e.what());
  BOOST_TEST(fake.server().request_count() == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_rejected_request_fails_with_the_provider_message, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch&, int) { return Wire::bad_request("model gpt-nope does not exist"); });
  auto e = expect_throw<ai::AiError>([&] { run(fake.config(), 1); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::request_rejected));
  BOOST_TEST(!e.transient());
  BOOST_TEST(std::string(e.what()).find("model gpt-nope does not exist") != std::string::npos, e.what());
  BOOST_TEST(fake.server().request_count() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// Local servers (Ollama, llama.cpp, vLLM) speak the OpenAI wire format; the fake is a server
// whose context cuts a long prompt silently, as Ollama's does.
BOOST_AUTO_TEST_SUITE(local_server_context)

using Local = ContextLimitedModel<OpenAiWire>;

BOOST_AUTO_TEST_CASE(a_server_that_cuts_the_prompt_goes_unnoticed_without_a_context_setting) {
  Local model{4096, 1105, 8};
  FakeProvider<OpenAiWire> fake([&](const SentBatch& b, int a) { return model(b, a); });
  ai::AiResult r = run(fake.config(), 8);  // EXAMQ_AI_CONTEXT_TOKENS unset
  BOOST_REQUIRE_EQUAL(fake.batches().size(), 1u);
  BOOST_TEST(model.cuts(fake.batches().front()));
  BOOST_TEST(r.questions.empty());  // the silent loss the setting exists for
}

BOOST_AUTO_TEST_CASE(a_server_reporting_far_fewer_prompt_tokens_than_sent_fails_the_job_naming_its_context_flags) {
  Local model{4096, 1105, 8};  // the server runs with Ollama's default context...
  FakeProvider<OpenAiWire> fake([&](const SentBatch& b, int a) { return model(b, a); });
  ai::AiConfig c = fake.config();
  c.context_tokens = 16384;  // ...while examq was told it has 16384
  auto e = expect_throw<ai::AiError>([&] { run(c, 8); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::request_rejected));
  BOOST_TEST(!e.transient());
  const std::string what = e.what();
  BOOST_TEST(what.find("the server cut the prompt (it counted 4096 prompt tokens of about") != std::string::npos, what);
  BOOST_TEST(what.find("OLLAMA_CONTEXT_LENGTH / num_ctx, llama.cpp -c, vLLM --max-model-len") != std::string::npos, what);
  BOOST_TEST(what.find("EXAMQ_AI_IMAGE_TOKENS") != std::string::npos, what);
  BOOST_TEST(fake.server().request_count() == 1);  // not asked again: no retry can help
  BOOST_TEST(e.usage().at("input_tokens").get_signed() == 4096);  // the billed failure is visible
}

BOOST_AUTO_TEST_CASE(a_server_reporting_its_whole_context_fails_the_job) {
  Local model{16384, 3000, 8};  // a model that spends more per image than the estimate
  FakeProvider<OpenAiWire> fake([&](const SentBatch& b, int a) { return model(b, a); });
  ai::AiConfig c = fake.config();
  c.context_tokens = 16384;
  auto e = expect_throw<ai::AiError>([&] { run(c, 8); });
  BOOST_TEST(model.cuts(fake.batches().front()));
  BOOST_TEST(std::string(e.what()).find("prompt tokens, the whole EXAMQ_AI_CONTEXT_TOKENS=16384") != std::string::npos,
             e.what());
}

BOOST_AUTO_TEST_CASE(a_context_large_enough_for_the_batches_reads_every_page) {
  Local model{32768, 1105, 8};
  FakeProvider<OpenAiWire> fake([&](const SentBatch& b, int a) { return model(b, a); });
  ai::AiConfig c = fake.config();
  c.context_tokens = 32768;
  ai::AiResult r = run(c, 8);
  BOOST_REQUIRE_EQUAL(fake.batches().size(), 1u);
  BOOST_TEST(!model.cuts(fake.batches().front()));
  BOOST_TEST(r.questions.size() == 16u);
}

BOOST_AUTO_TEST_CASE(batches_that_would_not_fit_the_context_are_made_smaller) {
  Local model{8192, 1105, 6};
  FakeProvider<OpenAiWire> fake([&](const SentBatch& b, int a) { return model(b, a); });
  ai::AiConfig c = fake.config();
  c.context_tokens = 8192;  // 6144 for the prompt: the instructions and 4 pages of ~1105
  BOOST_REQUIRE_EQUAL(c.pages_per_request, 8);
  ai::AiResult r = run(c, 6);
  std::vector<std::vector<int>> sent;
  for (const SentBatch& b : fake.batches()) {
    BOOST_TEST(!model.cuts(b));
    sent.push_back(b.pages);
  }
  std::sort(sent.begin(), sent.end());
  BOOST_TEST((sent == std::vector<std::vector<int>>{{1, 2, 3, 4}, {4, 5, 6}}));
  BOOST_TEST(r.questions.size() == 12u);
}

BOOST_AUTO_TEST_CASE(a_context_too_small_for_one_page_fails_before_sending_naming_the_setting) {
  Local model{1024, 1105, 1};
  FakeProvider<OpenAiWire> fake([&](const SentBatch& b, int a) { return model(b, a); });
  ai::AiConfig c = fake.config();
  c.context_tokens = 1024;
  auto e = expect_throw<ai::AiError>([&] { run(c, 2); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::request_rejected));
  const std::string what = e.what();
  BOOST_TEST(what.find("EXAMQ_AI_CONTEXT_TOKENS=1024") != std::string::npos, what);
  BOOST_TEST(what.find("OLLAMA_CONTEXT_LENGTH") != std::string::npos, what);
  BOOST_TEST(fake.server().request_count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stopping)

BOOST_AUTO_TEST_CASE_TEMPLATE(cancellation_abandons_requests_in_flight, Wire, Wires) {
  std::stop_source stop;
  FakeProvider<Wire> fake([&](const SentBatch& b, int) {
    stop.request_stop();  // the job is cancelled while its request is out
    FakeResponse r = read_paper<Wire>(b, 2);
    r.delay = 30s;
    return r;
  });
  BOOST_CHECK_THROW(run(fake.config(), 2, {}, stop.get_token()), extract::Cancelled);
  BOOST_TEST(fake.server().await_abandoned(1, 10s));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_exception_from_progress_ends_the_call_unchanged, Wire, Wires) {
  struct JobGone {};
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    FakeResponse r = read_paper<Wire>(b, 3);
    if (b.pages.front() != 1) r.delay = 30s;  // still in flight when the first answer arrives
    return r;
  });
  ai::AiConfig c = fake.config();
  c.pages_per_request = 2;  // 1-2 answers at once, 2-3 hangs
  c.cache_warmup = false;   // both in flight together
  ai::AiExtractor extractor(c);
  BOOST_CHECK_THROW(extractor.extract(make_pages(3), {}, [](int, int) { throw JobGone{}; }, {}), JobGone);
  BOOST_TEST(fake.server().await_abandoned(1, 10s));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(the_job_deadline_ends_a_slow_call_as_transient, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    FakeResponse r = read_paper<Wire>(b, 2);
    r.delay = 30s;
    return r;
  });
  ai::AiConfig c = fake.config();
  c.job_deadline = 500ms;
  auto e = expect_throw<ai::AiError>([&] { run(c, 2); });
  BOOST_TEST(e.transient());
  BOOST_TEST(std::string(e.what()).find("deadline") != std::string::npos, e.what());
  BOOST_TEST(fake.server().await_abandoned(1, 10s));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(secrets)

BOOST_AUTO_TEST_CASE_TEMPLATE(logs_never_contain_the_key_or_image_data, Wire, Wires) {
  std::string log;
  std::vector<ai::PageImage> pages = make_pages(3);
  {
    LogCapture capture;
    // A run with every kind of event: retries, a rejected answer, success...
    FakeProvider<Wire> ok([](const SentBatch& b, int attempt) {
      if (attempt == 1 && b.pages.front() == 1) return Wire::rate_limited("0");
      if (attempt == 1) return Wire::answer_text("not json");
      return read_paper<Wire>(b, 3);
    });
    ai::AiConfig c = ok.config();
    c.pages_per_request = 2;
    ai::AiExtractor(c).extract(pages, {}, {}, {});
    // ...and a failure whose provider message echoes the key.
    FakeProvider<Wire> bad([&](const SentBatch&, int) { return Wire::bad_key(Wire::default_key); });
    BOOST_CHECK_THROW(run(bad.config(), 1), ai::AiError);
    log = capture.text();
  }
  BOOST_TEST(log.find("ai.extract.done") != std::string::npos);    // the capture works
  BOOST_TEST(log.find("ai.request.retry") != std::string::npos);
  BOOST_TEST(log.find("ai.answer.rejected") != std::string::npos);
  BOOST_TEST(log.find("ai.extract.failed") != std::string::npos);
  BOOST_TEST(log.find(Wire::default_key) == std::string::npos, log);
  for (const ai::PageImage& p : pages) {
    std::string b64 = ai::base64_encode(p.jpeg);
    BOOST_TEST(log.find(b64.substr(100, 40)) == std::string::npos);
  }
  BOOST_TEST(log.find("base64,") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// Streamed answers (EXAMQ_AI_STREAM, on by default): the fake streams whenever the request asks
// for it, with the delays, stalls, error events and cuts its StreamOptions give.
BOOST_AUTO_TEST_SUITE(streaming)

template <typename Wire>
FakeResponse read_paper_streamed(const SentBatch& b, int paper_pages, const StreamOptions& options) {
  FakeResponse r = read_paper<Wire>(b, paper_pages);
  r.stream_options = options;
  return r;
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_streamed_answer_taking_longer_than_the_timeout_in_all_succeeds, Wire, Wires) {
  StreamOptions slow;
  slow.event_delay = 150ms;  // some 15 events: over 2 s in all, never 1 s without a byte
  slow.piece = 40;
  FakeProvider<Wire> fake([&](const SentBatch& b, int) { return read_paper_streamed<Wire>(b, 2, slow); });
  ai::AiConfig c = fake.config();
  c.request_timeout = 1s;
  const auto started = std::chrono::steady_clock::now();
  ai::AiResult r = run(c, 2);
  const auto took = std::chrono::steady_clock::now() - started;
  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  BOOST_REQUIRE_EQUAL(fake.batches().size(), 1u);
  BOOST_TEST(fake.batches().front().stream);
  BOOST_TEST(took > 2s);  // the answer really outlasted the timeout
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(r.usage.retries == 0);
  BOOST_TEST(fake.server().abandoned() == 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_stream_silent_longer_than_the_timeout_times_out_and_is_retried, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    StreamOptions o;
    if (attempt == 1) {
      o.stall_before = 3;  // a few events, then nothing
      o.stall = 30s;
    }
    return read_paper_streamed<Wire>(b, 2, o);
  });
  ai::AiConfig c = fake.config();
  c.request_timeout = 500ms;
  ai::AiResult r = run(c, 2);
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(r.usage.requests == 2);
  BOOST_TEST(r.usage.retries == 1);
  BOOST_TEST(fake.server().await_abandoned(1, 10s));  // the silent stream was hung up on
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_stream_that_stays_silent_fails_as_unavailable_naming_the_setting, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    StreamOptions o;
    o.stall_before = 2;
    o.stall = 30s;
    return read_paper_streamed<Wire>(b, 2, o);
  });
  ai::AiConfig c = fake.config();
  c.request_timeout = 300ms;
  c.max_retries = 1;
  auto e = expect_throw<ai::AiError>([&] { run(c, 2); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::unavailable));
  BOOST_TEST(e.transient());
  BOOST_TEST(std::string(e.what()).find("EXAMQ_AI_REQUEST_TIMEOUT") != std::string::npos, e.what());
  BOOST_TEST(fake.server().request_count() == 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_stream_trickling_past_the_max_time_is_cut_and_retried, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    StreamOptions o;
    if (attempt == 1) o.event_delay = 300ms;  // never silent for 1 s, but 4 s or more in all
    return read_paper_streamed<Wire>(b, 2, o);
  });
  ai::AiConfig c = fake.config();
  c.request_timeout = 1s;
  c.request_max_time = 1500ms;
  ai::AiResult r = run(c, 2);
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(r.usage.retries == 1);
  BOOST_TEST(fake.server().await_abandoned(1, 10s));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_overloaded_error_mid_stream_is_retried_like_529, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    StreamOptions o;
    if (attempt == 1) o.error_before = 4;
    return read_paper_streamed<Wire>(b, 2, o);
  });
  ai::AiResult r = run(fake.config(), 2);
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(r.usage.requests == 2);
  BOOST_TEST(r.usage.retries == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(overloaded_errors_mid_stream_past_the_retries_ask_for_a_snooze, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    StreamOptions o;
    o.error_before = 3;
    return read_paper_streamed<Wire>(b, 2, o);
  });
  ai::AiConfig c = fake.config();
  c.max_retries = 1;
  auto e = expect_throw<ai::RateLimited>([&] { run(c, 2); });
  BOOST_TEST(e.transient());
  BOOST_TEST(std::string(e.what()).find("HTTP 529") != std::string::npos, e.what());
  BOOST_TEST(std::string(e.what()).find("into the stream") != std::string::npos, e.what());
  BOOST_TEST(fake.server().request_count() == 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_stream_cut_before_its_final_event_is_retried, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int attempt) {
    StreamOptions o;
    if (attempt == 1) o.cut_before = 5;
    return read_paper_streamed<Wire>(b, 2, o);
  });
  ai::AiResult r = run(fake.config(), 2);
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(r.usage.retries == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_stream_always_cut_fails_as_unavailable_saying_so, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    StreamOptions o;
    o.cut_before = 5;
    return read_paper_streamed<Wire>(b, 2, o);
  });
  ai::AiConfig c = fake.config();
  c.max_retries = 1;
  auto e = expect_throw<ai::AiError>([&] { run(c, 2); });
  BOOST_TEST((e.kind() == ai::AiErrorKind::unavailable));
  BOOST_TEST(std::string(e.what()).find("ended before its final event") != std::string::npos, e.what());
}

// The same scripted answers read streamed and not: the same rows, the same billed tokens.
BOOST_AUTO_TEST_CASE_TEMPLATE(streamed_and_plain_answers_give_the_same_rows_and_usage, Wire, Wires) {
  auto script = [](const SentBatch& b, int) {
    FakeResponse r = Wire::answer(answer_json(paper_rows(b.pages, b.pages.back() != 7), false), 1000 + b.pages.front(), 321);
    r.stream_options.piece = 7;  // many small deltas
    return r;
  };
  std::vector<ai::AiResult> results;
  std::vector<bool> streamed;
  for (ai::StreamMode mode : {ai::StreamMode::off, ai::StreamMode::automatic}) {
    FakeProvider<Wire> fake(script);
    ai::AiConfig c = fake.config();
    c.stream = mode;
    c.pages_per_request = 3;
    results.push_back(run(c, 7));
    BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
    streamed.push_back(fake.batches().front().stream);
  }
  BOOST_TEST(!streamed[0]);
  BOOST_TEST(streamed[1]);
  const ai::AiResult& plain = results[0];
  const ai::AiResult& stream = results[1];
  BOOST_REQUIRE_EQUAL(plain.questions.size(), 14u);
  BOOST_REQUIRE_EQUAL(stream.questions.size(), plain.questions.size());
  for (std::size_t i = 0; i < plain.questions.size(); ++i) {
    BOOST_TEST(stream.questions[i].question.number == plain.questions[i].question.number);
    BOOST_TEST(stream.questions[i].question.text == plain.questions[i].question.text);
    BOOST_TEST((stream.questions[i].question.marks == plain.questions[i].question.marks));
    BOOST_TEST(stream.questions[i].question.page_number == plain.questions[i].question.page_number);
  }
  BOOST_TEST(stream.usage.input_tokens == 1001 + 1003 + 1005);
  BOOST_TEST(stream.usage.input_tokens == plain.usage.input_tokens);
  BOOST_TEST(stream.usage.output_tokens == 3 * 321);
  BOOST_TEST(stream.usage.output_tokens == plain.usage.output_tokens);
}

// The retag job's text requests (text_client.h) stream the same way: a stall is a timeout,
// retried, and the answer and its usage come back whole.
BOOST_AUTO_TEST_CASE_TEMPLATE(the_text_client_reads_a_streamed_answer_after_a_silent_one, Wire, Wires) {
  const tao::json::value answer = {{"questions", tao::json::value::array({{{"number", "1"}, {"topics", tao::json::empty_array}}})}};
  std::atomic<int> requests{0};
  FakeHttpServer server([&](const FakeRequest& r) {
    SentBatch b;
    const tao::json::value body = tao::json::from_string(r.body);
    b.stream = body.find("stream") != nullptr && body.at("stream").get_boolean();
    b.include_usage = b.stream && std::string(Wire::name) == "openai";
    FakeResponse res = Wire::answer(answer, 77, 11);
    res.stream_options.piece = 5;
    if (++requests == 1) {
      res.stream_options.stall_before = 2;
      res.stream_options.stall = 30s;
    }
    return b.stream ? Wire::stream(res, b) : res;
  });
  ai::AiConfig c = Wire::config(server);
  c.request_timeout = 300ms;
  ai::TextClient client(c);
  const tao::json::value schema = {{"type", "object"}};
  ai::TextRequestInput input{"Tag the questions.", "1: a question", "tags", &schema, "Records the tags."};
  ai::AiUsage usage;
  const tao::json::value got = client.ask(input, usage, {});
  BOOST_TEST(tao::json::to_string(got) == tao::json::to_string(answer));
  BOOST_TEST(usage.requests == 2);
  BOOST_TEST(usage.retries == 1);
  BOOST_TEST(usage.input_tokens == 77);
  BOOST_TEST(usage.output_tokens == 11);
  BOOST_TEST(server.await_abandoned(1, 10s));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_truncated_streamed_answer_is_split_as_a_plain_one_is, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) {
    return b.pages.size() > 1 ? Wire::truncated() : read_paper<Wire>(b, 2);
  });
  ai::AiResult r = run(fake.config(), 2);
  BOOST_TEST(r.questions.size() == 4u);
  BOOST_TEST(fake.batches().front().stream);
  BOOST_TEST(fake.server().request_count() == 3);  // the two pages, then one page each
}

BOOST_AUTO_TEST_SUITE_END()

// The providers' prompt caches: the stable prefix (schema, instructions) is long enough for the
// model's minimum and the same for every request of every job; the first request of a job warms
// the cache before the others are sent.
BOOST_AUTO_TEST_SUITE(prompt_cache)

namespace {

// The prompt tokens a real API would count for the batch: its text / 4 and ~1105 per image.
int prompt_tokens(const SentBatch& b) {
  const std::size_t chars = b.instructions.size() + b.request_text.size() + tao::json::to_string(b.schema).size();
  return static_cast<int>(chars / 4) + 1105 * static_cast<int>(b.images.size());
}

template <typename Wire>
FakeResponse read_with_usage(const SentBatch& b, int paper_pages) {
  return Wire::answer(answer_json(paper_rows(b.pages, b.pages.back() != paper_pages), b.asks_for_topics), prompt_tokens(b),
                      300);
}

ai::AiConfig four_batches(ai::AiConfig c) {
  c.pages_per_request = 3;  // 9 pages: 1-3, 3-5, 5-7, 7-9
  c.requests_per_job = 4;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(a_four_batch_job_reads_the_cache_on_every_request_after_the_first, Wire, Wires) {
  FakeHttpServer* server = nullptr;
  FakeProvider<Wire> fake([&](const SentBatch& b, int) {
    // The first request gives another the chance to arrive while it is in flight: with the
    // warm-up none does, and the rest arrive once it has answered, when its prefix is cached.
    if (b.pages.front() == 1) server->await_in_flight(2, 300ms);
    return read_with_usage<Wire>(b, 9);
  });
  server = &fake.server();
  ai::AiConfig c = four_batches(fake.config());
  BOOST_REQUIRE(c.cache_warmup);  // the default
  ai::AiResult r = run(c, 9);
  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  BOOST_REQUIRE_EQUAL(r.questions.size(), 18u);
  const std::vector<CacheUse> uses = fake.cache_uses();
  const std::vector<SentBatch> sent = fake.batches();
  BOOST_REQUIRE_EQUAL(uses.size(), 4u);
  BOOST_TEST(sent[0].pages.front() == 1);
  BOOST_TEST(uses[0].read == 0);
  std::int64_t read = 0;
  for (std::size_t i = 1; i < uses.size(); ++i) {
    BOOST_TEST_CONTEXT("request " << i + 1) {
      BOOST_TEST(uses[i].read >= 1024);
      BOOST_TEST(uses[i].written == 0);
    }
    read += uses[i].read;
  }
  BOOST_TEST(r.usage.cache_read_tokens == read);
  BOOST_TEST(r.usage.cache_write_tokens == uses[0].written);
  if (std::string(Wire::name) == "anthropic") {
    BOOST_TEST(uses[0].written >= 1024);
    BOOST_TEST(sent[0].cache_control);
  }
  BOOST_TEST(r.usage.warmup_ms >= 250);  // the other requests waited for the first's answer
  tao::json::value j = ai::to_json(r.usage);
  BOOST_TEST(j.at("cache_read_tokens").get_signed() == read);
  BOOST_TEST(j.at("warmup_ms").get_signed() == r.usage.warmup_ms);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(without_the_warmup_the_first_requests_go_together_and_none_reads_the_cache, Wire, Wires) {
  FakeHttpServer* server = nullptr;
  FakeProvider<Wire> fake([&](const SentBatch& b, int) {
    server->await_in_flight(4, 10s);  // answered only once all four are in flight
    FakeResponse r = read_with_usage<Wire>(b, 9);
    r.delay = 200ms;  // the model's reading: the cache entry exists once the answer starts
    return r;
  });
  server = &fake.server();
  ai::AiConfig c = four_batches(fake.config());
  c.cache_warmup = false;
  ai::AiResult r = run(c, 9);
  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  BOOST_TEST(fake.server().max_in_flight() == 4);
  const std::vector<CacheUse> uses = fake.cache_uses();
  BOOST_REQUIRE_EQUAL(uses.size(), 4u);
  for (const CacheUse& u : uses) {
    BOOST_TEST(u.read == 0);
    if (std::string(Wire::name) == "anthropic") BOOST_TEST(u.written >= 1024);  // each pays the write
  }
  BOOST_TEST(r.usage.cache_read_tokens == 0);
  BOOST_TEST(r.usage.warmup_ms == 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(the_cached_prefix_is_byte_identical_across_requests_and_jobs, Wire, Wires) {
  FakeProvider<Wire> fake([](const SentBatch& b, int) { return read_with_usage<Wire>(b, b.pages.back()); });
  ai::AiConfig c = four_batches(fake.config());
  ai::AiExtractor extractor(c);
  extractor.extract(make_pages(9), {}, {}, {});
  extractor.extract(make_pages(5, 21), {}, {}, {});  // another paper: pages 21-25, two requests
  BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
  const std::vector<SentBatch> sent = fake.batches();
  BOOST_REQUIRE_EQUAL(sent.size(), 6u);
  for (const SentBatch& b : sent) BOOST_TEST(b.stable_prefix == sent.front().stable_prefix);
  // The second job's first request reads what the first job's requests wrote.
  const std::vector<CacheUse> uses = fake.cache_uses();
  BOOST_TEST(uses[4].read >= 1024);
  BOOST_TEST(uses[4].written == 0);

  // A job with topics starts with the same instructions; its topic list comes after them.
  FakeProvider<Wire> tagged([](const SentBatch& b, int) { return read_with_usage<Wire>(b, 1); });
  ai::AiExtractor(tagged.config()).extract(make_pages(1), {ai::Topic{"t-1", "3.1", "Atomic structure"}}, {}, {});
  const std::string with_topics = tagged.batches().front().instructions;
  const std::string without = sent.front().instructions;
  BOOST_TEST(with_topics.substr(0, without.size()) == without);
  const std::size_t topic = with_topics.find("T1: 3.1 Atomic structure");
  BOOST_TEST((topic != std::string::npos && topic > without.size()));
}

BOOST_AUTO_TEST_CASE(a_model_whose_cache_minimum_the_prefix_cannot_reach_gets_no_cache_control_and_no_warmup) {
  for (const char* model : {"claude-haiku-4-5-20251001", "claude-3-5-haiku-20241022", "claude-opus-4-5"}) {
    BOOST_TEST_CONTEXT(model) {
      FakeHttpServer* server = nullptr;
      FakeProvider<AnthropicWire> fake([&](const SentBatch& b, int) {
        server->await_in_flight(4, 10s);  // no warm-up: all four go together
        return read_with_usage<AnthropicWire>(b, 9);
      });
      server = &fake.server();
      ai::AiConfig c = four_batches(fake.config());
      c.model = model;
      ai::AiResult r = run(c, 9);
      BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
      for (const SentBatch& b : fake.batches()) BOOST_TEST(!b.cache_control);
      BOOST_TEST(fake.server().max_in_flight() == 4);
      BOOST_TEST(r.usage.cache_write_tokens == 0);
      BOOST_TEST(r.usage.warmup_ms == 0);
    }
  }
  // A model whose minimum it reaches gets it.
  FakeProvider<AnthropicWire> fake([](const SentBatch& b, int) { return read_with_usage<AnthropicWire>(b, 1); });
  ai::AiConfig c = fake.config();
  c.model = "claude-sonnet-4-5";
  run(c, 1);
  BOOST_TEST(fake.batches().front().cache_control);
  BOOST_TEST(fake.cache_uses().front().written >= 1024);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_reask_carries_the_label_context_of_its_batch, Wire, Wires) {
  // Pages 1-3, then 3-5 once the first has answered (one request at a time): the second batch is
  // told that 2(a) is the last label before page 3. Its first answer has an invalid row on page
  // `bad_page`; the re-ask for that page gets the same kind of context.
  for (const auto& [bad_page, expected] : std::vector<std::pair<int, std::string>>{{3, "2(a)"}, {4, "3(a)"}}) {
    BOOST_TEST_CONTEXT("invalid row on page " << bad_page) {
      FakeProvider<Wire> fake([bad_page = bad_page](const SentBatch& b, int attempt) {
        std::vector<FakeQuestion> rows = paper_rows(b.pages, b.pages.back() != 5);
        if (b.pages.front() == 3 && attempt == 1) {
          for (FakeQuestion& q : rows) {
            if (q.number == std::to_string(bad_page) + "(a)") q.marks = -1;
          }
        }
        return Wire::answer(answer_json(rows, false));
      });
      ai::AiConfig c = fake.config();
      c.pages_per_request = 3;
      c.requests_per_job = 1;
      ai::AiResult r = run(c, 5);
      BOOST_TEST(fake.bad_requests() == 0, fake.last_bad_request());
      BOOST_TEST(r.usage.reasked_batches == 1);
      const std::vector<SentBatch> sent = fake.batches();
      BOOST_REQUIRE_EQUAL(sent.size(), 3u);
      BOOST_TEST(sent[1].request_text.find("before page 3 is 2(a):") != std::string::npos, sent[1].request_text);
      BOOST_TEST(sent[2].pages == std::vector<int>({bad_page}), boost::test_tools::per_element());
      const std::string context = "The last question label printed before page " + std::to_string(bad_page) + " is " + expected + ":";
      BOOST_TEST(sent[2].request_text.find(context) != std::string::npos, sent[2].request_text);
      BOOST_TEST(r.questions.size() == 10u);
    }
  }
}

// The figures docs/extractors.md gives: a 24-page paper (4 requests of 8 pages) read with and
// without the warm-up, each request taking 300 ms. Run with --log_level=message to see them.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_real_sized_job_saves_the_prefix_on_every_request_after_the_first, Wire, Wires) {
  for (bool warmup : {true, false}) {
    FakeProvider<Wire> fake([](const SentBatch& b, int) {
      FakeResponse r = read_with_usage<Wire>(b, 24);
      r.delay = 300ms;
      return r;
    });
    ai::AiConfig c = fake.config();
    c.cache_warmup = warmup;
    ai::AiResult r = run(c, 24);
    BOOST_TEST(r.usage.batches == 4);
    BOOST_TEST_MESSAGE(Wire::name << " warm-up " << (warmup ? "on " : "off") << ": input_tokens " << r.usage.input_tokens
                                  << ", cache_write_tokens " << r.usage.cache_write_tokens << ", cache_read_tokens "
                                  << r.usage.cache_read_tokens << ", latency_ms " << r.usage.latency_ms << ", warmup_ms "
                                  << r.usage.warmup_ms);
    if (warmup) {
      BOOST_TEST(r.usage.cache_read_tokens >= 3 * 1024);
      BOOST_TEST(r.usage.latency_ms >= 600);  // two rounds of 300 ms: the first request alone, then the rest
    } else {
      BOOST_TEST(r.usage.cache_read_tokens == 0);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
