// RESP-TRAILERS and RESP-INFORMATIONAL: what comes before and after a response's body
// (trailer fields, 1xx heads) reaches the caller, and only where it belongs.
#include <array>
#include <map>
#include <memory>
#include <vector>

#include "checks_groups.h"
#include "faultline/common/sha256.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

using common::sha256_hex;

/** Body sizes around the frame size (16384), the default window (65535) and beyond. */
constexpr std::array<std::size_t, 7> kTrailerBodySizes = {0,     1,     16384,  65535,
                                                          65536, 65537, 1 << 20};
/** The slow caller's pause between two body chunks. */
constexpr std::uint32_t kSlowReadMs = 100;

/** A field of `headers` that is also among `names` (case-insensitive), or "". */
std::string first_shared_field(const harness::Headers& headers,
                               const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (harness::find_header(headers, name)) {
      return name;
    }
  }
  return {};
}

std::string fields_text(const harness::Headers& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    out += (out.empty() ? "" : ", ") + name + ": " + value;
  }
  return out.empty() ? "(none)" : out;
}

// ---- RESP-TRAILERS

/** A listener named main, TLS, h2 and http/1.1. */
nlohmann::json main_listener() {
  return nlohmann::json::array({{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}});
}

nlohmann::json trailers_scenario() {
  nlohmann::json sized = {{"match", {{"method", "GET"}, {"path", "/trailers/{n}"}}},
                          {"respond",
                           {{"headers", {{"content-type", "application/octet-stream"}}},
                            {"body", {{"random_bytes", "{n}"}, {"seed", 23}}},
                            {"trailers", {{"x-body-bytes", "{n}"}, {"x-trailer-end", "yes"}}}}}};
  nlohmann::json only = {
      {"match", {{"method", "GET"}, {"path", "/trailers-only"}}},
      {"respond", {{"trailers", {{"grpc-status", "0"}, {"grpc-message", "trailers-only"}}}}}};
  return {{"name", "conformance-resp-trailers"},
          {"listeners", main_listener()},
          {"routes", nlohmann::json::array({sized, only})}};
}

/** A GET of `path` with `te: trailers`, read at speed `delay_ms` (0: at once). */
std::shared_ptr<harness::Exchange> send_for_trailers(CheckRun& run, const std::string& path,
                                                     std::uint32_t delay_ms) {
  auto request = run.request(path);
  request.headers.emplace_back("te", "trailers");
  request.read_delay_ms = delay_ms;
  return run.send(request);
}

/** Fails unless the GET of `path` ends with the body of `size` bytes and both `expected`
    trailer fields (not in the head). Returns the body's digest. */
std::string judge_trailers(const std::shared_ptr<harness::Exchange>& x, const std::string& path,
                           std::size_t size, const harness::Headers& expected,
                           std::uint32_t delay_ms) {
  const std::string what = "GET " + path + (delay_ms > 0 ? " read slowly" : " read at once");
  auto r = x->wait_done(60s);
  require(r.ok && r.response.status == 200, what + ": " + r.description);
  require(r.response.body.size() == size, what + ": " + std::to_string(r.response.body.size()) +
                                              " body bytes of " + std::to_string(size));
  for (const auto& [name, value] : expected) {
    const auto got = harness::find_header(r.response.trailers, name);
    require(got == value, what + ": trailer " + name + " " +
                              (got ? "is \"" + *got + "\"" : std::string("missing")) + " (want \"" +
                              value + "\"); trailers received: " +
                              fields_text(r.response.trailers) + "; response: " + r.description);
    require(!harness::find_header(r.response.headers, name),
            what + ": trailer " + name + " also arrived in the response head");
  }
  return sha256_hex(r.response.body);
}

/** How a read went as the caller saw it: body chunks and the time from the first to the
    last (evidence: a driver that honours read_delay_ms spreads n chunks over at least
    (n - 1) x the delay; one that cannot read slowly ignores it). */
nlohmann::json read_span(const std::shared_ptr<harness::Exchange>& x, std::size_t size) {
  const harness::Response r = x->snapshot();
  return {{"bytes", size},
          {"chunks", r.data_events},
          {"first_to_last_ms", r.last_data_ms - r.first_data_ms}};
}

