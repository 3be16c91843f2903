#include "detail/h1_session.h"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>

#include <array>
#include <charconv>

#include "detail/log.h"
#include "detail/server_limits.h"
#include "detail/text.h"

namespace faultline::fake_server::detail {

namespace http = boost::beast::http;

namespace {

std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

void append_number(std::string& out, std::uint64_t value, int base = 10) {
  std::array<char, 24> buf{};
  const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), value, base);
  out.append(buf.data(), end.ptr);
}

}  // namespace

/** Beast's parser with every event forwarded to the session; bodies stream through. */
class H1Session::Parser final : public http::basic_parser<true> {
 public:
  explicit Parser(H1Session& session) : session_(session) {}

 private:
  void on_request_impl(http::verb, boost::beast::string_view method,
                       boost::beast::string_view target, int version,
                       boost::beast::error_code&) override {
    session_.on_request_line(sv(method), sv(target), version);
  }
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(http::field, boost::beast::string_view name, boost::beast::string_view value,
                     boost::beast::error_code&) override {
    session_.on_field(sv(name), sv(value));
  }
  void on_header_impl(boost::beast::error_code&) override { session_.on_header_done(); }
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::beast::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override {
    session_.on_body(sv(body));
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                 boost::beast::error_code&) override {
    session_.on_body(sv(body));
    return body.size();
  }
  void on_finish_impl(boost::beast::error_code&) override {}

  H1Session& session_;
};

H1Session::H1Session(SessionEnv env) : env_(std::move(env)), scenario_(env_.context.scenarios) {}

H1Session::~H1Session() = default;

void H1Session::start() {
  if (!faults_) {
    // Ready: the first start() (after the handshake / the first bytes).
    faults_ = std::make_unique<ConnectionFaults>(env_.context, env_.context.scenarios.current(),
                                                 env_.listener, env_.stats, false);
    for (const Firing& firing : faults_->on_ready()) {
      act(firing.fault->action, false);
    }
    for (const auto& [index, ms] : faults_->after_ms_faults()) {
      env_.host.run_after(std::chrono::milliseconds(ms), [this, index = index] {
        for (const Firing& firing : faults_->on_after_ms(index)) {
          act(firing.fault->action, false);
        }
        env_.host.signal_write();
      });
    }
  }
  parser_ = std::make_unique<Parser>(*this);
  const auto& limits = scenario_.get()->limits;
  parser_->eager(true);
  parser_->body_limit(limits.max_request_body_bytes);
  parser_->header_limit(limits.max_header_bytes);
  max_pipelined_bytes_ = limits.max_pipelined_bytes;
}

void H1Session::on_input(std::span<const std::uint8_t> bytes) {
  if (state_ == State::closing || early_) {
    return;  // after an early answer the rest of the upload is dropped, then drained
  }
  input_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  process_input();
}

void H1Session::process_input() {
  while (state_ == State::reading && !input_.empty()) {
    boost::beast::error_code ec;
    const std::size_t used =
        parser_->put(boost::asio::const_buffer(input_.data(), input_.size()), ec);
    input_.erase(0, used);
    if (early_ && !parser_->is_done() && (!ec || ec == http::error::need_more)) {
      answer_early();  // the head is in, the body is not: answer now (respond.early)
      return;
    }
    if (ec == http::error::need_more) {
      return;
    }
    if (ec) {
      if (ec == http::error::body_limit) {
        fail_request(413, "request body exceeds max_request_body_bytes");
      } else if (ec == http::error::header_limit) {
        fail_request(431, "request headers exceed max_header_bytes");
      } else {
        FAULTLINE_LOG(warn, (LogTag{"h1", env_.stats->id()}), "bad request: " << ec.message());
        fail_request(400, "bad request: " + ec.message());
      }
      return;
    }
    if (parser_->is_done()) {
      on_message_done();
    }
    if (used == 0) {
      return;
    }
  }
}

void H1Session::on_request_line(std::string_view method, std::string_view target, int version) {
  head_ = RequestHead{};
  head_.method = method;
  split_target(target, head_.path, head_.query);
  version_ = version;
  request_id_.clear();
  content_type_.clear();
  ns_header_.clear();
  scenario_header_.clear();
  tenant_ = Tenant{};
  tenant_error_.reset();
  expect_continue_ = false;
  early_ = false;
}

