// LATE-DATA-*, LATE-TRAILERS: frames the server sends after a stream ended or was reset.
// Each fails ("fault did not fire") when the server sent no late frames.
#include "checks_groups.h"

namespace faultline::conformance::detail {
namespace {

constexpr int kLateAborts = 4;
constexpr std::size_t kAbortAfterBytes = 32 * 1024;
constexpr std::size_t kLateRstBody = 1 << 20;

void require_late_fired(Session& s, const std::string& name) {
  auto st = s.stats();
  auto it = st.find("faults_fired");
  const long n = it != st.end() && it->is_object() ? it->value(name, 0L) : 0;
  if (n == 0) {
    fault_did_not_fire("the server sent no late frames (faults_fired." + name + " = 0)");
  }
}

/** The connection stays usable: every connection the server saw is still open. */
void require_connections_alive(Session& s) {
  auto st = s.stats();
  const long total = st.value("connections_total", 0L);
  const long open = st.value("connections_open", 0L);
  require(open == total, std::to_string(total - open) + " of " + std::to_string(total) +
                             " connections closed by late frames");
}

}  // namespace

Verdict late_data_after_rst(const DriverSpec& d) {
  Session s(d, std::string("late-data-after-rst"));
  return s.judge([&] {
    for (int i = 0; i < kLateAborts; ++i) {
      auto x = s.send(s.request("/late/rst", "rst-" + std::to_string(i)));
      auto got = x->wait_body(kAbortAfterBytes, kWait);
      require(got.ok, "streaming /late/rst: " + got.description);
      s.driver().abort(x->id());
      auto r = x->wait_error(harness::ErrorKind::aborted, kPrompt);
      require(r.ok, "abort of a streaming response: " + r.description);
    }
    auto full = s.send(s.request("/late/rst", "full"))->wait_done(30s);
    require_late_fired(s, "data-after-rst");
    require(full.ok && full.response.body.size() == kLateRstBody,
            "1 MiB after " + std::to_string(kLateAborts) +
                " resets with late DATA (flow-control credit): " + full.description);
    require_connections_alive(s);
    return std::to_string(kLateAborts) +
           " resets answered by late DATA; a 1 MiB response then completed on a live connection";
  });
}

Verdict late_data_after_end(const DriverSpec& d) {
  Session s(d, std::string("late-data-after-end"));
  return s.judge([&] {
    // A sibling in flight the whole time: the late frames must not take it down.
    auto sibling = s.send(s.request("/hold", "sibling"));
    s.wait_held("hold", 1);
    for (int i = 0; i < 5; ++i) {
      auto r = s.send(s.request("/late", "end-" + std::to_string(i)))->wait_done(kWait);
      require(r.ok && r.response.status == 200 && r.response.body == "complete",
              "response followed by DATA after END_STREAM: " + r.description);
    }
    require_late_fired(s, "data-after-end");
    auto after = s.send(s.request("/health", "after"))->wait_done(kWait);
    require(after.ok, "request after late DATA: " + after.description);
    auto rel = s.admin().release("hold");
    require(rel.ok(), "gate release failed: " + rel.describe());
    auto sib = sibling->wait_done(kWait);
    require(sib.ok && sib.response.body == "released",
            "a request in flight beside the late DATA: " + sib.description);
    require(s.served("sibling") == 1,
            "the in-flight sibling was served " + std::to_string(s.served("sibling")) + " times");
    return "5 responses intact despite DATA after END_STREAM; an in-flight sibling "
           "unharmed; the pool still serves";
  });
}

Verdict late_trailers(const DriverSpec& d) {
  Session s(d, std::string("late-trailers"));
  return s.judge([&] {
    constexpr int kRequests = 10;
    auto xs = send_many(
        s, kRequests, [&](int i) { return s.request("/late/trailers", "t-" + std::to_string(i)); });
    auto slow = s.send(s.request("/late/trailers/slow", "slow"));
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
    s.driver().abort(slow->id());
    auto ra = slow->wait_error(harness::ErrorKind::aborted, kPrompt);
    require(ra.ok, "abort with DATA and trailers still coming: " + ra.description);
    auto after = s.send(s.request("/health", "after"))->wait_done(kWait);
    require_late_fired(s, "data-after-trailers");
    require(after.ok, "request after late frames: " + after.description);
    return std::to_string(kRequests) +
           " multiplexed responses with trailers + late DATA each completed once";
  });
}

}  // namespace faultline::conformance::detail
