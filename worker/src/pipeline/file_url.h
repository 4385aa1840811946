#pragma once
// Reading a file:// file_url under EXAMQ_FILE_URL_ROOT (issue 14, finding 4). The URL's path is
// percent-decoded once and that path is what is opened: the worker walks it from the root's
// directory one component at a time (openat, O_NOFOLLOW), so no second decoding, ".." or
// symbolic link can lead out of the root. libcurl never sees file URLs.

#include <cstddef>
#include <string>

namespace examq::pipeline {

// The bytes of the file `url` names, at most `max_bytes`. Throws FetchError (never transient):
// file URLs disabled (empty root), a host other than localhost, a path outside the root (said
// the same way whether or not something exists there), a symbolic link below the root, not a
// regular file, missing, unreadable, or larger than the limit.
std::string read_file_url(const std::string& url, const std::string& root, std::size_t max_bytes);

}  // namespace examq::pipeline
