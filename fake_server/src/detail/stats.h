// What the server saw on the wire: per-connection counters and timelines, global
// counters and per-request-id serve counts. Written by connections on their strands,
// read and reset by the admin API on its own thread: everything here is locked.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "detail/namespaces.h"
#include "detail/server_limits.h"
#include "detail/stream_flow.h"
#include "detail/timeline.h"

namespace faultline::fake_server::detail {

class StatsRegistry;

/** Gives memory the allocator holds but does not use back to the system (glibc
    malloc_trim), at most once per kTrimInterval unless `force`. Returns whether it
    trimmed (false: it did less than kTrimInterval ago). Thread safe. */
bool trim_free_memory(bool force = false);

/** A frame as the HTTP/2 session reports it to the stats. */
struct FrameFacts {
  Direction dir = Direction::in;
  EventType type = EventType::data;
  std::uint8_t flags = 0;
  std::int32_t stream = 0;
  std::uint32_t length = 0;
  std::int64_t error_code = -1;        ///< RST_STREAM, GOAWAY
  std::int32_t last_stream_id = -1;    ///< GOAWAY
  bool opens_stream = false;           ///< a request HEADERS frame that opened a stream
  std::uint32_t window_increment = 0;  ///< WINDOW_UPDATE
  /** DATA out: the client's stream window left after it (-1: unknown). */
  std::int64_t remote_window = -1;
};

/** Counters and timeline of one connection. Thread safe. Owned jointly by the
    connection (which writes) and the registry (which keeps it after close). */
class ConnectionStats {
 public:
  using Clock = std::chrono::steady_clock;

  ConnectionStats(StatsRegistry& registry, std::uint64_t id, std::string listener, bool tls,
                  double opened_ms, std::size_t timeline_capacity);

  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }

  /** After the handshake / protocol detection. */
  void set_protocol(std::string_view alpn, std::string_view protocol, std::string_view tls_version);
  /** An HTTP/2 frame received or sent. */
  void on_frame(const FrameFacts& frame);
  /** The client's non-ACK SETTINGS carried these (identifier, value) pairs: each one
      is kept, the last value of an identifier winning (client_settings). */
  void on_client_settings(std::span<const std::pair<std::uint16_t, std::uint32_t>> entries);
  /** A stream counted by on_frame(opens_stream) closed. */
  void on_stream_closed();
  /** A complete request was dispatched to a route. */
  void on_request();
  /** Response headers went out for a request carrying this id (empty: untagged), in
      namespace `ns` (nullptr: the default one, counted in the registry). */
  void on_served(std::string_view request_id, Namespace* ns = nullptr);
  /** `bytes` of request body arrived for a request carrying this id; counted per id in
      the default namespace only (nullptr), ignored in a named one. */
  void on_request_body(std::string_view request_id, std::uint64_t bytes, Namespace* ns = nullptr);
  /** Binds the connection to the namespace and scenario of its first request (later
      calls keep the first binding); returns the binding in force. Its counters and
      timeline then show under that namespace, and its faults come from that scenario
      (docs/admin-api.md, "Namespaces"). */
  std::shared_ptr<const Tenant> bind(const Tenant& tenant);
  /** The binding, nullptr before the first request. */
  [[nodiscard]] std::shared_ptr<const Tenant> binding() const;
  /** The bound namespace's name ("" for the default one, and before the first request). */
  [[nodiscard]] std::string ns_name() const;
  /** h1: a request head arrived / a response head was sent. */
  void on_h1_request(std::string_view method, std::string_view path);
  void on_h1_response(int status);
  /** Bytes at the socket: absolute totals (TLS: record bytes) or increments. */
  void set_bytes(std::uint64_t in, std::uint64_t out);
  void add_bytes(std::uint64_t in, std::uint64_t out);
  /** Fault-injection counters (docs/admin-api.md, "Additions for fault injection"). */
  void count_stream_limit_violation();
  void count_ping_sent();
  void count_ping_ack();
  void count_late_frame();
  /** A fault fired here (also counted in the registry's faults_fired unless `global`
      is false: an admin firing is counted there once, not per connection). */
  void count_fault(const std::string& key, bool global = true);
  /** A protection against hostile clients acted on this connection ("flood:ping",
      "idle_timeout", ...; docs/reliability.md): the connection's "guard" (the first one
      sticks) and the registry's "guards" counter. */
  void count_guard(const std::string& key);
  /** The connection closed; the first reason given sticks. */
  void close(std::string_view reason);