// RFC 9110 6.5 (trailer fields), RFC 9113 8.1 (a final HEADERS frame with END_STREAM after
// DATA, or right after the head), RFC 9112 7.1.2 (chunked trailer section): every body
// byte and every trailer field arrive, whatever the body size and however fast the caller
// reads. The responses of one reading speed are requested together (they multiplex on
// h2, take several connections on HTTP/1.1), so the slow reads overlap.
std::string resp_trailers_steps(CheckRun& run) {
  const harness::Headers only = {{"grpc-status", "0"}, {"grpc-message", "trailers-only"}};
  std::map<std::size_t, std::string> digest_at_once;
  nlohmann::json slow_reads = nlohmann::json::array();
  int fetches = 0;
  for (const std::uint32_t delay : {std::uint32_t{0}, kSlowReadMs}) {
    std::vector<std::shared_ptr<harness::Exchange>> sized;
    for (const std::size_t size : kTrailerBodySizes) {
      sized.push_back(send_for_trailers(run, "/trailers/" + std::to_string(size), delay));
    }
    auto trailers_only = send_for_trailers(run, "/trailers-only", delay);
    for (std::size_t i = 0; i < sized.size(); ++i) {
      const std::size_t size = kTrailerBodySizes[i];
      const std::string path = "/trailers/" + std::to_string(size);
      const harness::Headers expected = {{"x-body-bytes", std::to_string(size)},
                                         {"x-trailer-end", "yes"}};
      const auto digest = judge_trailers(sized[i], path, size, expected, delay);
      if (delay == 0) {
        digest_at_once[size] = digest;
      } else {
        require(digest == digest_at_once[size],
                "GET " + path + ": the body read slowly differs from the one read at once");
        slow_reads.push_back(read_span(sized[i], size));
      }
    }
    judge_trailers(trailers_only, "/trailers-only", 0, only, delay);
    fetches += static_cast<int>(sized.size()) + 1;
  }
  run.note("body_sizes", kTrailerBodySizes);
  run.note("slow_reads", slow_reads);
  return std::to_string(fetches) + " responses, bodies of 0 B .. 1 MiB and trailers-only, " +
         "read at once and " + std::to_string(kSlowReadMs) +
         " ms per chunk: every byte and trailer field";
}

// ---- RESP-INFORMATIONAL

/** Interim heads: `count` x 103 with a link each (and an unsolicited 100 first when
    `with_100`). */
nlohmann::json early_hints(int count, bool with_100) {
  nlohmann::json heads = nlohmann::json::array();
  if (with_100) {
    heads.push_back({{"status", 100}, {"headers", {{"x-interim-100", "continue"}}}});
  }
  for (int i = 0; i < count; ++i) {
    heads.push_back({{"status", 103},
                     {"headers",
                      {{"link", "</hint" + std::to_string(i) + ".css>; rel=preload"},
                       {"x-hint", std::to_string(i)}}}});
  }
  return heads;
}

nlohmann::json informational_scenario() {
  auto early = [](const std::string& path, int count, bool with_100) {
    return nlohmann::json{{"match", {{"method", "GET"}, {"path", path}}},
                          {"respond",
                           {{"informational", early_hints(count, with_100)},
                            {"headers", {{"content-type", "text/plain"}, {"x-final", "yes"}}},
                            {"body", "final " + path}}}};
  };
  nlohmann::json with_continue = {{"match", {{"method", "POST"}, {"path", "/expect/continue"}}},
                                  {"respond", {{"body", {{"echo", true}}}}}};
  nlohmann::json without = {{"match", {{"method", "POST"}, {"path", "/expect/final"}}},
                            {"respond", {{"expect_continue", false}, {"body", {{"echo", true}}}}}};
  return {
      {"name", "conformance-resp-informational"},
      {"listeners", main_listener()},
      {"routes", nlohmann::json::array({early("/early/1", 1, false), early("/early/3", 3, false),
                                        early("/early/5", 5, false), early("/early/100", 1, true),
                                        with_continue, without})}};
}

/** The statuses of `heads`, space-separated. */
std::string statuses(const std::vector<std::pair<int, harness::Headers>>& heads) {
  std::string out;
  for (const auto& [status, fields] : heads) {
    out += (out.empty() ? "" : " ") + std::to_string(status);
  }
  return out.empty() ? "(none)" : out;
}

/** GET `path` (count x 103, 100 first when with_100): the final response intact, no
    interim field in it, and - when the driver reports 1xx heads - each head reported. */
