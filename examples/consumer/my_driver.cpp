#include "my_driver.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <span>
#include <stdexcept>
#include <string_view>

#include "faultline/harness/limits.h"
#include "faultline/transport/errors.h"

namespace consumer {
namespace {

namespace harness = faultline::harness;
namespace transport = faultline::transport;
using Clock = std::chrono::steady_clock;

/** Event times are milliseconds since the request was sent (the driver protocol's t_ms). */
double ms_since(Clock::time_point sent) {
  return std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
}

transport::Options options_for(const std::filesystem::path& ca_file) {
  transport::Options options;
  options.tls.ca_file = ca_file.string();
  options.max_sessions_per_origin = kMaxSessions;
  options.max_streams_per_session = kMaxStreams;
  options.idle_timeout = kIdleTimeout;
  return options;
}

/** The driver protocol's error kinds, from the transport's error codes. */
harness::ErrorKind error_kind(std::error_code error) {
  if (error == transport::errc::aborted) {
    return harness::ErrorKind::aborted;
  }
  if (error == transport::errc::timeout) {
    return harness::ErrorKind::timeout;
  }
  if (error == transport::errc::protocol_error || error == transport::errc::header_too_large) {
    return harness::ErrorKind::protocol;  // the peer broke HTTP (RESP-ERROR-TYPING)
  }
  return harness::ErrorKind::network;
}

transport::RedirectMode redirect_mode(harness::RedirectMode mode) {
  if (mode == harness::RedirectMode::manual) {
    return transport::RedirectMode::manual;
  }
  if (mode == harness::RedirectMode::error) {
    return transport::RedirectMode::error;
  }
  return transport::RedirectMode::follow;
}

/** The transport's callbacks, each turned into the exchange's next event. */
transport::Handlers handlers_for(std::shared_ptr<harness::Exchange> exchange) {
  const auto sent = Clock::now();
  transport::Handlers handlers;
  handlers.on_headers = [exchange, sent](const transport::ResponseHead& head) {
    harness::Event event;
    event.type = harness::Event::Type::headers;
    event.t_ms = ms_since(sent);
    event.status = head.status;
    event.headers.assign(head.headers.begin(), head.headers.end());
    event.protocol = std::string(transport::to_string(head.protocol));
    exchange->push(std::move(event));
  };
  handlers.on_data = [exchange, sent](std::string_view chunk) {
    harness::Event event;
    event.type = harness::Event::Type::data;
    event.t_ms = ms_since(sent);
    event.data = std::string(chunk);
    exchange->push(std::move(event));
  };
  handlers.on_complete = [exchange, sent](transport::Result&& result) {
    harness::Event event;
    event.type = result.ok() ? harness::Event::Type::end : harness::Event::Type::error;
    event.t_ms = ms_since(sent);
    if (!result.ok()) {
      event.kind = error_kind(result.error);
      event.message = result.error.message();
    } else {
      event.trailers.assign(result.response.trailers.begin(), result.response.trailers.end());
    }
    exchange->push(std::move(event));
  };
  return handlers;
}

}  // namespace

MyDriver::MyDriver(const std::filesystem::path& ca_file) : client_(options_for(ca_file)) {
  info_.protocol = harness::kProtocolVersion;
  info_.name = "my-transport";
  info_.version = "1.0";
  info_.max_sessions = static_cast<int>(kMaxSessions);
  info_.max_streams = static_cast<int>(kMaxStreams);
  info_.h2 = true;
  info_.capabilities.idle_timeout_ms = kIdleTimeout.count();
  info_.capabilities.trailers = true;  // reported on the end event (RESP-TRAILERS)
  // A request that times out on an h2 session starts a PING answered within
  // Options::ping_timeout, or the session closes (LIVE-DEAD-CONNECTION).
  info_.capabilities.liveness_timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                               faultline::transport::Options{}.ping_timeout)
                                               .count();
  info_.capabilities.receive_backpressure = true;
  info_.capabilities.stream_window = 4 * 1024 * 1024;  // the transport's h2 stream window
}

std::shared_ptr<harness::Exchange> MyDriver::send(harness::Request request) {
  transport::AbortController abort;
  {
    std::lock_guard lock(mutex_);
    if (request.id == 0) {
      request.id = next_id_++;
    }
    if (!aborts_.emplace(request.id, abort).second) {
      throw std::invalid_argument("request id " + std::to_string(request.id) + " already used");
    }
  }
  auto exchange = std::make_shared<harness::Exchange>(request);
  transport::Request r;
  r.method = request.method;
  r.url = request.url;
  r.headers.assign(request.headers.begin(), request.headers.end());
  if (request.body && request.body_stream) {
    // A body the transport must not replay: a pull source over the bytes.
    auto data = std::make_shared<std::string>(*request.body);
    auto sent = std::make_shared<std::size_t>(0);
    r.body = transport::Body::pull(
        [data, sent](std::span<char> buffer) {
          const std::size_t n = std::min(buffer.size(), data->size() - *sent);
          std::copy_n(data->data() + *sent, n, buffer.data());
          *sent += n;
          return transport::PullResult{n, *sent == data->size(), false};
        },
        data->size());
  } else if (request.body) {
    r.body = transport::Body::bytes(*request.body);
  }
  if (request.timeout_ms != 0) {
    r.timeout = std::chrono::milliseconds(request.timeout_ms);
  }
  r.redirect = redirect_mode(request.redirect);
  r.max_redirects = harness::kMaxRedirects;
  r.abort = abort.signal();
  const auto id = client_.send(std::move(r), handlers_for(exchange));
  std::lock_guard lock(mutex_);
  transport_ids_.emplace(request.id, id);
  return exchange;
}

void MyDriver::pause(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = transport_ids_.find(id); it != transport_ids_.end()) {
    client_.pause(it->second);
  }
}

void MyDriver::resume(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = transport_ids_.find(id); it != transport_ids_.end()) {
    client_.resume(it->second);
  }
}

void MyDriver::abort(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = aborts_.find(id); it != aborts_.end()) {
    it->second.abort();
  }
}

harness::StatsResult MyDriver::stats(harness::Deadline) {
  const auto s = client_.stats();
  harness::StatsResult result;
  result.ok = true;
  result.stats = {{"sessions_opened", s.sessions_opened}, {"streams_opened", s.streams_opened}};
  return result;
}

std::string MyDriver::diagnostics() const {
  return "my-transport: " + std::to_string(client_.stats().sessions_opened) + " sessions opened";
}

}  // namespace consumer