  [[nodiscard]] bool open() const;
  /** The <connection> object of admin-api.md. */
  [[nodiscard]] std::string to_json() const;
  /** {"id":N,"dropped":N,"events":[...]} */
  [[nodiscard]] std::string timeline_json() const;
  /** Zeroes counters and clears the timeline (active streams stay: they are state). */
  void reset();
  /** Frees the timeline (its events count as dropped): the registry's retention budget. */
  void release_timeline();

 private:
  friend class StatsRegistry;
  [[nodiscard]] double now_ms() const;
  void push(TimelineEvent event);             // lock held
  void json_into(nlohmann::json& out) const;  // lock held

  StatsRegistry& registry_;
  const std::uint64_t id_;
  const std::string listener_;
  const bool tls_;
  const double opened_ms_;
  const Clock::time_point opened_at_;

  mutable std::mutex mutex_;
  std::string alpn_, protocol_, tls_version_;
  bool open_ = true;
  std::string close_reason_;
  std::uint64_t streams_opened_ = 0, peak_concurrent_ = 0, active_streams_ = 0, requests_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> rst_received_, rst_sent_;
  std::uint64_t goaway_sent_ = 0, goaway_received_ = 0, settings_received_ = 0;
  /** The codes of the client's GOAWAY frames, by RFC name. */
  std::map<std::string, std::uint64_t, std::less<>> goaway_codes_received_;
  /** The client's SETTINGS, by RFC name ("ENABLE_PUSH"), last value of each. */
  std::map<std::string, std::uint32_t, std::less<>> client_settings_;
  std::uint64_t bytes_in_ = 0, bytes_out_ = 0;
  std::uint64_t stream_limit_violations_ = 0, pings_sent_ = 0, ping_acks_ = 0,
                late_frames_sent_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> faults_fired_;
  std::string guard_;
  std::uint64_t bytes_in_base_ = 0, bytes_out_base_ = 0;  ///< set_bytes totals at reset
  std::shared_ptr<const Tenant> binding_;
  std::atomic<bool> bound_{false};  ///< binding_ is set (read without the lock)
  Timeline timeline_;
  StreamFlow flow_;
};

/** All connections and global counters. Thread safe. */
class StatsRegistry {
 public:
  /** timeline_capacity: events per connection; the retention bounds are
      server_limits.h's (smaller in tests). */
  explicit StatsRegistry(std::size_t timeline_capacity,
                         std::size_t closed_timeline_events = kClosedTimelineEvents,
                         std::size_t max_request_ids = kMaxRequestIds);

  /** A new accepted connection (counted in connections_total). */
  [[nodiscard]] std::shared_ptr<ConnectionStats> open_connection(std::string listener, bool tls);

  /** How many times a request id was served. */
  [[nodiscard]] std::uint64_t served(std::string_view request_id) const;
  /** Request body bytes received for a request id, every attempt together. */
  [[nodiscard]] std::uint64_t body_bytes(std::string_view request_id) const;
  /** The connections that served a request id, in serve order, the first
      kMaxServedConnections of them (GET /v1/requests/{id} "connections"). */
  [[nodiscard]] std::vector<std::uint64_t> served_on(std::string_view request_id) const;
  static constexpr std::size_t kMaxServedConnections = 8;

