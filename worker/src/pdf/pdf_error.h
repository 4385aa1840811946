#pragma once

#include <ostream>
#include <stdexcept>
#include <string>

namespace examq::pdf {

// Why a PDF could not be validated, read or rendered.
enum class PdfErrorKind {
  // The input itself is unusable; retrying cannot help.
  empty_file,
  not_a_pdf,
  too_large,
  password_protected,
  too_many_pages,
  no_pages,
  unreadable,        // Poppler could not parse the document at all
  page_unreadable,   // one page could not be created or rendered
  image_unreadable,  // a JPEG to shrink is corrupt or declares too many pixels (image_sandbox.h)
  // The sandboxed renderer failed on this input (deterministic for a given file).
  renderer_crashed,
  renderer_timed_out,  // a request used SandboxOptions::timeout of the child's CPU time
  renderer_out_of_memory,
  renderer_cpu_limit,
  renderer_failed,   // unexpected exit or a broken reply
  // Not the PDF's fault.
  renderer_hung,  // a request reached the wall-clock backstop without using its CPU time
  cancelled,
  sandbox_unavailable,  // the examq-render helper is missing or cannot be started
  ocr_unavailable,      // Tesseract or one of its language packs is not installed
};

// The single exception type of this part. what() is a sentence meant for a person
// ("PDF is password-protected", "renderer crashed: signal 11").
class PdfError : public std::runtime_error {
 public:
  PdfError(PdfErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}

  PdfErrorKind kind() const { return kind_; }

  // True when the same input would fail the same way again: the job should fail without retry.
  // False for cancellation, for a hung renderer (the machine's fault, see pdf_error.cc) and for
  // installation problems (a missing or unstartable helper, a missing OCR language pack): the
  // same job can succeed once the machine or the worker is fixed.
  bool critical() const;

 private:
  PdfErrorKind kind_;
};

// Stable snake_case name of a kind, for logs and job results ("password_protected").
const char* to_string(PdfErrorKind kind);
inline std::ostream& operator<<(std::ostream& out, PdfErrorKind kind) { return out << to_string(kind); }

}  // namespace examq::pdf
