// ALPN-*: origins that do not speak h2, and how the driver remembers it.
#include "checks_groups.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

constexpr int kAlpnRequests = 100;

/** Half the requests one after the other (each a chance to probe h2 again), then the
    rest at once: all must succeed over HTTP/1.1 without a new h2 attempt per request.
    The server sees each attempt as a connection, so the connection count bounds the
    attempts. */
std::string h1_origin_steps(CheckRun& run, const std::string& what) {
  for (int i = 0; i < kAlpnRequests / 2; ++i) {
    auto one = run.send(run.request("/health", "alpn-" + std::to_string(i)));
    auto r = one->wait_done(kWait);
    require(r.ok && r.response.status == 200,
            "request " + std::to_string(i) + " to " + what + ": " + r.description);
    require(r.response.protocol.empty() || r.response.protocol == "http/1.1",
            "request " + std::to_string(i) + " served over " + r.response.protocol);
  }
  auto xs = send_many(run, kAlpnRequests / 2, [&](int i) {
    return run.request("/health", "alpn-" + std::to_string(kAlpnRequests / 2 + i));
  });
  require_all_ok(xs, 30s, std::to_string(kAlpnRequests) + " requests to " + what);
  for (auto& x : xs) {
    auto snap = x->snapshot();
    require(snap.protocol.empty() || snap.protocol == "http/1.1",
            "a request was served over " + snap.protocol);
  }
  auto st = run.stats();
  const long conns = st.value("connections_total", 0L);
  // One probe per pool slot at most, plus the HTTP/1.1 connections themselves.
  const long bound = 2L * run.info().max_sessions;
  require(conns <= bound, std::to_string(conns) + " connections for " +
                              std::to_string(kAlpnRequests) + " requests (bound " +
                              std::to_string(bound) + "): h2 retried per request");
  return std::to_string(kAlpnRequests) + " requests over HTTP/1.1 on " + std::to_string(conns) +
         " connections";
}

Verdict run_h1_origin(const DriverSpec& d, const std::string& scenario, const std::string& what) {
  return judge_on(d, scenario, [&](CheckRun& run) { return h1_origin_steps(run, what); });
}

}  // namespace

// RFC 9113 section 3.2 (h2 over TLS only when ALPN selects "h2") and RFC 7301 section
// 3.2: the server selects http/1.1; the client speaks HTTP/1.1 and remembers it.
Verdict alpn_h1_only(const DriverSpec& d) {
  return run_h1_origin(d, "h1-only", "an origin selecting http/1.1");
}

// RFC 7301 section 3.2: a server that supports none of the offered protocols answers
// with the no_application_protocol alert; the client falls back to HTTP/1.1 (offering
// it) and remembers the origin.
Verdict alpn_h1_strict(const DriverSpec& d) {
  return run_h1_origin(d, "h1-strict", "an origin rejecting h2-only offers");
}

// RFC 9113 section 3.2: without ALPN there is no h2 over TLS; HTTP/1.1 it is.
Verdict alpn_none(const DriverSpec& d) {
  return run_h1_origin(d, "alpn-none", "an origin negotiating no ALPN");
}

}  // namespace faultline::conformance::detail