  /** GET /v1/stats */
  [[nodiscard]] std::string stats_json() const;
  /** GET /v1/connections */
  [[nodiscard]] std::string connections_json() const;
  /** GET /v1/connections/{id}; nullopt when unknown. */
  [[nodiscard]] std::optional<std::string> connection_json(std::uint64_t id) const;
  /** GET /v1/connections/{id}/timeline; nullopt when unknown. */
  [[nodiscard]] std::optional<std::string> timeline_json(std::uint64_t id) const;
  /** POST /v1/reset: counters, timelines, request ids, closed connections. */
  void reset();

  // The view of one named namespace (stats_namespace.cpp): its connections are those
  // bound to it; its request counts are the namespace's own.
  /** GET /v1/stats?namespace= */
  [[nodiscard]] std::string stats_json(const std::string& ns_name, const Namespace* ns) const;
  /** GET /v1/connections?namespace= */
  [[nodiscard]] std::string connections_json(const std::string& ns_name) const;
  /** POST /v1/reset?namespace=: the connections bound to it (closed ones forgotten, open
      ones zeroed). The server-wide totals stay. */
  void reset(const std::string& ns_name);
  /** The ids of the connections bound to namespace `ns_name`. */
  [[nodiscard]] std::vector<std::uint64_t> connections_in(const std::string& ns_name) const;

  // Called by ConnectionStats (never with its lock held).
  void count_stream() noexcept { streams_total_.fetch_add(1, std::memory_order_relaxed); }
  void count_request() noexcept { requests_total_.fetch_add(1, std::memory_order_relaxed); }
  void count_goaway_sent() noexcept { goaway_sent_.fetch_add(1, std::memory_order_relaxed); }
  void count_rst_received(std::string_view code);
  void count_served(std::string_view request_id, std::uint64_t connection);
  /** `bytes` of request body arrived for a request carrying this id (default namespace). */
  void count_body_bytes(std::string_view request_id, std::uint64_t bytes);
  void count_fault(const std::string& key);
  /** A guard acted (also called for guards with no connection: "connection_limit"). */
  void count_guard(const std::string& key);
  /** A connection closed with `events` in its timeline (the retention budget). */
  void connection_closed(std::uint64_t id, std::size_t events);
  [[nodiscard]] double now_ms() const;

 private:
  [[nodiscard]] std::shared_ptr<ConnectionStats> find(std::uint64_t id) const;
  /** The connections bound to namespace `ns_name`, in id order. */
  [[nodiscard]] std::vector<std::shared_ptr<ConnectionStats>> bound_to(
      const std::string& ns_name) const;

  const std::size_t timeline_capacity_;
  const std::size_t closed_timeline_events_;
  const std::size_t max_request_ids_;
  const ConnectionStats::Clock::time_point started_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::uint64_t> connections_total_{0}, streams_total_{0}, requests_total_{0},
      goaway_sent_{0};

  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::shared_ptr<ConnectionStats>> connections_;
  struct Closed {
    std::uint64_t id;
    std::size_t events;  ///< its timeline's events, 0 once released
  };
  std::deque<Closed> closed_order_;
  std::size_t closed_events_ = 0;         ///< timeline events kept for closed connections
  std::size_t released_upto_ = 0;         ///< closed_order_[0..this) have released timelines
  std::uint64_t requests_untracked_ = 0;  ///< served with a new id beyond kMaxRequestIds
  std::map<std::string, std::uint64_t, std::less<>> rst_received_;
  /** A request id's serves: how many, and the connections of the first
      kMaxServedConnections. */
  struct Served {
    std::uint64_t count = 0;
    std::vector<std::uint64_t> connections;
  };
  std::unordered_map<std::string, Served> served_;
  std::unordered_map<std::string, std::uint64_t> body_bytes_;  ///< same cap as served_
  std::map<std::string, std::uint64_t, std::less<>> faults_fired_;
  std::map<std::string, std::uint64_t, std::less<>> guards_;
};

}  // namespace faultline::fake_server::detail
