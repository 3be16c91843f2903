// POOL-*: connection reuse, cold bursts, the server's stream limit (as announced, before
// it is announced, lowered and zero), idle reaping.
#include <algorithm>
#include <chrono>

#include "checks_groups.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

constexpr int kReuseRequests = 1000;
constexpr int kColdBurst = 300;
constexpr int kLimitRequests = 60;
constexpr int kServerStreamLimit = 10;
/** What POOL-IDLE-REAP waits for when a driver declares no idle timeout at all. */
constexpr auto kUndeclaredIdleTimeout = 10s;

/** When the driver counts its own connections (our transport's stats), the count must be
    the one the server saw: connection accounting comes from the transport itself. */
void require_accounting(CheckRun& run) {
  auto ds = run.driver_stats();
  if (!ds.is_object() || !ds.contains("sessions_opened")) {
    return;
  }
  const long ours = ds["sessions_opened"].get<long>();
  long theirs = 0;
  // A session the driver counts may still be in its TCP handshake when the requests are
  // done (a second session of a cold burst): the server's accept gets a prompt moment.
  std::string seen;
  (void)poll_until(
      [&](std::string&) {
        theirs = run.stats().value("connections_total", 0L);
        return ours <= theirs;
      },
      kPrompt, seen);
  require(ours == theirs, "the driver counts " + std::to_string(ours) +
                              " connections opened, the server saw " + std::to_string(theirs));
}

// RFC 9113 section 9.1: a client keeps to few connections per origin and reuses them;
// section 5.1.2: at most the streams its cap (and the server's limit) allow on each.
std::string pool_reuse_steps(CheckRun& run) {
  auto xs = send_many(run, kReuseRequests,
                      [&](int i) { return run.request("/health", "reuse-" + std::to_string(i)); });
  require_all_ok(xs, 60s, std::to_string(kReuseRequests) + " GETs");
  auto st = run.stats();
  const long conns = st.value("connections_total", 0L);
  const long peak = max_connections(st, "peak_concurrent_streams");
  require(conns <= run.info().max_sessions, std::to_string(conns) + " connections for a pool of " +
                                                std::to_string(run.info().max_sessions));
  require(peak <= run.info().max_streams, "peak " + std::to_string(peak) +
                                              " streams on one connection, cap " +
                                              std::to_string(run.info().max_streams));
  require_each_served_once(run, "reuse-", kReuseRequests);
  require_accounting(run);
  return std::to_string(kReuseRequests) + " GETs over " + std::to_string(conns) +
         " connections, peak " + std::to_string(peak) + " streams, each served once";
}

// RFC 9113 section 9.1: no more connections than the pool allows, also while the first
// ones are still connecting (before any SETTINGS says how many streams each can carry).
std::string pool_cold_burst_steps(CheckRun& run) {
  auto xs = send_many(run, kColdBurst,
                      [&](int i) { return run.request("/health", "cold-" + std::to_string(i)); });
  require_all_ok(xs, 30s, std::to_string(kColdBurst) + " GETs on a cold pool");
  auto st = run.stats();
  const long conns = st.value("connections_total", 0L);
  require(conns <= run.info().max_sessions, "connection storm: " + std::to_string(conns) +
                                                " connections for a pool of " +
                                                std::to_string(run.info().max_sessions));
  require_each_served_once(run, "cold-", kColdBurst);
  require_accounting(run);
  return std::to_string(kColdBurst) + " GETs at once on a cold pool: " + std::to_string(conns) +
         " connections";
}

// RFC 9113 section 5.1.2: an endpoint must not open streams beyond the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS. Judged on a warm connection, against the limit the
// client has acknowledged: the server counts a violation only then (docs/scenarios.md).
std::string pool_server_limit_steps(CheckRun& run) {
  // 1. Warm: one request, and every connection's SETTINGS (limit 10) acknowledged.
  auto warm = run.send(run.request("/health", "warm"));
  auto rw = warm->wait_done(kWait);
  require(rw.ok, "warm-up request: " + rw.description);
  wait_settings_acked(run, {}, "SETTINGS_MAX_CONCURRENT_STREAMS 10");
  // 2. More requests than the pool can carry within the limit.
  const int n = std::max(kLimitRequests, run.info().max_sessions * kServerStreamLimit + 20);
  auto xs =
      send_many(run, n, [&](int i) { return run.request("/slow", "limit-" + std::to_string(i)); });
  auto r = harness::wait_all(xs, 30s);
  auto st = run.stats();
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
}

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
long streams_before_ack(CheckRun& run, long connection_id) {
  long n = 0;
  for (const auto& e : timeline_events(run, connection_id)) {
    if (is_settings_ack_from_client(e)) {
      break;
    }
    n += e.value("dir", "") == "in" && e.value("type", "") == "HEADERS" ? 1 : 0;
  }
  return n;
}

