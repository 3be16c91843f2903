#include "detail/h2_fault_state.h"

#include "detail/log.h"

namespace faultline::fake_server::detail {

double H2FaultState::now_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
      .count();
}

namespace {
/** Closed streams' map nodes kept for reuse: enough for a connection's usual
    concurrency, so that a burst does not stay allocated. */
constexpr std::size_t kSpareNodes = 128;
}  // namespace

void H2FaultState::on_opened(std::int32_t id, std::string_view method, std::string_view path) {
  ++opened_;
  if (id > highest_) {
    previous_ = highest_;
    highest_ = id;
  }
  if (spare_.empty()) {
    open_.insert_or_assign(id, RequestLine{std::string(method), std::string(path)});
    return;
  }
  OpenStreams::node_type node = std::move(spare_.back());
  spare_.pop_back();
  node.key() = id;
  node.mapped().method.assign(method);
  node.mapped().path.assign(path);
  const auto result = open_.insert(std::move(node));
  if (!result.inserted) {  // the id was open already: keep the newer line
    result.position->second.method.assign(method);
    result.position->second.path.assign(path);
  }
}

void H2FaultState::on_closed(std::int32_t id) {
  if (!reset_.empty()) {
    reset_.erase(id);
  }
  const auto it = open_.find(id);
  if (it == open_.end()) {
    return;
  }
  if (spare_.size() < kSpareNodes) {
    spare_.push_back(open_.extract(it));
  } else {
    open_.erase(it);
  }
}

const H2FaultState::RequestLine* H2FaultState::request(std::int32_t id) const {
  const auto it = open_.find(id);
  return it == open_.end() ? nullptr : &it->second;
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
