#pragma once
// bytea in PostgreSQL's text format ("\x" followed by hex), which is how the pg part passes
// values. Binary parameters would halve the bytes on the wire; pages and PDFs are at most tens
// of megabytes, so text keeps the pg layer simple.

#include <string>
#include <string_view>

namespace examq::pipeline {

// "\x0a1b..." for the bytes of `raw`.
std::string to_bytea_hex(std::string_view raw);

// The bytes of a bytea value in hex output format. Throws std::invalid_argument for anything
// else (the escape format is never produced by a PostgreSQL 9.0+ server with default settings).
std::string from_bytea_hex(std::string_view text);

}  // namespace examq::pipeline
