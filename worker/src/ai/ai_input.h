#pragma once
// What an AI extraction reads: the paper's rendered pages and, optionally, the syllabus topics
// its questions may be tagged with.

#include <string>

namespace examq::ai {

// One page as rendered for the job (exam_paper_pages): a baseline JPEG.
struct PageImage {
  int page_number = 0;  // 1-based page of the paper
  int width = 0;        // pixels; informational (providers read the JPEG's own header)
  int height = 0;
  std::string jpeg;     // the JPEG bytes; sent to the provider base64-encoded, never logged
};

// A syllabus topic (syllabus_topics row) a question may be tagged with.
struct Topic {
  std::string id;     // uuid, text form: what AiQuestion::topic_ids holds
  std::string code;   // e.g. "3.1.2"; may be empty
  std::string title;  // e.g. "Ionic bonding"
};

}  // namespace examq::ai
