// RESP-ERROR-TYPING: what breaks HTTP/2 surfaces as a protocol error. Garbage where a
// frame should be, a PUSH_PROMISE to a client that disabled push, a header block that is
// no HPACK, and malformed response heads each fail their request with kind "protocol"
// (not a network loss, not a success), the client answers on the wire as RFC 9113 says,
// and the pool serves the next request.
#include <string_view>
#include <vector>

#include "checks_groups.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

/** A request's own deadline: a failure that takes this long was a hang, not a failure. */
constexpr std::uint32_t kRequestDeadlineMs = 10000;

/** One violation: its fault (name = route segment), the action's spec, and the GOAWAY
    code RFC 9113 requires of the client's connection error ("" = a stream error:
    RST_STREAM(PROTOCOL_ERROR), or a connection error PROTOCOL_ERROR, which 5.4 allows). */
struct Violation {
  const char* name;
  nlohmann::json spec;
  const char* goaway;  ///< nullptr: garbage, whose code the RFC does not pin down
  const char* rfc;
};

const std::vector<Violation>& violations() {
  static const std::vector<Violation> all = {
      // 4.2: read as a frame header, the bytes exceed any SETTINGS_MAX_FRAME_SIZE; which
      // code a client sends for them is its choice (FRAME_SIZE_ERROR or PROTOCOL_ERROR).
      {"garbage", {{"kind", "garbage"}}, nullptr, "RFC 9113 4.1/4.2"},
      {"push-promise", {{"kind", "push_promise"}}, "PROTOCOL_ERROR", "RFC 9113 8.4"},
      {"bad-hpack", {{"kind", "bad_hpack"}}, "COMPRESSION_ERROR", "RFC 9113 4.3"},
      {"bad-status", {{"kind", "bad_status"}, {"status", "2x0"}}, "", "RFC 9113 8.3.2"},
      {"no-status", {{"kind", "bad_status"}, {"status", ""}}, "", "RFC 9113 8.3.2"},
      {"connection-field",
       {{"kind", "forbidden_field"}, {"name", "connection"}, {"value", "keep-alive"}},
       "",
       "RFC 9113 8.2.2"},
      {"upper-case-field",
       {{"kind", "forbidden_field"}, {"name", "X-Upper"}, {"value", "1"}},
       "",
       "RFC 9113 8.2.1"},
  };
  return all;
}

/** /v/{name} answered by its violation; /health answers "ok". */
nlohmann::json error_typing_scenario() {
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& v : violations()) {
    faults.push_back({{"name", v.name},
                      {"on", {{"path", std::string("/v/") + v.name}}},
                      {"do", {{"protocol_violation", v.spec}}},
                      {"times", "always"}});
  }
  return {{"name", "conformance-resp-error-typing"},
          {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"routes",
           {{{"match", {{"path", "/v/{name}"}}}, {"respond", {{"body", "never sent"}}}},
            {{"match", {{"path", "/health"}}}, {"respond", {{"body", "ok"}}}}}},
          {"faults", faults}};
}

/** The connection of a stats answer on which fault `name` fired (null when none did). */
nlohmann::json connection_of(const nlohmann::json& stats, const std::string& name) {
  for (const auto& c : connections_of(stats)) {
    const auto it = c.find("faults_fired");
    if (it != c.end() && it->value(name, 0L) > 0) {
      return c;
    }
  }
  return nullptr;
}

/** "CODE x N, ..." of a connection's goaway_codes_received. */
std::string goaway_text(const nlohmann::json& connection) {
  std::string out;
  const auto codes = connection.value("goaway_codes_received", nlohmann::json::object());
  for (const auto& [code, n] : codes.items()) {
    out += (out.empty() ? "" : ", ") + code + " x " + n.dump();
  }
  return out.empty() ? "none" : out;
}

/** The client answered `v` on the wire as RFC 9113 requires; returns what it sent. */
std::string judge_answer(CheckRun& run, const Violation& v, long rst_before) {
  const bool connection_error = v.goaway == nullptr || *v.goaway != '\0';
  nlohmann::json connection;
  const auto answered = [&](std::string& seen) {
    const auto st = run.stats();
    connection = connection_of(st, v.name);
    if (connection.is_null()) {
      seen = "no connection with the fault";
      return false;
    }
    // Counted over every connection: the RST_STREAM can only be this request's.
    const long rst = sum_connection_map(st, "rst_received", "PROTOCOL_ERROR");
    seen = "open " + connection["open"].dump() + ", new RST_STREAM(PROTOCOL_ERROR) " +
           std::to_string(rst - rst_before) + ", GOAWAY received " + goaway_text(connection);
    if (connection_error) {
      return !connection.value("open", true);  // a connection error ends the connection
    }
    return rst > rst_before || connection.value("goaway_codes_received", nlohmann::json::object())
                                   .contains("PROTOCOL_ERROR");
  };
  wait_until(answered,
             std::string(connection_error ? "the client to close the connection after "
                                          : "the client's RST_STREAM(PROTOCOL_ERROR) after ") +
                 v.name + " (" + v.rfc + ")",
             kSettle);
  const auto codes = connection.value("goaway_codes_received", nlohmann::json::object());
  if (v.goaway != nullptr && *v.goaway != '\0') {
    // 5.4.1: a GOAWAY is a SHOULD; when the client sends one, its code is the one the
    // RFC names for this error (a MUST).
    for (const auto& [code, n] : codes.items()) {
      require(code == v.goaway, std::string(v.name) + ": the client's GOAWAY carried " + code +
                                    ", not " + v.goaway + " (" + v.rfc + "); GOAWAY received " +
                                    goaway_text(connection));
    }
  }
  return goaway_text(connection);
}