// RFC 9113 sections 5.1.2 and 8.7: before the server's SETTINGS a client may assume a
// limit, so it may burst; streams the server refuses (REFUSED_STREAM) were not
// processed and must be retried, never surface as errors.
std::string pool_pre_settings_burst_steps(CheckRun& run) {
  // 1. A burst on a cold pool.
  auto xs =
      send_many(run, kLimitRequests, [&](int i) { return run.request("/slow", tag("b-", i)); });
  auto r = harness::wait_all(xs, 30s);
  // 2. What the client sent before it acknowledged SETTINGS, and what was refused.
  auto st = run.stats();
  long before_ack = 0;
  nlohmann::json per_connection = nlohmann::json::object();
  for (const auto& c : connections_of(st)) {
    const long id = c.value("id", 0L);
    const long n = streams_before_ack(run, id);
    before_ack += n;
    per_connection[std::to_string(id)] = n;
  }
  const long refused = sum_connection_map(st, "rst_sent", "REFUSED_STREAM");
  run.note("streams_before_settings_ack", per_connection);
  run.note("refused", refused);
  require(r.ok, std::to_string(refused) + " streams refused (" + std::to_string(before_ack) +
                    " sent before the SETTINGS ACK); a refused stream reached the caller: " +
                    r.description);
  require_each_served_once(run, "b-", kLimitRequests);
  if (refused == 0) {
    // Nothing to refuse: the client kept within the limit before it knew it (or waited
    // for the SETTINGS) - measured on the wire, the best behaviour there is.
    return std::to_string(kLimitRequests) + " requests, " + std::to_string(before_ack) +
           " streams before the SETTINGS ACK, none refused: the client did not burst";
  }
  return std::to_string(kLimitRequests) + " requests, " + std::to_string(before_ack) +
         " streams before the SETTINGS ACK, " + std::to_string(refused) +
         " refused and retried transparently, each served once";
}

// RFC 9113 section 9.1: a client may close idle connections; one that does must open a
// new connection for the next request, not send on the closed one.
std::string pool_idle_reap_steps(CheckRun& run) {
  // A driver that declares no idle timeout is given a generous one, not a skip.
  const auto declared = run.idle_timeout();
  const auto idle = declared.value_or(kUndeclaredIdleTimeout);
  auto first = run.send(run.request("/health", "idle-1"));
  auto r1 = first->wait_done(kWait);
  require(r1.ok, "first request: " + r1.description);
  // The session must close by itself within its idle timeout (plus slack).
  wait_until(
      [&](std::string& seen) {
        const long open = run.stats().value("connections_open", 0L);
        seen = std::to_string(open) + " connections open";
        return open == 0;
      },
      "the idle connection to close (idle timeout " + std::to_string(idle.count()) + " ms" +
          (declared ? "" : ", none declared") + ")",
      harness::Deadline(idle + kSettle));
  auto second = run.send(run.request("/health", "idle-2"));
  auto r2 = second->wait_done(kWait);
  require(r2.ok, "request after the reap: " + r2.description);
  const long conns = run.stats().value("connections_total", 0L);
  require(conns == 2, std::to_string(conns) + " connections in total, expected 2");
  return "idle connection closed, the next request opened a new one";
}

// RFC 9113 section 5.1.2: a SETTINGS_MAX_CONCURRENT_STREAMS below the streams already
// open lets those complete; new streams must wait for the lower limit (section 6.5.3:
// in force once acknowledged).
std::string pool_limit_lowered_steps(CheckRun& run) {
  auto first = send_many(run, 8, [&](int i) { return run.request("/hold", tag("l-", i)); });
  run.wait_held("hold", 8);
  const auto acked_before = settings_acks(run);
  fire(run, "lower", "SETTINGS changes");
  // Once the client acknowledged the lowered limit it knows about it, and the
  // server enforces it.
  wait_settings_acked(run, acked_before, "SETTINGS_MAX_CONCURRENT_STREAMS 5");
  auto more = send_many(run, 12, [&](int i) { return run.request("/slow", tag("m-", i)); });
  const bool other_sessions = run.info().max_sessions > 1;
  if (other_sessions) {
    // The 8 held streams fill the connection beyond its new limit: a pool with room
    // for more connections serves the new requests there, not behind the held ones.
    require_all_ok(more, kSettle,
                   "new requests while 8 streams are held on a connection limited to 5 "
                   "(the driver may open " +
                       std::to_string(run.info().max_sessions) + " connections)");
  }
  auto rel = run.admin().release("hold");
  require(rel.ok(), "gate release failed: " + rel.describe());
  require_all_ok(first, kWait, "in-flight requests across the lowered limit");
  require_all_ok(more, kWait, "new requests under the lowered limit");
  auto st = run.stats();
  const long violations = sum_connections(st, "stream_limit_violations");
  require(violations == 0, std::to_string(violations) + " streams beyond the lowered limit of 5");
  return std::string("limit 100 -> 5 while 8 held: 12 new requests served ") +
         (other_sessions ? "on other connections before the release"
                         : "within the limit after the release") +
         ", in-flight finished, no stream beyond the limit";
}

