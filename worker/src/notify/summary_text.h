#pragma once
// How a notification words its subject in a sentence, shared by the email's subject line, its
// text and HTML parts, so that they never disagree.

#include "notify/notification.h"

#include <string>

namespace examq::notify {

// "Batch \"week 12\" completed with errors: 2 of 3 jobs completed, 1 failed" or
// "Paper \"Physics 2024\" (phys.pdf) failed".
std::string headline(const Notification& n);

// A paper's name for people: its title, else its file name, else the job's type and id.
std::string paper_name(const PaperLine& p);

// "12 questions, review needed" / "failed: fetching ... HTTP 404" / "cancelled".
std::string paper_summary(const PaperLine& p);

// The web page when EXAMQ_PUBLIC_URL is set ("" otherwise): the public URL with one trailing slash.
std::string web_link(const std::string& public_url);

}  // namespace examq::notify
