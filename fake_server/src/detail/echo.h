// The echo route's answer: a JSON description of the request, computed while the
// body streams through (never buffered).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/multipart.h"
#include "faultline/common/sha256.h"

namespace faultline::fake_server::detail {

/** A request as the protocol layers see it (names lower-case, no pseudo-headers). */
struct RequestHead {
  std::string method;
  std::string path;   ///< without the query
  std::string query;  ///< without '?'
  std::vector<std::pair<std::string, std::string>> headers;
};

/** Splits a request target into path and query. */
void split_target(std::string_view target, std::string& path, std::string& query);

/** Accumulates the body's size and SHA-256 (and per-part digests for multipart/form-data). */
class EchoRecorder {
 public:
  /** content_type: the request's Content-Type (empty when none). */
  explicit EchoRecorder(std::string_view content_type);

  void on_body(std::string_view bytes);
  /** {"method","path","query","headers":{...},"body_bytes":N,"sha256":"hex","parts":[...]} */
  [[nodiscard]] std::string finish_json(const RequestHead& head);

  [[nodiscard]] std::uint64_t body_bytes() const noexcept { return body_bytes_; }

 private:
  common::Sha256 sha_;
  std::uint64_t body_bytes_ = 0;
  std::optional<MultipartParser> multipart_;
};

}  // namespace faultline::fake_server::detail