void H1Session::on_field(std::string_view name, std::string_view value) {
  std::string key = to_lower(name);
  if (key == kRequestIdHeader) {
    request_id_ = value;
  } else if (key == kNamespaceHeader) {
    ns_header_ = value;
  } else if (key == kScenarioHeader) {
    scenario_header_ = value;
  } else if (key == "content-type") {
    content_type_ = value;
  } else if (key == "expect" && iequals(value, "100-continue")) {
    expect_continue_ = true;
  }
  head_.headers.emplace_back(std::move(key), value);
}

void H1Session::on_header_done() {
  keep_alive_ = parser_->keep_alive() && !stopping_ && !goaway_;
  cut_ = nullptr;
  cut_sent_ = 0;
  ++requests_opened_;
  auto chosen = select_tenant(env_.context, head_.path, TenantChoice{ns_header_, scenario_header_});
  if (auto* error = std::get_if<TenantError>(&chosen)) {
    tenant_error_ = std::move(*error);
  } else {
    tenant_ = std::move(std::get<Tenant>(chosen));
    env_.stats->bind(tenant_);
  }
  {
    auto pending = std::move(next_request_);
    next_request_.clear();
    for (const auto* action : pending) {
      act(*action, true);
    }
    for (const Firing& firing :
         faults_->on_stream_open(head_.method, head_.path, request_id_, requests_opened_, 1)) {
      act(firing.fault->action, true);
    }
  }
  env_.stats->on_h1_request(head_.method, head_.path);
  FAULTLINE_LOG(debug, (LogTag{"h1", env_.stats->id()}), head_.method << " " << head_.path);
  match_ = match_route(tenant_.scenario ? tenant_.scenario : scenario_.get(), env_.listener,
                       head_.method, head_.path, faults_->attempt());
  match_.prefix = tenant_.prefix;
  if (match_.echo()) {
    echo_ = std::make_unique<EchoRecorder>(content_type_);
  }
  early_ = match_.route != nullptr && match_.route->respond.early && !tenant_error_;
  if (early_) {
    return;  // answered from process_input once the head is parsed, 100 or not
  }
  if (expect_continue_ && version_ >= 11 && answers_expect_continue(match_)) {
    append("HTTP/1.1 100 Continue\r\n\r\n");
    env_.host.signal_write();
  }
}

void H1Session::on_body(std::string_view bytes) {
  env_.stats->on_request_body(request_id_, bytes.size(), tenant_.ns.get());
  if (echo_) {
    echo_->on_body(bytes);
  }
}

void H1Session::on_message_done() {
  if (dead_) {
    return;
  }
  early_ = false;  // no body, or all of it came with the head: answered as usual
  answer();
}

void H1Session::answer_early() {
  // RFC 9112 9.6: the response says connection: close; the connection then closes
  // gracefully, draining what the client still sends (connection.cpp, input_drain).
  if (dead_) {
    return;
  }
  FAULTLINE_LOG(debug, (LogTag{"h1", env_.stats->id()}), "answered before the request body");
  keep_alive_ = false;
  input_.clear();
  answer();
}

void H1Session::answer() {
  if (tenant_error_) {
    plan_ = error_response(tenant_error_->status, tenant_error_->message);
  } else {
    env_.stats->on_request();
    if (tenant_.ns) {
      tenant_.ns->count_request();
    }
    plan_ = plan_response(match_, head_, echo_.get(), env_.context.origins);
  }
  echo_.reset();
  head_only_ = head_.method == "HEAD";
  state_ = State::waiting;
  ++exchange_;
  if (plan_.hold && !env_.context.may_hold(0, *env_.stats)) {
    state_ = State::reading;  // fail_request answers from here
    fail_request(503, "too many held streams (--max-held-streams)");
    return;
  }
  if (plan_.hold) {
    const std::uint64_t exchange = exchange_;
    FAULTLINE_LOG(debug, (LogTag{"h1", env_.stats->id()}), "held at gate " << *plan_.hold);
    auto resume = env_.host.make_waker([this, exchange] {
      if (exchange != exchange_ || state_ != State::waiting) {
        return;
      }
      ticket_.reset();
      after_hold();
    });
    ticket_ = hold_at_gate(env_.context, tenant_, *match_.scenario, *plan_.hold, std::move(resume));
    return;
  }
  after_hold();
}

