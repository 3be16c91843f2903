// DRAIN-*, POOL-LIMIT-*: the server's faults (GOAWAY, resets, refused streams, storms,
// SETTINGS changes). Each check makes sure its fault happened - fired by the admin API
// at the protocol state the check controls (requests held at a gate, on every
// connection), and read back from the server's counters and timelines. A fault that did
// not fire fails the check ("fault did not fire: ..."), never a pass or a skip.
#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include "checks_groups.h"

namespace faultline::conformance::detail {
namespace {

constexpr int kDrainRequests = 8;
constexpr int kDrainLater = 3;

/** The per-request deadline of the checks judged by deadlines (storm, limit 0). */
constexpr std::uint32_t kDeadlineMs = 1500;

/** Sends n GETs of /health tagged prefix-i, each with kDeadlineMs, and waits until they
    have all settled (deadline plus kPrompt). */
auto send_health_with_deadline(Session& s, int n, const std::string& prefix) {
  auto xs = send_many(s, n, [&](int i) {
    auto r = s.request("/health", tag(prefix, i));
    r.timeout_ms = kDeadlineMs;
    return r;
  });
  return harness::wait_all(xs, std::chrono::milliseconds(kDeadlineMs) + kPrompt);
}

/** The drain checks' scenario: GET /hold and POST /hold-echo wait at gate "hold";
    /health answers at once. No faults: the checks apply them through the admin API. */
nlohmann::json drain_scenario(const std::string& name) {
  auto route = [](const char* path, nlohmann::json respond) {
    return nlohmann::json{{"match", {{"path", path}}}, {"respond", std::move(respond)}};
  };
  return {{"name", name},
          {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"routes",
           {route("/health", {{"status", 200}, {"body", "ok"}}),
            route("/hold", {{"status", 200}, {"hold", "hold"}, {"body", "released"}}),
            route("/hold-echo", {{"status", 200}, {"hold", "hold"}, {"body", {{"echo", true}}}})}}};
}

/** What a GOAWAY did to one connection, read from its timeline. */
struct GoawaySeen {
  int goaways = 0;           ///< GOAWAY frames the server sent
  long last_stream_id = -1;  ///< of the last one
  long streams_before = 0;   ///< streams the client opened before the last one
  long above_last = 0;       ///< of those, how many lie above its last-stream-id
};

GoawaySeen goaway_seen(Session& s, long connection_id) {
  GoawaySeen g;
  std::set<long> streams;
  for (const auto& e : timeline_events(s, connection_id)) {
    const auto type = e.value("type", "");
    if (e.value("dir", "") == "in" && type == "HEADERS" && g.goaways == 0) {
      streams.insert(e.value("stream", 0L));
    } else if (e.value("dir", "") == "out" && type == "GOAWAY") {
      ++g.goaways;
      g.last_stream_id = e.value("last_stream_id", -1L);
    }
  }
  g.streams_before = static_cast<long>(streams.size());
  g.above_last = static_cast<long>(std::count_if(streams.begin(), streams.end(),
                                                 [&](long id) { return id > g.last_stream_id; }));
  return g;
}

/** Waits until each connection in `ids` shows `goaways` GOAWAY frames sent - or at
    least one and the connection closed (a client may close on the first GOAWAY of a
    graceful shutdown, before the second is due); returns what each saw. Fails ("fault
    did not fire") when one never does. */
std::map<long, GoawaySeen> wait_goaways(Session& s, const std::vector<long>& ids, int goaways) {
  std::map<long, GoawaySeen> seen;
  std::string last;
  const harness::Deadline deadline(kPrompt);
  for (;;) {
    bool all = true;
    last.clear();
    const auto open = open_connections(s);
    for (const long id : ids) {
      seen[id] = goaway_seen(s, id);
      const bool closed = std::find(open.begin(), open.end(), id) == open.end();
      all = all && (seen[id].goaways >= goaways || (seen[id].goaways >= 1 && closed));
      last += " conn " + std::to_string(id) + ": " + std::to_string(seen[id].goaways) +
              (closed ? " (closed)" : "");
    }
    if (all) {
      return seen;
    }
    if (deadline.passed()) {
      fault_did_not_fire("expected " + std::to_string(goaways) +
                         " GOAWAY frames on every held connection, the server sent" + last);
    }
    std::this_thread::sleep_for(10ms);
  }
}

nlohmann::json describe(const std::map<long, GoawaySeen>& seen) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [id, g] : seen) {
    out[std::to_string(id)] = {{"goaways", g.goaways},
                               {"last_stream_id", g.last_stream_id},
                               {"streams_before", g.streams_before},
                               {"above_last", g.above_last}};
  }
  return out;
}

