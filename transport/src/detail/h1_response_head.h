// The head of an HTTP/1.1 response as libcurl hands it over, one header line per call:
// what the HTTP/1.1 fallback judges itself (libcurl does the framing: Content-Length,
// chunked, connection reuse). No curl, no sockets: unit-tested and fuzzed on lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "detail/limits.h"
#include "faultline/transport/http.h"

namespace faultline::transport::detail {

/** Lines of one response: 1xx interim heads (reported, then forgotten), the final head, and after
   the body the trailer lines of a chunked response. Rules (RFC 9112 sections 4 and 5):
    - a status line is `HTTP/1.<digit> SP 3DIGIT [SP reason]`, its code 100 to 599; a
      101 is refused (the transport never asks to switch protocols);
    - a field name is a token (so no whitespace before the colon), lower-cased; its
      value loses leading and trailing whitespace and holds no NUL, CR or LF (what
      nghttp2 enforces on the h2 path, so both protocols judge a head alike);
    - a line that starts with SP or HTAB continues the previous field (obs-fold):
      joined with one SP;
    - a head (interim heads included) and the trailers are bounded in bytes;
    - Content-Length fields (and comma-separated members) of the final head agree and
      are numbers (RFC 9112 6.3): libcurl would frame by one of them.
    A rejected response stays rejected. One transfer; loop thread only. */
class H1ResponseHead {
 public:
  /** What a line did. */
  enum class Step {
    more,      ///< taken; more lines belong to this response
    interim,   ///< a 1xx head is complete: interim_status() and take_interim()
    head,      ///< the final head is complete: status() and take_headers()
    rejected,  ///< the response is malformed (error() says why): stop the transfer
  };

  /** Whether Content-Length fields are judged (default true; false only for a test-only
      defect). */
  void judge_content_length(bool judge) noexcept { judge_content_length_ = judge; }

  /** The most bytes a head (interim heads included) and the trailers may take
      (Options::max_response_header_bytes; default kMaxResponseHeadBytes). */
  void limit_bytes(std::size_t max) noexcept { max_head_bytes_ = max_trailer_bytes_ = max; }

  /** One line as curl delivers it (its CRLF or LF at the end, or none). */
  Step on_line(std::string_view line);

  /** The status of the interim head just completed (after Step::interim). */
  [[nodiscard]] int interim_status() const noexcept { return status_; }
  /** The interim head's fields (once, after Step::interim). */
  [[nodiscard]] Headers take_interim() noexcept { return std::move(interim_); }
  /** Test builds (Hooks::keep_informational_fields): an interim head's fields stay in
      the final head's. */
  void keep_interim_fields(bool keep) noexcept { keep_interim_ = keep; }

  /** The final status (0 until the head is complete). */
  [[nodiscard]] int status() const noexcept { return head_done_ ? status_ : 0; }
  [[nodiscard]] bool head_done() const noexcept { return head_done_; }
  [[nodiscard]] bool rejected() const noexcept { return !error_.empty(); }
  /** The response was rejected for its head's or trailers' size. */
  [[nodiscard]] bool too_large() const noexcept { return too_large_; }
  /** Why the response was rejected (empty while it is not). */
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /** The final head's fields (once, after Step::head). */
  [[nodiscard]] Headers take_headers() noexcept { return std::move(fields_); }
  /** The trailer fields received so far (after the head). */
  [[nodiscard]] Headers take_trailers() noexcept { return std::move(trailers_); }

 private:
  Step reject(std::string why);
  Step on_status_line(std::string_view line);
  Step on_field_line(std::string_view line, Headers& target);
  /** Why the final head's Content-Length fields cannot frame a body; empty when they can. */
  [[nodiscard]] std::string conflicting_content_length() const;

  Headers fields_;
  Headers interim_;
  Headers trailers_;
  std::string error_;
  std::size_t head_bytes_ = 0;     ///< bytes of every head line so far (interim ones too)
  std::size_t trailer_bytes_ = 0;  ///< bytes of trailer lines so far
  int status_ = 0;
  bool in_head_ = false;  ///< a status line arrived and its blank line has not
  bool head_done_ = false;
  bool keep_interim_ = false;
  bool judge_content_length_ = true;
  bool too_large_ = false;
  std::size_t max_head_bytes_ = kMaxResponseHeadBytes;
  std::size_t max_trailer_bytes_ = kMaxResponseTrailerBytes;
};

}  // namespace faultline::transport::detail
