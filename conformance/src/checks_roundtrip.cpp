// RT-*: bodies of every shape (SSE, multipart, binary, error bodies) arrive intact.
#include <random>

#include "checks_groups.h"
#include "faultline/common/sha256.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

constexpr int kSseEvents = 5;

using common::sha256_hex;

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) {
    c = static_cast<char>(rng() & 0xff);
  }
  return out;
}

/** Parses an SSE stream into (id, event, data) triples. */
std::vector<std::array<std::string, 3>> parse_sse(const std::string& text) {
  std::vector<std::array<std::string, 3>> events;
  std::array<std::string, 3> cur;
  bool any = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      break;
    }
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.empty()) {
      if (any) {
        events.push_back(cur);
      }
      cur = {};
      any = false;
      continue;
    }
    auto colon = line.find(':');
    std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') {
      value.erase(0, 1);
    }
    any = true;
    if (field == "id") {
      cur[0] = value;
    }
    if (field == "event") {
      cur[1] = value;
    }
    if (field == "data") {
      cur[2] = value;
    }
  }
  return events;
}

nlohmann::json parse_echo(const harness::WaitResult& r, const std::string& what) {
  require(r.ok && r.response.status == 200, what + ": " + r.description);
  auto echo = nlohmann::json::parse(r.response.body, nullptr, false);
  require(!echo.is_discarded(), what + ": echo is not JSON: " + r.response.body.substr(0, 200));
  return echo;
}

// RFC 9113 section 8.1: a body is any number of DATA frames, so an event stream (the
// HTML standard's text/event-stream) may be split anywhere; a client hands each frame's
// bytes on as they arrive, not at the end.
std::string rt_sse_steps(CheckRun& run) {
  for (const std::string path : {"/sse", "/sse/split"}) {
    auto x = run.send(run.request(path));
    auto r = x->wait_done(kWait);
    require(r.ok && r.response.status == 200, "GET " + path + ": " + r.description);
    auto events = parse_sse(r.response.body);
    require(events.size() == kSseEvents, path + ": " + std::to_string(events.size()) +
                                             " events parsed, expected " +
                                             std::to_string(kSseEvents));
    for (int i = 0; i < kSseEvents; ++i) {
      const auto want = path == "/sse" ? std::to_string(i) : "event " + std::to_string(i);
      require(events[i][0] == std::to_string(i) && events[i][1] == "tick" && events[i][2] == want,
              path + ": event " + std::to_string(i) + " is id=" + events[i][0] +
                  " event=" + events[i][1] + " data=" + events[i][2]);
    }
    if (path == "/sse") {
      // Paced 50 ms apart: delivered incrementally, not in one piece at the end.
      const double first_data = r.response.first_data_ms;
      require(r.response.data_events >= 2 && first_data < r.response.done_ms - 100,
              "/sse not delivered incrementally: " + std::to_string(r.response.data_events) +
                  " data events, first at " + std::to_string(first_data) + " ms, end at " +
                  std::to_string(r.response.done_ms) + " ms");
    }
  }
  return "SSE paced and split at odd boundaries: 5 events each, delivered incrementally";
}

// RFC 9110 sections 15.5 and 15.6: 4xx and 5xx responses carry a representation that
// explains the error; it must reach the caller like any other body (RFC 9113 8.1).
std::string rt_error_body_steps(CheckRun& run) {
  for (int status : {400, 401, 403, 404, 409, 418, 429, 500, 502, 503}) {
    auto path = "/status/" + std::to_string(status);
    auto r = run.send(run.request(path))->wait_done(kWait);
    require(r.ok && r.response.status == status, "GET " + path + ": " + r.description);
    auto body = nlohmann::json::parse(r.response.body, nullptr, false);
    require(!body.is_discarded() && body["error"].value("status", 0) == status,
            "GET " + path + " body: " + r.response.body.substr(0, 200));
  }
  return "10 error statuses with their JSON bodies intact";
}

