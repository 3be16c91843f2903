// A streaming multipart/form-data parser that keeps, per part, its name, filename,
// content type, size and SHA-256 - never the part's bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/common/sha256.h"

namespace faultline::fake_server::detail {

/** What the echo route reports about one part. */
struct PartDigest {
  std::string name;
  std::string filename;
  std::string content_type;
  std::uint64_t bytes = 0;
  std::string sha256;
};

/** The boundary parameter of a multipart/form-data Content-Type; nullopt when the
    type is not multipart/form-data or has no boundary. */
[[nodiscard]] std::optional<std::string> multipart_boundary(std::string_view content_type);

/** Feed the body in pieces of any size; parts() is complete once finish() was called. */
class MultipartParser {
 public:
  explicit MultipartParser(std::string boundary);

  void feed(std::string_view bytes);
  /** Ends the body. A part cut short is still reported (with what arrived). */
  void finish();

  [[nodiscard]] const std::vector<PartDigest>& parts() const noexcept { return parts_; }
  /** True once the closing delimiter was seen. */
  [[nodiscard]] bool complete() const noexcept { return state_ == State::done; }
  /** Non-empty when the body is malformed (the parts so far are still reported). */
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  /** Parser states, in body order. */
  enum class State {
    preamble,     ///< before the first delimiter
    after_delim,  ///< just after a delimiter: "--" ends, CRLF starts a part
    headers,      ///< reading a part's header block
    body,         ///< inside a part's body
    done,         ///< after the closing delimiter (epilogue ignored)
    failed,       ///< malformed; input ignored
  };

  void process();
  bool scan_for_delimiter(bool in_body);
  void parse_part_headers(std::string_view block);
  void fail(std::string message);

  std::string delimiter_;  ///< "\r\n--" + boundary
  std::string pending_;    ///< unconsumed input
  State state_ = State::preamble;
  std::vector<PartDigest> parts_;
  std::optional<common::Sha256> part_sha_;
  std::string error_;
};

}  // namespace faultline::fake_server::detail
