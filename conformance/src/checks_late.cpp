// LATE-*: frames the server sends after a stream ended or was reset (each of those
// checks fails, "fault did not fire", when the server sent no late frames), and
// responses that finish in another order than their requests were sent.
#include <algorithm>

#include "checks_groups.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

constexpr int kLateAborts = 4;
constexpr std::size_t kAbortAfterBytes = 32 * 1024;
constexpr std::size_t kLateRstBody = 1 << 20;
constexpr int kLateTrailers = 10;
constexpr int kOutOfOrder = 16;

/** The connection stays usable: every connection the server saw is still open. */
void require_connections_alive(CheckRun& run) {
  auto st = run.stats();
  const long total = st.value("connections_total", 0L);
  const long open = st.value("connections_open", 0L);
  require(open == total, std::to_string(total - open) + " of " + std::to_string(total) +
                             " connections closed by late frames");
}

// RFC 9113 sections 5.1 ("closed": frames after the endpoint's own RST_STREAM are
// ignored) and 6.9 (those DATA frames still count against the connection's flow-control
// window, so their credit must be returned or the connection starves).
std::string late_data_after_rst_steps(CheckRun& run) {
  for (int i = 0; i < kLateAborts; ++i) {
    auto x = run.send(run.request("/late/rst", "rst-" + std::to_string(i)));
    auto got = x->wait_body(kAbortAfterBytes, kWait);
    require(got.ok, "streaming /late/rst: " + got.description);
    run.driver().abort(x->id());
    auto r = x->wait_error(harness::ErrorKind::aborted, kPrompt);
    require(r.ok, "abort of a streaming response: " + r.description);
  }
  auto full = run.send(run.request("/late/rst", "full"))->wait_done(30s);
  require_fired(run, "data-after-rst", "late frames");
  require(full.ok && full.response.body.size() == kLateRstBody,
          "1 MiB after " + std::to_string(kLateAborts) +
              " resets with late DATA (flow-control credit): " + full.description);
  require_connections_alive(run);
  return std::to_string(kLateAborts) +
         " resets answered by late DATA; a 1 MiB response then completed on a live connection";
}

// RFC 9113 sections 5.1 ("half-closed (remote)": DATA after END_STREAM is a stream
// error of type STREAM_CLOSED) and 5.4.2 (a stream error ends that stream only): the
// completed response stands, the connection and its other streams go on.
std::string late_data_after_end_steps(CheckRun& run) {
  // A sibling in flight the whole time: the late frames must not take it down.
  auto sibling = run.send(run.request("/hold", "sibling"));
  run.wait_held("hold", 1);
  for (int i = 0; i < 5; ++i) {
    auto r = run.send(run.request("/late", "end-" + std::to_string(i)))->wait_done(kWait);
    require(r.ok && r.response.status == 200 && r.response.body == "complete",
            "response followed by DATA after END_STREAM: " + r.description);
  }
  require_fired(run, "data-after-end", "late frames");
  auto after = run.send(run.request("/health", "after"))->wait_done(kWait);
  require(after.ok, "request after late DATA: " + after.description);
  auto rel = run.admin().release("hold");
  require(rel.ok(), "gate release failed: " + rel.describe());
  auto sib = sibling->wait_done(kWait);
  require(sib.ok && sib.response.body == "released",
          "a request in flight beside the late DATA: " + sib.description);
  require(run.served("sibling") == 1,
          "the in-flight sibling was served " + std::to_string(run.served("sibling")) + " times");
  return "5 responses intact despite DATA after END_STREAM; an in-flight sibling "
         "unharmed; the pool still serves";
}

// RFC 9113 section 8.1: trailers are the final HEADERS frame, with END_STREAM; what
// follows them (section 5.1) must not complete a request a second time.
std::string late_trailers_steps(CheckRun& run) {
  auto xs = send_many(run, kLateTrailers, [&](int i) {
    return run.request("/late/trailers", "t-" + std::to_string(i));
  });
  auto slow = run.send(run.request("/late/trailers/slow", "slow"));
  require_all_ok(xs, kWait, "responses with trailers then late DATA");
  for (auto& x : xs) {
    auto snap = x->snapshot();
    require(snap.body == "complete", "body with trailers: " + snap.describe());
    int terminals = 0;
    for (auto& e : x->events()) {
      terminals += e.terminal() ? 1 : 0;
    }
    require(terminals == 1, "a request completed " + std::to_string(terminals) + " times");
  }
  auto got = slow->wait_body(2048, kWait);
  require(got.ok, "streaming /late/trailers/slow: " + got.description);
  run.driver().abort(slow->id());
  auto ra = slow->wait_error(harness::ErrorKind::aborted, kPrompt);
  require(ra.ok, "abort with DATA and trailers still coming: " + ra.description);
  auto after = run.send(run.request("/health", "after"))->wait_done(kWait);
  require_fired(run, "data-after-trailers", "late frames");
  require(after.ok, "request after late frames: " + after.description);
  return std::to_string(kLateTrailers) +
         " multiplexed responses with trailers + late DATA each completed once";
}

// RFC 9113 section 5: streams are independent and their frames interleave, so
// responses finish in any order; each must reach the request of its own stream.
std::string late_out_of_order_steps(CheckRun& run) {
  const int n = std::min(kOutOfOrder, run.info().max_sessions * run.info().max_streams);
  auto xs = send_many(run, n, [&](int i) {
    return run.request("/ooo/" + std::to_string(i), "ooo-" + std::to_string(i));
  });
  run.wait_held("shuffle", n);
  auto rel = run.admin().release("shuffle");
  require(rel.ok(), "gate release failed: " + rel.describe());
  require_all_ok(xs, kWait, "responses released in shuffled order");
  for (int i = 0; i < n; ++i) {
    auto echo = nlohmann::json::parse(xs[i]->snapshot().body, nullptr, false);
    require(!echo.is_discarded() && echo.value("path", "") == "/ooo/" + std::to_string(i),
            "request /ooo/" + std::to_string(i) + " got the body of " +
                (echo.is_discarded() ? std::string("?") : echo.value("path", "?")));
  }
  require_each_served_once(run, "ooo-", n);
  return std::to_string(n) + " responses finished in shuffled order, each with its own body";
}

/** Requests to /ooo/{i} held at gate "shuffle", released in a seeded random order. */
nlohmann::json out_of_order_scenario() {
  return {{"name", "conformance-out-of-order"},
          {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"routes",
           {{{"match", {{"path", "/ooo/{i}"}}},
             {"respond", {{"status", 200}, {"hold", "shuffle"}, {"body", {{"echo", true}}}}}}}},
          {"gates", {{"shuffle", {{"order", "random"}, {"seed", 42}}}}}};
}

}  // namespace

Verdict late_data_after_rst(const DriverSpec& d) {
  return judge_on(d, "late-data-after-rst", late_data_after_rst_steps);
}

Verdict late_data_after_end(const DriverSpec& d) {
  return judge_on(d, "late-data-after-end", late_data_after_end_steps);
}

Verdict late_trailers(const DriverSpec& d) {
  return judge_on(d, "late-trailers", late_trailers_steps);
}

Verdict late_out_of_order(const DriverSpec& d) {
  return judge_on(d, out_of_order_scenario(), late_out_of_order_steps);
}

}  // namespace faultline::conformance::detail
