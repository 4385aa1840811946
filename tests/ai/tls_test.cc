// TLS verification is always on: a local HTTPS server with a certificate made at test time is
// refused until its CA is trusted (EXAMQ_AI_CA_FILE), and even then only under the name it bears.
#define BOOST_TEST_MODULE ai_tls
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tao/json/to_string.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "ai/ai_extractor.h"
#include "provider_wire.h"
#include "fake_provider.h"
#include "test_support.h"

using namespace examq;
using namespace examq::test;

namespace {

struct Environment {
  Environment() {
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);
    // The test server writes with OpenSSL's plain socket BIO, which raises SIGPIPE when the client
    // has hung up on a refused handshake. (libcurl, the client, never raises it.)
    ::signal(SIGPIPE, SIG_IGN);
  }
};
BOOST_TEST_GLOBAL_FIXTURE(Environment);

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL: ") + what);
}

// A self-signed certificate for IP 127.0.0.1 (and no host name), usable as its own CA.
struct Certificate {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;

  Certificate() {
    key = EVP_EC_gen("P-256");
    check(key != nullptr, "EC key");
    cert = X509_new();
    check(cert != nullptr, "X509_new");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("examq test CA"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      check(ext != nullptr, "extension");
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    check(X509_sign(cert, key, EVP_sha256()) > 0, "sign");
  }
  ~Certificate() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }

  std::string write_pem(const std::filesystem::path& path) const {
    FILE* f = std::fopen(path.c_str(), "w");
    check(f != nullptr, "open PEM file");
    PEM_write_X509(f, cert);
    std::fclose(f);
    return path.string();
  }
};

// Answers every HTTPS request on 127.0.0.1 with `response`, one connection at a time.
class TlsServer {
 public:
  TlsServer(const Certificate& c, FakeResponse response) : response_(std::move(response)) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    check(ctx_ != nullptr, "SSL_CTX_new");
    check(SSL_CTX_use_certificate(ctx_, c.cert) == 1 && SSL_CTX_use_PrivateKey(ctx_, c.key) == 1, "server key");
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd_, 8) == 0, "listen");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~TlsServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  int handshakes_failed() const { return failed_; }
  int requests() const { return requests_; }

 private:
  void loop() {
    while (true) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) <= 0) {
        ++failed_;
      } else {
        serve(ssl);
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ::close(c);
    }
  }

  void serve(SSL* ssl) {
    std::string in;
    char buf[16384];
    std::size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t length = 0;
    if (auto p = in.find("Content-Length: "); p != std::string::npos) length = std::stoul(in.substr(p + 16));
    while (in.size() < end + 4 + length) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
    ++requests_;
    std::string out = "HTTP/1.1 " + std::to_string(response_.status) + " OK\r\nContent-Type: application/json\r\n"
                      "Connection: close\r\nContent-Length: " + std::to_string(response_.body.size()) + "\r\n\r\n" + response_.body;
    SSL_write(ssl, out.data(), static_cast<int>(out.size()));
  }

  FakeResponse response_;
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> failed_{0};
  std::atomic<int> requests_{0};
};

struct Fixture {
  Certificate cert;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("examq-ai-tls-" + std::to_string(::getpid()));
  std::string ca_file;
  TlsServer server{cert, OpenAiWire::answer(answer_json(paper_rows({1}, false), false))};

  Fixture() {
    std::filesystem::create_directories(dir);
    ca_file = cert.write_pem(dir / "ca.pem");
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  ai::AiConfig config(const std::string& host) const {
    ai::AiConfig c;
    c.provider = ai::Provider::openai;
    c.base_url = "https://" + host + ":" + std::to_string(server.port()) + "/v1";
    c.model = "gpt-test";
    c.api_key = "sk-tls-test-key-0123456789";
    c.max_retries = 0;
    return c;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tls, Fixture)

BOOST_AUTO_TEST_CASE(an_untrusted_certificate_is_refused_for_good) {
  try {
    ai::AiExtractor(config("127.0.0.1")).extract(make_pages(1), {}, {}, {});
    BOOST_FAIL("expected AiError");
  } catch (const ai::AiError& e) {
    BOOST_TEST((e.kind() == ai::AiErrorKind::tls), e.what());
    BOOST_TEST(!e.transient());
    BOOST_TEST(std::string(e.what()).find("TLS verification is always on") != std::string::npos, e.what());
  }
  BOOST_TEST(server.requests() == 0);  // nothing, the key included, was sent
}

BOOST_AUTO_TEST_CASE(a_private_ca_file_is_trusted) {
  ai::AiConfig c = config("127.0.0.1");
  c.ca_file = ca_file;
  ai::AiResult r = ai::AiExtractor(c).extract(make_pages(1), {}, {}, {});
  BOOST_TEST(r.questions.size() == 2u);
  BOOST_TEST(server.requests() == 1);
}

BOOST_AUTO_TEST_CASE(a_trusted_certificate_for_another_name_is_refused) {
  ai::AiConfig c = config("localhost");  // the certificate names only 127.0.0.1
  c.ca_file = ca_file;
  try {
    ai::AiExtractor(c).extract(make_pages(1), {}, {}, {});
    BOOST_FAIL("expected AiError");
  } catch (const ai::AiError& e) {
    BOOST_TEST((e.kind() == ai::AiErrorKind::tls), e.what());
  }
  BOOST_TEST(server.requests() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
