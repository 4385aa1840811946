#pragma once
// `examq token`: mint an HS256 JWT signed with $EXAMQ_JWT_SECRET, for calling `examq serve` (or
// PostgREST) as a user or an admin without Supabase's auth server (issue 15).

#include "cli/command.h"

namespace examq::cli {

Command add_token_command(CLI::App& app);

}  // namespace examq::cli
