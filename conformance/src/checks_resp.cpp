// RESP-*: response framing. A response the server cuts short, or whose length does not
// match what it declared, must fail typed and promptly - never pass as a success with
// the bytes that happened to arrive - and a request body must never be framed other
// than its declared length says.
#include <algorithm>

#include "checks_groups.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

/** Body of the cut routes, and the body bytes sent before each cut. */
constexpr int kCutBody = 100000;
constexpr int kCutAfter = 1000;
/** Body sizes of the content-length routes: declared, and sent instead. */
constexpr int kDeclared = 1000;
constexpr int kFewer = 400;
constexpr int kMore = 2000;
/** A request's own deadline: a failure that takes this long was a hang, not a failure. */
constexpr std::uint32_t kRequestDeadlineMs = 10000;

/** One way the server cuts a response: the fault (name = route segment) and its action. */
struct Cut {
  const char* name;
  nlohmann::json action;
};

const std::vector<Cut>& cuts() {
  static const std::vector<Cut> all = {
      {"rst-no-error",
       {{"rst_stream", {{"error", "NO_ERROR"}, {"at", "mid_body"}, {"after_bytes", kCutAfter}}}}},
      {"rst-cancel",
       {{"rst_stream", {{"error", "CANCEL"}, {"at", "mid_body"}, {"after_bytes", kCutAfter}}}}},
      {"fin", {{"close", {{"mode", "fin"}, {"at", "mid_body"}, {"after_bytes", kCutAfter}}}}},
      {"close-notify",
       {{"close", {{"mode", "close_notify"}, {"at", "mid_body"}, {"after_bytes", kCutAfter}}}}},
  };
  return all;
}

nlohmann::json random_body(int size) {
  return {{"random_bytes", size}, {"seed", 7}};
}

/** /cut/{cut}/length (content-length) and /cut/{cut}/none (none; HTTP/1.1: chunked),
    each cut by its fault after kCutAfter body bytes; /health answers "ok". */
nlohmann::json truncated_scenario() {
  nlohmann::json routes = nlohmann::json::array();
  nlohmann::json faults = nlohmann::json::array();
  routes.push_back(
      {{"match", {{"path", "/cut/{cut}/length"}}}, {"respond", {{"body", random_body(kCutBody)}}}});
  routes.push_back({{"match", {{"path", "/cut/{cut}/none"}}},
                    {"respond", {{"body", random_body(kCutBody)}, {"content_length", "none"}}}});
  routes.push_back({{"match", {{"path", "/health"}}}, {"respond", {{"body", "ok"}}}});
  for (const auto& cut : cuts()) {
    faults.push_back({{"name", cut.name},
                      {"on", {{"path", std::string("/cut/") + cut.name + "/*"}}},
                      {"do", cut.action},
                      {"times", "always"}});
  }
  return {{"name", "conformance-resp-truncated"},
          {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"routes", routes},
          {"faults", faults}};
}

/** The request failed with an error other than a timeout, before its own deadline. */
void require_typed_failure(const harness::WaitResult& r, const std::string& what) {
  require(r.response.done(), what + ": no terminal event by the deadline: " + r.description);
  require(!r.ok, what + ": completed as a success with " + std::to_string(r.response.body.size()) +
                     " body bytes: " + r.description);
  require(r.response.error->kind != harness::ErrorKind::timeout,
          what + ": failed only at its deadline: " + r.description);
}

