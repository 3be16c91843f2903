#include "detail/h2_faults.h"

#include "detail/log.h"
#include "faultline/scenarios/loader.h"

namespace faultline::fake_server::detail {

H2Faults::H2Faults(SessionEnv& env, nghttp2_session* session)
    : env_(env),
      state_(env, session),
      faults_(env.context, env.context.scenarios.current(), env.listener, env.stats, true) {}

void H2Faults::on_ready() {
  execute(faults_.on_ready(), std::nullopt);
  if (auto storm = env_.context.faults.storm_for(env_.listener)) {
    goaway_.storm(*storm);
  }
  for (const auto& [index, ms] : faults_.after_ms_faults()) {
    env_.host.run_after(std::chrono::milliseconds(ms), [this, index = index] {
      execute(faults_.on_after_ms(index), std::nullopt);
      env_.host.signal_write();
    });
  }
  env_.host.signal_write();
}

H2Faults::Verdict H2Faults::on_request_headers(std::int32_t id, std::string_view method,
                                               std::string_view path, std::string_view request_id) {
  if (const auto limit = settings_.limit(); limit && state_.open().size() >= *limit) {
    env_.stats->count_stream_limit_violation();
    if (faults_.scenario().enforce_stream_limit) {
      FAULTLINE_LOG(debug, (LogTag{"fault", env_.stats->id(), id}),
                    "refused: " << state_.open().size() << " open, limit " << *limit);
      state_.reset_stream(id, NGHTTP2_REFUSED_STREAM);
      env_.host.signal_write();
      return Verdict::refused;
    }
  }
  state_.on_opened(id, method, path);
  if (abandoned(id)) {
    return Verdict::reset;  // opened after our GOAWAY, above its last-stream-id
  }
  auto pending = std::move(next_stream_);
  next_stream_.clear();
  for (const auto* action : pending) {
    act(Fired{*action, id, nullptr, true});
  }
  execute(faults_.on_stream_open(method, path, request_id, state_.opened(), state_.open().size()),
          id);
  env_.host.signal_write();
  return state_.was_reset(id) ? Verdict::reset : Verdict::serve;
}

void H2Faults::execute(const std::vector<Firing>& firings, std::optional<std::int32_t> stream) {
  for (const Firing& firing : firings) {
    act(Fired{firing.fault->action, stream, &firing.fault->listener, false});
  }
}

void H2Faults::act(const Fired& fired) {
  const bool bound = scenarios::is_stream_bound(fired.action);
  if (bound && !fired.stream) {
    next_stream_.push_back(&fired.action);
    return;
  }
  if (bound && state_.was_reset(*fired.stream)) {
    return;  // an earlier fault already reset it
  }
  std::visit([&](const auto& a) { run(a, fired); }, fired.action);
  env_.host.signal_write();
}

void H2Faults::run(const scenarios::GoawayAction& a, const Fired&) {
  goaway_.goaway(a);
}

void H2Faults::run(const scenarios::SettingsAction& a, const Fired&) {
  settings_.send(a);
}

void H2Faults::run(const scenarios::RstStreamAction& a, const Fired& f) {
  cuts_.rst(a, f.action, *f.stream);
}

void H2Faults::run(const scenarios::DataAfterEndStreamAction& a, const Fired& f) {
  late_.arm(a, *f.stream);
}

void H2Faults::run(const scenarios::DataAfterRstAction& a, const Fired& f) {
  late_.arm(a, *f.stream);
}

void H2Faults::run(const scenarios::DataUnknownStreamAction& a, const Fired&) {
  late_.unknown_stream(a);
}

void H2Faults::run(const scenarios::CloseAction& a, const Fired& f) {
  if (a.at != scenarios::ClosePoint::now) {
    cuts_.arm_close(f.action, *f.stream);
    return;
  }
  if (f.stream) {
    state_.mark_reset(*f.stream);  // the request that closes the connection is not served
  }
  if (a.all_connections && !f.from_admin) {
    // Every covered connection closes, this one included, through the registry.
    scenarios::CloseAction one = a;
    one.all_connections = false;
    auto shared = std::make_shared<const AdminAction>(AdminAction{one, ""});
    env_.context.live.act(shared, scope(f));
    return;
  }
  state_.close(a.mode, "close fault");
}

void H2Faults::run(const scenarios::PingAction& a, const Fired&) {
  ping_.start(a);
}

void H2Faults::run(const scenarios::StormAction& a, const Fired& f) {
  env_.context.faults.start_storm(a, scope(f));
  if (goaway_.may_storm() && env_.context.faults.storm_for(env_.listener)) {
    goaway_.storm(a);  // the connection whose connect fired it is stormed too
  }
}

void H2Faults::run(const scenarios::ProtocolViolationAction& a, const Fired& f) {
  state_.mark_reset(*f.stream);  // the violation replaces its response: it is not served
  violations_.violate(a, *f.stream);
}

void H2Faults::apply_admin(const AdminAction& action) {
  auto kept = std::make_shared<const AdminAction>(action);
  admin_keep_.push_back(kept);
  if (!action.key.empty()) {
    env_.stats->count_fault(action.key, false);
  }
  act(Fired{kept->action, std::nullopt, nullptr, true});
}

void H2Faults::on_frame_recv(const nghttp2_frame& frame) {
  switch (frame.hd.type) {
    case NGHTTP2_SETTINGS:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) != 0) {
        settings_.on_ack();
      }
      break;
    case NGHTTP2_PING:
      ping_.on_ping_recv(frame);
      break;
    case NGHTTP2_RST_STREAM:
      if (state_.is_open(frame.hd.stream_id)) {
        execute(faults_.on_client_rst(), frame.hd.stream_id);
        late_.on_client_rst(frame.hd.stream_id);
      }
      break;
    default:
      break;
  }
}

void H2Faults::on_frame_send(const nghttp2_frame& frame) {
  switch (frame.hd.type) {
    case NGHTTP2_DATA:
    case NGHTTP2_HEADERS:
      if ((frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        late_.on_end_stream_sent(frame.hd.stream_id);
      }
      if (frame.hd.type == NGHTTP2_HEADERS) {
        cuts_.on_headers_sent(frame.hd.stream_id);
      }
      break;
    case NGHTTP2_PING:
      ping_.on_ping_sent(frame);
      break;
    case NGHTTP2_GOAWAY:
      goaway_.on_goaway_sent(frame);
      break;
    default:
      break;
  }
}

void H2Faults::on_stream_close(std::int32_t id) {
  state_.on_closed(id);
  faults_.on_stream_closed(state_.open().size());
  cuts_.on_stream_close(id);
  blocks_.on_stream_close(id);
  late_.on_stream_close(id);
  goaway_.check_idle();
}

void H2Faults::on_output(std::vector<std::uint8_t>& out, std::size_t from) {
  std::size_t pos = from;
  while (const auto header = complete_frame_at(out, pos)) {
    state_.on_frame_out(*header);
    std::uint32_t length = header->length;
    if (header->is(FrameType::settings) && (header->flags & frame_flag::kAck) == 0) {
      length = settings_.on_settings_out(out, pos, length);
    } else if (header->is(FrameType::headers) &&
               cuts_.cut_headers(out, pos, static_cast<std::int32_t>(header->stream_id), length)) {
      return;
    }
    if (blocks_.takes(*header)) {
      pos += blocks_.reframe(out, pos, *header);
      continue;
    }
    pos += kFrameHeaderBytes + length;
  }
  // Late DATA armed by an END_STREAM in this chunk goes right after it.
  late_.after_output();
  state_.drain_raw(out);
}

}  // namespace faultline::fake_server::detail
