// RETRY-*: answers that invite a client to send a request again. Judged against what the
// driver declares it does (its hello's capabilities), and read back from the server's
// counters: how often each request was answered, on which connections.
#include "checks_groups.h"

namespace faultline::conformance::detail {

namespace {

/** Attempts of one request a client may make for a 421: the first and one retry. */
constexpr int kMax421Attempts = 2;

nlohmann::json retry_421_scenario() {
  auto route = [](nlohmann::json match, int status, const char* body) {
    return nlohmann::json{{"match", std::move(match)},
                          {"respond", {{"status", status}, {"body", body}}}};
  };
  return {{"name", "retry-421"},
          {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"routes",
           {route({{"path", "/health"}}, 200, "ok"),
            route({{"path", "/misdirected"}, {"attempt", {{"first", 1}}}}, 421, "misdirected"),
            route({{"path", "/misdirected"}}, 200, "served"),
            route({{"path", "/always-421"}}, 421, "misdirected")}}};
}

// RFC 9110 section 15.5.20: a 421 may be retried on a different connection; RFC 9113
// section 9.1.2 likewise. At most once, on a new connection, or the 421 delivered as it
// is - as the driver declares - and never a loop.
std::string retry_421_steps(CheckRun& run) {
  const auto declared = run.info().capabilities.retries_421;
  run.note("declared_retries_421", declared ? nlohmann::json(*declared) : nlohmann::json());
  // 1. A warm connection, then a request answered 421 on its first attempt only.
  auto warm = run.send(run.request("/health", "warm"));
  auto w = warm->wait_done(kWait);
  require(w.ok, "warm-up request: " + w.description);
  const auto before = per_connection(run.stats(), "requests");
  auto x = run.send(run.request("/misdirected", "m-0"));
  auto r = x->wait_done(kWait);
  require(r.response.done(), "a request answered 421 never ended: " + r.description);
  const int answered = run.served("m-0");
  require(answered >= 1, "fault did not fire: the server never answered the request");
  require(answered <= kMax421Attempts,
          "a request answered 421 once was sent " + std::to_string(answered) + " times");
  std::string how;
  if (r.response.has_headers && r.response.status == 421) {
    require(declared != true, "the driver declares that it retries a 421, but delivered it");
    require(answered == 1, "421 delivered after " + std::to_string(answered) + " attempts");
    how = "421 delivered as is";
  } else {
    require(r.ok && r.response.status == 200,
            "a 421 on the first attempt must be retried once or delivered: " + r.description);
    require(declared != false,
            "the driver declares that it delivers a 421 as is, but sent the "
            "request again (" +
                std::to_string(answered) + " attempts)");
    // The retry went to a connection that did not exist before the 421.
    const auto after = per_connection(run.stats(), "requests");
    long on_old = 0;
    for (const auto& [id, n] : after) {
      const auto was = before.find(id);
      if (was != before.end()) {
        on_old += n - was->second;
      }
    }
    require(on_old <= 1, "the retry after a 421 went to a connection that existed before it (" +
                             std::to_string(on_old) + " requests answered there)");
    how = "retried once on a new connection";
  }
  // 2. A request answered 421 on every attempt: no loop.
  auto y = run.send(run.request("/always-421", "a-0"));
  auto ra = y->wait_done(kWait);
  require(ra.response.done(), "a request answered 421 every time never ended: " + ra.description);
  const int always = run.served("a-0");
  require(always >= 1 && always <= kMax421Attempts,
          "a request answered 421 every time was sent " + std::to_string(always) + " times");
  require(!ra.response.has_headers || ra.response.status == 421,
          "a request answered 421 every time ended as: " + ra.description);
  return how + "; always 421: " + std::to_string(always) + " attempt(s), then delivered";
}

}  // namespace

Verdict retry_421(const DriverSpec& d) {
  return judge_on(d, retry_421_scenario(), retry_421_steps);
}

}  // namespace faultline::conformance::detail