// RFC 9113 section 8.1 (only END_STREAM completes a response; RST_STREAM of any code
// before it leaves the response incomplete) and RFC 9112 sections 6.3 and 8 (a message
// that ends before its Content-Length, or before its last chunk, is incomplete; TLS
// close_notify does not complete a body either).
std::string resp_truncated_steps(CheckRun& run) {
  nlohmann::json delivered = nlohmann::json::object();
  int variants = 0;
  for (const auto& cut : cuts()) {
    for (const char* framing : {"length", "none"}) {
      const std::string path = std::string("/cut/") + cut.name + "/" + framing;
      auto req = run.request(path, std::string(cut.name) + "-" + framing);
      req.timeout_ms = kRequestDeadlineMs;
      auto r = run.send(std::move(req))->wait_done(kWait);
      require_typed_failure(r, "GET " + path + " (cut after " + std::to_string(kCutAfter) + " of " +
                                   std::to_string(kCutBody) + " bytes)");
      delivered[path] = {{"bytes", r.response.body.size()},
                         {"error", std::string(to_string(r.response.error->kind)) + ": " +
                                       r.response.error->message}};
      require_next_served(run, "GET " + path, std::string("after-") + cut.name + "-" + framing);
      ++variants;
    }
  }
  run.note("truncated", delivered);
  const auto st = run.stats();
  for (const auto& cut : cuts()) {
    require(fired(st, cut.name) >= 2, std::string("fault did not fire: ") + cut.name + " fired " +
                                          std::to_string(fired(st, cut.name)) +
                                          " times for 2 requests");
  }
  return std::to_string(variants) +
         " responses cut mid-body (RST_STREAM NO_ERROR/CANCEL or FIN/close_notify on "
         "HTTP/1.1, with and without content-length) each failed typed; the next request "
         "was served every time";
}

/** /cl/fewer and /cl/more: bodies of kFewer and kMore bytes declaring kDeclared; on
    listener "conflict", /cl/conflict declares two different lengths; /up echoes. */
