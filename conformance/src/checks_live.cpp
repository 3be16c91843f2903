// LIVE-*: connections that die without saying so. The server black-holes a connection
// (nothing read is processed, nothing is written, no FIN), or closes an idle one just
// as new requests arrive on it (a FIN without GOAWAY, or GOAWAY then FIN). Each check
// makes sure its fault happened and reads what was served from the server's counters.
#include <algorithm>

#include "checks_groups.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

/** Deadline of each request sent to find out whether the client got over a dead
    connection. */
constexpr std::uint32_t kProbeMs = 1000;
/** Requests that warm the pool up before a fault, one after the other. */
constexpr int kWarmRequests = 3;
/** Requests that must all be served once the client got over the dead connection. */
constexpr int kAfterRecovery = 3;
/** GETs sent with the POST into an idle-close race. */
constexpr int kRaceGets = 3;

nlohmann::json route(const char* path, nlohmann::json respond, const char* method = nullptr) {
  nlohmann::json match = {{"path", path}};
  if (method != nullptr) {
    match["method"] = method;
  }
  return {{"match", std::move(match)}, {"respond", std::move(respond)}};
}

nlohmann::json live_scenario(const std::string& name, nlohmann::json faults) {
  return {{"name", name},
          {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"routes",
           {route("/health", {{"status", 200}, {"body", "ok"}}),
            route("/r/get", {{"status", 200}, {"body", "got"}}, "GET"),
            route("/r/post", {{"status", 200}, {"body", {{"echo", true}}}}, "POST")}},
          {"faults", std::move(faults)}};
}

/** GETs /health `n` times, one after the other, failing the check unless each is served. */
void warm_up(CheckRun& run, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) {
    auto x = run.send(run.request("/health", tag(prefix, i)));
    auto r = x->wait_done(kWait);
    require(r.ok, "warm-up request " + tag(prefix, i) + ": " + r.description);
  }
}

/** The liveness bound the driver declares (hello capabilities.liveness_timeout_ms), or
    nullopt when it declares none (absent, or 0: no dead-connection detection). */
std::optional<std::chrono::milliseconds> declared_liveness(CheckRun& run) {
  const auto& ms = run.info().capabilities.liveness_timeout_ms;
  if (!ms || *ms <= 0) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(*ms);
}

