// RESP-EARLY-RESPONSE: a server may answer before it has read the request body - a 413
// for an upload it will not take, a 200 that does not depend on the body - and the
// client must deliver that answer, body and all, rather than an error about the upload
// it could not finish.
#include <chrono>
#include <string>

#include "checks_groups.h"

namespace faultline::conformance::detail {

namespace {

/** Runs per status; even runs upload from memory (replayable), odd ones from a stream. */
constexpr int kRuns = 20;
/** The upload: far beyond any socket buffer and HTTP/2 window, so it is still under way
    when the answer arrives. */
constexpr std::size_t kUploadBytes = std::size_t{10} << 20;
/** A request's own deadline: the answer comes at once, the upload is never finished. */
constexpr std::uint32_t kRequestDeadlineMs = 10000;
/** The 200's body: beyond the client's first window, so it flows while the upload stalls. */
constexpr std::size_t kAcceptedBodyBytes = 100000;

struct EarlyStatus {
  int status;
  std::string body;
};

std::string accepted_body() {
  std::string body;
  body.reserve(kAcceptedBodyBytes);
  while (body.size() < kAcceptedBodyBytes) {
    body += "answered-before-the-upload;";
  }
  body.resize(kAcceptedBodyBytes);
  return body;
}

const std::vector<EarlyStatus>& statuses() {
  static const std::vector<EarlyStatus> all = {{200, accepted_body()},
                                               {413, "request body too large"}};
  return all;
}

/** /early/{status} answers early (respond.early) with its status and body; /health "ok". */
nlohmann::json early_scenario() {
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& s : statuses()) {
    routes.push_back(
        {{"match", {{"method", "POST"}, {"path", "/early/" + std::to_string(s.status)}}},
         {"respond",
          {{"status", s.status},
           {"early", true},
           {"headers", {{"content-type", "text/plain"}}},
           {"body", {{"text", s.body}}}}}});
  }
  routes.push_back({{"match", {{"path", "/health"}}}, {"respond", {{"body", "ok"}}}});
  return {{"name", "conformance-resp-early-response"},
          {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"routes", routes}};
}

std::string run_tag(int status, int i) {
  return "early-" + std::to_string(status) + "-" + std::to_string(i);
}

/** One early-answered upload: delivered intact, not as an error. */
void judge_one(CheckRun& run, const EarlyStatus& s, int i, const std::string& upload) {
  const bool streamed = i % 2 == 1;
  harness::Request req = run.request("/early/" + std::to_string(s.status), run_tag(s.status, i));
  req.method = "POST";
  req.headers.emplace_back("content-type", "application/octet-stream");
  req.body = upload;
  req.body_stream = streamed;
  req.timeout_ms = kRequestDeadlineMs;
  const auto r = run.send(std::move(req))->wait_done(kWait);
  const std::string what = "POST /early/" + std::to_string(s.status) + " run " +
                           std::to_string(i + 1) + " of " + std::to_string(kRuns) + " (" +
                           std::to_string(kUploadBytes >> 20) + " MiB " +
                           (streamed ? "streamed" : "replayable") + " upload)";
  require(r.ok, what + ": the early " + std::to_string(s.status) +
                    " was not delivered as the response: " + r.description);
  require(r.response.status == s.status, what + ": status " + std::to_string(r.response.status) +
                                             ", the server sent " + std::to_string(s.status));
  require(r.response.body == s.body, what + ": body of " + std::to_string(r.response.body.size()) +
                                         " bytes, not the " + std::to_string(s.body.size()) +
                                         " the server sent");
  require_next_served(run, what, "after-" + run_tag(s.status, i));
}

/** The answers really came early: the server read less than each upload, served each
    request once, and (HTTP/2) reset each stream with NO_ERROR after its response. */
nlohmann::json judge_server_side(CheckRun& run) {
  const auto st = run.stats();
  const auto& requests = st.value("requests", nlohmann::json::object());
  long most_read = 0;
  for (const auto& s : statuses()) {
    for (int i = 0; i < kRuns; ++i) {
      const std::string t = run_tag(s.status, i);
      const long times = requests.contains(t) ? requests[t].get<long>() : 0;
      require(times == 1, t + " served " + std::to_string(times) +
                              " times: an answered request must not be sent again");
      const long read = admin_body_bytes(run, t);
      if (read >= static_cast<long>(kUploadBytes)) {
        fault_did_not_fire("the server read all " + std::to_string(read) + " body bytes of " + t +
                           " before it answered");
      }
      most_read = std::max(most_read, read);
    }
  }
  const long resets = sum_connection_map(st, "rst_sent", "NO_ERROR");
  long h2_connections = 0;
  for (const auto& c : connections_of(st)) {
    h2_connections += c.value("protocol", "") == "h2" ? 1 : 0;
  }
  if (h2_connections > 0) {
    if (resets < 2 * kRuns) {
      fault_did_not_fire("the server reset " + std::to_string(resets) +
                         " streams with NO_ERROR after their early answers, expected " +
                         std::to_string(2 * kRuns) + " (the uploads had ended before it?)");
    }
  }
  return {{"most_body_bytes_read_before_the_answer", most_read}, {"rst_no_error_sent", resets}};
}

// RFC 9113 section 8.1: "A server can send a complete response prior to the client
// sending an entire request if the response does not depend on any portion of the
// request that has not been sent and received", then RST_STREAM(NO_ERROR) so that the
// client stops sending; the client must not discard the response. RFC 9112 section 9.6:
// an HTTP/1.1 server closes after `connection: close` gracefully, so the client can read
// the response. Either way the client may stop its upload or finish it, and may keep or
// drop the connection: only the response counts.
std::string resp_early_steps(CheckRun& run) {
  const std::string upload(kUploadBytes, 'u');
  const auto start = std::chrono::steady_clock::now();
  for (const auto& s : statuses()) {
    for (int i = 0; i < kRuns; ++i) {
      judge_one(run, s, i, upload);
    }
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  auto server = judge_server_side(run);
  server["ms"] = ms;
  run.note("early", server);
  return std::to_string(kRuns) + " early 200s and " + std::to_string(kRuns) +
         " early 413s, answered before 10 MiB uploads (half of them streamed) were read (" +
         (run.info().h2 ? "h2: END_STREAM then RST_STREAM NO_ERROR" : "h1: connection: close") +
         "), each delivered with its body; the next request was served every time";
}

}  // namespace

Verdict resp_early_response(const DriverSpec& d) {
  return judge_on(d, early_scenario(), resp_early_steps);
}

}  // namespace faultline::conformance::detail