/** Streams opened per connection, from a stats answer. */
std::map<long, long> streams_opened(const nlohmann::json& stats) {
  std::map<long, long> out;
  for (const auto& c : connections_of(stats)) {
    out[c.value("id", 0L)] = c.value("streams_opened", 0L);
  }
  return out;
}

}  // namespace

// RFC 9113 section 6.8: a graceful shutdown first announces GOAWAY(2^31-1), then the
// real last-stream-id; streams at or below it complete, new streams go elsewhere.
Verdict drain_goaway_graceful(const DriverSpec& d) {
  Session s(d, drain_scenario("drain-goaway-graceful"));
  return s.judge([&] {
    // 1. Requests held at the gate, wherever the pool put them.
    auto held =
        send_many(s, kDrainRequests, [&](int i) { return s.request("/hold", tag("g-", i)); });
    s.wait_held("hold", kDrainRequests);
    // 2. A graceful GOAWAY on every connection while they are held.
    const auto conns = open_connections(s);
    apply_to_every_connection(
        s, {{"goaway", {{"last_stream_id", "current"}, {"graceful_delay_ms", 200}}}},
        "graceful GOAWAY");
    const auto seen = wait_goaways(s, conns, 2);
    s.note("goaway", describe(seen));
    // 3. New requests now must not open streams on a draining connection.
    const auto before = streams_opened(s.stats());
    auto later =
        send_many(s, kDrainLater, [&](int i) { return s.request("/health", tag("after-", i)); });
    require_all_ok(later, kWait, "requests after the GOAWAY, while the held ones are still held");
    const auto after = streams_opened(s.stats());
    for (const long id : conns) {
      require(after.at(id) == before.at(id), "connection " + std::to_string(id) + " got " +
                                                 std::to_string(after.at(id) - before.at(id)) +
                                                 " new streams after its GOAWAY");
    }
    // 4. The held streams (all at or below last-stream-id) complete once released.
    auto r = release_until_done(s, "hold", held, kWait);
    require(r.ok, "held requests across a graceful GOAWAY: " + r.description);
    require_each_served_once(s, "g-", kDrainRequests);
    require_each_served_once(s, "after-", kDrainLater);
    return std::to_string(kDrainRequests) + " held requests on " + std::to_string(conns.size()) +
           " connections across GOAWAY(2^31-1), GOAWAY(last): each served once; " +
           std::to_string(kDrainLater) + " later ones served on new connections";
  });
}

