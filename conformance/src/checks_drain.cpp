// DRAIN-*: the server takes connections and streams away (GOAWAY, resets, refused
// streams, storms). Each check makes sure its fault happened - fired by the admin API
// at the protocol state the check controls (requests held at a gate, on every
// connection), and read back from the server's counters and timelines. A fault that did
// not fire fails the check ("fault did not fire: ..."), never a pass or a skip.
#include <algorithm>
#include <map>
#include <set>

#include "checks_groups.h"
#include "flow_support.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

constexpr int kDrainRequests = 8;
constexpr int kDrainLater = 3;

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

GoawaySeen goaway_seen(CheckRun& run, long connection_id) {
  GoawaySeen g;
  std::set<long> streams;
  for (const auto& e : timeline_events(run, connection_id)) {
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
std::map<long, GoawaySeen> wait_goaways(CheckRun& run, const std::vector<long>& ids, int goaways) {
  std::map<long, GoawaySeen> seen;
  std::string last;
  const auto probe = [&](std::string& now) {
    bool all = true;
    now.clear();
    const auto open = open_connections(run);
    for (const long id : ids) {
      seen[id] = goaway_seen(run, id);
      const bool closed = std::find(open.begin(), open.end(), id) == open.end();
      all = all && (seen[id].goaways >= goaways || (seen[id].goaways >= 1 && closed));
      now += " conn " + std::to_string(id) + ": " + std::to_string(seen[id].goaways) +
             (closed ? " (closed)" : "");
    }
    return all;
  };
  if (!poll_until(probe, kPrompt, last)) {
    fault_did_not_fire("expected " + std::to_string(goaways) +
                       " GOAWAY frames on every held connection, the server sent" + last);
  }
  return seen;
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

// RFC 9113 section 6.8: a graceful shutdown first announces GOAWAY(2^31-1), then the
// real last-stream-id; streams at or below it complete, new streams go elsewhere.
std::string drain_goaway_graceful_steps(CheckRun& run) {
  // 1. Requests held at the gate, wherever the pool put them.
  auto held =
      send_many(run, kDrainRequests, [&](int i) { return run.request("/hold", tag("g-", i)); });
  run.wait_held("hold", kDrainRequests);
  // 2. A graceful GOAWAY on every connection while they are held.
  const auto conns = open_connections(run);
  apply_to_every_connection(
      run, {{"goaway", {{"last_stream_id", "current"}, {"graceful_delay_ms", 200}}}},
      "graceful GOAWAY");
  const auto seen = wait_goaways(run, conns, 2);
  run.note("goaway", describe(seen));
  // 3. New requests now must not open streams on a draining connection.
  const auto before = per_connection(run.stats(), "streams_opened");
  auto later =
      send_many(run, kDrainLater, [&](int i) { return run.request("/health", tag("after-", i)); });
  require_all_ok(later, kWait, "requests after the GOAWAY, while the held ones are still held");
  const auto after = per_connection(run.stats(), "streams_opened");
  for (const long id : conns) {
    require(after.at(id) == before.at(id), "connection " + std::to_string(id) + " got " +
                                               std::to_string(after.at(id) - before.at(id)) +
                                               " new streams after its GOAWAY");
  }
  // 4. The held streams (all at or below last-stream-id) complete once released.
  auto r = release_until_done(run, "hold", held, kWait);
  require(r.ok, "held requests across a graceful GOAWAY: " + r.description);
  require_each_served_once(run, "g-", kDrainRequests);
  require_each_served_once(run, "after-", kDrainLater);
  return std::to_string(kDrainRequests) + " held requests on " + std::to_string(conns.size()) +
         " connections across GOAWAY(2^31-1), GOAWAY(last): each served once; " +
         std::to_string(kDrainLater) + " later ones served on new connections";
}

// RFC 9113 section 6.8: streams above last-stream-id were not processed and can be
// retried on a new connection, whatever their method.
std::string drain_goaway_above_last_steps(CheckRun& run) {
  // 1. GETs and POSTs with bodies held at the gate.
  auto xs = send_many(run, kDrainRequests, [&](int i) {
    if (i % 2 == 1) {
      auto r = run.request("/hold-echo", tag("a-", i));
      r.method = "POST";
      r.body = "body of " + tag("a-", i);
      return r;
    }
    return run.request("/hold", tag("a-", i));
  });
  // A client may keep a POST back while other requests run: GOAWAY what it sent.
  const int held_at_goaway = run.wait_held_at_least("hold", kDrainRequests, 1);
  run.note("held_at_goaway", held_at_goaway);
  // 2. GOAWAY(previous) on every connection: each one's newest stream lies above it.
  const auto conns = open_connections(run);
  apply_to_every_connection(run, {{"goaway", {{"last_stream_id", "previous"}}}},
                            "GOAWAY(previous)");
  const auto seen = wait_goaways(run, conns, 1);
  run.note("goaway", describe(seen));
  long above = 0;
  for (const auto& [id, g] : seen) {
    above += g.above_last;
  }
  if (above == 0) {
    fault_did_not_fire("no held stream lies above a GOAWAY's last-stream-id: " +
                       describe(seen).dump());
  }
  // 3. Release (again and again: retried requests reach the gate on new connections).
  auto r = release_until_done(run, "hold", xs, kWait + kWait);
  require(r.ok, std::to_string(above) +
                    " requests above last-stream-id must be retried: " + r.description);
  require_each_served_once(run, "a-", kDrainRequests);
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
}

// RFC 9113 section 8.7: a request in flight on a connection that is lost may or may not
// have been processed: it fails typed, or is retried and served once; a request still
// queued was never sent and must go out on a replacement connection.
std::string drain_session_loss_steps(CheckRun& run) {
  // 1. Every stream slot held, 4 more queued behind them.
  const int capacity = run.info().max_sessions * run.info().max_streams;
  auto held = send_many(run, capacity, [&](int i) { return run.request("/hold", tag("h-", i)); });
  run.wait_held("hold", capacity);
  auto queued = send_many(run, 4, [&](int i) { return run.request("/health", tag("q-", i)); });
  const auto before = open_connections(run);
  // 2. A TCP reset of every connection; the server must really have closed them.
  fire(run, "reset-all", "connection resets");
  std::string still_open;
  const auto all_closed = [&](std::string& seen) {
    const auto now = open_connections(run);
    long open = 0;
    for (const long id : before) {
      open += std::find(now.begin(), now.end(), id) != now.end() ? 1 : 0;
    }
    seen = std::to_string(open) + " of " + std::to_string(before.size());
    return open == 0;
  };
  if (!poll_until(all_closed, kPrompt, still_open)) {
    fault_did_not_fire(still_open + " connections still open after the reset");
  }
  // 3. The gate opens: in-flight requests a client retried are served on new connections.
  auto rh = release_until_done(run, "hold", held, kWait);
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
    const int times = run.served(t);
    require(times == 1, "in-flight request " + t + " succeeded after the reset but was served " +
                            std::to_string(times) + " times");
    ++retried;
  }
  require_all_ok(queued, kSettle, "queued requests must be served by replacement connections");
  require_each_served_once(run, "q-", 4);
  return std::to_string(capacity) + " in-flight: " + std::to_string(capacity - retried) +
         " failed typed, " + std::to_string(retried) +
         " retried and served once; 4 queued served by new connections";
}

// RFC 9113 sections 6.8 and 7: GOAWAY(0, ENHANCE_YOUR_CALM) on every connection; a
// client reconnects within bounds and its requests still end by their deadline.
std::string drain_goaway_storm_steps(CheckRun& run) {
  auto r = send_with_deadline(run, 5, "/health", "s-", kShortDeadlineMs);
  require_fired(run, "storm", "GOAWAY storms");
  require(r.pending == 0, "requests outlived their deadline in a GOAWAY storm: " + r.description);
  const long conns = run.stats().value("connections_total", 0L);
  constexpr long kBound = 50;
  require(conns <= kBound, std::to_string(conns) + " connections in " +
                               std::to_string(kShortDeadlineMs) + " ms: unbounded reconnects");
  return "5 requests settled by their deadline; " + std::to_string(conns) + " connections";
}

std::string refused_first_attempt_steps(CheckRun& run) {
  auto xs = send_many(run, 10, [&](int i) { return run.request("/flaky", tag("f-", i)); });
  auto r = harness::wait_all(xs, kWait);
  require_fired(run, "refuse-first", "REFUSED_STREAM");
  require(r.ok, "REFUSED_STREAM must be retried transparently: " + r.description);
  require_each_served_once(run, "f-", 10);
  return "10 refused first attempts retried, each served once";
}

std::string refused_always_steps(CheckRun& run) {
  auto x = run.send(run.request("/refused", "always"));
  auto r = x->wait_done(kWait);
  require_fired(run, "refuse-always", "REFUSED_STREAM");
  require(!r.ok && r.response.error && r.response.error->kind != harness::ErrorKind::timeout,
          "always-refused request must fail, bounded: " + r.description);
  const long refused = sum_connection_map(run.stats(), "rst_sent", "REFUSED_STREAM");
  constexpr long kBound = 10;
  require(refused <= kBound, std::to_string(refused) + " attempts of one refused request");
  return "always refused: failed after " + std::to_string(refused) + " attempts";
}

std::string rst_internal_steps(CheckRun& run) {
  auto x = run.send(run.request("/rst/internal", "internal"));
  auto r = x->wait_done(kWait);
  require_fired(run, "internal-before-headers", "RST_STREAM(INTERNAL_ERROR)");
  require(!r.ok, "RST_STREAM(INTERNAL_ERROR) must surface: " + r.description);
  const long sent = sum_connection_map(run.stats(), "rst_sent", "INTERNAL_ERROR");
  require(sent == 1, "INTERNAL_ERROR was retried: " + std::to_string(sent) + " attempts");
  return "INTERNAL_ERROR surfaced, not retried";
}

}  // namespace

Verdict drain_goaway_graceful(const DriverSpec& d) {
  return judge_on(d, drain_scenario("drain-goaway-graceful"), drain_goaway_graceful_steps);
}

Verdict drain_goaway_above_last(const DriverSpec& d) {
  return judge_on(d, drain_scenario("drain-goaway-above-last"), drain_goaway_above_last_steps);
}

Verdict drain_session_loss(const DriverSpec& d) {
  return judge_on(d, "reset-all", drain_session_loss_steps);
}

Verdict drain_goaway_storm(const DriverSpec& d) {
  return judge_on(d, "goaway-storm", drain_goaway_storm_steps);
}

// RFC 9113 section 8.7: REFUSED_STREAM means the server processed nothing, so the
// request can be retried whatever its method (bounded); other codes (section 7) may
// have been processed and must surface. Three scenarios, each on a fresh CheckRun.
Verdict drain_refused_retry(const DriverSpec& d) {
  const std::pair<const char*, Steps> parts[] = {
      {"refused-first-attempt", refused_first_attempt_steps},
      {"refused-always", refused_always_steps},
      {"rst-internal", rst_internal_steps},
  };
  Verdict v;
  std::string line;
  for (const auto& [scenario, steps] : parts) {
    v = judge_on(d, scenario, steps);
    if (!v.passed()) {
      return v;
    }
    line += (line.empty() ? "" : "; ") + v.summary;
  }
  v.summary = line;
  return v;
}

namespace {

/** Requests after the fallback that must go to HTTP/1.1 as well (the origin remembered). */
constexpr int kHttp11Later = 3;

nlohmann::json http11_required_scenario(const std::string& name, nlohmann::json fault) {
  return {
      {"name", name},
      {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
      {"routes",
       {{{"match", {{"path", "/health"}}}, {"respond", {{"status", 200}, {"body", "ok"}}}},
        {{"match", {{"path", "/needs-h1"}}}, {"respond", {{"status", 200}, {"body", "served"}}}}}},
      {"faults", {std::move(fault)}}};
}

/** The request `tag` of `path`, served over HTTP/1.1 once; then kHttp11Later requests
    over HTTP/1.1 too; and no more than one h2 connection ever opened. */
std::string http11_required_steps(CheckRun& run, const std::string& path, const std::string& fault,
                                  const std::string& what) {
  // 1. The request meets HTTP_1_1_REQUIRED over h2 and must be answered over HTTP/1.1.
  auto x = run.send(run.request(path, "first"));
  auto r = x->wait_done(kWait);
  require_fired(run, fault, what);
  require(r.ok,
          "a request answered with " + what + " must be retried over HTTP/1.1: " + r.description);
  // A driver that does not name the protocol is judged by the server's connections.
  require(
      r.response.protocol.empty() || r.response.protocol == "http/1.1",
      "after " + what + " the request was answered over " +
          (r.response.protocol.empty() ? std::string("an unnamed protocol") : r.response.protocol) +
          ", not HTTP/1.1");
  require(run.served("first") == 1,
          "the request was served " + std::to_string(run.served("first")) + " times");
  // 2. The origin is remembered as HTTP/1.1: later requests go there at once.
  auto later =
      send_many(run, kHttp11Later, [&](int i) { return run.request("/health", tag("later-", i)); });
  require_all_ok(later, kWait, "requests after the HTTP/1.1 fallback");
  for (int i = 0; i < kHttp11Later; ++i) {
    const auto protocol = later[static_cast<std::size_t>(i)]->snapshot().protocol;
    require(protocol.empty() || protocol == "http/1.1",
            tag("later-", i) + " went over " + protocol +
                ": the origin was not remembered as HTTP/1.1");
  }
  // 3. No h2 retry loop: the server saw one h2 connection.
  const auto stats = run.stats();
  long h2 = 0;
  long h1_served = 0;
  for (const auto& c : connections_of(stats)) {
    const bool is_h2 = c.value("protocol", "") == "h2";
    h2 += is_h2 ? 1 : 0;
    h1_served += is_h2 ? 0 : c.value("requests", 0L);
  }
  require(h2 == 1,
          std::to_string(h2) + " h2 connections: the client went on trying h2 after " + what);
  require(h1_served >= kHttp11Later + 1, "HTTP/1.1 connections served " +
                                             std::to_string(h1_served) + " requests, not " +
                                             std::to_string(kHttp11Later + 1));
  return "served over HTTP/1.1 once, " + std::to_string(kHttp11Later) +
         " later requests over HTTP/1.1, 1 h2 connection";
}

// RFC 9113 section 8.2.2 (and 7): RST_STREAM(HTTP_1_1_REQUIRED) on the request.
std::string http11_required_rst_steps(CheckRun& run) {
  return http11_required_steps(run, "/needs-h1", "h11-rst", "RST_STREAM(HTTP_1_1_REQUIRED)");
}

// RFC 9113 section 7: GOAWAY(HTTP_1_1_REQUIRED) on every h2 connection's first stream
// (above its last-stream-id: unprocessed). A client that kept to h2 meets it again on
// every new connection.
std::string http11_required_goaway_steps(CheckRun& run) {
  return http11_required_steps(run, "/health", "h11-goaway", "GOAWAY(HTTP_1_1_REQUIRED)");
}

}  // namespace

// ---- DRAIN-GOAWAY-UPLOAD --------------------------------------------------------------

namespace {

constexpr std::size_t kGoawayUploadBytes = 256 * 1024;

/** GET /hold waits at gate "hold"; POST /upload echoes. The upload's first attempt lowers
    its connection's window to 0 as its headers arrive, so its body is still being sent
    when the check sends GOAWAY; "replayed" marks a second attempt (a no-op SETTINGS). */
nlohmann::json goaway_upload_scenario() {
  auto route = [](const char* path, nlohmann::json respond) {
    return nlohmann::json{{"match", {{"path", path}}}, {"respond", std::move(respond)}};
  };
  auto on_attempt = [](int attempt) {
    return nlohmann::json{{"path", "/upload"}, {"method", "POST"}, {"attempt", {attempt}}};
  };
  return {{"name", "drain-goaway-upload"},
          {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"routes",
           {route("/hold", {{"status", 200}, {"hold", "hold"}, {"body", "released"}}),
            route("/upload", {{"status", 200}, {"body", {{"echo", true}}}})}},
          {"faults",
           {{{"name", "upload-stall"},
             {"on", on_attempt(1)},
             {"do", {{"settings", {{"initial_window_size", 0}}}}}},
            {{"name", "replayed"},
             {"on", on_attempt(2)},
             {"do", {{"settings", {{"initial_window_size", 65535}}}}}}}}};
}

/** Where the upload stalled: its connection, and whether any of its body had arrived. */
struct UploadStall {
  long conn = 0;
  bool body_started = false;
};

/** Waits until the client acknowledged the zero window on the upload's connection (the
    only one that got a second SETTINGS) with the upload not done: from then on it can
    send nothing more of the body. */
UploadStall wait_upload_stalled(CheckRun& run, const std::shared_ptr<harness::Exchange>& up) {
  wait_fired(run, "upload-stall",
             "SETTINGS_INITIAL_WINDOW_SIZE 0 on the upload (its request headers never arrived "
             "while the request below it was in flight)");
  UploadStall stall;
  std::string seen;
  const auto stalled = [&](std::string& now) {
    stall.conn = 0;
    for (const auto& [id, acked] : settings_acks(run)) {
      stall.conn = acked >= 2 ? id : stall.conn;
    }
    long flow_conn = 0;
    std::string stream;
    const auto flow = find_flow(run.stats(), "data_in", flow_conn, stream);
    stall.body_started = !flow.is_null() && flow_conn == stall.conn;
    now = (stall.body_started ? std::to_string(flow.value("data_in", 0L)) + " B"
                              : std::string("no body byte")) +
          " received, zero window " +
          (stall.conn != 0 ? "acknowledged on connection " + std::to_string(stall.conn)
                           : std::string("not acknowledged")) +
          (up->done() ? ", upload done: " + up->snapshot().describe() : "");
    return stall.conn != 0 || up->done();
  };
  if (!poll_until(stalled, kWait, seen) || up->done()) {
    fault_did_not_fire("the upload never stalled at window 0 (" + seen + ")");
  }
  run.note("upload_stalled", seen);
  return stall;
}

// RFC 9113 section 6.8: a stream above GOAWAY's last-stream-id was not processed, so a
// client may send it again on a new connection - if it can: a body streamed from a
// source it already read cannot be replayed and the request fails instead (typed, not a
// hang). Streams at or below last-stream-id complete where they are.
Steps goaway_upload_steps(bool streamed) {
  return [streamed](CheckRun& run) -> std::string {
    // 1. A request at or below the coming last-stream-id, held at the gate.
    auto held = run.send(run.request("/hold", "held"));
    run.wait_held("hold", 1);
    // 2. The upload starts and stalls mid-body.
    const auto body = random_stream(kGoawayUploadBytes, streamed ? 42 : 41);
    auto r = run.request("/upload", "up");
    r.method = "POST";
    r.headers.emplace_back("content-type", "application/octet-stream");
    r.body = body;
    r.body_stream = streamed;
    auto up = run.send(std::move(r));
    const auto stall = wait_upload_stalled(run, up);
    const long conn = stall.conn;
    // 3. GOAWAY on the upload's connection, last-stream-id below the upload.
    auto a = run.admin().call("POST", "/v1/actions?connection=" + std::to_string(conn),
                              nlohmann::json{{"goaway", {{"last_stream_id", "previous"}}}}.dump());
    if (!a.ok() || a.body.value("applied", 0L) == 0) {
      fault_did_not_fire("GOAWAY reached no connection (" + a.describe() + ")");
    }
    // 4. The held request completes where it is.
    run.admin().release("hold");
    const auto h = held->wait_done(kWait);
    require(h.ok && h.response.body == "released",
            "request below last-stream-id: " + h.description);
    // 5. The upload: replayed once on a new connection, or failed typed.
    const auto u = up->wait_done(kWait);
    const long replays = fired(run.stats(), "replayed");
    if (!streamed) {
      require_echoed(u, body, "replayable upload above last-stream-id");
      require(replays == 1, "the upload reached the server " + std::to_string(1 + replays) +
                                " times, expected 2 (the GOAWAYed attempt and one replay)");
    } else if (stall.body_started || replays == 0) {
      // Some of the source was read: it cannot be sent again.
      require(replays == 0,
              "the streamed body (a source already read) was sent again on a "
              "new connection: " +
                  u.description);
      require(u.response.error.has_value(),
              "streamed upload above last-stream-id: " + u.description);
      const auto kind = u.response.error->kind;
      require(kind != harness::ErrorKind::timeout && kind != harness::ErrorKind::driver,
              "streamed upload above last-stream-id failed by " +
                  std::string(harness::to_string(kind)) +
                  ", not promptly and typed: " + u.response.error->message);
    } else {
      // No body byte had arrived: sending the untouched source once on a new connection
      // is as good as failing.
      require_echoed(u, body, "streamed upload replayed before any of its body arrived");
      require(replays == 1, "the untouched streamed body reached the server " +
                                std::to_string(1 + replays) + " times, expected 2");
    }
    require(run.served("held") == 1 && run.served("up") == (replays == 1 ? 1 : 0),
            "served held " + std::to_string(run.served("held")) + " times, up " +
                std::to_string(run.served("up")) + " times");
    if (streamed && replays == 0) {
      return "streamed body failed " + std::string(harness::to_string(u.response.error->kind)) +
             " (" + u.response.error->message + "), never replayed";
    }
    return std::string(streamed ? "untouched streamed body" : "replayable body") +
           " replayed once on a new connection, byte-exact";
  };
}

}  // namespace

Verdict drain_http11_required(const DriverSpec& d) {
  const nlohmann::json rst = {{"name", "h11-rst"},
                              {"on", {{"path", "/needs-h1"}, {"attempt", {{"first", 1}}}}},
                              {"do", {{"rst_stream", {{"error", "HTTP_1_1_REQUIRED"}}}}},
                              {"times", 1},
                              {"scope", "server"}};
  const nlohmann::json goaway = {
      {"name", "h11-goaway"},
      {"on", {{"streams_opened", 1}}},
      {"do", {{"goaway", {{"last_stream_id", "previous"}, {"error", "HTTP_1_1_REQUIRED"}}}}}};
  return judge_each(d, {{"rst", http11_required_scenario("drain-http11-required-rst", rst),
                         http11_required_rst_steps},
                        {"goaway", http11_required_scenario("drain-http11-required-goaway", goaway),
                         http11_required_goaway_steps}});
}

Verdict drain_goaway_upload(const DriverSpec& d) {
  return judge_parts(d, {{"replayable body", goaway_upload_scenario(), goaway_upload_steps(false)},
                         {"streamed body", goaway_upload_scenario(), goaway_upload_steps(true)}});
}

}  // namespace faultline::conformance::detail
