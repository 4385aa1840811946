#include "cli/token_command.h"

#include "cli/common_options.h"
#include "cli/output.h"
#include "http/jwt.h"
#include "util/duration.h"

#include <sys/random.h>
#include <tao/json/from_string.hpp>
#include <tao/json/value.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

namespace examq::cli {

namespace {

struct TokenOptions {
  bool admin = false;
  std::string user;
  std::string ttl = "1h";
  std::string claims;
};

// Longer-lived tokens belong to a real auth server; a month is plenty for trying things out.
constexpr std::chrono::hours kMaxTtl{24 * 30};

// A random (version 4) UUID, as Supabase's auth.users ids are, from the kernel's CSPRNG.
std::string random_uuid() {
  std::array<unsigned char, 16> b{};
  std::size_t got = 0;
  while (got < b.size()) {
    ssize_t n = getrandom(b.data() + got, b.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("getrandom: ") + std::strerror(errno));
    got += static_cast<std::size_t>(n);
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

// `patch` laid over `target`: objects merge member by member (so --claims
// '{"app_metadata":{"provider":"email"}}' keeps --admin's role), anything else replaces.
void merge_into(tao::json::value& target, const tao::json::value& patch) {
  auto& members = target.get_object();
  for (const auto& [key, value] : patch.get_object()) {
    auto it = members.find(key);
    if (it != members.end() && it->second.is_object() && value.is_object()) {
      merge_into(it->second, value);
    } else {
      members.insert_or_assign(key, value);
    }
  }
}

// The secret from the environment only: a flag would leave it in the shell history and in `ps`.
std::string secret_from_environment() {
  const char* v = std::getenv("EXAMQ_JWT_SECRET");
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(
        "EXAMQ_JWT_SECRET is not set: export the JWT secret the server verifies with (Supabase: Project "
        "Settings > API > JWT Secret; for a local server any random string of 32 bytes or more, e.g. "
        "`openssl rand -base64 48`)");
  }
  std::string secret = v;
  try {
    http::check_jwt_secret(secret);
  } catch (const std::invalid_argument& e) {
    // A configuration problem, not a usage error: exit 1 like an unreachable database.
    throw std::runtime_error(std::string("EXAMQ_JWT_SECRET: ") + e.what());
  }
  return secret;
}

std::chrono::seconds parse_ttl(const std::string& text) {
  const util::Duration ttl = util::parse_duration(text);
  if (ttl <= util::Duration::zero() || ttl > kMaxTtl) {
    throw std::invalid_argument("--ttl must be more than 0 and at most 30 days (720h), not " + text);
  }
  return std::chrono::ceil<std::chrono::seconds>(ttl);  // 500ms still gives a second
}

tao::json::value parse_extra_claims(const std::string& text) {
  tao::json::value extra;
  try {
    extra = tao::json::from_string(text);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("--claims is not valid JSON: ") + e.what());
  }
  if (!extra.is_object()) throw std::invalid_argument("--claims must be a JSON object");
  return extra;
}

}  // namespace

Command add_token_command(CLI::App& app) {
  auto o = std::make_shared<TokenOptions>();
  CLI::App* sub = app.add_subcommand("token", "Print a JWT signed with $EXAMQ_JWT_SECRET (HS256), for calling the API");
  sub->add_flag("--admin", o->admin, "An examq admin: app_metadata.role = \"admin\"");
  sub->add_option("--user", o->user, "The user id (sub claim). Default: a random UUID")->check(uuid_validator());
  sub->add_option("--ttl", o->ttl, "How long the token is valid, up to 720h (30 days)")
      ->capture_default_str()
      ->check(duration_validator());
  sub->add_option("--claims", o->claims, "A JSON object merged over the claims (objects member by member)")
      ->type_name("JSON");
  sub->footer(
      "Claims: {sub, role: \"authenticated\", aud: \"authenticated\", iat, exp, app_metadata: {role: \"admin\"} with\n"
      "--admin}, then --claims on top. The secret is read from EXAMQ_JWT_SECRET only (at least 32 bytes);\n"
      "exit 1 when it is missing or too short. Prints the token and a newline, nothing else.");
  return {sub, [o]() {
            return run_reporting("token", [&]() {
              const std::chrono::seconds ttl = parse_ttl(o->ttl);
              tao::json::value extra = o->claims.empty() ? tao::json::value(tao::json::empty_object) : parse_extra_claims(o->claims);
              const std::string secret = secret_from_environment();

              std::string user = o->user.empty() ? random_uuid() : o->user;
              std::transform(user.begin(), user.end(), user.begin(),
                             [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
              const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
              const std::int64_t iat = now.time_since_epoch().count();
              tao::json::value claims = {{"sub", user},
                                         {"role", "authenticated"},
                                         {"aud", "authenticated"},
                                         {"iat", iat},
                                         {"exp", iat + static_cast<std::int64_t>(ttl.count())}};
              if (o->admin) claims.get_object().insert_or_assign("app_metadata", tao::json::value{{"role", "admin"}});
              merge_into(claims, extra);
              std::cout << http::mint_jwt(claims, secret) << "\n";
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
