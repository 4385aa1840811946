#include "http/jwt.h"

#include <jwt.h>
#include <strings.h>
#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace examq::http {

namespace {

// A Supabase access token is well under 2 kB; the limit keeps a hostile header from making the
// server decode and parse megabytes before the signature is even looked at.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;
constexpr std::size_t kMinSecretBytes = 32;
// Clock skew allowed between whoever issued the token and this machine, for exp and nbf alike.
constexpr double kLeewaySeconds = 30;

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;
// libjwt 1.10 returns strings from malloc() and has no jwt_free_str().
struct MallocDeleter {
  void operator()(char* p) const { std::free(p); }
};
using MallocString = std::unique_ptr<char, MallocDeleter>;

[[noreturn]] void refuse(const char* why) { throw JwtError(why); }

int base64url_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Strict base64url as JWS writes it (RFC 7515 §2): the URL-safe alphabet, no padding, no
// whitespace, and unused trailing bits zero, so each segment has exactly one spelling. libjwt's
// own decoder (libb64) skips characters it does not know; decoding here first means the header
// whose "alg" we check and the claims we return are exactly the bytes that were signed.
std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t pending = 0;
  int bits = 0;
  for (char c : in) {
    int d = base64url_digit(c);
    if (d < 0) return std::nullopt;
    pending = (pending << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((pending >> bits) & 0xFF));
      pending &= (1u << bits) - 1;
    }
  }
  if (pending != 0) return std::nullopt;
  return out;
}

// One segment as a JSON object. taoJSON refuses duplicate keys, so no second parser (libjwt
// uses jansson, where the last duplicate wins) can read a different claim than we return.
tao::json::value decode_object(std::string_view segment) {
  std::optional<std::string> text = base64url_decode(segment);
  if (!text) refuse("malformed token");
  tao::json::value v;
  try {
    v = tao::json::from_string(*text);
  } catch (const std::exception&) {
    refuse("malformed token");
  }
  if (!v.is_object()) refuse("malformed token");
  return v;
}

std::optional<double> number(const tao::json::value& v) {
  if (v.is_signed()) return static_cast<double>(v.get_signed());
  if (v.is_unsigned()) return static_cast<double>(v.get_unsigned());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

const std::string* string_member(const tao::json::value& object, const std::string& key) {
  if (!object.is_object()) return nullptr;
  const tao::json::value* v = object.find(key);
  return v != nullptr && v->is_string() ? &v->get_string() : nullptr;
}

// SQL examq_jwt_is_admin(): app_metadata.examq_role = 'admin' OR app_metadata.role IN ('admin',
// 'examq_admin'). ->> yields a non-string's JSON text, which never equals those words, so only
// strings count here too.
bool is_admin(const tao::json::value& claims) {
  const tao::json::value* app = claims.find("app_metadata");
  if (app == nullptr || !app->is_object()) return false;
  const std::string* examq_role = string_member(*app, "examq_role");
  const std::string* role = string_member(*app, "role");
  return (examq_role != nullptr && *examq_role == "admin") ||
         (role != nullptr && (*role == "admin" || *role == "examq_admin"));
}

int key_length(std::string_view secret) {
  if (secret.size() > static_cast<std::size_t>(INT_MAX)) throw std::invalid_argument("JWT secret is too long");
  return static_cast<int>(secret.size());
}

const unsigned char* key_bytes(std::string_view secret) {
  return reinterpret_cast<const unsigned char*>(secret.data());
}

}  // namespace

void check_jwt_secret(std::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    throw std::invalid_argument("the JWT secret is " + std::to_string(secret.size()) + " bytes; at least " +
                                std::to_string(kMinSecretBytes) +
                                " are required (Supabase's is 40 or more: Project Settings > API > JWT Secret)");
  }
  key_length(secret);
}

Claims verify_jwt(std::string_view token, std::string_view secret, std::chrono::system_clock::time_point now) {
  check_jwt_secret(secret);
  if (token.size() > kMaxTokenBytes) refuse("malformed token");

  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) refuse("malformed token");
  const std::string_view head = token.substr(0, dot1);
  const std::string_view body = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature = token.substr(dot2 + 1);

  // The algorithm is ours to choose, not the token's: checked on the raw header before libjwt
  // sees it, because libjwt 1.10 follows the header's "alg" (none, or RS256 with the secret
  // taken as a public key).
  const tao::json::value header = decode_object(head);
  const std::string* alg = string_member(header, "alg");
  if (alg == nullptr) refuse("malformed token");
  if (*alg != "HS256") refuse("unsupported algorithm: only HS256 is accepted");
  // libjwt refuses a "typ" other than JWT (any case); said here so it is not reported as a bad signature.
  if (const tao::json::value* typ = header.find("typ"); typ != nullptr) {
    if (!typ->is_string() || strcasecmp(typ->get_string().c_str(), "JWT") != 0) refuse("malformed token");
  }
  // "crit" names header extensions the verifier must understand (RFC 7515 §4.1.11); we know none.
  if (header.find("crit") != nullptr) refuse("malformed token");
  if (signature.empty() || !base64url_decode(signature)) refuse("malformed token");
  tao::json::value claims = decode_object(body);

  jwt_t* raw = nullptr;
  const std::string terminated(token);
  const int rc = jwt_decode(&raw, terminated.c_str(), key_bytes(secret), key_length(secret));
  JwtPtr jwt(raw);
  if (rc == ENOMEM) throw std::bad_alloc();
  if (rc != 0 || !jwt) refuse("bad signature");
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) refuse("unsupported algorithm: only HS256 is accepted");

  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const tao::json::value* exp_v = claims.find("exp");
  const std::optional<double> exp = exp_v == nullptr ? std::nullopt : number(*exp_v);
  if (!exp) refuse("token has no exp claim");
  if (now_s > *exp + kLeewaySeconds) refuse("token expired");
  if (const tao::json::value* nbf_v = claims.find("nbf"); nbf_v != nullptr) {
    const std::optional<double> nbf = number(*nbf_v);
    if (!nbf) refuse("malformed token");
    if (*nbf > now_s + kLeewaySeconds) refuse("token not valid yet");
  }

  Claims out;
  if (const std::string* sub = string_member(claims, "sub")) out.sub = *sub;
  out.admin = is_admin(claims);
  out.json = std::move(claims);
  return out;
}

std::string mint_jwt(const tao::json::value& claims, std::string_view secret) {
  check_jwt_secret(secret);
  if (!claims.is_object()) throw std::invalid_argument("JWT claims must be a JSON object");
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::bad_alloc();
  JwtPtr jwt(raw);
  const std::string json = tao::json::to_string(claims);
  if (jwt_add_grants_json(jwt.get(), json.c_str()) != 0) {
    throw std::invalid_argument("JWT claims could not be encoded (libjwt refused the JSON)");
  }
  if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, key_bytes(secret), key_length(secret)) != 0) {
    throw std::runtime_error("libjwt refused the HS256 key");
  }
  MallocString token(jwt_encode_str(jwt.get()));
  if (!token) throw std::runtime_error("libjwt could not sign the token");
  return token.get();
}

}  // namespace examq::http