// RFC 9113 section 6.8: streams above last-stream-id were not processed and can be
// retried on a new connection, whatever their method.
Verdict drain_goaway_above_last(const DriverSpec& d) {
  Session s(d, drain_scenario("drain-goaway-above-last"));
  return s.judge([&] {
    // 1. GETs and POSTs with bodies held at the gate.
    auto xs = send_many(s, kDrainRequests, [&](int i) {
      if (i % 2 == 1) {
        auto r = s.request("/hold-echo", tag("a-", i));
        r.method = "POST";
        r.body = "body of " + tag("a-", i);
        return r;
      }
      return s.request("/hold", tag("a-", i));
    });
    // A client may keep a POST back while other requests run: GOAWAY what it sent.
    const int held_at_goaway = s.wait_held_at_least("hold", kDrainRequests, 1);
    s.note("held_at_goaway", held_at_goaway);
    // 2. GOAWAY(previous) on every connection: each one's newest stream lies above it.
    const auto conns = open_connections(s);
    apply_to_every_connection(s, {{"goaway", {{"last_stream_id", "previous"}}}},
                              "GOAWAY(previous)");
    const auto seen = wait_goaways(s, conns, 1);
    s.note("goaway", describe(seen));
    long above = 0;
    for (const auto& [id, g] : seen) {
      above += g.above_last;
    }
    if (above == 0) {
      fault_did_not_fire("no held stream lies above a GOAWAY's last-stream-id: " +
                         describe(seen).dump());
    }
    // 3. Release (again and again: retried requests reach the gate on new connections).
    auto r = release_until_done(s, "hold", xs, kWait + kWait);
    require(r.ok, std::to_string(above) +
                      " requests above last-stream-id must be retried: " + r.description);
    require_each_served_once(s, "a-", kDrainRequests);
    for (int i = 1; i < kDrainRequests; i += 2) {
      auto echo = nlohmann::json::parse(xs[i]->snapshot().body, nullptr, false);
      require(!echo.is_discarded() && echo.value("body_bytes", -1L) ==
                                          static_cast<long>(("body of " + tag("a-", i)).size()),
              "retried POST " + tag("a-", i) +
                  " lost its body: " + xs[i]->snapshot().body.substr(0, 200));
    }
    return std::to_string(kDrainRequests) + " requests (POSTs too), " +
           std::to_string(held_at_goaway) + " held on " + std::to_string(conns.size()) +
           " connections, " + std::to_string(above) + " above last-stream-id: each served once";
  });
}

Verdict drain_session_loss(const DriverSpec& d) {
  Session s(d, std::string("reset-all"));
  return s.judge([&] {
    // 1. Every stream slot held, 4 more queued behind them.
    const int capacity = s.info().max_sessions * s.info().max_streams;
    auto held = send_many(s, capacity, [&](int i) { return s.request("/hold", tag("h-", i)); });
    s.wait_held("hold", capacity);
    auto queued = send_many(s, 4, [&](int i) { return s.request("/health", tag("q-", i)); });
    const auto before = open_connections(s);
    // 2. A TCP reset of every connection; the server must really have closed them.
    fire(s, "reset-all", "connection resets");
    std::vector<long> still_open;
    const harness::Deadline deadline(kPrompt);
    do {
      const auto now = open_connections(s);
      still_open.clear();
      std::copy_if(before.begin(), before.end(), std::back_inserter(still_open),
                   [&](long id) { return std::find(now.begin(), now.end(), id) != now.end(); });
    } while (!still_open.empty() && !deadline.passed() &&
             (std::this_thread::sleep_for(10ms), true));
    if (!still_open.empty()) {
      fault_did_not_fire(std::to_string(still_open.size()) + " of " +
                         std::to_string(before.size()) + " connections still open after the reset");
    }
    // 3. The gate opens: in-flight requests a client retried are served on new connections.
    auto rh = release_until_done(s, "hold", held, kWait);
    require(rh.pending == 0,
            "in-flight requests hang after every connection was reset: " + rh.description);
    long retried = 0;
    for (auto& h : held) {
      auto snap = h->snapshot();
      const auto t = h->request().headers.front().second;
      if (snap.error) {
        require(snap.error->kind != harness::ErrorKind::timeout &&
                    snap.error->kind != harness::ErrorKind::driver,
                "an in-flight request on a reset connection ended as: " + snap.describe());
        continue;
      }
      const int times = s.served(t);
      require(times == 1, "in-flight request " + t + " succeeded after the reset but was served " +
                              std::to_string(times) + " times");
      ++retried;
    }
    require_all_ok(queued, kSettle, "queued requests must be served by replacement connections");
    require_each_served_once(s, "q-", 4);
    return std::to_string(capacity) + " in-flight: " + std::to_string(capacity - retried) +
           " failed typed, " + std::to_string(retried) +
           " retried and served once; 4 queued served by new connections";
  });
}