// RFC 9113 section 6.7 (PING measures whether an idle connection still works) and RFC
// 9110 section 9.2.2: a peer that went silent costs the requests already on its
// connection at most; the client finds out within its liveness bound and new requests
// are served on a fresh connection.
std::string live_dead_connection_steps(CheckRun& run) {
  // 1. A warm pool, then every connection it has black-holed (TCP stays open).
  warm_up(run, "w-", kWarmRequests);
  const auto before = open_connections(run);
  const long black_holed =
      apply_to_every_connection(run, {{"close", {{"mode", "black_hole"}}}}, "black hole");
  std::string silent;
  const auto all_silent = [&](std::string& seen) {
    const auto stats = run.stats();
    const auto& conns = connections_of(stats);
    const long entered = std::count_if(conns.begin(), conns.end(), [](const nlohmann::json& c) {
      return c.value("guard", "") == "black_hole";
    });
    seen = std::to_string(entered) + " of " + std::to_string(black_holed);
    return entered >= black_holed;
  };
  if (!poll_until(all_silent, kPrompt, silent)) {
    fault_did_not_fire(silent + " connections went silent");
  }
  const auto liveness = declared_liveness(run);
  run.note("declared_liveness_ms", liveness ? liveness->count() : 0);
  // 2. Requests, one after the other, each with a short deadline, until one is served:
  //    those that fail must fail typed and by their deadline.
  const auto started = std::chrono::steady_clock::now();
  const auto bound = std::chrono::milliseconds(kProbeMs) + liveness.value_or(0ms) + kSettle;
  int failed = 0;
  std::string failures;
  std::optional<std::chrono::milliseconds> recovered;
  for (int i = 0; !recovered; ++i) {
    require(std::chrono::steady_clock::now() - started < bound,
            std::to_string(failed) +
                " requests failed after the connection went silent and "
                "none was served within " +
                std::to_string(bound.count()) + " ms (request deadline " +
                std::to_string(kProbeMs) + " ms + declared liveness " +
                std::to_string(liveness.value_or(0ms).count()) + " ms + " +
                std::to_string(std::chrono::milliseconds(kSettle).count()) + " ms): " + failures);
    auto r = run.request("/health", tag("p-", i));
    r.timeout_ms = kProbeMs;
    auto x = run.send(std::move(r));
    auto done = x->wait_done(std::chrono::milliseconds(kProbeMs) + kPrompt);
    if (done.ok) {
      recovered = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      break;
    }
    require(done.response.done(), "request " + tag("p-", i) + " outlived its deadline of " +
                                      std::to_string(kProbeMs) + " ms: " + done.description);
    const auto kind = done.response.error->kind;
    require(
        kind == harness::ErrorKind::timeout || kind == harness::ErrorKind::network,
        "request " + tag("p-", i) + " on a silent connection failed untyped: " + done.description);
    ++failed;
    if (failures.size() < 600) {
      failures += (failures.empty() ? "" : "; ") + done.response.describe();
    }
  }
  run.note("failed_before_recovery", failed);
  run.note("recovered_ms", recovered->count());
  // 3. From now on requests are served, and on a connection the client opened since.
  auto after = send_many(run, kAfterRecovery,
                         [&](int i) { return run.request("/health", tag("after-", i)); });
  require_all_ok(after, kWait, "requests after the client got over the silent connection");
  const auto stats = run.stats();
  long served_on_new = 0;
  for (const auto& c : connections_of(stats)) {
    if (std::find(before.begin(), before.end(), c.value("id", 0L)) == before.end()) {
      served_on_new += c.value("requests", 0L);
    }
  }
  require(served_on_new >= kAfterRecovery + 1,
          "only " + std::to_string(served_on_new) +
              " requests were served on connections opened after the black hole");
  return std::to_string(black_holed) + " connection(s) black-holed: " + std::to_string(failed) +
         " request(s) failed typed, served again after " + std::to_string(recovered->count()) +
         " ms on a new connection (bound " + std::to_string(bound.count()) + " ms)";
}

/** `n` GETs of /r/get tagged get-i, at once. */
std::vector<std::shared_ptr<harness::Exchange>> send_gets(CheckRun& run, int n) {
  return send_many(run, n, [&](int i) {
    auto get = run.request("/r/get", tag("get-", i));
    get.timeout_ms = static_cast<std::uint32_t>(std::chrono::milliseconds(kWait).count());
    return get;
  });
}

/** One POST of /r/post with a body, tagged post-0. */
std::shared_ptr<harness::Exchange> send_post(CheckRun& run) {
  auto post = run.request("/r/post", "post-0");
  post.method = "POST";
  post.body = "a non-idempotent request body";
  post.timeout_ms = static_cast<std::uint32_t>(std::chrono::milliseconds(kWait).count());
  return run.send(std::move(post));
}

/** Every GET ended; each served exactly once. */
void require_gets_served(CheckRun& run, const std::vector<std::shared_ptr<harness::Exchange>>& xs,
                         const std::string& how) {
  auto r = harness::wait_all(xs, kWait + kSettle);
  require(r.pending == 0, "GETs outlived their deadline after " + how + ": " + r.description);
  require(r.ok, "GETs whose connection closed before any response (" + how +
                    ") must be retried once and served: " + r.description);
  require_each_served_once(run, "get-", static_cast<int>(xs.size()));
}