void early_hints_case(CheckRun& run, const std::string& path, int count, bool with_100,
                      bool reports) {
  auto r = run.send(run.request(path))->wait_done(kWait);
  require(r.ok && r.response.status == 200, "GET " + path + ": " + r.description);
  require(r.response.body == "final " + path,
          "GET " + path + ": final body \"" + r.response.body.substr(0, 100) + "\"");
  require(harness::find_header(r.response.headers, "x-final") == "yes",
          "GET " + path + ": the final head lost its own field x-final; head: " +
              fields_text(r.response.headers));
  const auto leaked = first_shared_field(r.response.headers, {"link", "x-hint", "x-interim-100"});
  require(leaked.empty(),
          "GET " + path + ": the 1xx field " + leaked +
              " leaked into the final response head: " + fields_text(r.response.headers));
  if (!reports) {
    return;
  }
  std::vector<std::pair<int, harness::Headers>> want;
  if (with_100) {
    want.push_back({100, {{"x-interim-100", "continue"}}});
  }
  for (int i = 0; i < count; ++i) {
    want.push_back({103, {{"x-hint", std::to_string(i)}}});
  }
  const auto& got = r.response.informational;
  require(got.size() == want.size(), "GET " + path + ": 1xx heads reported: " + statuses(got) +
                                         " (want " + statuses(want) + ")");
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& [status, fields] = want[i];
    const auto& name = fields.front().first;
    require(got[i].first == status &&
                harness::find_header(got[i].second, name) == fields.front().second,
            "GET " + path + ": 1xx head " + std::to_string(i + 1) + " is " +
                std::to_string(got[i].first) + " with " + fields_text(got[i].second) + " (want " +
                std::to_string(status) + " with " + name + ": " + fields.front().second + ")");
  }
}

/** POST with `expect: 100-continue` to `path`: the final response carries the echo of
    the whole body. */
void expect_case(CheckRun& run, const std::string& path, bool reports, bool continue_sent) {
  const std::string body(70000, 'e');
  auto request = run.request(path);
  request.method = "POST";
  request.body = body;
  request.headers.emplace_back("content-type", "application/octet-stream");
  request.headers.emplace_back("expect", "100-continue");
  const std::string what = "POST " + path + " with expect: 100-continue";
  auto r = run.send(request)->wait_done(kWait);
  require(r.ok && r.response.status == 200, what + ": " + r.description);
  auto echo = nlohmann::json::parse(r.response.body, nullptr, false);
  require(!echo.is_discarded(), what + ": echo is not JSON: " + r.response.body.substr(0, 200));
  require(echo.value("body_bytes", -1L) == static_cast<long>(body.size()) &&
              echo.value("sha256", "") == sha256_hex(body),
          what + ": the server received " + std::to_string(echo.value("body_bytes", -1L)) +
              " body bytes of " + std::to_string(body.size()));
  const auto& got = r.response.informational;
  if (reports && continue_sent) {
    require(got.size() == 1 && got[0].first == 100,
            what + ": 1xx heads reported: " + statuses(got) + " (want 100)");
  }
  if (!continue_sent) {
    require(got.empty(), what + ": 1xx heads reported although none was sent: " + statuses(got));
  }
}

// RFC 9110 15.2 (a client MUST be able to parse 1xx responses before the final one, and
// they carry no fields of the final one), RFC 8297 (103 Early Hints), RFC 9113 8.1 (1xx
// heads are HEADERS frames without END_STREAM), RFC 9110 10.1.1 (100-continue: a client
// may send the body without waiting; a server may answer with the final status only).
std::string resp_informational_steps(CheckRun& run) {
  const bool reports = run.info().capabilities.informational.value_or(false);
  early_hints_case(run, "/early/1", 1, false, reports);
  early_hints_case(run, "/early/3", 3, false, reports);
  early_hints_case(run, "/early/5", 5, false, reports);
  early_hints_case(run, "/early/100", 1, true, reports);
  expect_case(run, "/expect/continue", reports, true);
  expect_case(run, "/expect/final", reports, false);
  run.note("informational_reported", reports);
  return std::string("1, 3, 5 x 103 and an unsolicited 100: final responses intact, no 1xx ") +
         "field in them; expect: 100-continue answered by 100 and by the final status alone" +
         (reports ? "; every 1xx head reported" : "; 1xx heads not judged (not declared)");
}

}  // namespace

Verdict resp_trailers(const DriverSpec& d) {
  return judge_on(d, trailers_scenario(), resp_trailers_steps);
}

Verdict resp_informational(const DriverSpec& d) {
  return judge_on(d, informational_scenario(), resp_informational_steps);
}

}  // namespace faultline::conformance::detail
