// DRAIN-*, POOL-LIMIT-*: the server's faults (GOAWAY, resets, refused streams, storms,
// SETTINGS changes). Each check first makes sure the fault happened: a server that does
// not inject it yet gives a skip naming the fault, never a pass.
#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "checks_groups.h"

namespace faultline::conformance::detail {
namespace {

constexpr int kDrainRequests = 8;

/** How many times the scenario's fault `name` fired, from the server's stats. */
long fired(const nlohmann::json& stats, const std::string& name) {
  auto it = stats.find("faults_fired");
  if (it == stats.end() || !it->is_object()) {
    return 0;
  }
  return it->value(name, 0L);
}

/** Skips unless the fault fired. */
void require_fired(Session& s, const std::string& name, const std::string& what) {
  auto st = s.stats();
  if (fired(st, name) == 0) {
    skip("server does not inject " + what + " yet (faults_fired." + name + " = 0)");
  }
}

/** Fires an admin-triggered fault; skips when the server has no such action. */
void fire(Session& s, const std::string& label, const std::string& what) {
  auto r = s.admin().call("POST", "/v1/actions/fire", nlohmann::json{{"name", label}}.dump());
  if (!r.ok()) {
    skip("server does not inject " + what + " yet (" + r.describe() + ")");
  }
}

Verdict h2_only(const DriverSpec& d, const std::function<Verdict()>& run) {
  if (!d.h2) {
    return skipped("HTTP/2 fault; driver never offers h2");
  }
  return run();
}

std::string tag(const std::string& prefix, int i) {
  return prefix + std::to_string(i);
}

/** Every tag prefix-i served exactly once. */
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

/** Per open connection: how many SETTINGS ACKs the client has sent on it. */
std::map<long, long> settings_acks(Session& s) {
  std::map<long, long> acks;
  const auto stats = s.stats();
  for (const auto& c : connections_of(stats)) {
    if (!c.value("open", false)) {
      continue;
    }
    const long id = c.value("id", 0L);
    auto t = s.admin().timeline(static_cast<std::uint64_t>(id));
    require(t.ok(), "timeline of connection " + std::to_string(id) + ": " + t.describe());
    long n = 0;
    for (const auto& e : t.body.value("events", nlohmann::json::array())) {
      const auto flags = e.value("flags", nlohmann::json::array());
      n += e.value("dir", "") == "in" && e.value("type", "") == "SETTINGS" &&
                   std::find(flags.begin(), flags.end(), "ACK") != flags.end()
               ? 1
               : 0;
    }
    acks[id] = n;
  }
  return acks;
}

void require_each_served_once(Session& s, const std::string& prefix, int n) {
  auto st = s.stats();
  const auto& requests = st.value("requests", nlohmann::json::object());
  for (int i = 0; i < n; ++i) {
    long times = requests.contains(tag(prefix, i)) ? requests[tag(prefix, i)].get<long>() : 0;
    require(times == 1, tag(prefix, i) + " served " + std::to_string(times) + " times");
  }
}

}  // namespace

Verdict drain_goaway_graceful(const DriverSpec& d) {
  return h2_only(d, [&] {
    Session s(d, std::string("goaway-graceful"));
    return s.judge([&] {
      auto xs =
          send_many(s, kDrainRequests, [&](int i) { return s.request("/slow", tag("g-", i)); });
      auto r = harness::wait_all(xs, 20s);
      require_fired(s, "graceful-after-3", "graceful GOAWAY");
      require(r.ok, "requests across a graceful GOAWAY: " + r.description);
      auto later = send_many(s, 3, [&](int i) { return s.request("/health", tag("after-", i)); });
      require_all_ok(later, kWait, "requests after the GOAWAY");
      require_each_served_once(s, "g-", kDrainRequests);
      require_each_served_once(s, "after-", 3);
      const long goaways = s.stats().value("goaway_sent", 0L);
      return std::to_string(kDrainRequests) + " requests across GOAWAY(2^31-1), GOAWAY(last) (" +
             std::to_string(goaways) + " GOAWAY sent), each served once; later ones served";
    });
  });
}

Verdict drain_goaway_above_last(const DriverSpec& d) {
  return h2_only(d, [&] {
    Session s(d, std::string("goaway-above-last"));
    return s.judge([&] {
      auto xs = send_many(s, kDrainRequests, [&](int i) {
        if (i % 2 == 1) {
          auto r = s.request("/echo", tag("a-", i));
          r.method = "POST";
          r.body = "body of " + tag("a-", i);
          return r;
        }
        return s.request("/slow", tag("a-", i));
      });
      auto r = harness::wait_all(xs, 20s);
      require_fired(s, "goaway-above-last", "GOAWAY with streams above last-stream-id");
      require(r.ok, "requests above last-stream-id must be retried: " + r.description);
      require_each_served_once(s, "a-", kDrainRequests);
      for (int i = 1; i < kDrainRequests; i += 2) {
        auto echo = nlohmann::json::parse(xs[i]->snapshot().body, nullptr, false);
        require(!echo.is_discarded() && echo.value("body_bytes", -1L) ==
                                            static_cast<long>(("body of " + tag("a-", i)).size()),
                "retried POST " + tag("a-", i) +
                    " lost its body: " + xs[i]->snapshot().body.substr(0, 200));
      }
      return std::to_string(kDrainRequests) +
             " requests (POSTs too) across GOAWAY(previous): each served once";
    });
  });
}

Verdict drain_session_loss(const DriverSpec& d) {
  Session s(d, std::string("reset-all"));
  return s.judge([&] {
    const int capacity = s.info().max_sessions * s.info().max_streams;
    auto held = send_many(s, capacity, [&](int i) { return s.request("/hold", tag("h-", i)); });
    s.wait_held("hold", capacity);
    auto queued = send_many(s, 4, [&](int i) { return s.request("/health", tag("q-", i)); });
    std::set<long> before;
    const auto at_fire = s.stats();
    for (const auto& c : connections_of(at_fire)) {
      if (c.value("open", false)) {
        before.insert(c.value("id", 0L));
      }
    }
    fire(s, "reset-all", "connection resets");
    require_fired(s, "reset-on-admin", "connection resets");
    // The server must actually have reset those connections (it may not close every
    // protocol yet); replacements the driver opens afterwards do not count.
    const auto deadline = harness::Deadline(kPrompt);
    long still_open = 0;
    do {
      still_open = 0;
      const auto now = s.stats();
      for (const auto& c : connections_of(now)) {
        still_open += before.count(c.value("id", 0L)) != 0 && c.value("open", false) ? 1 : 0;
      }
    } while (still_open > 0 && !deadline.passed() && (std::this_thread::sleep_for(10ms), true));
    if (still_open > 0) {
      skip("server does not reset these connections yet (fault fired, " +
           std::to_string(still_open) + " of them still open)");
    }
    auto rh = harness::wait_all(held, kWait);
    require(rh.pending == 0,
            "in-flight requests hang after every connection was reset: " + rh.description);
    for (auto& h : held) {
      auto snap = h->snapshot();
      require(snap.error && snap.error->kind != harness::ErrorKind::timeout &&
                  snap.error->kind != harness::ErrorKind::driver,
              "an in-flight request on a reset connection ended as: " + snap.describe());
    }
    require_all_ok(queued, kSettle, "queued requests must be served by replacement connections");
    return std::to_string(capacity) + " in-flight failed typed, 4 queued served by new connections";
  });
}

Verdict drain_goaway_storm(const DriverSpec& d) {
  return h2_only(d, [&] {
    Session s(d, std::string("goaway-storm"));
    return s.judge([&] {
      auto r = send_health_with_deadline(s, 5, "s-");
      require_fired(s, "storm", "GOAWAY storms");
      require(r.pending == 0,
              "requests outlived their deadline in a GOAWAY storm: " + r.description);
      const long conns = s.stats().value("connections_total", 0L);
      constexpr long kBound = 50;
      require(conns <= kBound, std::to_string(conns) + " connections in " +
                                   std::to_string(kDeadlineMs) + " ms: unbounded reconnects");
      return "5 requests settled by their deadline; " + std::to_string(conns) + " connections";
    });
  });
}

Verdict drain_refused_retry(const DriverSpec& d) {
  return h2_only(d, [&] {
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
  });
}

Verdict pool_limit_lowered(const DriverSpec& d) {
  return h2_only(d, [&] {
    Session s(d, std::string("limit-lowered"));
    return s.judge([&] {
      auto first = send_many(s, 8, [&](int i) { return s.request("/hold", tag("l-", i)); });
      s.wait_held("hold", 8);
      const auto acked_before = settings_acks(s);
      fire(s, "lower", "SETTINGS changes");
      require_fired(s, "lower-on-admin", "SETTINGS changes");
      // Once the client acknowledged the lowered limit it knows about it, and the
      // server enforces it.
      s.wait_until(
          [&] {
            const auto now = settings_acks(s);
            return std::all_of(acked_before.begin(), acked_before.end(), [&](const auto& kv) {
              const auto it = now.find(kv.first);
              return it == now.end() || it->second > kv.second;
            });
          },
          "the client to acknowledge SETTINGS_MAX_CONCURRENT_STREAMS 5", kPrompt);
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
      require(violations == 0,
              std::to_string(violations) + " streams beyond the lowered limit of 5");
      return std::string("limit 100 -> 5 while 8 held: 12 new requests served ") +
             (other_sessions ? "on other connections before the release"
                             : "within the limit after the release") +
             ", in-flight finished, no stream beyond the limit";
    });
  });
}

Verdict pool_limit_zero(const DriverSpec& d) {
  return h2_only(d, [&] {
    Session s(d, std::string("limit-zero"));
    return s.judge([&] {
      auto r = send_health_with_deadline(s, 3, "z-");
      require(r.pending == 0, "requests outlived their deadline under limit 0: " + r.description);
      auto st = s.stats();
      const long refused = sum_connection_map(st, "rst_sent", "REFUSED_STREAM");
      const long streams = st.value("streams_total", 0L);
      constexpr long kBound = 100;
      require(refused + streams <= kBound, std::to_string(refused) + " refused streams and " +
                                               std::to_string(streams) + " streams: a busy loop");
      // Raising the limit reaches only the connections open at that moment; whether the
      // next request is served or times out, it must settle by its deadline.
      fire(s, "open", "SETTINGS changes");
      require_fired(s, "open", "SETTINGS changes");
      auto req = s.request("/health", "after-open");
      req.timeout_ms = kDeadlineMs;
      auto after = s.send(req);
      auto ra = after->wait_done(std::chrono::milliseconds(kDeadlineMs) + kPrompt);
      require(after->done(),
              "request after the limit rose outlived its deadline: " + ra.description);
      s.note("after_open", ra.response.describe());
      return "limit 0: requests settled by their deadline, " + std::to_string(refused) +
             " refused; after raising it: " + ra.response.describe();
    });
  });
}

}  // namespace faultline::conformance::detail