void H1Session::after_hold() {
  if (plan_.delay.count() > 0) {
    const std::uint64_t exchange = exchange_;
    env_.host.run_after(plan_.delay, [this, exchange] {
      if (exchange == exchange_ && state_ == State::waiting) {
        start_response();
      }
    });
    return;
  }
  start_response();
}

void H1Session::start_response() {
  const std::optional<std::uint64_t> size =
      plan_.body ? plan_.body->size() : std::optional<std::uint64_t>(0);
  const bool trailers = !plan_.trailers.empty() && !head_only_;
  const auto& declared = plan_.content_length;
  // A declared length replaces the body's own: "none" chunks the body, values frame it
  // (as far as they can: that is the point of declaring them).
  chunked_ = !head_only_ && version_ >= 11 && (declared ? declared->omit : (trailers || !size));
  if (!size && !chunked_ && !head_only_) {
    keep_alive_ = false;  // HTTP/1.0: delimit by close
  }

  out_.reserve(out_.size() + 256);
  if (version_ >= 11) {
    // Interim heads (RFC 9112 4, RFC 9110 15.2); an HTTP/1.0 client cannot take them.
    for (const auto& interim : plan_.informational) {
      append("HTTP/1.1 ");
      append_number(out_, static_cast<std::uint64_t>(interim.status));
      append(" ");
      append(sv(http::obsolete_reason(static_cast<http::status>(interim.status))));
      append("\r\n");
      for (const auto& [name, value] : interim.headers) {
        append(name);
        append(": ");
        append(value);
        append("\r\n");
      }
      append("\r\n");
    }
  }
  const std::size_t head_start = out_.size();
  append("HTTP/1.1 ");
  append_number(out_, static_cast<std::uint64_t>(plan_.status));
  append(" ");
  append(sv(http::obsolete_reason(static_cast<http::status>(plan_.status))));
  append("\r\n");
  for (const auto& [name, value] : plan_.headers) {
    append(name);
    append(": ");
    append(value);
    append("\r\n");
  }
  if (chunked_) {
    append("transfer-encoding: chunked\r\n");
  } else if (declared) {
    for (const auto value : declared->values) {
      append("content-length: ");
      append_number(out_, value);
      append("\r\n");
    }
  } else if (size) {
    append("content-length: ");
    append_number(out_, *size);
    append("\r\n");
  }
  if (trailers && chunked_) {
    append("trailer: ");
    for (std::size_t i = 0; i < plan_.trailers.size(); ++i) {
      if (i > 0) {
        append(", ");
      }
      append(plan_.trailers[i].first);
    }
    append("\r\n");
  }
  if (!request_id_.empty()) {
    append(kRequestIdHeader);
    append(": ");
    append(request_id_);
    append("\r\n");
  }
  if (!keep_alive_) {
    append("connection: close\r\n");
  }
  append("\r\n");
  if (cut_ != nullptr) {
    const auto* c = std::get_if<scenarios::CloseAction>(cut_);
    const auto* rst = std::get_if<scenarios::RstStreamAction>(cut_);
    if (c != nullptr && c->at == scenarios::ClosePoint::mid_headers) {
      // The first half of the response head, then the close.
      out_.resize(head_start + std::max<std::size_t>(1, (out_.size() - head_start) / 2));
      fault_close(c->mode, "close fault mid_headers");
      return;
    }
    const auto budget = cut_budget();
    if ((rst != nullptr && rst->at == scenarios::RstPoint::after_headers) ||
        (budget && *budget == 0)) {
      // After the head (an empty body is cut right there).
      fault_close(c != nullptr ? c->mode : scenarios::CloseMode::fin, "fault after the head");
      return;
    }
  }
  env_.stats->on_h1_response(plan_.status);
  env_.stats->on_served(request_id_, tenant_.ns.get());
  state_ = State::responding;
  if (head_only_ || !plan_.body || plan_.body->done()) {
    if (chunked_) {
      plan_.body.reset();  // produce_output writes the last chunk and trailers
    } else {
      finish_exchange();
    }
  }
  env_.host.signal_write();
}

