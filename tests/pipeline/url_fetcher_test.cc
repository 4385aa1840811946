// The URL fetcher's guards (issue 14): file:// URLs read only what lies under the root, http(s)
// reaches only public addresses unless EXAMQ_FETCH_ALLOW says otherwise, and errors tell neither
// what exists outside the root nor which ports are open. Servers are in-process on loopback.
#include "fake_http_server.h"
#include "pipeline/address_policy.h"
#include "pipeline/pipeline_config.h"
#include "pipeline/url_fetcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <optional>

using namespace examq::pipeline;
using examq::test::FakeHttpServer;
using examq::test::FakeRequest;
using examq::test::FakeResponse;
namespace fs = std::filesystem;

namespace {

// The fetches here must go where their URL says: a proxy from the environment would answer
// instead of the fake servers (the proxy case has its own test).
struct NoProxyEnvironment {
  NoProxyEnvironment() {
    for (const char* v : {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"}) {
      ::unsetenv(v);
    }
  }
};
BOOST_TEST_GLOBAL_FIXTURE(NoProxyEnvironment);

// base/root (the allowed root) and base/outside, removed afterwards.
struct Tree {
  Tree() {
    char tmpl[] = "/tmp/examq-fetch-XXXXXX";
    base = ::mkdtemp(tmpl);
    root = base / "root";
    outside = base / "outside";
    fs::create_directories(root);
    fs::create_directories(outside);
    write(outside / "secret.pdf", "SECRET");
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
  static void write(const fs::path& p, const std::string& content) { std::ofstream(p, std::ios::binary) << content; }
  FetchLimits limits() const {
    FetchLimits l;
    l.file_root = root.string();
    l.timeout = std::chrono::seconds(10);
    return l;
  }
  fs::path base, root, outside;
};

// The error fetching `url` throws; fails the test when the fetch succeeds.
std::optional<FetchError> fetch_error(const std::string& url, const FetchLimits& limits) {
  try {
    std::string body = fetch_url(url, limits);
    BOOST_ERROR(url << " was fetched (" << body.size() << " bytes: " << body.substr(0, 40) << ")");
    return std::nullopt;
  } catch (const FetchError& e) {
    return e;
  }
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A port on 127.0.0.1 nobody listens on.
int closed_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

FakeResponse pdf(const std::string& body) {
  FakeResponse r;
  r.body = body;
  r.content_type = "application/pdf";
  return r;
}

sockaddr_storage address(const std::string& text) {
  sockaddr_storage s{};
  if (text.find(':') == std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in*>(&s);
    a->sin_family = AF_INET;
    BOOST_REQUIRE(::inet_pton(AF_INET, text.c_str(), &a->sin_addr) == 1);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&s);
    a->sin6_family = AF_INET6;
    BOOST_REQUIRE(::inet_pton(AF_INET6, text.c_str(), &a->sin6_addr) == 1);
  }
  return s;
}

std::string kind_of(const std::string& text) {
  auto s = address(text);
  return special_address_kind(reinterpret_cast<const sockaddr&>(s)).value_or("public");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(file_urls)

// Finding 4: the path was checked after one decoding and libcurl decoded it again, so this URL
// read base/outside/secret.pdf. It names the file called "%2e%2e%2foutside%2fsecret.pdf" in the
// root, and that file is what must come back.
BOOST_AUTO_TEST_CASE(a_double_encoded_traversal_reads_the_file_it_names_never_one_outside_the_root) {
  Tree t;
  const std::string url = "file://" + t.root.string() + "/%252e%252e%252foutside%252fsecret.pdf";
  Tree::write(t.root / "%2e%2e%2foutside%2fsecret.pdf", "INSIDE");
  BOOST_TEST(fetch_url(url, t.limits()) == "INSIDE");

  fs::remove(t.root / "%2e%2e%2foutside%2fsecret.pdf");
  auto e = fetch_error(url, t.limits());
  BOOST_REQUIRE(e);
  BOOST_TEST(!e->transient());
  BOOST_TEST(std::string(e->what()).find("SECRET") == std::string::npos);

  // Dots encoded once are dots: a way out of the root, refused without looking.
  auto dots = fetch_error("file://" + t.root.string() + "/%2e%2e/outside/secret.pdf", t.limits());
  BOOST_REQUIRE(dots);
  BOOST_TEST(std::string(dots->what()).find("outside EXAMQ_FILE_URL_ROOT") != std::string::npos, dots->what());
}

BOOST_AUTO_TEST_CASE(symlinks_under_the_root_are_not_followed_out_of_it) {
  Tree t;
  fs::create_symlink(t.outside / "secret.pdf", t.root / "absolute.pdf");
  fs::create_symlink("../outside/secret.pdf", t.root / "relative.pdf");
  fs::create_symlink(t.outside, t.root / "dir");
  for (const std::string name : {"absolute.pdf", "relative.pdf", "dir/secret.pdf"}) {
    BOOST_TEST_CONTEXT(name) {
      auto e = fetch_error("file://" + (t.root / name).string(), t.limits());
      BOOST_REQUIRE(e);
      BOOST_TEST(!e->transient());
      BOOST_TEST(std::string(e->what()).find("symbolic link") != std::string::npos, e->what());
    }
  }
}

// Finding 4's second half: "outside the root" for a file that exists, "No such file" for one that
// did not, let a paper's URL probe the worker's file system.
BOOST_AUTO_TEST_CASE(outside_the_root_a_missing_file_and_an_existing_one_get_the_same_message) {
  Tree t;
  auto existing = fetch_error("file://" + (t.outside / "secret.pdf").string(), t.limits());
  auto missing = fetch_error("file://" + (t.outside / "absent.pdf").string(), t.limits());
  BOOST_REQUIRE(existing);
  BOOST_REQUIRE(missing);
  BOOST_TEST(replaced(missing->what(), "absent.pdf", "secret.pdf") == std::string(existing->what()));
  BOOST_TEST(std::string(existing->what()).find("outside EXAMQ_FILE_URL_ROOT") != std::string::npos, existing->what());
  BOOST_TEST(existing->transient() == missing->transient());

  // Through symbolic links in the root too: the target is never looked at.
  fs::create_symlink(t.outside / "secret.pdf", t.root / "to-existing.pdf");
  fs::create_symlink(t.outside / "absent.pdf", t.root / "to-missing.pdf");
  auto via_existing = fetch_error("file://" + (t.root / "to-existing.pdf").string(), t.limits());
  auto via_missing = fetch_error("file://" + (t.root / "to-missing.pdf").string(), t.limits());
  BOOST_REQUIRE(via_existing);
  BOOST_REQUIRE(via_missing);
  BOOST_TEST(replaced(via_missing->what(), "to-missing.pdf", "to-existing.pdf") == std::string(via_existing->what()));
}

BOOST_AUTO_TEST_CASE(a_file_in_the_root_is_read_up_to_the_size_limit) {
  Tree t;
  fs::create_directories(t.root / "sub");
  Tree::write(t.root / "sub" / "paper one.pdf", "0123456789");
  FetchLimits limits = t.limits();
  limits.max_bytes = 10;
  BOOST_TEST(fetch_url("file://" + t.root.string() + "/sub/paper%20one.pdf", limits) == "0123456789");
  limits.max_bytes = 9;
  auto e = fetch_error("file://" + t.root.string() + "/sub/paper%20one.pdf", limits);
  BOOST_REQUIRE(e);
  BOOST_TEST(std::string(e->what()).find("larger than") != std::string::npos, e->what());
  BOOST_TEST(!e->transient());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_urls)

// Finding 5: each of these was fetched, or its error told an open port from a closed one.
BOOST_AUTO_TEST_CASE(loopback_private_link_local_and_unspecified_addresses_are_refused_before_connecting) {
  FakeHttpServer server([](const FakeRequest&) { return pdf("%PDF-internal"); });
  const std::string port = std::to_string(server.port());
  FetchLimits limits;
  limits.timeout = std::chrono::seconds(10);
  const std::pair<std::string, std::string> refused[] = {
      {"http://127.0.0.1:" + port + "/x.pdf", "loopback"},
      {"http://localhost:" + port + "/x.pdf", "loopback"},
      {"http://0x7f000001:" + port + "/x.pdf", "loopback"},
      {"http://[::1]:" + port + "/x.pdf", "loopback"},
      {"http://[::ffff:127.0.0.1]:" + port + "/x.pdf", "loopback"},
      {"http://169.254.169.254/latest/meta-data/", "link-local"},
      {"http://10.20.30.40/x.pdf", "private"},
      {"https://192.168.1.1/x.pdf", "private"},
      {"http://0.0.0.0:" + port + "/x.pdf", "unspecified"},
  };
  for (const auto& [url, kind] : refused) {
    BOOST_TEST_CONTEXT(url) {
      auto e = fetch_error(url, limits);
      BOOST_REQUIRE(e);
      BOOST_TEST(!e->transient());
      BOOST_TEST(std::string(e->what()).find("is not allowed (" + kind + "); set EXAMQ_FETCH_ALLOW") != std::string::npos,
                 e->what());
    }
  }
  BOOST_TEST(server.connections() == 0);

  // An open port and a closed one read the same.
  const std::string closed = std::to_string(closed_loopback_port());
  auto open_error = fetch_error("http://127.0.0.1:" + port + "/x.pdf", limits);
  auto closed_error = fetch_error("http://127.0.0.1:" + closed + "/x.pdf", limits);
  BOOST_REQUIRE(open_error);
  BOOST_REQUIRE(closed_error);
  BOOST_TEST(replaced(closed_error->what(), ":" + closed + "/", ":" + port + "/") == std::string(open_error->what()));
}

BOOST_AUTO_TEST_CASE(a_loopback_server_on_the_allow_list_is_fetched) {
  FakeHttpServer server([](const FakeRequest&) { return pdf("%PDF-allowed"); });
  const std::string port = std::to_string(server.port());
  FetchLimits limits;
  limits.allow = AddressPolicy::parse("127.0.0.1/32");
  BOOST_TEST(fetch_url("http://127.0.0.1:" + port + "/x.pdf", limits) == "%PDF-allowed");
  limits.allow = AddressPolicy::parse("localhost");  // by host name: every address it has
  BOOST_TEST(fetch_url("http://localhost:" + port + "/x.pdf", limits) == "%PDF-allowed");
  // Allowed, so a closed port is an ordinary, transient connection failure.
  limits.allow = AddressPolicy::parse("127.0.0.0/8");
  auto e = fetch_error("http://127.0.0.1:" + std::to_string(closed_loopback_port()) + "/x.pdf", limits);
  BOOST_REQUIRE(e);
  BOOST_TEST(e->transient());
}

BOOST_AUTO_TEST_CASE(a_redirect_from_an_allowed_server_to_a_refused_address_is_refused) {
  FakeHttpServer server([](const FakeRequest& r) {
    FakeResponse res;
    res.status = 301;
    if (r.target == "/start.pdf") res.headers = {{"Location", "/moved.pdf"}};
    else if (r.target == "/moved.pdf") res.headers = {{"Location", "http://169.254.169.254/latest/meta-data/"}};
    else res = pdf("%PDF-internal");
    return res;
  });
  FetchLimits limits;
  limits.allow = AddressPolicy::parse("127.0.0.1/32");
  limits.timeout = std::chrono::seconds(10);
  auto e = fetch_error("http://127.0.0.1:" + std::to_string(server.port()) + "/start.pdf", limits);
  BOOST_REQUIRE(e);
  BOOST_TEST(!e->transient());
  BOOST_TEST(std::string(e->what()).find("address 169.254.169.254 of host 169.254.169.254 is not allowed (link-local)") !=
                 std::string::npos,
             e->what());
  BOOST_TEST(server.request_count() == 2);  // the allowed hops were followed, nothing more
}

// With a proxy the worker connects to the proxy (the operator's, wherever it is), and the check
// applies to the addresses the target's name resolves to here.
BOOST_AUTO_TEST_CASE(through_a_proxy_the_target_is_checked_and_the_proxy_may_be_local) {
  FakeHttpServer proxy([](const FakeRequest&) { return pdf("%PDF-via-proxy"); });
  ::setenv("http_proxy", proxy.url().c_str(), 1);
  FetchLimits limits;
  limits.timeout = std::chrono::seconds(10);
  auto e = fetch_error("http://127.0.0.2/x.pdf", limits);
  std::string body = fetch_url("http://93.184.216.34/x.pdf", limits);
  ::unsetenv("http_proxy");
  BOOST_REQUIRE(e);
  BOOST_TEST(std::string(e->what()).find("is not allowed (loopback)") != std::string::npos, e->what());
  BOOST_TEST(body == "%PDF-via-proxy");
  BOOST_REQUIRE(proxy.request_count() == 1);
  BOOST_TEST(proxy.requests().at(0).target == "http://93.184.216.34/x.pdf");
}

BOOST_AUTO_TEST_CASE(special_purpose_addresses_are_classified_and_public_ones_are_not) {
  BOOST_TEST(kind_of("127.5.6.7") == "loopback");
  BOOST_TEST(kind_of("172.31.0.1") == "private");
  BOOST_TEST(kind_of("172.32.0.1") == "public");
  BOOST_TEST(kind_of("100.64.0.1") == "shared (CGNAT)");
  BOOST_TEST(kind_of("100.128.0.1") == "public");
  BOOST_TEST(kind_of("224.0.0.1") == "multicast");
  BOOST_TEST(kind_of("255.255.255.255") == "reserved");
  BOOST_TEST(kind_of("8.8.8.8") == "public");
  BOOST_TEST(kind_of("::") == "unspecified");
  BOOST_TEST(kind_of("fd12::1") == "private");
  BOOST_TEST(kind_of("fe80::1") == "link-local");
  BOOST_TEST(kind_of("ff02::1") == "multicast");
  BOOST_TEST(kind_of("::ffff:10.0.0.1") == "private");
  BOOST_TEST(kind_of("::ffff:169.254.169.254") == "link-local");
  BOOST_TEST(kind_of("64:ff9b::7f00:1") == "loopback");  // NAT64 of 127.0.0.1
  BOOST_TEST(kind_of("2606:4700::1111") == "public");
}

BOOST_AUTO_TEST_CASE(the_allow_list_takes_host_names_and_networks_and_refuses_a_bad_cidr) {
  auto policy = AddressPolicy::parse(" 127.0.0.1/32, Files.Internal. ,10.0.0.0/8,fd00::/8,192.168.1.7");
  BOOST_TEST(policy.allows_host("files.internal"));
  BOOST_TEST(!policy.allows_host("other.internal"));
  for (const char* a : {"127.0.0.1", "10.255.0.1", "fd00::5", "192.168.1.7", "::ffff:127.0.0.1", "8.8.8.8"}) {
    auto s = address(a);
    BOOST_TEST(!policy.refusal(reinterpret_cast<const sockaddr&>(s), "x").has_value(), a);
  }
  for (const char* a : {"127.0.0.2", "172.16.0.1", "192.168.1.8", "fe80::1", "::ffff:127.0.0.2"}) {
    auto s = address(a);
    BOOST_TEST(policy.refusal(reinterpret_cast<const sockaddr&>(s), "x").has_value(), a);
  }
  for (const char* bad : {"10.0.0.0/33", "300.1.1.1/8", "10.0.0.0/", "/8", "10.0.0.1/8", "fd00::/129", "a b", "10.0.0.0/8x"}) {
    BOOST_CHECK_THROW(AddressPolicy::parse(bad), std::invalid_argument);
  }
  ::setenv("EXAMQ_FETCH_ALLOW", "127.0.0.1/40", 1);
  try {
    PipelineConfig::from_env();
    BOOST_ERROR("a bad EXAMQ_FETCH_ALLOW was accepted");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("EXAMQ_FETCH_ALLOW") != std::string::npos, e.what());
  }
  ::unsetenv("EXAMQ_FETCH_ALLOW");
}

BOOST_AUTO_TEST_SUITE_END()

// Finding 6: the URL shown in errors, logs and result.source keeps no credentials.
BOOST_AUTO_TEST_CASE(the_shown_url_has_no_user_info_query_or_fragment) {
  BOOST_TEST(redact_url("http://user:s3cretpw@host.example/ok.pdf?sig=abc#p2") == "http://host.example/ok.pdf");
  BOOST_TEST(redact_url("https://token@host.example:8443/a/b.pdf") == "https://host.example:8443/a/b.pdf");
  BOOST_TEST(redact_url("file:///srv/papers/a.pdf") == "file:///srv/papers/a.pdf");
  BOOST_TEST(redact_url("not a url") == "(invalid URL)");
}