Verdict drain_goaway_storm(const DriverSpec& d) {
  Session s(d, std::string("goaway-storm"));
  return s.judge([&] {
    auto r = send_health_with_deadline(s, 5, "s-");
    require_fired(s, "storm", "GOAWAY storms");
    require(r.pending == 0, "requests outlived their deadline in a GOAWAY storm: " + r.description);
    const long conns = s.stats().value("connections_total", 0L);
    constexpr long kBound = 50;
    require(conns <= kBound, std::to_string(conns) + " connections in " +
                                 std::to_string(kDeadlineMs) + " ms: unbounded reconnects");
    return "5 requests settled by their deadline; " + std::to_string(conns) + " connections";
  });
}

Verdict drain_refused_retry(const DriverSpec& d) {
  std::string line;
  {
    Session s(d, std::string("refused-first-attempt"));
    auto v = s.judge([&] {
      auto xs = send_many(s, 10, [&](int i) { return s.request("/flaky", tag("f-", i)); });
      auto r = harness::wait_all(xs, kWait);
      require_fired(s, "refuse-first", "REFUSED_STREAM");
      require(r.ok, "REFUSED_STREAM must be retried transparently: " + r.description);
      require_each_served_once(s, "f-", 10);
      return std::string("10 refused first attempts retried, each served once");
    });
    if (!v.passed()) {
      return v;
    }
    line = v.summary;
  }
  {
    Session s(d, std::string("refused-always"));
    auto v = s.judge([&] {
      auto x = s.send(s.request("/refused", "always"));
      auto r = x->wait_done(kWait);
      require_fired(s, "refuse-always", "REFUSED_STREAM");
      require(!r.ok && r.response.error && r.response.error->kind != harness::ErrorKind::timeout,
              "always-refused request must fail, bounded: " + r.description);
      const long refused = sum_connection_map(s.stats(), "rst_sent", "REFUSED_STREAM");
      constexpr long kBound = 10;
      require(refused <= kBound, std::to_string(refused) + " attempts of one refused request");
      return "; always refused: failed after " + std::to_string(refused) + " attempts";
    });
    if (!v.passed()) {
      return v;
    }
    line += v.summary;
  }
  Session s(d, std::string("rst-internal"));
  return s.judge([&] {
    auto x = s.send(s.request("/rst/internal", "internal"));
    auto r = x->wait_done(kWait);
    require_fired(s, "internal-before-headers", "RST_STREAM(INTERNAL_ERROR)");
    require(!r.ok, "RST_STREAM(INTERNAL_ERROR) must surface: " + r.description);
    const long sent = sum_connection_map(s.stats(), "rst_sent", "INTERNAL_ERROR");
    require(sent == 1, "INTERNAL_ERROR was retried: " + std::to_string(sent) + " attempts");
    return line + "; INTERNAL_ERROR surfaced, not retried";
  });
}

Verdict pool_limit_lowered(const DriverSpec& d) {
  Session s(d, std::string("limit-lowered"));
  return s.judge([&] {
    auto first = send_many(s, 8, [&](int i) { return s.request("/hold", tag("l-", i)); });
    s.wait_held("hold", 8);
    const auto acked_before = settings_acks(s);
    fire(s, "lower", "SETTINGS changes");
    // Once the client acknowledged the lowered limit it knows about it, and the
    // server enforces it.
    wait_settings_acked(s, acked_before, "SETTINGS_MAX_CONCURRENT_STREAMS 5");
    auto more = send_many(s, 12, [&](int i) { return s.request("/slow", tag("m-", i)); });
    const bool other_sessions = s.info().max_sessions > 1;
    if (other_sessions) {
      // The 8 held streams fill the connection beyond its new limit: a pool with room
      // for more connections serves the new requests there, not behind the held ones.
      require_all_ok(more, kSettle,
                     "new requests while 8 streams are held on a connection limited to 5 "
                     "(the driver may open " +
                         std::to_string(s.info().max_sessions) + " connections)");
    }
    auto rel = s.admin().release("hold");
    require(rel.ok(), "gate release failed: " + rel.describe());
    require_all_ok(first, kWait, "in-flight requests across the lowered limit");
    require_all_ok(more, kWait, "new requests under the lowered limit");
    auto st = s.stats();
    const long violations = sum_connections(st, "stream_limit_violations");
    require(violations == 0, std::to_string(violations) + " streams beyond the lowered limit of 5");
    return std::string("limit 100 -> 5 while 8 held: 12 new requests served ") +
           (other_sessions ? "on other connections before the release"
                           : "within the limit after the release") +
           ", in-flight finished, no stream beyond the limit";
  });
}

