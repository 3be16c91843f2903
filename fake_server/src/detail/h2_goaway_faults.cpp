#include "detail/h2_goaway_faults.h"

#include "detail/log.h"

namespace faultline::fake_server::detail {

void H2GoawayFaults::goaway(const scenarios::GoawayAction& action) {
  if (action.graceful_delay_ms) {
    nghttp2_submit_shutdown_notice(state_.session());
    state_.env().host.run_after(std::chrono::milliseconds(*action.graceful_delay_ms),
                                [this, &action] {
                                  final_goaway(action);
                                  state_.env().host.signal_write();
                                });
    return;
  }
  final_goaway(action);
}

void H2GoawayFaults::final_goaway(const scenarios::GoawayAction& action) {
  std::uint32_t last = 0;
  switch (action.last_stream_id.kind) {
    case scenarios::LastStreamId::Kind::current:
      last = static_cast<std::uint32_t>(state_.highest());
      break;
    case scenarios::LastStreamId::Kind::previous:
      last = static_cast<std::uint32_t>(state_.previous());
      break;
    case scenarios::LastStreamId::Kind::max:
      last = scenarios::kMaxStreamId;
      break;
    case scenarios::LastStreamId::Kind::number:
      last = action.last_stream_id.id;
      break;
  }
  keep_open_ = true;
  last_ = static_cast<std::int32_t>(last);
  close_when_idle_ = action.close_when_idle;
  const auto* debug = reinterpret_cast<const std::uint8_t*>(action.debug.data());
  const int rv =
      nghttp2_submit_goaway(state_.session(), NGHTTP2_FLAG_NONE, static_cast<std::int32_t>(last),
                            static_cast<std::uint32_t>(action.error), debug, action.debug.size());
  if (rv != 0) {
    raw_goaway(last, action);
  }
  if (action.close_after_ms) {
    state_.env().host.run_after(std::chrono::milliseconds(*action.close_after_ms), [this] {
      state_.close(scenarios::CloseMode::close_notify, "goaway: close_after_ms");
    });
  }
  state_.env().host.signal_write();
}

void H2GoawayFaults::raw_goaway(std::uint32_t last, const scenarios::GoawayAction& action) {
  state_.raw().goaway(last, static_cast<std::uint32_t>(action.error), action.debug);
  FrameFacts facts;
  facts.dir = Direction::out;
  facts.type = EventType::goaway;
  facts.length = static_cast<std::uint32_t>(kGoawayFixedBytes + action.debug.size());
  facts.error_code = static_cast<std::int64_t>(action.error);
  facts.last_stream_id = static_cast<std::int32_t>(last);
  state_.record_raw(facts, false);
  written_ = true;
  raw_last_ = static_cast<std::int32_t>(last);
  check_idle();  // a close still writes the raw frames queued before it
}

void H2GoawayFaults::storm(const scenarios::StormAction& storm) {
  FAULTLINE_LOG(debug, (LogTag{"fault", state_.env().stats->id()}), "storm: GOAWAY(0)");
  keep_open_ = true;
  storm_close_after_ = storm.close_after_ms;
  nghttp2_submit_goaway(
      state_.session(), NGHTTP2_FLAG_NONE, 0, static_cast<std::uint32_t>(storm.error),
      reinterpret_cast<const std::uint8_t*>(storm.debug.data()), storm.debug.size());
}

void H2GoawayFaults::on_goaway_sent(const nghttp2_frame& frame) {
  if (storm_close_after_) {
    const std::uint32_t after = *storm_close_after_;
    storm_close_after_.reset();
    if (after == 0) {
      state_.close(scenarios::CloseMode::close_notify, "goaway storm");
    } else {
      state_.env().host.run_after(std::chrono::milliseconds(after), [this] {
        state_.close(scenarios::CloseMode::close_notify, "goaway storm");
      });
    }
  } else if (last_ && frame.goaway.last_stream_id == *last_) {
    written_ = true;
    check_idle();
  }
}

void H2GoawayFaults::check_idle() {
  if (!last_ || !close_when_idle_ || !written_) {
    return;
  }
  // Open streams are ordered by id: the lowest decides.
  if (!state_.open().empty() && state_.open().begin()->first <= *last_) {
    return;
  }
  state_.close(scenarios::CloseMode::close_notify, "goaway: idle");
}

}  // namespace faultline::fake_server::detail
