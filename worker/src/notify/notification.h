#pragma once
// What a notify job announces, read from the queue when the job runs (not frozen in its
// payload: a retry an hour later still reports the papers' titles and question counts as they
// are). The payload is written by sql/0012's settle triggers:
//   {"event": "job"|"batch", "job_id"|"batch_id": uuid, "outcome": "completed"|"failed"|
//    "completed_with_errors", "channel": "email"|"webhook", "to": address or URL, "preference_id"}

#include "handlers/job.h"
#include "pg/connection.h"

#include <optional>
#include <string>
#include <vector>

namespace examq::notify {

// One job of the subject: a paper when the job processed one.
struct PaperLine {
  std::string job_id;
  std::string job_type;
  std::string status;                      // completed, failed, cancelled...
  std::optional<std::string> paper_id;
  std::string title;                       // "" when the paper has none
  std::string file_name;                   // the last segment of its file_url, "" without one
  int question_count = 0;
  std::optional<bool> review_needed;       // the job result's review.needed, when it has one
  std::string error_message;               // "" unless it failed
};

struct Notification {
  std::string notify_job_id;  // the notify job's own id: stable across its retries
  std::string event;          // "job" or "batch"
  std::string subject_id;     // the job's or the batch's id
  std::string outcome;        // completed, failed, completed_with_errors
  std::string channel;        // email or webhook
  std::string to;             // an address or a URL
  std::string batch_label;    // "" for a job, or a batch without a label
  std::vector<PaperLine> papers;  // the job, or the batch's jobs: creation order, then title

  int count(const std::string& status) const;
};

// The payload's fields, checked (a malformed payload throws handlers::JobError, critical).
Notification parse_notification(const handlers::Job& job);

// Fills `n.papers` (and the batch's label) from the database. Throws handlers::JobError
// (critical) when the subject no longer exists; pg::Error for database trouble.
void load_subject(pg::Connection& conn, Notification& n);

}  // namespace examq::notify
