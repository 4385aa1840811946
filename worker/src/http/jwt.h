#pragma once
// JSON Web Tokens for `examq serve` (issue 15, item 4): the HS256 tokens Supabase issues, verified
// with the project's JWT secret, and minted by `examq token` for trying the server without
// Supabase. Only HS256: a server that holds one shared secret has no use for any other algorithm,
// and accepting what the token's own header asks for is how "alg: none" and RS256/HS256 confusion
// attacks get in. The claims are what the token carries, byte for byte as signed; the admin rule
// is the SQL one, so the server and row-level security agree on who is an admin.

#include <tao/json/value.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace examq::http {

struct Claims {
  tao::json::value json;            // the verified claims object, as received
  std::optional<std::string> sub;   // "sub" when a string
  bool admin = false;               // app_metadata.role is "admin" or "examq_admin", or
                                    // app_metadata.examq_role is "admin" (the same rule as SQL
                                    // examq_jwt_is_admin() in sql/0001_queue_core.sql)
};

// Why a token was refused; what() is safe to send to the client ("token expired", "bad signature",
// "unsupported algorithm: only HS256 is accepted", "malformed token", "token has no exp claim",
// "token not valid yet"). It never contains the token, its claims or the secret.
class JwtError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Verifies an HS256 JWT with `secret`. Refuses any header alg other than exactly HS256 (including
// "none", HS384, RS256), a bad signature, malformed input (wrong segment count, bad base64url,
// non-object JSON, over 8 kB), a missing or non-numeric exp, exp in the past, nbf in the future
// (30 s leeway for both). Throws JwtError.
// A secret that check_jwt_secret() refuses is the server's misconfiguration, not the client's
// fault: std::invalid_argument, not JwtError.
Claims verify_jwt(std::string_view token, std::string_view secret,
                  std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Signs `claims` (an object) as HS256 with `secret`. Throws std::invalid_argument when `claims`
// is not an object or the secret is refused by check_jwt_secret().
std::string mint_jwt(const tao::json::value& claims, std::string_view secret);

// The secret must be at least 32 bytes (Supabase's JWT secrets are 40+); throws
// std::invalid_argument with a clear message otherwise.
void check_jwt_secret(std::string_view secret);

}  // namespace examq::http
