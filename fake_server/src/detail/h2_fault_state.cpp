#include "detail/h2_fault_state.h"

#include "detail/log.h"

namespace faultline::fake_server::detail {

double H2FaultState::now_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
      .count();
}

void H2FaultState::on_opened(std::int32_t id, std::string_view method, std::string_view path) {
  open_.insert(id);
  ++opened_;
  if (id > highest_) {
    previous_ = highest_;
    highest_ = id;
  }
  requests_[id] = RequestLine{std::string(method), std::string(path)};
}

void H2FaultState::on_closed(std::int32_t id) {
  open_.erase(id);
  reset_.erase(id);
  requests_.erase(id);
}

const H2FaultState::RequestLine* H2FaultState::request(std::int32_t id) const {
  const auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : &it->second;
}

void H2FaultState::reset_stream(std::int32_t id, std::uint32_t error) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error);
}

void H2FaultState::record_raw(const FrameFacts& facts, bool late) {
  env_.stats->on_frame(facts);
  if (late) {
    env_.stats->count_late_frame();
  }
}

void H2FaultState::close(scenarios::CloseMode mode, const std::string& reason) {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  FAULTLINE_LOG(debug, (LogTag{"fault", env_.stats->id()}), "closing: " << reason);
  env_.host.close_transport(mode, true, reason);
}

}  // namespace faultline::fake_server::detail