// RFC 9110 section 9.2.2: the server closes an idle connection (FIN, no GOAWAY) as new
// requests arrive on it, before processing them. GETs are idempotent and are retried on
// a new connection; a POST may have been processed as far as the client can tell, so it
// fails typed and is never sent again.
std::string idle_race_fin_steps(CheckRun& run) {
  // 1. An idle connection; GETs arrive on it and it closes as the first one does.
  warm_up(run, "w-", 1);
  auto gets = send_gets(run, kRaceGets);
  require_gets_served(run, gets, "a FIN without GOAWAY");
  require_fired(run, "fin-get", "FIN as a GET arrived");
  // 2. The connection the retries used is idle now; a POST arrives and it closes.
  auto post = send_post(run);
  auto r = post->wait_done(kWait + kSettle);
  require(r.response.done(), "the POST outlived its deadline after a FIN: " + r.description);
  require_fired(run, "fin-post", "FIN as the POST arrived");
  const int post_served = run.served("post-0");
  require(!r.response.ended,
          "the POST was sent again after its connection closed without "
          "GOAWAY (not provably unprocessed) and served " +
              std::to_string(post_served) + " time(s): " + r.description);
  require(post_served == 0, "the failed POST was served " + std::to_string(post_served) + " times");
  const auto kind = r.response.error->kind;
  require(kind == harness::ErrorKind::network || kind == harness::ErrorKind::protocol,
          "the POST lost to a FIN must fail typed (network), got: " + r.description);
  return std::to_string(kRaceGets) + " GETs retried and served once; the POST failed typed (" +
         r.response.error->message.substr(0, 80) + "), never sent again";
}

// RFC 9113 section 6.8: GOAWAY(last = previous) then FIN as requests arrive on an idle
// connection: the newest stream lies above last-stream-id, provably unprocessed, and is
// retried whatever its method; over HTTP/1.1 the response carries "connection: close".
// Every request served once.
std::string idle_race_goaway_steps(CheckRun& run) {
  // 1. An idle connection; a POST arrives and GOAWAY(previous) + FIN answer it.
  warm_up(run, "w-", 1);
  auto post = send_post(run);
  auto r = post->wait_done(kWait + kSettle);
  require_fired(run, "goaway-post", "GOAWAY(previous) and FIN as the POST arrived");
  require(r.ok, "a POST above a GOAWAY's last-stream-id must be retried: " + r.description);
  const int post_served = run.served("post-0");
  require(post_served == 1, "the POST was served " + std::to_string(post_served) + " times");
  // 2. GETs arrive on the next idle connection and it goes the same way.
  auto gets = send_gets(run, kRaceGets);
  require_gets_served(run, gets, "GOAWAY(previous) + FIN");
  require_fired(run, "goaway-get", "GOAWAY(previous) and FIN as a GET arrived");
  return "the POST and " + std::to_string(kRaceGets) + " GETs served once each";
}

/** A fault that fires once on the first arrival of `path` and does `action`. */
nlohmann::json first_arrival(const char* name, const char* path, nlohmann::json action) {
  return {{"name", name},
          {"on", {{"path", path}, {"attempt", {{"first", 1}}}}},
          {"do", std::move(action)},
          {"times", 1},
          {"scope", "server"}};
}

nlohmann::json fin_faults() {
  const nlohmann::json fin = {{"close", {{"mode", "fin"}}}};
  return {first_arrival("fin-get", "/r/get", fin), first_arrival("fin-post", "/r/post", fin)};
}

nlohmann::json goaway_faults() {
  const nlohmann::json goaway = {
      {"goaway", {{"last_stream_id", "previous"}, {"close_after_ms", 0}}}};
  return {first_arrival("goaway-post", "/r/post", goaway),
          first_arrival("goaway-get", "/r/get", goaway)};
}

}  // namespace

Verdict live_dead_connection(const DriverSpec& d) {
  return judge_on(d, live_scenario("live-dead-connection", nlohmann::json::array()),
                  live_dead_connection_steps);
}

Verdict live_idle_race(const DriverSpec& d) {
  return judge_each(
      d, {{"fin", live_scenario("live-idle-race-fin", fin_faults()), idle_race_fin_steps},
          {"goaway", live_scenario("live-idle-race-goaway", goaway_faults()),
           idle_race_goaway_steps}});
}

}  // namespace faultline::conformance::detail
