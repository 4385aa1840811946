// JWT verification and minting (worker/src/http/jwt.h) and `examq token`. Hand-made tokens are
// signed with OpenSSL's HMAC, not libjwt, so a token whose only fault is the one under test is
// refused for that fault (the test checks the exact message the client would get).
#define BOOST_TEST_MODULE http_jwt
#include <boost/test/unit_test.hpp>

#include "cli_run.h"
#include "http/jwt.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <regex>

using examq::http::check_jwt_secret;
using examq::http::Claims;
using examq::http::JwtError;
using examq::http::mint_jwt;
using examq::http::verify_jwt;
using examq::testing::CliResult;
using examq::testing::describe;
using examq::testing::run_examq;
using namespace std::chrono;

namespace examq::testing {
// cli_run.cc's binary: $EXAMQ_BIN when set (ci/test sets it), else the one this build made.
std::string examq_binary() {
  const char* v = std::getenv("EXAMQ_BIN");
  return v != nullptr && *v != '\0' ? v : EXAMQ_BIN_DEFAULT;
}
}  // namespace examq::testing

namespace {

const std::string kSecret = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";  // 49 bytes
const system_clock::time_point kNow = system_clock::time_point(seconds(1'700'000'000));
const long long kNowS = 1'700'000'000;

std::string b64url(std::string_view in) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned int acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       mac, &len);
  return b64url(std::string(reinterpret_cast<const char*>(mac), len));
}

// header.payload signed with HMAC (SHA-256 unless told), whatever the header says.
std::string signed_token(std::string_view header, std::string_view payload, const std::string& secret = kSecret,
                         const EVP_MD* md = EVP_sha256()) {
  std::string input = b64url(header) + "." + b64url(payload);
  return input + "." + hmac(md, secret, input);
}

const std::string kHeader = R"({"alg":"HS256","typ":"JWT"})";

std::string claims_text(const tao::json::value& claims) { return tao::json::to_string(claims); }

tao::json::value user_claims(long long exp = kNowS + 3600) {
  return {{"sub", "11111111-2222-4333-8444-555555555555"}, {"role", "authenticated"}, {"exp", exp}};
}

// Expects verify_jwt to refuse `token` with exactly `message`.
void expect_refused(const std::string& token, const std::string& message, const std::string& secret = kSecret) {
  try {
    verify_jwt(token, secret, kNow);
    BOOST_ERROR("accepted; expected \"" << message << "\"");
  } catch (const JwtError& e) {
    BOOST_TEST(std::string(e.what()) == message);
  }
}

std::string segment(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  return token.substr(start, token.find('.', start) - start);
}

std::string b64url_decode(const std::string& text) {
  std::string std64 = text;
  for (char& c : std64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (std64.size() % 4 != 0) std64 += '=';
  std::string out(std64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(std64.data()),
                          static_cast<int>(std64.size()));
  BOOST_REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n) - (text.size() % 4 == 2 ? 2 : text.size() % 4 == 3 ? 1 : 0));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(minted_tokens_verify)

BOOST_AUTO_TEST_CASE(a_minted_token_verifies_and_yields_sub_and_claims) {
  tao::json::value claims = user_claims();
  claims["email"] = "a@example.com";
  const std::string token = mint_jwt(claims, kSecret);
  Claims c = verify_jwt(token, kSecret, kNow);
  BOOST_REQUIRE(c.sub.has_value());
  BOOST_TEST(*c.sub == "11111111-2222-4333-8444-555555555555");
  BOOST_TEST(!c.admin);
  BOOST_TEST((c.json == claims));
}

BOOST_AUTO_TEST_CASE(a_minted_token_is_standard_hs256_signed_with_the_secret) {
  const std::string token = mint_jwt(user_claims(), kSecret);
  const tao::json::value header = tao::json::from_string(b64url_decode(segment(token, 0)));
  BOOST_TEST(header.at("alg").get_string() == "HS256");
  const std::string input = segment(token, 0) + "." + segment(token, 1);
  BOOST_TEST(segment(token, 2) == hmac(EVP_sha256(), kSecret, input));
}

BOOST_AUTO_TEST_CASE(a_token_signed_elsewhere_verifies) {
  // What Supabase issues: HS256 over its own JSON, signed by another implementation (OpenSSL here).
  Claims c = verify_jwt(signed_token(kHeader, claims_text(user_claims())), kSecret, kNow);
  BOOST_TEST(c.sub.value_or("") == "11111111-2222-4333-8444-555555555555");
  BOOST_TEST(c.json.at("role").get_string() == "authenticated");
}

BOOST_AUTO_TEST_CASE(sub_is_absent_when_not_a_string) {
  tao::json::value claims = user_claims();
  claims["sub"] = 42;
  BOOST_TEST(!verify_jwt(mint_jwt(claims, kSecret), kSecret, kNow).sub.has_value());
  claims.get_object().erase("sub");
  BOOST_TEST(!verify_jwt(mint_jwt(claims, kSecret), kSecret, kNow).sub.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(admin_rule_matches_sql)

bool admin_with(const tao::json::value& extra) {
  tao::json::value claims = user_claims();
  for (const auto& [k, v] : extra.get_object()) claims.get_object().insert_or_assign(k, v);
  return verify_jwt(mint_jwt(claims, kSecret), kSecret, kNow).admin;
}

BOOST_AUTO_TEST_CASE(app_metadata_role_admin_or_examq_admin_and_examq_role_admin_are_admins) {
  BOOST_TEST(admin_with({{"app_metadata", {{"role", "admin"}}}}));
  BOOST_TEST(admin_with({{"app_metadata", {{"role", "examq_admin"}}}}));
  BOOST_TEST(admin_with({{"app_metadata", {{"examq_role", "admin"}}}}));
  BOOST_TEST(admin_with({{"app_metadata", {{"role", "user"}, {"examq_role", "admin"}}}}));
}

BOOST_AUTO_TEST_CASE(anything_else_is_not) {
  BOOST_TEST(!admin_with(tao::json::empty_object));
  BOOST_TEST(!admin_with({{"app_metadata", {{"role", "user"}}}}));
  BOOST_TEST(!admin_with({{"app_metadata", {{"examq_role", "examq_admin"}}}}));  // examq_role must be "admin"
  BOOST_TEST(!admin_with({{"app_metadata", {{"role", "Admin"}}}}));
  BOOST_TEST(!admin_with({{"app_metadata", {{"role", true}}}}));
  BOOST_TEST(!admin_with({{"app_metadata", "admin"}}));
  BOOST_TEST(!admin_with({{"role", "admin"}}));                                   // top level: Postgres role
  BOOST_TEST(!admin_with({{"user_metadata", {{"role", "admin"}}}}));              // users can edit their own
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(time_claims)

BOOST_AUTO_TEST_CASE(expired_beyond_the_leeway_is_refused_within_it_accepted) {
  expect_refused(mint_jwt(user_claims(kNowS - 31), kSecret), "token expired");
  expect_refused(mint_jwt(user_claims(kNowS - 86400), kSecret), "token expired");
  BOOST_CHECK_NO_THROW(verify_jwt(mint_jwt(user_claims(kNowS - 29), kSecret), kSecret, kNow));
}

BOOST_AUTO_TEST_CASE(expiry_is_judged_against_the_clock_passed_in) {
  const std::string token = mint_jwt(user_claims(kNowS + 60), kSecret);
  BOOST_CHECK_NO_THROW(verify_jwt(token, kSecret, kNow));
  try {
    verify_jwt(token, kSecret, kNow + minutes(2));
    BOOST_ERROR("accepted two minutes after exp");
  } catch (const JwtError& e) {
    BOOST_TEST(std::string(e.what()) == "token expired");
  }
}

BOOST_AUTO_TEST_CASE(nbf_in_the_future_is_refused) {
  tao::json::value claims = user_claims();
  claims["nbf"] = kNowS + 31;
  expect_refused(mint_jwt(claims, kSecret), "token not valid yet");
  claims["nbf"] = kNowS + 29;
  BOOST_CHECK_NO_THROW(verify_jwt(mint_jwt(claims, kSecret), kSecret, kNow));
  claims["nbf"] = "soon";
  expect_refused(mint_jwt(claims, kSecret), "malformed token");
}

BOOST_AUTO_TEST_CASE(a_missing_or_non_numeric_exp_is_refused) {
  tao::json::value claims = user_claims();
  claims.get_object().erase("exp");
  expect_refused(mint_jwt(claims, kSecret), "token has no exp claim");
  claims["exp"] = std::to_string(kNowS + 3600);
  expect_refused(mint_jwt(claims, kSecret), "token has no exp claim");
  claims["exp"] = tao::json::null;
  expect_refused(mint_jwt(claims, kSecret), "token has no exp claim");
}

BOOST_AUTO_TEST_CASE(a_fractional_exp_is_a_number) {
  BOOST_CHECK_NO_THROW(verify_jwt(signed_token(kHeader, R"({"exp":1700003600.5})"), kSecret, kNow));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(signatures)

BOOST_AUTO_TEST_CASE(a_token_signed_with_another_secret_is_refused) {
  expect_refused(mint_jwt(user_claims(), kSecret + "x"), "bad signature");
  expect_refused(signed_token(kHeader, claims_text(user_claims()), "another-secret-of-at-least-32-bytes-long"),
                 "bad signature");
}

BOOST_AUTO_TEST_CASE(a_tampered_payload_is_refused) {
  const std::string token = mint_jwt(user_claims(), kSecret);
  tao::json::value admin = user_claims();
  admin["app_metadata"] = {{"role", "admin"}};
  const std::string forged = segment(token, 0) + "." + b64url(claims_text(admin)) + "." + segment(token, 2);
  expect_refused(forged, "bad signature");
}

BOOST_AUTO_TEST_CASE(a_tampered_or_truncated_signature_is_refused) {
  const std::string token = mint_jwt(user_claims(), kSecret);
  std::string flipped = token;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  expect_refused(flipped, "bad signature");
  expect_refused(token.substr(0, token.size() - 4), "bad signature");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(only_hs256)

BOOST_AUTO_TEST_CASE(alg_none_is_refused) {
  const std::string payload = b64url(claims_text(user_claims()));
  expect_refused(b64url(R"({"alg":"none"})") + "." + payload + ".", "unsupported algorithm: only HS256 is accepted");
  expect_refused(b64url(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".",
                 "unsupported algorithm: only HS256 is accepted");
  // and with a signature that is right for HS256: the header decides nothing
  expect_refused(signed_token(R"({"alg":"none"})", claims_text(user_claims())),
                 "unsupported algorithm: only HS256 is accepted");
}

BOOST_AUTO_TEST_CASE(hs384_and_hs512_are_refused) {
  expect_refused(signed_token(R"({"alg":"HS384","typ":"JWT"})", claims_text(user_claims()), kSecret, EVP_sha384()),
                 "unsupported algorithm: only HS256 is accepted");
  // one libjwt made itself
  jwt_t* raw = nullptr;
  BOOST_REQUIRE(jwt_new(&raw) == 0);
  std::unique_ptr<jwt_t, void (*)(jwt_t*)> jwt(raw, jwt_free);
  BOOST_REQUIRE(jwt_add_grants_json(jwt.get(), claims_text(user_claims()).c_str()) == 0);
  BOOST_REQUIRE(jwt_set_alg(jwt.get(), JWT_ALG_HS512, reinterpret_cast<const unsigned char*>(kSecret.data()),
                            static_cast<int>(kSecret.size())) == 0);
  std::unique_ptr<char, void (*)(void*)> token(jwt_encode_str(jwt.get()), std::free);
  BOOST_REQUIRE(token != nullptr);
  expect_refused(token.get(), "unsupported algorithm: only HS256 is accepted");
}

BOOST_AUTO_TEST_CASE(rs256_headed_tokens_are_refused) {
  // The classic confusion: RS256 in the header, HMAC-SHA256 with the secret as the signature.
  expect_refused(signed_token(R"({"alg":"RS256","typ":"JWT"})", claims_text(user_claims())),
                 "unsupported algorithm: only HS256 is accepted");
  expect_refused(signed_token(R"({"alg":"ES256"})", claims_text(user_claims())),
                 "unsupported algorithm: only HS256 is accepted");
}

BOOST_AUTO_TEST_CASE(alg_must_be_exactly_hs256) {
  for (const char* header : {R"({"alg":"hs256"})", R"({"alg":"HS256 "})", R"({"alg":"HS2560"})"}) {
    BOOST_TEST_CONTEXT(header) {
      expect_refused(signed_token(header, claims_text(user_claims())), "unsupported algorithm: only HS256 is accepted");
    }
  }
  expect_refused(signed_token(R"({"typ":"JWT"})", claims_text(user_claims())), "malformed token");
  expect_refused(signed_token(R"({"alg":["HS256"]})", claims_text(user_claims())), "malformed token");
  BOOST_CHECK_NO_THROW(verify_jwt(signed_token(R"({"alg":"HS256"})", claims_text(user_claims())), kSecret, kNow));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(malformed_tokens)

BOOST_AUTO_TEST_CASE(wrong_segment_counts_are_refused) {
  const std::string token = mint_jwt(user_claims(), kSecret);
  expect_refused("", "malformed token");
  expect_refused(segment(token, 0) + "." + segment(token, 1), "malformed token");
  expect_refused(token + ".", "malformed token");
  expect_refused(token + "." + segment(token, 2), "malformed token");
  expect_refused(segment(token, 0) + "." + segment(token, 1) + ".", "malformed token");  // empty signature
}

BOOST_AUTO_TEST_CASE(bad_base64url_is_refused) {
  const std::string token = mint_jwt(user_claims(), kSecret);
  const std::string h = segment(token, 0), p = segment(token, 1), s = segment(token, 2);
  expect_refused(h + "." + p + "!" + "." + s, "malformed token");
  expect_refused(h + "." + p + "=" + "." + s, "malformed token");       // padding
  expect_refused(h + "." + p + "." + s + "+", "malformed token");       // base64, not base64url
  expect_refused("*" + h + "." + p + "." + s, "malformed token");
  expect_refused(h + "." + p.substr(0, p.size() - 1) + ".." + s, "malformed token");  // stray dot
  expect_refused(h + " ." + p + "." + s, "malformed token");
  expect_refused(h + "." + p + "A." + s, "malformed token");  // one character more: a length no encoding has, or a NUL
}

BOOST_AUTO_TEST_CASE(a_non_canonical_encoding_is_refused_though_correctly_signed) {
  // 19 bytes: 26 characters, the last carrying 4 unused bits. Setting one gives a second spelling
  // of the same claims, which a lenient decoder reads and the signature (over the text) covers.
  const std::string payload = R"({"exp":1700003600 })";
  std::string p = b64url(payload);
  BOOST_REQUIRE_EQUAL(p.size() % 4, 2u);
  BOOST_CHECK_NO_THROW(verify_jwt(signed_token(kHeader, payload), kSecret, kNow));
  p.back() = p.back() == 'Q' ? 'R' : p.back() == 'w' ? 'x' : p.back() == 'A' ? 'B' : p.back() == 'g' ? 'h' : '?';
  BOOST_REQUIRE(p.back() != '?');
  const std::string input = b64url(kHeader) + "." + p;
  expect_refused(input + "." + hmac(EVP_sha256(), kSecret, input), "malformed token");
  // 4n+1 characters: the last one is 6 bits, not a byte, whatever it is ('A' being all zero bits).
  const std::string whole = b64url(R"({"exp":1700003600})");
  BOOST_REQUIRE_EQUAL(whole.size() % 4, 0u);
  const std::string extra = b64url(kHeader) + "." + whole + "A";
  expect_refused(extra + "." + hmac(EVP_sha256(), kSecret, extra), "malformed token");
}

BOOST_AUTO_TEST_CASE(a_payload_that_is_not_a_json_object_is_refused) {
  expect_refused(signed_token(kHeader, "not json"), "malformed token");
  expect_refused(signed_token(kHeader, "[1,2]"), "malformed token");
  expect_refused(signed_token(kHeader, "\"sub\""), "malformed token");
  expect_refused(signed_token(kHeader, R"({"exp":1700003600})" "x"), "malformed token");
  expect_refused(signed_token(kHeader, R"({"exp":1700003600,"exp":1})"), "malformed token");  // duplicate key
  expect_refused(signed_token("[]", claims_text(user_claims())), "malformed token");
  expect_refused(signed_token("{", claims_text(user_claims())), "malformed token");
}

BOOST_AUTO_TEST_CASE(a_token_over_8_kb_is_refused_though_correctly_signed) {
  tao::json::value claims = user_claims();
  claims["padding"] = std::string(5000, 'x');
  BOOST_CHECK_NO_THROW(verify_jwt(mint_jwt(claims, kSecret), kSecret, kNow));  // under 8 kB once encoded
  claims["padding"] = std::string(10 * 1024, 'x');
  expect_refused(mint_jwt(claims, kSecret), "malformed token");
}

BOOST_AUTO_TEST_CASE(unknown_typ_and_crit_headers_are_refused) {
  expect_refused(signed_token(R"({"alg":"HS256","typ":"JWE"})", claims_text(user_claims())), "malformed token");
  expect_refused(signed_token(R"({"alg":"HS256","crit":["exp"]})", claims_text(user_claims())), "malformed token");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(secrets_and_arguments)

BOOST_AUTO_TEST_CASE(a_secret_under_32_bytes_is_refused) {
  BOOST_CHECK_NO_THROW(check_jwt_secret(std::string(32, 's')));
  try {
    check_jwt_secret(std::string(31, 's'));
    BOOST_ERROR("a 31-byte secret was accepted");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("at least 32") != std::string::npos);
  }
  BOOST_CHECK_THROW(check_jwt_secret(""), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(verify_and_mint_refuse_a_short_secret_as_misconfiguration) {
  const std::string shorty = "short";
  // Not JwtError: the client did nothing wrong.
  BOOST_CHECK_THROW(verify_jwt(signed_token(kHeader, claims_text(user_claims()), shorty), shorty, kNow),
                    std::invalid_argument);
  BOOST_CHECK_THROW(mint_jwt(user_claims(), shorty), std::invalid_argument);
  BOOST_CHECK_THROW(verify_jwt(mint_jwt(user_claims(), kSecret), "", kNow), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(mint_refuses_claims_that_are_not_an_object) {
  BOOST_CHECK_THROW(mint_jwt(tao::json::value::array({1, 2}), kSecret), std::invalid_argument);
  BOOST_CHECK_THROW(mint_jwt("sub", kSecret), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(examq_token_command)

const std::regex kUuidV4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

CliResult token(const std::vector<std::string>& args, const std::string& secret = kSecret) {
  return run_examq(args, {{"EXAMQ_JWT_SECRET", secret}}, seconds(30));
}

// The one line a successful `examq token` prints, verified now.
Claims verified(const CliResult& r) {
  BOOST_TEST_INFO(describe(r));
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  BOOST_REQUIRE(r.out.size() > 1 && r.out.back() == '\n');
  const std::string line = r.out.substr(0, r.out.size() - 1);
  BOOST_REQUIRE(line.find('\n') == std::string::npos);
  BOOST_TEST(r.err.empty());
  return verify_jwt(line, kSecret);
}

BOOST_AUTO_TEST_CASE(prints_a_token_for_a_random_user_valid_for_an_hour) {
  Claims c = verified(token({"token"}));
  BOOST_REQUIRE(c.sub.has_value());
  BOOST_TEST(std::regex_match(*c.sub, kUuidV4), *c.sub);
  BOOST_TEST(!c.admin);
  BOOST_TEST(c.json.at("role").get_string() == "authenticated");
  BOOST_TEST(c.json.at("aud").get_string() == "authenticated");
  const long long iat = c.json.at("iat").as<long long>(), exp = c.json.at("exp").as<long long>();
  BOOST_TEST(exp - iat == 3600);
  const long long now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  BOOST_TEST(std::llabs(now - iat) < 60);
  BOOST_TEST(c.json.find("app_metadata") == nullptr);
  BOOST_TEST((*c.sub != *verified(token({"token"})).sub));  // random each time
}

BOOST_AUTO_TEST_CASE(admin_user_ttl_and_extra_claims) {
  Claims c = verified(token({"token", "--admin", "--user", "0A0B0C0D-1111-4222-8333-444455556666", "--ttl", "30m",
                             "--claims", R"({"email":"ops@example.com","app_metadata":{"provider":"email"}})"}));
  BOOST_TEST(c.admin);
  BOOST_TEST(c.sub.value_or("") == "0a0b0c0d-1111-4222-8333-444455556666");
  BOOST_TEST(c.json.at("exp").as<long long>() - c.json.at("iat").as<long long>() == 1800);
  BOOST_TEST(c.json.at("email").get_string() == "ops@example.com");
  BOOST_TEST(c.json.at("app_metadata").at("provider").get_string() == "email");
  BOOST_TEST(c.json.at("app_metadata").at("role").get_string() == "admin");
}

BOOST_AUTO_TEST_CASE(claims_go_on_top) {
  Claims c = verified(token({"token", "--claims", R"({"role":"service_role","aud":"x"})"}));
  BOOST_TEST(c.json.at("role").get_string() == "service_role");
  BOOST_TEST(c.json.at("aud").get_string() == "x");
}

BOOST_AUTO_TEST_CASE(an_unset_or_short_secret_fails_with_a_message) {
  CliResult unset = token({"token"}, "");
  BOOST_TEST_INFO(describe(unset));
  BOOST_TEST(unset.exit_code == 1);
  BOOST_TEST(unset.out.empty());
  BOOST_TEST(unset.err.find("EXAMQ_JWT_SECRET is not set") != std::string::npos);

  const std::string shorty = "only-twenty-bytes-xx";
  CliResult short_secret = token({"token"}, shorty);
  BOOST_TEST_INFO(describe(short_secret));
  BOOST_TEST(short_secret.exit_code == 1);
  BOOST_TEST(short_secret.out.empty());
  BOOST_TEST(short_secret.err.find("at least 32") != std::string::npos);
  BOOST_TEST(short_secret.err.find(shorty) == std::string::npos);  // never echoed
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_usage_errors) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"token", "--user", "not-a-uuid"},
           {"token", "--ttl", "0s"},
           {"token", "--ttl", "721h"},
           {"token", "--ttl", "5"},
           {"token", "--claims", "[1]"},
           {"token", "--claims", "{not json"},
       }) {
    CliResult r = token(args);
    BOOST_TEST_INFO(args.back() << "\n" << describe(r));
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.out.empty());
  }
  // One token for both claims: two tokens may be issued in different seconds.
  const auto longest = verified(token({"token", "--ttl", "720h"})).json;
  BOOST_TEST(longest.at("exp").as<long long>() - longest.at("iat").as<long long>() == 720 * 3600);
}

BOOST_AUTO_TEST_SUITE_END()
