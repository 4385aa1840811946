# Precompiled headers. A clean build (CI has no compiler cache) parses the same library headers
# again in every translation unit: measured in session 10, compiling 264 TUs was 1,869 of the
# clean build's 1,956 CPU seconds. docs/testing.md has the figures with and without these
# headers; -DEXAMQ_PCH=OFF builds without them (same programs, slower clean build).
#
# What goes in is measured, not guessed (GCC 12, -O2 -g1, CPU seconds for an otherwise empty file):
#   header set                               parsed   from a PCH
#   the standard library headers below         1.6       0.2
#   taoJSON value/from_string/to_string        2.2       1.1
#   spdlog                                     1.0       0.15
#   CLI11 (CLI/CLI.hpp)                        6.1       3.8   (its global validators are
#                                                              compiled in every file that includes it)
#   Asio io_context + ip/tcp, Beast http       2.6       0.65
#   Boost.Test (unit_test.hpp)                 1.1       0.2
# So a set is only given to files most of which include it: loading taoJSON costs a file that
# does not use it 1 s. Not <tao/json.hpp> (everything: 1.9 s to load) nor <boost/asio.hpp> (which
# does not compile in C++20 unless <utility> comes first).
#
# Boost.Test is in no set: the test files define BOOST_TEST_MODULE before including it, and
# boost/test/detail/config.hpp turns that into BOOST_TEST_MAIN (main() and the master suite's
# name); a precompiled Boost.Test, included before the file's first line, would leave no main().
#
# examq_use_pch(KIND TARGET...), called from the top CMakeLists.txt only:
#   std   the standard library: one header (of the internal target examq_pch_std) that every
#         target of that kind reuses (REUSE_FROM), whatever its definitions: no macro a target
#         defines (FMT_SHARED, BOOST_TEST_DYN_LINK, EXAMQ_*) reaches these headers.
#   json  std + taoJSON, shared the same way (examq_pch_json): for targets most of whose files
#         include taoJSON.
#   cli   json + CLI11, a header of the target's own (examq_cli).
#   http  json + Asio and Beast, a header of the target's own (examq_http).
# spdlog (1.0 s parsed, 0.15 s loaded) is left out: few files include it, and it depends on the
# definitions of spdlog::spdlog (FMT_SHARED, SPDLOG_*), which not every target has. GCC uses a
# precompiled header only when the macros it depends on are defined as when it was made; CMake
# passes -Winvalid-pch, so a header that cannot be used is a warning in the build log.
option(EXAMQ_PCH "Precompiled headers for a faster clean build (cmake/pch.cmake)" ON)

set(EXAMQ_PCH_STD
  <algorithm> <array> <atomic> <cerrno> <chrono> <cmath> <condition_variable> <cstddef> <cstdint>
  <cstdio> <cstdlib> <cstring> <filesystem> <fstream> <functional> <iostream> <map> <memory>
  <mutex> <optional> <regex> <set> <sstream> <stdexcept> <string> <string_view> <thread>
  <unordered_map> <utility> <vector>)
set(EXAMQ_PCH_JSON ${EXAMQ_PCH_STD} <tao/json/value.hpp> <tao/json/from_string.hpp> <tao/json/to_string.hpp>)
set(EXAMQ_PCH_CLI ${EXAMQ_PCH_JSON} <CLI/CLI.hpp>)
set(EXAMQ_PCH_HTTP ${EXAMQ_PCH_JSON}
  <boost/asio/io_context.hpp> <boost/asio/ip/tcp.hpp> <boost/beast/core.hpp> <boost/beast/http.hpp>)

function(examq_use_pch kind)
  if(NOT EXAMQ_PCH)
    return()
  endif()
  string(TOUPPER ${kind} upper)
  if(kind STREQUAL "std" OR kind STREQUAL "json")
    set(holder examq_pch_${kind})
    if(NOT TARGET ${holder})
      # A target that only makes the shared header (and one empty object nothing links).
      file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/${holder}.cc CONTENT "// ${holder}: see cmake/pch.cmake\n")
      add_library(${holder} OBJECT ${CMAKE_BINARY_DIR}/${holder}.cc)
      target_precompile_headers(${holder} PRIVATE ${EXAMQ_PCH_${upper}})
    endif()
    foreach(t IN LISTS ARGN)
      target_precompile_headers(${t} REUSE_FROM ${holder})
    endforeach()
  elseif(kind STREQUAL "cli" OR kind STREQUAL "http")
    foreach(t IN LISTS ARGN)
      target_precompile_headers(${t} PRIVATE ${EXAMQ_PCH_${upper}})
    endforeach()
  else()
    message(FATAL_ERROR "examq_use_pch: unknown kind ${kind}")
  endif()
endfunction()
