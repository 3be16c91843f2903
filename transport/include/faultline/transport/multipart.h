// multipart/form-data request bodies (RFC 7578).
#pragma once

#include <string>
#include <string_view>

#include "faultline/transport/request.h"

namespace faultline::transport {

/** Builds a multipart/form-data body in memory. Field names and file names are quoted
    with '"' and '\\' escaped; CR and LF in them are rejected by add_*. Binary content is
    kept byte for byte. */
class MultipartBuilder {
 public:
  /** A random boundary. */
  MultipartBuilder();
  /** A caller-chosen boundary (1..70 characters, RFC 2046 bchars). Throws
      std::invalid_argument when it is not valid. */
  explicit MultipartBuilder(std::string boundary);

  /** A text field. Throws std::invalid_argument on a name with CR or LF. */
  MultipartBuilder& add_field(std::string_view name, std::string_view value);
  /** A file part with a filename and a content type (default application/octet-stream). */
  MultipartBuilder& add_file(std::string_view name, std::string_view filename,
                             std::string_view content,
                             std::string_view content_type = "application/octet-stream");

  /** "multipart/form-data; boundary=..." */
  [[nodiscard]] std::string content_type() const;
  [[nodiscard]] const std::string& boundary() const noexcept { return boundary_; }
  /** The encoded body so far plus the closing delimiter. */
  [[nodiscard]] std::string build() const;
  /** Sets content-type on `request` and moves the encoded body into it. */
  void apply_to(Request& request) const;

 private:
  void add_part(std::string_view disposition, std::string_view content_type,
                std::string_view content);
  std::string boundary_;
  std::string parts_;
};

}  // namespace faultline::transport
