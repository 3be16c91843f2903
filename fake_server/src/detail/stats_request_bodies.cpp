// The request body bytes the server received per request id (docs/admin-api.md,
// "request_body_bytes"): what RESP-CONTENT-LENGTH judges a client's declared length by.
#include <mutex>
#include <string>

#include "detail/stats.h"

namespace faultline::fake_server::detail {

void ConnectionStats::on_request_body(std::string_view request_id, std::uint64_t bytes,
                                      Namespace* ns) {
  if (ns == nullptr) {
    registry_.count_body_bytes(request_id, bytes);
  }
}

void StatsRegistry::count_body_bytes(std::string_view request_id, std::uint64_t bytes) {
  if (request_id.empty()) {
    return;
  }
  const std::lock_guard lock(mutex_);
  auto it = body_bytes_.find(std::string(request_id));
  if (it != body_bytes_.end()) {
    it->second += bytes;
  } else if (body_bytes_.size() < max_request_ids_) {
    body_bytes_.emplace(std::string(request_id), bytes);
  }
}

std::uint64_t StatsRegistry::body_bytes(std::string_view request_id) const {
  const std::lock_guard lock(mutex_);
  auto it = body_bytes_.find(std::string(request_id));
  return it == body_bytes_.end() ? 0 : it->second;
}

}  // namespace faultline::fake_server::detail
