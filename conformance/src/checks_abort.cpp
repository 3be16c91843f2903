// ABORT-*: aborts and deadlines of queued and in-flight requests.
#include "checks_groups.h"

namespace faultline::conformance::detail {
namespace {

constexpr int kQueuedMany = 200;
constexpr std::uint32_t kQueuedTimeoutMs = 300;

/** Fills every stream slot of the driver's pool with requests held at gate "hold",
    and waits until the server holds them all. */
std::vector<std::shared_ptr<harness::Exchange>> saturate(Session& s) {
  const int capacity = s.info().max_sessions * s.info().max_streams;
  s.note("held_streams", capacity);
  auto held = send_many(s, capacity,
                        [&](int i) { return s.request("/hold", "held-" + std::to_string(i)); });
  s.wait_held("hold", capacity);
  return held;
}

/** Waits until the driver holds `n` requests beyond the `held` ones, when its counters
    say so: its queue depth, or (HTTP/1.1 over libcurl queues inside libcurl, outside
    queue_depth) its pending requests. Drivers without counters go on at once. */
void wait_queued(Session& s, long held, long n) {
  auto ds = s.driver_stats();
  if (!ds.is_object() || !ds.contains("queue_depth") || !ds.contains("requests_pending")) {
    return;
  }
  std::string last;
  s.wait_until(
      [&] {
        auto st = s.driver_stats();
        last = "queue_depth " + st["queue_depth"].dump() + ", requests_pending " +
               st["requests_pending"].dump();
        return st["queue_depth"].get<long>() >= n || st["requests_pending"].get<long>() >= held + n;
      },
      "the driver to take " + std::to_string(n) + " queued requests (" + last + ")");
}

/** Releases the gate and requires the held requests to complete. */
void release_and_finish(Session& s, const std::vector<std::shared_ptr<harness::Exchange>>& held) {
  auto r = s.admin().release("hold");
  require(r.ok(), "gate release failed: " + r.describe());
  require_all_ok(held, kWait, "held requests after release");
}

}  // namespace

Verdict abort_queued(const DriverSpec& d) {
  Session s(d, std::string("default"));
  return s.judge([&] {
    auto held = saturate(s);
    auto queued = s.send(s.request("/health", "queued"));
    wait_queued(s, static_cast<long>(held.size()), 1);
    s.driver().abort(queued->id());
    auto r = queued->wait_error(harness::ErrorKind::aborted, kPrompt);
    require(r.ok, "queued request not rejected as aborted within " +
                      std::to_string(std::chrono::milliseconds(kPrompt).count()) +
                      " ms: " + r.description);
    release_and_finish(s, held);
    const int seen = s.served("queued");
    require(seen == 0, "the server served the aborted request " + std::to_string(seen) + " times");
    return "queued request aborted after " + std::to_string(r.response.done_ms) +
           " ms; never reached the server";
  });
}

Verdict abort_queued_timeout(const DriverSpec& d) {
  Session s(d, std::string("default"));
  return s.judge([&] {
    auto held = saturate(s);
    auto req = s.request("/health", "queued-timeout");
    req.timeout_ms = kQueuedTimeoutMs;
    auto queued = s.send(req);
    auto r = queued->wait_error(harness::ErrorKind::timeout,
                                std::chrono::milliseconds(kQueuedTimeoutMs) + kPrompt);
    require(r.ok, "queued request with a " + std::to_string(kQueuedTimeoutMs) +
                      " ms deadline did not time out promptly: " + r.description);
    release_and_finish(s, held);
    const int seen = s.served("queued-timeout");
    require(seen == 0,
            "the server served the timed-out request " + std::to_string(seen) + " times");
    return "queued request timed out at " + std::to_string(r.response.done_ms) + " ms (deadline " +
           std::to_string(kQueuedTimeoutMs) + " ms)";
  });
}

Verdict abort_inflight(const DriverSpec& d) {
  Session s(d, std::string("default"));
  return s.judge([&] {
    auto victim = s.send(s.request("/hold", "victim"));
    auto sibling = s.send(s.request("/hold", "sibling"));
    s.wait_held("hold", 2);
    s.driver().abort(victim->id());
    auto r = victim->wait_error(harness::ErrorKind::aborted, kPrompt);
    require(r.ok, "in-flight request not rejected as aborted: " + r.description);
    // The server sees the cancellation: RST_STREAM(CANCEL) over h2, a closed connection
    // over HTTP/1.1; either way the held stream leaves the gate.
    s.wait_until([&] { return s.held("hold") == 1; }, "the aborted stream to leave the gate",
                 kSettle);
    if (s.info().h2 && !s.stats().value("connections", nlohmann::json::array()).empty() &&
        s.stats()["connections"][0].value("protocol", "") == "h2") {
      s.wait_until([&] { return s.stats()["rst_received"].value("CANCEL", 0) >= 1; },
                   "RST_STREAM(CANCEL) from the client", kPrompt);
    }
    auto rel = s.admin().release("hold");
    require(rel.ok(), "gate release failed: " + rel.describe());
    auto sib = sibling->wait_done(kWait);
    require(sib.ok && sib.response.status == 200 && sib.response.body == "released",
            "sibling request: " + sib.description);
    return "abort reset only its own stream; the sibling completed";
  });
}

Verdict abort_many(const DriverSpec& d) {
  Session s(d, std::string("default"));
  return s.judge([&] {
    auto held = saturate(s);
    auto queued = send_many(
        s, kQueuedMany, [&](int i) { return s.request("/health", "many-" + std::to_string(i)); });
    wait_queued(s, static_cast<long>(held.size()), kQueuedMany);
    const auto started = std::chrono::steady_clock::now();
    for (auto& q : queued) {
      s.driver().abort(q->id());
    }
    auto r = harness::wait_all(queued, kPrompt);
    require(r.pending == 0, std::to_string(r.pending) + " of " + std::to_string(kQueuedMany) +
                                " aborted requests still pending: " + r.description);
    for (auto& q : queued) {
      auto snap = q->snapshot();
      require(snap.error && snap.error->kind == harness::ErrorKind::aborted,
              "an aborted queued request ended as: " + snap.describe());
    }
    const auto took =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    release_and_finish(s, held);
    auto after = s.send(s.request("/health", "after"));
    auto ra = after->wait_done(kWait);
    require(ra.ok && ra.response.status == 200, "the pool no longer serves: " + ra.description);
    auto st = s.stats();
    const auto& requests = st.value("requests", nlohmann::json::object());
    for (int i = 0; i < kQueuedMany; ++i) {
      require(!requests.contains("many-" + std::to_string(i)),
              "aborted request many-" + std::to_string(i) + " reached the server");
    }
    return std::to_string(kQueuedMany) + " queued requests aborted in " +
           std::to_string(static_cast<int>(took)) + " ms; the pool still serves";
  });
}

}  // namespace faultline::conformance::detail