// RFC 9113 section 5.1.2: with SETTINGS_MAX_CONCURRENT_STREAMS 0 the client may open no
// stream until the server raises it; its requests wait (or time out by their deadline).
Verdict pool_limit_zero(const DriverSpec& d) {
  Session s(d, std::string("limit-zero"));
  return s.judge([&] {
    // 1. A warm connection: the client has acknowledged the server's SETTINGS (limit 0).
    auto warm = s.request("/health", "z-warm");
    warm.timeout_ms = kDeadlineMs;
    auto warmed = s.send(warm);
    wait_settings_acked(s, {}, "SETTINGS_MAX_CONCURRENT_STREAMS 0");
    const auto warm_streams = s.stats().value("streams_total", 0L);
    // 2. Requests under the acknowledged limit 0: short deadlines, and one that waits on.
    auto waiter_request = s.request("/health", "z-waiter");
    waiter_request.timeout_ms = 4 * kDeadlineMs;
    const auto waiter_sent = std::chrono::steady_clock::now();
    auto waiter = s.send(waiter_request);
    auto r = send_health_with_deadline(s, 3, "z-");
    require(r.pending == 0, "requests outlived their deadline under limit 0: " + r.description);
    // The waiting request really waited when it is still pending a short deadline after it
    // was sent; served by then, it went around the limit (a new connection's streams sent
    // before its SETTINGS).
    (void)waiter->wait_done(waiter_sent + std::chrono::milliseconds(kDeadlineMs));
    const bool waiter_waited = !waiter->done();
    auto st = s.stats();
    const long refused = sum_connection_map(st, "rst_sent", "REFUSED_STREAM");
    const long streams = st.value("streams_total", 0L);
    s.note("under_limit_zero", {{"short_deadlines", r.description},
                                {"waiter_still_waiting", waiter_waited},
                                {"streams_during_warm_up", warm_streams},
                                {"connections", st.value("connections_total", 0L)}});
    if (!waiter_waited) {
      fault_did_not_fire(
          "no request waited: the waiting one was served " + waiter->snapshot().describe() +
          " while the acknowledged limit was 0 (short ones: " + r.description + "; " +
          std::to_string(st.value("connections_total", 0L)) + " connections, " +
          std::to_string(streams) + " streams: sent before a connection's SETTINGS)");
    }
    constexpr long kBound = 100;
    require(refused + streams <= kBound, std::to_string(refused) + " refused streams and " +
                                             std::to_string(streams) + " streams: a busy loop");
    // 3. Raising the limit (connections open now) lets the waiting request through, or
    //    it settles by its own deadline; either way it must not outlive it.
    fire(s, "open", "SETTINGS changes");
    auto rw = waiter->wait_done(std::chrono::milliseconds(waiter_request.timeout_ms) + kPrompt);
    require(waiter->done(),
            "the waiting request outlived its deadline after the limit rose: " + rw.description);
    (void)warmed->wait_done(kPrompt);
    s.note("waiter", rw.response.describe());
    return "limit 0 acknowledged: " + r.description + ", " + std::to_string(refused) +
           " refused; the waiting request after the limit rose: " + rw.response.describe();
  });
}

}  // namespace faultline::conformance::detail