// RFC 9113 sections 6.1 and 6.9: DATA of any size and content under flow control
// (windows smaller than the body); the bytes arrive unchanged, up and down.
std::string rt_binary_steps(CheckRun& run) {
  std::uint64_t seed = 1;
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{16383}, std::size_t{65537},
                           std::size_t{1} << 20, std::size_t{16} << 20}) {
    // Up: the server's echo digests what it received.
    auto body = random_bytes(size, seed++);
    auto up = run.request("/echo");
    up.method = "POST";
    up.body = body;
    up.headers.emplace_back("content-type", "application/octet-stream");
    auto echo = parse_echo(run.send(up)->wait_done(30s), "POST " + std::to_string(size) + " B");
    require(echo.value("body_bytes", -1L) == static_cast<long>(size) &&
                echo.value("sha256", "") == sha256_hex(body),
            "upload of " + std::to_string(size) + " B arrived as " +
                std::to_string(echo.value("body_bytes", -1L)) + " B sha256 " +
                echo.value("sha256", ""));
    // Down: the seeded generator gives the same bytes twice.
    auto a = run.send(run.request("/bytes/" + std::to_string(size)))->wait_done(30s);
    auto b = run.send(run.request("/bytes/" + std::to_string(size)))->wait_done(30s);
    require(a.ok && b.ok,
            "GET /bytes/" + std::to_string(size) + ": " + a.description + " / " + b.description);
    require(a.response.body.size() == size &&
                sha256_hex(a.response.body) == sha256_hex(b.response.body),
            "download of " + std::to_string(size) + " B: got " +
                std::to_string(a.response.body.size()) + " B, digests differ between fetches");
  }
  return "0 B .. 16 MiB up and down, SHA-256 match";
}

// RFC 7578 (multipart/form-data) over RFC 9113 section 8.1: binary parts with NUL
// bytes, their boundaries and sizes intact.
std::string rt_multipart_steps(CheckRun& run) {
  const std::string boundary = "faultline-boundary-7d1c";
  struct Part {
    std::string name, filename, type, data;
  };
  std::vector<Part> parts = {
      {"field", "", "text/plain", "hello"},
      {"blob", "blob.bin", "application/octet-stream", random_bytes(70000, 3)},
      {"zeros", "z.bin", "application/octet-stream", std::string(1024, '\0')}};
  std::string body;
  for (auto& p : parts) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) {
      body += "; filename=\"" + p.filename + "\"";
    }
    body += "\r\nContent-Type: " + p.type + "\r\n\r\n" + p.data + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  auto r = run.request("/echo");
  r.method = "POST";
  r.body = body;
  r.headers.emplace_back("content-type", "multipart/form-data; boundary=" + boundary);
  auto echo = parse_echo(run.send(r)->wait_done(kWait), "multipart POST");
  const auto& got = echo.value("parts", nlohmann::json::array());
  require(got.size() == parts.size(),
          std::to_string(got.size()) + " parts arrived, sent " + std::to_string(parts.size()));
  for (std::size_t i = 0; i < parts.size(); ++i) {
    require(got[i].value("name", "") == parts[i].name &&
                got[i].value("bytes", -1L) == static_cast<long>(parts[i].data.size()) &&
                got[i].value("sha256", "") == sha256_hex(parts[i].data),
            "part " + parts[i].name + " arrived as " + got[i].dump());
  }
  return "3 multipart parts (text, 70000 B binary, NULs): sizes and SHA-256 match";
}

}  // namespace

Verdict rt_sse(const DriverSpec& d) {
  return judge_on(d, "default", rt_sse_steps);
}

Verdict rt_error_body(const DriverSpec& d) {
  return judge_on(d, "default", rt_error_body_steps);
}

Verdict rt_binary(const DriverSpec& d) {
  return judge_on(d, "default", rt_binary_steps);
}

Verdict rt_multipart(const DriverSpec& d) {
  return judge_on(d, "default", rt_multipart_steps);
}
}  // namespace faultline::conformance::detail