/** The request of `v` failed as a protocol error with a message and the client answered
    on the wire as RFC 9113 says; throws CheckFailed (require) with why not. */
void judge_outcome(CheckRun& run, const Violation& v, const harness::WaitResult& r, long rst_before,
                   nlohmann::json& seen) {
  const std::string what = std::string("GET /v/") + v.name + " (" + v.rfc + ")";
  seen[v.name] = {{"error", r.description}};
  require(r.response.done(), what + ": no terminal event by the deadline: " + r.description);
  require(!r.ok, what + ": completed as a success (status " + std::to_string(r.response.status) +
                     "): " + r.description);
  const auto& error = *r.response.error;
  const std::string arrived = std::string(to_string(error.kind)) + ": " + error.message;
  seen[v.name] = {{"error", arrived}};
  require(error.kind == harness::ErrorKind::protocol,
          what + ": failed as " + arrived + ", not as a protocol error");
  require(!error.message.empty(), what + ": a protocol error without a message (no cause)");
  seen[v.name]["client_goaway"] = judge_answer(run, v, rst_before);
}

/** One violation: its fault must fire (else "fault did not fire"), its outcome is judged,
    and the next request must be served whatever the outcome was. */
void judge_violation(CheckRun& run, const Violation& v, nlohmann::json& seen) {
  const long rst_before = sum_connection_map(run.stats(), "rst_received", "PROTOCOL_ERROR");
  auto req = run.request(std::string("/v/") + v.name, v.name);
  req.timeout_ms = kRequestDeadlineMs;
  const auto r = run.send(std::move(req))->wait_done(kWait);
  require_fired(run, v.name, std::string("protocol violation ") + v.name);
  std::string problem;
  try {
    judge_outcome(run, v, r, rst_before, seen);
  } catch (const CheckFailed& failed) {
    problem = failed.why;
  }
  auto next = run.send(run.request("/health", std::string("after-") + v.name))->wait_done(kWait);
  require(next.ok && next.response.body == "ok", (problem.empty() ? "" : problem + "; ") +
                                                     "the request after GET /v/" + v.name +
                                                     " was not served: " + next.description);
  require(problem.empty(), problem);
}

// RFC 9113 5.4 (stream and connection errors), 4.2 (frame size), 4.3 (field block
// decoding: COMPRESSION_ERROR), 8.4 (PUSH_PROMISE after ENABLE_PUSH 0: PROTOCOL_ERROR),
// 8.1.1/8.2.1/8.2.2/8.3.2 (malformed responses: a stream error PROTOCOL_ERROR). Every
// case is judged, so that the verdict names each one a transport gets wrong.
std::string resp_error_typing_steps(CheckRun& run) {
  std::vector<std::string> failures;
  // 8.4: a client that takes no push says so; a PUSH_PROMISE is only an error then.
  auto warm = run.send(run.request("/health", "warm-up"))->wait_done(kWait);
  require(warm.ok, "GET /health before the violations: " + warm.description);
  const auto first = connections_of(run.stats());
  require(!first.empty(), "no connection for GET /health in the server's stats");
  const auto settings = first[0].value("client_settings", nlohmann::json::object());
  run.note("client_settings", settings);
  const bool push_off = settings.value("ENABLE_PUSH", 1L) == 0;
  if (!push_off) {
    failures.push_back("the client's SETTINGS did not carry ENABLE_PUSH=0 (client_settings " +
                       settings.dump() +
                       "): push stays enabled, a PUSH_PROMISE is then no error (RFC 9113 8.4), "
                       "and that case is not judged");
  }
  nlohmann::json seen = nlohmann::json::object();
  for (const auto& v : violations()) {
    if (!push_off && std::string_view(v.name) == "push-promise") {
      continue;
    }
    try {
      judge_violation(run, v, seen);
    } catch (const CheckFailed& failed) {
      if (failed.why.rfind("fault did not fire", 0) == 0) {
        // The transport avoided the fault: that is the verdict, with what came before.
        std::string earlier;
        for (const auto& f : failures) {
          earlier += "; earlier: " + f;
        }
        fail(failed.why + earlier);
      }
      failures.push_back(failed.why);
    }
  }
  run.note("violations", seen);
  if (!failures.empty()) {
    std::string why = std::to_string(failures.size()) + " of " +
                      std::to_string(violations().size() + 1) + " judgements failed";
    for (const auto& f : failures) {
      why += "; " + f;
    }
    fail(why);
  }
  return std::to_string(violations().size()) +
         " violations (garbage, PUSH_PROMISE with push disabled, bad HPACK, :status 2x0 and "
         "missing, connection and upper-case fields) each failed as a protocol error with a "
         "message; the client's GOAWAY codes matched; SETTINGS carried ENABLE_PUSH=0; the next "
         "request was served after each";
}

}  // namespace

Verdict resp_error_typing(const DriverSpec& d) {
  return judge_on(d, error_typing_scenario(), resp_error_typing_steps);
}

}  // namespace faultline::conformance::detail