// RFC 9113 section 5.1.2: with SETTINGS_MAX_CONCURRENT_STREAMS 0 the client may open no
// stream until the server raises it; its requests wait (or time out by their deadline).
std::string pool_limit_zero_steps(CheckRun& run) {
  // 1. A warm connection: the client has acknowledged the server's SETTINGS (limit 0).
  auto warm = run.request("/health", "z-warm");
  warm.timeout_ms = kShortDeadlineMs;
  auto warmed = run.send(warm);
  wait_settings_acked(run, {}, "SETTINGS_MAX_CONCURRENT_STREAMS 0");
  const auto warm_streams = run.stats().value("streams_total", 0L);
  // 2. Requests under the acknowledged limit 0: short deadlines, and one that waits on.
  auto waiter_request = run.request("/health", "z-waiter");
  waiter_request.timeout_ms = 4 * kShortDeadlineMs;
  const auto waiter_sent = std::chrono::steady_clock::now();
  auto waiter = run.send(waiter_request);
  auto r = send_with_deadline(run, 3, "/health", "z-", kShortDeadlineMs);
  require(r.pending == 0, "requests outlived their deadline under limit 0: " + r.description);
  // The waiting request really waited when it is still pending a short deadline after it
  // was sent; served by then, it went around the limit (a new connection's streams sent
  // before its SETTINGS).
  (void)waiter->wait_done(waiter_sent + std::chrono::milliseconds(kShortDeadlineMs));
  const bool waiter_waited = !waiter->done();
  auto st = run.stats();
  const long refused = sum_connection_map(st, "rst_sent", "REFUSED_STREAM");
  const long streams = st.value("streams_total", 0L);
  run.note("under_limit_zero", {{"short_deadlines", r.description},
                                {"waiter_still_waiting", waiter_waited},
                                {"streams_during_warm_up", warm_streams},
                                {"connections", st.value("connections_total", 0L)}});
  if (!waiter_waited) {
    fault_did_not_fire("no request waited: the waiting one was served " +
                       waiter->snapshot().describe() +
                       " while the acknowledged limit was 0 (short ones: " + r.description + "; " +
                       std::to_string(st.value("connections_total", 0L)) + " connections, " +
                       std::to_string(streams) + " streams: sent before a connection's SETTINGS)");
  }
  constexpr long kBound = 100;
  require(refused + streams <= kBound, std::to_string(refused) + " refused streams and " +
                                           std::to_string(streams) + " streams: a busy loop");
  // 3. Raising the limit (connections open now) lets the waiting request through, or
  //    it settles by its own deadline; either way it must not outlive it.
  fire(run, "open", "SETTINGS changes");
  auto rw = waiter->wait_done(std::chrono::milliseconds(waiter_request.timeout_ms) + kPrompt);
  require(waiter->done(),
          "the waiting request outlived its deadline after the limit rose: " + rw.description);
  (void)warmed->wait_done(kPrompt);
  run.note("waiter", rw.response.describe());
  return "limit 0 acknowledged: " + r.description + ", " + std::to_string(refused) +
         " refused; the waiting request after the limit rose: " + rw.response.describe();
}

}  // namespace

Verdict pool_reuse(const DriverSpec& d) {
  return judge_on(d, "default", pool_reuse_steps);
}

Verdict pool_cold_burst(const DriverSpec& d) {
  return judge_on(d, "default", pool_cold_burst_steps);
}

Verdict pool_server_limit(const DriverSpec& d) {
  return judge_on(d, "max-streams-10", pool_server_limit_steps);
}

Verdict pool_pre_settings_burst(const DriverSpec& d) {
  return judge_on(d, pre_settings_scenario(), pool_pre_settings_burst_steps);
}

Verdict pool_idle_reap(const DriverSpec& d) {
  return judge_on(d, "default", pool_idle_reap_steps);
}

Verdict pool_limit_lowered(const DriverSpec& d) {
  return judge_on(d, "limit-lowered", pool_limit_lowered_steps);
}

Verdict pool_limit_zero(const DriverSpec& d) {
  return judge_on(d, "limit-zero", pool_limit_zero_steps);
}
}  // namespace faultline::conformance::detail
