// ABORT-*: aborts and deadlines of queued and in-flight requests.
#include <algorithm>

#include "checks_groups.h"

namespace faultline::conformance::detail {
namespace {

constexpr int kQueuedMany = 200;
constexpr std::uint32_t kQueuedTimeoutMs = 300;

/** Fills every stream slot of the driver's pool with requests held at gate "hold",
    and waits until the server holds them all. */
std::vector<std::shared_ptr<harness::Exchange>> saturate(CheckRun& run) {
  const int capacity = run.info().max_sessions * run.info().max_streams;
  run.note("held_streams", capacity);
  auto held = send_many(run, capacity,
                        [&](int i) { return run.request("/hold", "held-" + std::to_string(i)); });
  run.wait_held("hold", capacity);
  return held;
}

/** Waits until the driver holds `n` requests beyond the `held` ones, when its counters
    say so: its queue depth, or (HTTP/1.1 over libcurl queues inside libcurl, outside
    queue_depth) its pending requests. Drivers without counters go on at once. */
void wait_queued(CheckRun& run, long held, long n) {
  auto ds = run.driver_stats();
  if (!ds.is_object() || !ds.contains("queue_depth") || !ds.contains("requests_pending")) {
    return;
  }
  wait_until(
      [&](std::string& seen) {
        auto st = run.driver_stats();
        seen = "queue_depth " + st["queue_depth"].dump() + ", requests_pending " +
               st["requests_pending"].dump();
        return st["queue_depth"].get<long>() >= n || st["requests_pending"].get<long>() >= held + n;
      },
      "the driver to take " + std::to_string(n) + " queued requests", kWait);
}

/** Releases the gate and requires the held requests to complete. */
void release_and_finish(CheckRun& run,
                        const std::vector<std::shared_ptr<harness::Exchange>>& held) {
  auto r = run.admin().release("hold");
  require(r.ok(), "gate release failed: " + r.describe());
  require_all_ok(held, kWait, "held requests after release");
}

// RFC 9113 section 5.1.2: a request queued for a stream slot has no stream yet; its
// abort rejects it at once and puts nothing on the wire.
std::string abort_queued_steps(CheckRun& run) {
  auto held = saturate(run);
  auto queued = run.send(run.request("/health", "queued"));
  wait_queued(run, static_cast<long>(held.size()), 1);
  run.driver().abort(queued->id());
  auto r = queued->wait_error(harness::ErrorKind::aborted, kPrompt);
  require(r.ok, "queued request not rejected as aborted within " +
                    std::to_string(std::chrono::milliseconds(kPrompt).count()) +
                    " ms: " + r.description);
  release_and_finish(run, held);
  const int seen = run.served("queued");
  require(seen == 0, "the server served the aborted request " + std::to_string(seen) + " times");
  return "queued request aborted after " + std::to_string(r.response.done_ms) +
         " ms; never reached the server";
}

// RFC 9113 section 5.1.2: the same queue; a deadline that expires there rejects the
// request as a timeout within the deadline, and nothing reaches the server.
std::string abort_queued_timeout_steps(CheckRun& run) {
  auto held = saturate(run);
  auto req = run.request("/health", "queued-timeout");
  req.timeout_ms = kQueuedTimeoutMs;
  auto queued = run.send(req);
  auto r = queued->wait_error(harness::ErrorKind::timeout,
                              std::chrono::milliseconds(kQueuedTimeoutMs) + kPrompt);
  require(r.ok, "queued request with a " + std::to_string(kQueuedTimeoutMs) +
                    " ms deadline did not time out promptly: " + r.description);
  release_and_finish(run, held);
  const int seen = run.served("queued-timeout");
  require(seen == 0, "the server served the timed-out request " + std::to_string(seen) + " times");
  return "queued request timed out at " + std::to_string(r.response.done_ms) + " ms (deadline " +
         std::to_string(kQueuedTimeoutMs) + " ms)";
}

// RFC 9113 sections 8.7 and 6.4: a client that gives up a stream resets it
// (RST_STREAM); the code is its choice (CANCEL, NO_ERROR, ...). Over HTTP/1.1 the only
// way is to close the connection. Either way the aborted stream must leave the server
// promptly.
std::string abort_inflight_steps(CheckRun& run) {
  auto victim = run.send(run.request("/hold", "victim"));
  auto sibling = run.send(run.request("/hold", "sibling"));
  run.wait_held("hold", 2);
  const auto before = run.stats();
  run.driver().abort(victim->id());
  auto r = victim->wait_error(harness::ErrorKind::aborted, kPrompt);
  require(r.ok, "in-flight request not rejected as aborted: " + r.description);
  // The held stream leaves the gate: an RST_STREAM or a closed connection.
  wait_until(
      [&](std::string& seen) {
        const int held = run.held("hold");
        seen = "gate hold holds " + std::to_string(held);
        return held == 1;
      },
      "the aborted stream to leave the server (RST_STREAM or close)", kPrompt);
  const auto after = run.stats();
  const auto& codes = after.value("rst_received", nlohmann::json::object());
  long resets = 0;
  for (const auto& [code, n] : codes.items()) {
    resets += n.get<long>();
  }
  long h2_closed = 0;
  for (const auto& c : connections_of(after)) {
    h2_closed += c.value("protocol", "") == "h2" && !c.value("open", true) ? 1 : 0;
  }
  const long h2_conns =
      std::count_if(connections_of(before).begin(), connections_of(before).end(),
                    [](const auto& c) { return c.value("protocol", "") == "h2"; });
  run.note("rst_received", codes);
  // Over h2, a connection carrying the aborted stream is told by RST_STREAM (of any
  // code) or closed; nothing reached the server at all would leave the stream held.
  if (h2_conns > 0) {
    require(resets >= 1 || h2_closed >= 1,
            "no RST_STREAM and no closed connection for the aborted h2 stream; rst_received " +
                codes.dump());
  }
  auto rel = run.admin().release("hold");
  require(rel.ok(), "gate release failed: " + rel.describe());
  auto sib = sibling->wait_done(kWait);
  require(sib.ok && sib.response.status == 200 && sib.response.body == "released",
          "sibling request: " + sib.description);
  return std::string("abort ended only its own stream (") +
         (resets > 0 ? "RST_STREAM " + codes.dump()
                     : std::string(h2_conns > 0 ? "its h2 connection closed"
                                                : "its HTTP/1.1 connection closed")) +
         "); the sibling completed";
}

// RFC 9113 section 5.1.2: hundreds of queued requests aborted at once all reject, and
// the pool (its streams, section 6.4's resets) still serves afterwards.
std::string abort_many_steps(CheckRun& run) {
  auto held = saturate(run);
  auto queued = send_many(
      run, kQueuedMany, [&](int i) { return run.request("/health", "many-" + std::to_string(i)); });
  wait_queued(run, static_cast<long>(held.size()), kQueuedMany);
  const auto started = std::chrono::steady_clock::now();
  for (auto& q : queued) {
    run.driver().abort(q->id());
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
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  release_and_finish(run, held);
  auto after = run.send(run.request("/health", "after"));
  auto ra = after->wait_done(kWait);
  require(ra.ok && ra.response.status == 200, "the pool no longer serves: " + ra.description);
  auto st = run.stats();
  const auto& requests = st.value("requests", nlohmann::json::object());
  for (int i = 0; i < kQueuedMany; ++i) {
    require(!requests.contains("many-" + std::to_string(i)),
            "aborted request many-" + std::to_string(i) + " reached the server");
  }
  return std::to_string(kQueuedMany) + " queued requests aborted in " +
         std::to_string(static_cast<int>(took)) + " ms; the pool still serves";
}

}  // namespace

Verdict abort_queued(const DriverSpec& d) {
  return judge_on(d, "default", abort_queued_steps);
}

Verdict abort_queued_timeout(const DriverSpec& d) {
  return judge_on(d, "default", abort_queued_timeout_steps);
}

Verdict abort_inflight(const DriverSpec& d) {
  return judge_on(d, "default", abort_inflight_steps);
}

Verdict abort_many(const DriverSpec& d) {
  return judge_on(d, "default", abort_many_steps);
}
}  // namespace faultline::conformance::detail
