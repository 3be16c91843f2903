#include "transport_driver.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <unordered_set>

#include "faultline/harness/limits.h"
#include "faultline/transport/client.h"
#include "faultline/transport/errors.h"
#include "slow_reader.h"

namespace faultline::conformance {
namespace {

using Clock = std::chrono::steady_clock;

/** The h2 stream window the transport grants each response (transport/README.md). */
constexpr std::int64_t kTransportStreamWindow = 4 * 1024 * 1024;

/** A pull source over bytes in memory: a body the transport must treat as not
    replayable (the request's body_stream). */
transport::Body streamed_body(std::string bytes) {
  auto data = std::make_shared<std::string>(std::move(bytes));
  auto offset = std::make_shared<std::size_t>(0);
  const auto length = static_cast<std::uint64_t>(data->size());
  return transport::Body::pull(
      [data, offset](std::span<char> buffer) {
        const std::size_t n = std::min(buffer.size(), data->size() - *offset);
        std::copy_n(data->data() + *offset, n, buffer.data());
        *offset += n;
        return transport::PullResult{n, *offset == data->size(), false};
      },
      length);
}

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

/** A response head (final or 1xx) as the driver protocol's event of `type`. */
harness::Event head_event(harness::Event::Type type, Clock::time_point sent,
                          const transport::ResponseHead& head) {
  harness::Event e;
  e.type = type;
  e.t_ms = elapsed_ms(sent);
  e.status = head.status;
  for (const auto& [name, value] : head.headers) {
    e.headers.emplace_back(name, value);
  }
  return e;
}

harness::ErrorKind kind_of(std::error_code error) {
  using transport::errc;
  if (error.category() != transport::transport_category()) {
    return harness::ErrorKind::other;
  }
  switch (static_cast<errc>(error.value())) {
    case errc::aborted:
      return harness::ErrorKind::aborted;
    case errc::timeout:
      return harness::ErrorKind::timeout;
    case errc::connect_failed:
    case errc::tls_failed:
    case errc::session_lost:
    case errc::too_many_redirects:
    case errc::redirect_not_allowed:
    case errc::bad_redirect:
    case errc::retries_exhausted:
      return harness::ErrorKind::network;
    case errc::protocol_error:
    case errc::stream_reset:
    case errc::header_too_large:
      return harness::ErrorKind::protocol;
    default:
      return harness::ErrorKind::other;
  }
}

/** A pull source over `bytes`, in pieces of at most 16 KiB: the request's
    body_declared_length is declared beside it, true or not. */
transport::PullSource streamed(std::string bytes) {
  auto data = std::make_shared<std::string>(std::move(bytes));
  auto offset = std::make_shared<std::size_t>(0);
  return [data, offset](std::span<char> buffer) {
    constexpr std::size_t kPiece = 16 * 1024;
    const std::size_t n = std::min({buffer.size(), kPiece, data->size() - *offset});
    std::copy_n(data->data() + *offset, n, buffer.data());
    *offset += n;
    return transport::PullResult{n, *offset == data->size(), false};
  };
}

transport::RedirectMode mode_of(harness::RedirectMode mode) {
  switch (mode) {
    case harness::RedirectMode::manual:
      return transport::RedirectMode::manual;
    case harness::RedirectMode::error:
      return transport::RedirectMode::error;
    case harness::RedirectMode::follow:
      break;
  }
  return transport::RedirectMode::follow;
}

transport::Options client_options(const TransportDriverOptions& o) {
  transport::Options options;
  options.max_sessions_per_origin = o.max_sessions;
  options.max_streams_per_session = o.max_streams;
  options.force_http1 = o.force_http1;
  options.idle_timeout = o.idle_timeout;
  options.tls.ca_file = o.ca_file.string();
  return options;
}

}  // namespace

struct TransportDriver::Impl {
  explicit Impl(const TransportDriverOptions& o)
      : options(o), client(transport::testing::make_client(client_options(o), o.defects)) {
    info.protocol = harness::kProtocolVersion;
    info.name = o.force_http1 ? "transport-h1" : "transport-h2";
    info.version = "0.1";
    info.max_sessions = static_cast<int>(o.max_sessions);
    info.max_streams = o.force_http1 ? 1 : static_cast<int>(o.max_streams);
    info.h2 = !o.force_http1;
    info.api = "client";
    // Over HTTP/1.1 libcurl's cache prunes idle connections lazily: no timer there.
    info.capabilities.idle_timeout_ms = o.force_http1 ? 0 : o.idle_timeout.count();
    // A request that times out on an h2 session starts a PING answered within
    // Options::ping_timeout, or the session closes. Over HTTP/1.1 a timed-out transfer's
    // connection is closed with it.
    info.capabilities.liveness_timeout_ms = transport::Options{}.ping_timeout.count();
    // A 421 is the caller's (transport/README.md).
    info.capabilities.retries_421 = false;
    info.capabilities.trailers = true;
    info.capabilities.informational = true;
    info.capabilities.declared_length_bodies = true;
    info.capabilities.receive_backpressure = true;  // Client::pause / Client::resume
    info.capabilities.max_response_header_bytes =
        static_cast<std::int64_t>(transport::Options{}.max_response_header_bytes);
    if (!o.force_http1) {
      info.capabilities.stream_window = kTransportStreamWindow;
    }
  }
  // The slow reader's holds reach the client, which goes first (the last member).
  ~Impl() { slow_reader.drop_holds(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  /** The transport's id of request `id`, while it is in flight. */
  std::optional<transport::RequestId> transport_id(std::uint64_t id) {
    std::lock_guard lock(mutex);
    const auto it = transport_ids.find(id);
    return it == transport_ids.end() ? std::nullopt : std::optional(it->second);
  }

  TransportDriverOptions options;
  harness::DriverInfo info;
  std::mutex mutex;
  /** Requests in flight (an abort finds their controller here; dropped on completion). */
  std::map<std::uint64_t, transport::AbortController> controllers;
  /** The transport's RequestId of each request in flight (pause and resume use it). */
  std::map<std::uint64_t, transport::RequestId> transport_ids;
  /** Every id ever used, so that a reused one is refused (8 bytes a request, not a
      controller's shared state: a long soak stays flat). */
  std::unordered_set<std::uint64_t> used_ids;
  std::atomic<std::uint64_t> next_id{1};
  /** Reads the bodies of requests with read_delay_ms (outlives the client's completions). */
  SlowReader slow_reader;
  transport::Client client;  // last: destroyed first, its completions see the rest alive
};

TransportDriver::TransportDriver(TransportDriverOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

TransportDriver::~TransportDriver() = default;

const harness::DriverInfo& TransportDriver::hello() const {
  return impl_->info;
}

std::string TransportDriver::label() const {
  return impl_->options.force_http1 ? "h1" : "h2";
}

std::shared_ptr<harness::Exchange> TransportDriver::send(harness::Request request) {
  transport::AbortController controller;
  {
    std::lock_guard lock(impl_->mutex);
    if (request.id == 0) {
      request.id = impl_->next_id++;
      while (impl_->used_ids.count(request.id) != 0) {
        request.id = impl_->next_id++;
      }
    } else if (impl_->used_ids.count(request.id) != 0) {
      throw std::invalid_argument("request id " + std::to_string(request.id) + " already used");
    }
    impl_->used_ids.insert(request.id);
    impl_->controllers.emplace(request.id, controller);
  }
  auto exchange = std::make_shared<harness::Exchange>(request);

  transport::Request r;
  r.method = request.method;
  r.url = request.url;
  for (auto& [name, value] : request.headers) {
    r.headers.emplace_back(name, value);
  }
  if (request.body && request.body_declared_length) {
    r.body = transport::Body::pull(streamed(*request.body), *request.body_declared_length);
  } else if (request.body) {
    r.body =
        request.body_stream ? streamed_body(*request.body) : transport::Body::bytes(*request.body);
  }
  if (request.timeout_ms != 0) {
    r.timeout = std::chrono::milliseconds(request.timeout_ms);
  }
  r.redirect = mode_of(request.redirect);
  r.max_redirects = harness::kMaxRedirects;
  r.abort = controller.signal();

  const auto sent = Clock::now();
  // A slow caller's events go through the slow reader, in order; the others at once.
  std::shared_ptr<SlowReader::Stream> slow;
  if (request.read_delay_ms > 0) {
    slow =
        impl_->slow_reader.open(exchange, sent, std::chrono::milliseconds(request.read_delay_ms));
  }
  auto deliver = [exchange, slow, reader = &impl_->slow_reader](harness::Event e) {
    if (slow) {
      reader->push(slow, std::move(e));
    } else {
      exchange->push(std::move(e));
    }
  };
  transport::Handlers handlers;
  handlers.on_informational = [deliver, sent](const transport::ResponseHead& head) {
    deliver(head_event(harness::Event::Type::informational, sent, head));
  };
  handlers.on_headers = [deliver, sent](const transport::ResponseHead& head) {
    harness::Event e = head_event(harness::Event::Type::headers, sent, head);
    e.protocol = std::string(transport::to_string(head.protocol));
    deliver(std::move(e));
  };
  // A slow consumer of a push API takes each chunk from the slow reader's queue
  // read_delay_ms after the previous one, on its own thread: the transport's I/O thread
  // keeps serving the other streams meanwhile, so slow reads overlap.
  handlers.on_data = [deliver, sent](std::string_view chunk) {
    harness::Event e;
    e.type = harness::Event::Type::data;
    e.t_ms = elapsed_ms(sent);
    e.data = std::string(chunk);
    deliver(std::move(e));
  };
  // The client is destroyed first (Impl's last member): its completions see Impl alive.
  handlers.on_complete = [deliver, sent, impl = impl_.get(),
                          id = request.id](transport::Result&& result) {
    {
      std::lock_guard lock(impl->mutex);
      impl->controllers.erase(id);
      impl->transport_ids.erase(id);
    }
    harness::Event e;
    e.t_ms = elapsed_ms(sent);
    if (result.ok()) {
      e.type = harness::Event::Type::end;
      for (auto& [name, value] : result.response.trailers) {
        e.trailers.emplace_back(name, value);
      }
    } else {
      e.type = harness::Event::Type::error;
      e.kind = kind_of(result.error);
      e.message = result.error.message();
      if (!result.detail.empty()) {
        e.message += " (" + result.detail + ")";
      }
    }
    deliver(std::move(e));
  };
  const auto transport_id = impl_->client.send(std::move(r), std::move(handlers));
  if (slow) {
    // The slow caller pushes back: its unread bytes are bounded, so the transport's
    // window (h2) or connection (h1) stops while it reads.
    impl_->slow_reader.hold_with(slow, [client = &impl_->client, transport_id](bool pause) {
      pause ? client->pause(transport_id) : client->resume(transport_id);
    });
  }
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->controllers.count(request.id) != 0) {  // not completed already
      impl_->transport_ids.emplace(request.id, transport_id);
    }
  }
  return exchange;
}

void TransportDriver::pause(std::uint64_t id) {
  if (const auto tid = impl_->transport_id(id)) {
    impl_->client.pause(*tid);
  }
}

void TransportDriver::resume(std::uint64_t id) {
  if (const auto tid = impl_->transport_id(id)) {
    impl_->client.resume(*tid);
  }
}

void TransportDriver::abort(std::uint64_t id) {
  transport::AbortController controller;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->controllers.find(id);
    if (it == impl_->controllers.end()) {
      return;
    }
    controller = it->second;
  }
  controller.abort();
}

harness::StatsResult TransportDriver::stats(harness::Deadline) {
  harness::StatsResult r;
  r.ok = true;
  r.stats = transport_stats_json(impl_->client.stats());
  return r;
}

std::string TransportDriver::diagnostics() const {
  return "transport stats: " + transport_stats_json(impl_->client.stats()).dump();
}

transport::Stats TransportDriver::transport_stats() const {
  return impl_->client.stats();
}

nlohmann::json transport_stats_json(const transport::Stats& s) {
  nlohmann::json closed = nlohmann::json::object();
  for (auto& [reason, n] : s.closed_by_reason) {
    closed[transport::to_string(reason)] = n;
  }
  nlohmann::json origins = nlohmann::json::object();
  for (auto& [origin, o] : s.origins) {
    origins[origin] = {{"h2_attempts", o.h2_attempts},
                       {"h2_sessions_ready", o.h2_sessions_ready},
                       {"fallbacks", o.fallbacks},
                       {"requests", o.requests},
                       {"served_over_http11", o.served_over_http11}};
  }
  return {{"sessions_opened", s.sessions_opened},
          {"h2_sessions_opened", s.h2_sessions_opened},
          {"h1_connections_opened", s.h1_connections_opened},
          {"sessions_closed", s.sessions_closed},
          {"closed_by_reason", closed},
          {"sessions_open", s.sessions_open},
          {"goaways_received", s.goaways_received},
          {"streams_opened", s.streams_opened},
          {"peak_streams_per_session", s.peak_streams_per_session},
          {"queue_depth", s.queue_depth},
          {"peak_queue_depth", s.peak_queue_depth},
          {"retries", s.retries},
          {"fallbacks", s.fallbacks},
          {"redirects", s.redirects},
          {"requests_started", s.requests_started},
          {"requests_succeeded", s.requests_succeeded},
          {"requests_failed", s.requests_failed},
          {"requests_pending", s.requests_pending},
          {"origins", origins}};
}

}  // namespace faultline::conformance