nlohmann::json content_length_scenario() {
  const nlohmann::json declared = kDeclared;
  return {{"name", "conformance-resp-content-length"},
          {"listeners",
           {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}},
            {{"name", "conflict"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"routes",
           {{{"match", {{"path", "/cl/fewer"}, {"listener", "main"}}},
             {"respond", {{"body", random_body(kFewer)}, {"content_length", declared}}}},
            {{"match", {{"path", "/cl/more"}, {"listener", "main"}}},
             {"respond", {{"body", random_body(kMore)}, {"content_length", declared}}}},
            {{"match", {{"path", "/cl/conflict"}}},
             {"respond",
              {{"body", random_body(kDeclared)}, {"content_length", {kDeclared, kDeclared - 1}}}}},
            {{"match", {{"path", "/up/{name}"}}}, {"respond", {{"body", {{"echo", true}}}}}},
            {{"match", {{"path", "/health"}}}, {"respond", {{"body", "ok"}}}}}}};
}

/** The request failed typed within kPrompt of being sent. */
void require_prompt_failure(const harness::WaitResult& r, const std::string& what) {
  require_typed_failure(r, what);
  require(r.response.done_ms <= std::chrono::duration<double, std::milli>(kPrompt).count(),
          what + ": failed only after " + std::to_string(r.response.done_ms) + " ms");
}

/** Response side: lengths that disagree with the body, or with each other. */
void judge_response_lengths(CheckRun& run, nlohmann::json& seen) {
  std::vector<std::pair<std::string, std::string>> cases;  // path, listener
  if (run.info().h2) {
    // RFC 9113 8.1.1: DATA totals other than content-length make the response malformed.
    // Over HTTP/1.1 the same bytes are a truncation or a desynchronised connection that
    // no client can see at once, so only h2 is judged on them.
    cases.emplace_back("/cl/fewer", "");
    cases.emplace_back("/cl/more", "");
  }
  cases.emplace_back("/cl/conflict", "conflict");
  for (const auto& [path, listener] : cases) {
    harness::Request req;
    req.url = run.url(path, listener);
    req.headers.emplace_back("x-faultline-request-id", path.substr(4));
    req.timeout_ms = kRequestDeadlineMs;
    auto r = run.send(std::move(req))->wait_done(kWait);
    require_prompt_failure(
        r, "GET " + path + " (content-length " + std::to_string(kDeclared) +
               (path == "/cl/conflict" ? " and " + std::to_string(kDeclared - 1) : "") + ")");
    seen[path] = {{"bytes", r.response.body.size()},
                  {"ms", r.response.done_ms},
                  {"error", std::string(to_string(r.response.error->kind)) + ": " +
                                r.response.error->message}};
    require_next_served(run, "GET " + path, "after" + path.substr(3));
  }
  // RFC 9112 6.3: after a framing error the connection cannot be trusted; an HTTP/1.1
  // connection that carried one must be closed, not reused.
  long h1_conflicts = 0;
  const auto on_conflict = [&](std::string& why) {
    const auto st = run.stats();
    long open_h1 = 0;
    h1_conflicts = 0;
    for (const auto& c : connections_of(st)) {
      if (c.value("listener", "") == "conflict" && c.value("protocol", "") != "h2") {
        ++h1_conflicts;
        open_h1 += c.value("open", false) ? 1 : 0;
      }
    }
    why = std::to_string(open_h1) + " of " + std::to_string(h1_conflicts) +
          " HTTP/1.1 connections that carried the conflict open";
    return open_h1 == 0;
  };
  wait_until(on_conflict, "the connection of a conflicting Content-Length to close", kPrompt);
  seen["conflict_h1_connections"] = h1_conflicts;
}

/** Request side: a streamed body that yields more or fewer bytes than it declared. */
void judge_request_lengths(CheckRun& run, nlohmann::json& seen) {
  struct Case {
    const char* name;
    int yields;
  };
  for (const auto& c : {Case{"over", kMore}, Case{"under", kFewer}, Case{"exact", kDeclared}}) {
    harness::Request req;
    req.method = "POST";
    req.url = run.url(std::string("/up/") + c.name);
    req.headers.emplace_back("x-faultline-request-id", std::string("up-") + c.name);
    req.headers.emplace_back("content-type", "application/octet-stream");
    req.body = std::string(static_cast<std::size_t>(c.yields), 'b');
    req.body_declared_length = kDeclared;
    req.timeout_ms = kRequestDeadlineMs;
    auto r = run.send(std::move(req))->wait_done(kWait);
    const std::string what = std::string("POST with a body source declaring ") +
                             std::to_string(kDeclared) + " bytes and yielding " +
                             std::to_string(c.yields);
    seen[c.name] = {{"outcome", r.ok ? std::string("ok")
                                : r.response.error
                                    ? std::string(to_string(r.response.error->kind)) + ": " +
                                          r.response.error->message
                                    : r.description}};
    // Served after it, on the same connections: the server has read every byte of it.
    require_next_served(run, what, std::string("after-up-") + c.name);
    const auto received = admin_body_bytes(run, std::string("up-") + c.name);
    seen[c.name]["server_received"] = received;
    require(received <= kDeclared, what + ": the server received " + std::to_string(received) +
                                       " body bytes (more than declared)");
    if (c.yields == kDeclared) {
      require(r.ok && received == kDeclared,
              what + ": " + r.description + "; server received " + std::to_string(received));
    } else {
      require_prompt_failure(r, what);
    }
  }
}

std::string resp_content_length_steps(CheckRun& run) {
  nlohmann::json response_side = nlohmann::json::object();
  judge_response_lengths(run, response_side);
  run.note("response_side", response_side);
  std::string request_side =
      "request side not judged: the driver does not declare "
      "capabilities.declared_length_bodies";
  if (run.info().capabilities.declared_length_bodies.value_or(false)) {
    nlohmann::json seen = nlohmann::json::object();
    judge_request_lengths(run, seen);
    run.note("request_side", seen);
    request_side =
        "a body source yielding more or fewer bytes than declared failed the "
        "request before the server saw more than declared";
  } else {
    run.note("request_side", request_side);
  }
  const bool h1_conflict = response_side.value("conflict_h1_connections", 0L) > 0;
  return std::string(run.info().h2 ? "DATA totals above and below content-length and " : "") +
         "conflicting Content-Length fields failed typed within " +
         std::to_string(kPrompt.count()) + " s" +
         (h1_conflict ? "; the HTTP/1.1 connection that carried the conflict was closed" : "") +
         "; " + request_side;
}

}  // namespace

Verdict resp_truncated(const DriverSpec& d) {
  return judge_on(d, truncated_scenario(), resp_truncated_steps);
}

Verdict resp_content_length(const DriverSpec& d) {
  return judge_on(d, content_length_scenario(), resp_content_length_steps);
}

}  // namespace faultline::conformance::detail