void H1Session::produce_output(std::vector<std::uint8_t>& out, std::size_t max) {
  if (state_ == State::responding && !body_paused_) {
    std::array<std::uint8_t, kH1BodyReadBytes> scratch;
    while (out_.size() < max) {
      if (plan_.body && !plan_.body->done()) {
        if (const auto delay = plan_.body->take_delay(); delay.count() > 0) {
          body_paused_ = true;
          const std::uint64_t exchange = exchange_;
          env_.host.run_after(delay, [this, exchange] {
            if (exchange != exchange_) {
              return;
            }
            body_paused_ = false;
            env_.host.signal_write();
          });
          break;
        }
        std::span<std::uint8_t> room(scratch);
        if (const auto budget = cut_budget()) {
          if (*budget == 0) {
            const auto* c = std::get_if<scenarios::CloseAction>(cut_);
            fault_close(c != nullptr ? c->mode : scenarios::CloseMode::fin, "fault mid_body");
            break;
          }
          room =
              room.first(static_cast<std::size_t>(std::min<std::uint64_t>(room.size(), *budget)));
        }
        const std::size_t n = plan_.body->read(room);
        cut_sent_ += n;
        if (chunked_ && n > 0) {
          append_number(out_, n, 16);
          append("\r\n");
        }
        out_.append(reinterpret_cast<const char*>(scratch.data()), n);
        if (chunked_ && n > 0) {
          append("\r\n");
        }
        continue;
      }
      // Body complete.
      if (chunked_) {
        append("0\r\n");
        for (const auto& [name, value] : plan_.trailers) {
          append(name);
          append(": ");
          append(value);
          append("\r\n");
        }
        append("\r\n");
      }
      finish_exchange();
      break;
    }
  }
  out.insert(out.end(), out_.begin(), out_.end());
  out_.clear();
}

void H1Session::finish_exchange() {
  if (goaway_ && !dead_) {
    // A goaway fault: this response carried "connection: close"; close_notify, then FIN.
    dead_ = true;
    env_.host.close_transport(scenarios::CloseMode::close_notify, true, "goaway");
  }
  plan_ = ResponsePlan{};
  match_ = RouteMatch{};
  faults_->on_stream_closed(0);
  if (!keep_alive_ || peer_closed_ || stopping_) {
    state_ = State::closing;
    return;
  }
  state_ = State::reading;
  start();
  if (!input_.empty()) {
    // A pipelined request: parse it on the next turn, not inside produce_output.
    const std::uint64_t exchange = exchange_;
    env_.host.run_after(std::chrono::milliseconds(0), [this, exchange] {
      if (exchange == exchange_ && state_ == State::reading) {
        process_input();
      }
      env_.host.signal_write();
    });
  }
}

void H1Session::fail_request(int status, std::string_view message) {
  FAULTLINE_LOG(debug, (LogTag{"h1", env_.stats->id()}), status << " " << message);
  ++exchange_;
  plan_ = error_response(status, message);
  head_only_ = false;
  keep_alive_ = false;
  request_id_.clear();
  input_.clear();
  start_response();
}

SessionPhase H1Session::phase() const {
  if (state_ != State::reading) {
    return SessionPhase::busy;
  }
  if (parser_ && parser_->is_header_done()) {
    return SessionPhase::busy;  // a request body under way
  }
  if ((parser_ && parser_->got_some()) || !input_.empty() || requests_opened_ == 0) {
    return SessionPhase::awaiting_head;
  }
  return SessionPhase::idle;
}

bool H1Session::wants_input() const {
  const std::uint32_t limit = max_pipelined_bytes_;
  return limit == 0 || state_ == State::reading || input_.size() < limit;
}

bool H1Session::should_close() const {
  return state_ == State::closing && out_.empty();
}

void H1Session::on_peer_closed() {
  peer_closed_ = true;
  if (state_ == State::reading) {
    state_ = State::closing;
  }
}

void H1Session::shutdown() {
  stopping_ = true;
  keep_alive_ = false;
  if (state_ == State::reading || state_ == State::waiting) {
    state_ = State::closing;
  }
  env_.host.signal_write();
}

void H1Session::on_closed(std::string_view reason) {
  if (ticket_) {
    gates_of(env_.context, tenant_).cancel(*ticket_);
  }
  ticket_.reset();
  ++exchange_;
  env_.stats->close(reason);
}

}  // namespace faultline::fake_server::detail
