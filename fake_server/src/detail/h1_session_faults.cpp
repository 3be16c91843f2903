// The HTTP/1.1 session's faults: admin actions and the scenario's faults acted on (a goaway
// carried by the next response, a close now, a cut of the next response's head or body).
#include <memory>

#include "detail/h1_session.h"
#include "detail/log.h"

namespace faultline::fake_server::detail {

void H1Session::apply_admin(const AdminAction& action) {
  if (!scenarios::has_h1_meaning(action.action)) {
    return;
  }
  auto kept = std::make_shared<const AdminAction>(action);
  admin_keep_.push_back(kept);
  if (!action.key.empty()) {
    env_.stats->count_fault(action.key, false);
  }
  act(kept->action, false);
  env_.host.signal_write();
}

void H1Session::act(const scenarios::Action& action, bool on_request) {
  if (dead_) {
    return;
  }
  if (const auto* goaway = std::get_if<scenarios::GoawayAction>(&action)) {
    goaway_ = true;
    keep_alive_ = false;
    if (goaway->close_after_ms && !on_request) {
      // An idle connection that gets no request in time closes then. A goaway that a
      // request triggered is carried by that request's response ("connection: close",
      // then the close), never by cutting the request short while its body arrives.
      const std::uint64_t exchange = exchange_;
      env_.host.run_after(std::chrono::milliseconds(*goaway->close_after_ms), [this, exchange] {
        if (exchange == exchange_ && state_ == State::reading && input_.empty()) {
          fault_close(scenarios::CloseMode::close_notify, "goaway: close_after_ms");
        }
      });
    }
    return;
  }
  if (const auto* c = std::get_if<scenarios::CloseAction>(&action);
      c != nullptr && c->at == scenarios::ClosePoint::now) {
    if (c->all_connections) {
      scenarios::CloseAction one = *c;
      one.all_connections = false;
      env_.context.live.act(std::make_shared<const AdminAction>(AdminAction{one, ""}),
                            std::nullopt);
    }
    fault_close(c->mode, "close fault");
    return;
  }
  if (!scenarios::is_stream_bound(action)) {
    return;  // no HTTP/1.1 meaning
  }
  if (!on_request) {
    next_request_.push_back(&action);
    return;
  }
  if (const auto* rst = std::get_if<scenarios::RstStreamAction>(&action);
      rst != nullptr && rst->at == scenarios::RstPoint::before_headers) {
    fault_close(scenarios::CloseMode::fin, "rst_stream fault before_headers");
    return;
  }
  cut_ = &action;
  cut_sent_ = 0;
}

void H1Session::fault_close(scenarios::CloseMode mode, const std::string& reason) {
  if (dead_ && state_ == State::closing) {
    return;
  }
  dead_ = true;
  state_ = State::closing;
  FAULTLINE_LOG(debug, (LogTag{"fault", env_.stats->id()}), "closing: " << reason);
  env_.host.close_transport(mode, true, reason);
}

std::optional<std::uint64_t> H1Session::cut_budget() const {
  if (cut_ == nullptr) {
    return std::nullopt;
  }
  std::uint64_t after = 0;
  if (const auto* rst = std::get_if<scenarios::RstStreamAction>(cut_);
      rst != nullptr && rst->at == scenarios::RstPoint::mid_body) {
    after = rst->after_bytes;
  } else if (const auto* c = std::get_if<scenarios::CloseAction>(cut_);
             c != nullptr && c->at == scenarios::ClosePoint::mid_body) {
    after = c->after_bytes;
  } else {
    return std::nullopt;
  }
  const std::optional<std::uint64_t> size = plan_.body ? plan_.body->size() : std::nullopt;
  const std::uint64_t cut = size ? std::min(after, *size == 0 ? 0 : *size - 1) : after;
  return cut > cut_sent_ ? cut - cut_sent_ : 0;
}

}  // namespace faultline::fake_server::detail
