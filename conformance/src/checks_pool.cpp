// POOL-*: connection reuse, cold bursts, the server's stream limit, idle reaping.
#include "checks_groups.h"

namespace faultline::conformance::detail {
namespace {

constexpr int kReuseRequests = 1000;
constexpr int kColdBurst = 300;
constexpr int kLimitRequests = 60;
constexpr int kServerStreamLimit = 10;

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
  const long theirs = server_stats.value("connections_total", 0L);
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

Verdict pool_server_limit(const DriverSpec& d) {
  if (!d.h2) {
    return skipped("SETTINGS_MAX_CONCURRENT_STREAMS is HTTP/2 only; driver never offers h2");
  }
  Session s(d, std::string("max-streams-10"));
  return s.judge([&] {
    auto xs = send_many(s, kLimitRequests,
                        [&](int i) { return s.request("/slow", "limit-" + std::to_string(i)); });
    auto r = harness::wait_all(xs, 30s);
    auto st = s.stats();
    const long peak = max_connections(st, "peak_concurrent_streams");
    const long violations = sum_connections(st, "stream_limit_violations");
    const long refused = sum_connection_map(st, "rst_sent", "REFUSED_STREAM");
    require(violations == 0 && refused == 0,
            std::to_string(violations) + " streams opened beyond the server's limit of " +
                std::to_string(kServerStreamLimit) + " (" + std::to_string(refused) + " refused)");
    require(peak <= kServerStreamLimit, "peak " + std::to_string(peak) +
                                            " concurrent streams, server limit " +
                                            std::to_string(kServerStreamLimit));
    require(r.ok, "a request failed under the server's stream limit: " + r.description);
    return std::to_string(kLimitRequests) + " requests, peak " + std::to_string(peak) +
           " streams per connection, no violation";
  });
}

Verdict pool_idle_reap(const DriverSpec& d) {
  if (!d.idle_timeout) {
    return skipped(d.no_idle_timer);
  }
  Session s(d, std::string("default"));
  return s.judge([&] {
    auto first = s.send(s.request("/health", "idle-1"));
    auto r1 = first->wait_done(kWait);
    require(r1.ok, "first request: " + r1.description);
    // The session must close by itself within its idle timeout (plus slack).
    s.wait_until([&] { return s.stats().value("connections_open", 0L) == 0; },
                 "the idle connection to close (idle timeout " +
                     std::to_string(d.idle_timeout->count()) + " ms)",
                 harness::Deadline(*d.idle_timeout + kSettle));
    auto second = s.send(s.request("/health", "idle-2"));
    auto r2 = second->wait_done(kWait);
    require(r2.ok, "request after the reap: " + r2.description);
    const long conns = s.stats().value("connections_total", 0L);
    require(conns == 2, std::to_string(conns) + " connections in total, expected 2");
    return "idle connection closed, the next request opened a new one";
  });
}

}  // namespace faultline::conformance::detail
