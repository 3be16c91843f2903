// POOL-*: connection reuse, cold bursts, the server's stream limit, idle reaping.
#include <algorithm>
#include <chrono>
#include <thread>

#include "checks_groups.h"

namespace faultline::conformance::detail {
namespace {

constexpr int kReuseRequests = 1000;
constexpr int kColdBurst = 300;
/** How often the accounting comparison asks the server again. */
constexpr auto kAccountingPoll = std::chrono::milliseconds(10);
constexpr int kLimitRequests = 60;
constexpr int kServerStreamLimit = 10;
/** What POOL-IDLE-REAP waits for when a driver declares no idle timeout at all. */
constexpr auto kUndeclaredIdleTimeout = 10s;

/** Every tag `prefix-i` for i < n served exactly once. */
void require_served_once(const nlohmann::json& stats, const std::string& prefix, int n) {
  const auto& requests = stats.value("requests", nlohmann::json::object());
  for (int i = 0; i < n; ++i) {
    auto tag = prefix + std::to_string(i);
    long times = requests.contains(tag) ? requests[tag].get<long>() : 0;
    require(times == 1, "request " + tag + " served " + std::to_string(times) + " times");
  }
}

/** When the driver counts its own connections (our transport's stats), the count must be
    the one the server saw: connection accounting comes from the transport itself. */
void require_accounting(Session& s, const nlohmann::json& server_stats) {
  auto ds = s.driver_stats();
  if (!ds.is_object() || !ds.contains("sessions_opened")) {
    return;
  }
  const long ours = ds["sessions_opened"].get<long>();
  long theirs = server_stats.value("connections_total", 0L);
  // A session the driver counts may still be in its TCP handshake when the requests are
  // done (a second session of a cold burst): the server's accept gets a prompt moment.
  const harness::Deadline deadline(kPrompt);
  while (ours > theirs && !deadline.passed()) {
    std::this_thread::sleep_for(kAccountingPoll);
    theirs = s.stats().value("connections_total", 0L);
  }
  require(ours == theirs, "the driver counts " + std::to_string(ours) +
                              " connections opened, the server saw " + std::to_string(theirs));
}

}  // namespace

Verdict pool_reuse(const DriverSpec& d) {
  Session s(d, std::string("default"));
  return s.judge([&] {
    auto xs = send_many(s, kReuseRequests,
                        [&](int i) { return s.request("/health", "reuse-" + std::to_string(i)); });
    require_all_ok(xs, 60s, std::to_string(kReuseRequests) + " GETs");
    auto st = s.stats();
    const long conns = st.value("connections_total", 0L);
    const long peak = max_connections(st, "peak_concurrent_streams");
    require(conns <= s.info().max_sessions, std::to_string(conns) + " connections for a pool of " +
                                                std::to_string(s.info().max_sessions));
    require(peak <= s.info().max_streams, "peak " + std::to_string(peak) +
                                              " streams on one connection, cap " +
                                              std::to_string(s.info().max_streams));
    require_served_once(st, "reuse-", kReuseRequests);
    require_accounting(s, st);
    return std::to_string(kReuseRequests) + " GETs over " + std::to_string(conns) +
           " connections, peak " + std::to_string(peak) + " streams, each served once";
  });
}

Verdict pool_cold_burst(const DriverSpec& d) {
  Session s(d, std::string("default"));
  return s.judge([&] {
    auto xs = send_many(s, kColdBurst,
                        [&](int i) { return s.request("/health", "cold-" + std::to_string(i)); });
    require_all_ok(xs, 30s, std::to_string(kColdBurst) + " GETs on a cold pool");
    auto st = s.stats();
    const long conns = st.value("connections_total", 0L);
    require(conns <= s.info().max_sessions, "connection storm: " + std::to_string(conns) +
                                                " connections for a pool of " +
                                                std::to_string(s.info().max_sessions));
    require_served_once(st, "cold-", kColdBurst);
    require_accounting(s, st);
    return std::to_string(kColdBurst) + " GETs at once on a cold pool: " + std::to_string(conns) +
           " connections";
  });
}

// RFC 9113 section 5.1.2: an endpoint must not open streams beyond the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS. Judged on a warm connection, against the limit the
// client has acknowledged: the server counts a violation only then (docs/scenarios.md).
Verdict pool_server_limit(const DriverSpec& d) {
  Session s(d, std::string("max-streams-10"));
  return s.judge([&] {
    // 1. Warm: one request, and every connection's SETTINGS (limit 10) acknowledged.
    auto warm = s.send(s.request("/health", "warm"));
    auto rw = warm->wait_done(kWait);
    require(rw.ok, "warm-up request: " + rw.description);
    wait_settings_acked(s, {}, "SETTINGS_MAX_CONCURRENT_STREAMS 10");
    // 2. More requests than the pool can carry within the limit.
    const int n = std::max(kLimitRequests, s.info().max_sessions * kServerStreamLimit + 20);
    auto xs =
        send_many(s, n, [&](int i) { return s.request("/slow", "limit-" + std::to_string(i)); });
    auto r = harness::wait_all(xs, 30s);
    auto st = s.stats();
    const long peak = max_connections(st, "peak_concurrent_streams");
    const long violations = sum_connections(st, "stream_limit_violations");
    const long refused = sum_connection_map(st, "rst_sent", "REFUSED_STREAM");
    require(violations == 0, std::to_string(violations) + " streams opened above the limit of " +
                                 std::to_string(kServerStreamLimit) +
                                 " the client had acknowledged (" + std::to_string(refused) +
                                 " refused)");
    if (peak < kServerStreamLimit) {
      fault_did_not_fire("no connection reached the server's limit of " +
                         std::to_string(kServerStreamLimit) + " concurrent streams (peak " +
                         std::to_string(peak) + ")");
    }
    require(r.ok, "a request failed under the server's stream limit: " + r.description);
    return std::to_string(n) + " requests on a warm pool, peak " + std::to_string(peak) +
           " streams per connection, none above the acknowledged limit";
  });
}

namespace {

/** max-streams-10, plus a refusal of every stream that makes 11 open - also before the
    client has acknowledged the server's SETTINGS, when the stream limit itself is not
    yet in force. */
nlohmann::json pre_settings_scenario() {
  auto route = [](const char* path, nlohmann::json respond) {
    return nlohmann::json{{"match", {{"path", path}}}, {"respond", std::move(respond)}};
  };
  return {{"name", "pre-settings-burst"},
          {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"settings", {{"max_concurrent_streams", kServerStreamLimit}}},
          {"routes",
           {route("/health", {{"status", 200}, {"body", "ok"}}),
            route("/slow", {{"status", 200}, {"delay_ms", 100}, {"body", "slow"}})}},
          {"faults",
           {{{"name", "refuse-above-limit"},
             {"on", {{"active_streams", kServerStreamLimit + 1}}},
             {"do", {{"rst_stream", {{"error", "REFUSED_STREAM"}}}}},
             {"times", "always"}}}}};
}

/** Streams a connection opened before the client's first SETTINGS ACK (timeline). */
long streams_before_ack(Session& s, long connection_id) {
  long n = 0;
  for (const auto& e : timeline_events(s, connection_id)) {
    const auto flags = e.value("flags", nlohmann::json::array());
    if (e.value("dir", "") != "in") {
      continue;
    }
    if (e.value("type", "") == "SETTINGS" &&
        std::find(flags.begin(), flags.end(), "ACK") != flags.end()) {
      break;
    }
    n += e.value("type", "") == "HEADERS" ? 1 : 0;
  }
  return n;
}

}  // namespace

// RFC 9113 sections 5.1.2 and 8.7: before the server's SETTINGS a client may assume a
// limit, so it may burst; streams the server refuses (REFUSED_STREAM) were not
// processed and must be retried, never surface as errors.
Verdict pool_pre_settings_burst(const DriverSpec& d) {
  Session s(d, pre_settings_scenario());
  return s.judge([&] {
    // 1. A burst on a cold pool.
    auto xs = send_many(s, kLimitRequests, [&](int i) { return s.request("/slow", tag("b-", i)); });
    auto r = harness::wait_all(xs, 30s);
    // 2. What the client sent before it acknowledged SETTINGS, and what was refused.
    auto st = s.stats();
    long before_ack = 0;
    nlohmann::json per_connection = nlohmann::json::object();
    for (const auto& c : connections_of(st)) {
      const long id = c.value("id", 0L);
      const long n = streams_before_ack(s, id);
      before_ack += n;
      per_connection[std::to_string(id)] = n;
    }
    const long refused = sum_connection_map(st, "rst_sent", "REFUSED_STREAM");
    s.note("streams_before_settings_ack", per_connection);
    s.note("refused", refused);
    require(r.ok, std::to_string(refused) + " streams refused (" + std::to_string(before_ack) +
                      " sent before the SETTINGS ACK); a refused stream reached the caller: " +
                      r.description);
    require_each_served_once(s, "b-", kLimitRequests);
    if (refused == 0) {
      // Nothing to refuse: the client kept within the limit before it knew it (or waited
      // for the SETTINGS) - measured on the wire, the best behaviour there is.
      return std::to_string(kLimitRequests) + " requests, " + std::to_string(before_ack) +
             " streams before the SETTINGS ACK, none refused: the client did not burst";
    }
    return std::to_string(kLimitRequests) + " requests, " + std::to_string(before_ack) +
           " streams before the SETTINGS ACK, " + std::to_string(refused) +
           " refused and retried transparently, each served once";
  });
}

Verdict pool_idle_reap(const DriverSpec& d) {
  Session s(d, std::string("default"));
  return s.judge([&] {
    // A driver that declares no idle timeout is given a generous one, not a skip.
    const auto declared = s.idle_timeout();
    const auto idle = declared.value_or(kUndeclaredIdleTimeout);
    auto first = s.send(s.request("/health", "idle-1"));
    auto r1 = first->wait_done(kWait);
    require(r1.ok, "first request: " + r1.description);
    // The session must close by itself within its idle timeout (plus slack).
    s.wait_until([&] { return s.stats().value("connections_open", 0L) == 0; },
                 "the idle connection to close (idle timeout " + std::to_string(idle.count()) +
                     " ms" + (declared ? "" : ", none declared") + ")",
                 harness::Deadline(idle + kSettle));
    auto second = s.send(s.request("/health", "idle-2"));
    auto r2 = second->wait_done(kWait);
    require(r2.ok, "request after the reap: " + r2.description);
    const long conns = s.stats().value("connections_total", 0L);
    require(conns == 2, std::to_string(conns) + " connections in total, expected 2");
    return "idle connection closed, the next request opened a new one";
  });
}

}  // namespace faultline::conformance::detail
