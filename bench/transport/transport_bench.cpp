// Benchmark: N concurrent GETs against a server that answers each after a delay, through
// (1) Faultline's transport, (2) libcurl multi configured the same way (pool of S
// connections x K streams, h2 over TLS), and (3) h2load -n N -c S -m K as the floor.
// Reports wall time and p50/p99 time-to-headers. Numbers, never assertions.
// Two more modes time the transport's failure paths against faultline-server: the
// rejection of an aborted queued request (--mode abort), and serving a queue after the
// server reset every session, against a fresh client (--mode reset).
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "faultline/harness/command.h"
#include "faultline/harness/errc.h"
#include "faultline/harness/server_process.h"
#include "faultline/transport/client.h"

#include "bench_config.h"
#include "failure_modes.h"

namespace {

namespace ft = faultline::transport;
namespace fs = std::filesystem;
using faultline::bench::Clock;
using faultline::bench::Config;
using faultline::bench::median_of;
using faultline::bench::ms_since;
using faultline::bench::percentile;
using faultline::bench::RunResult;
using namespace std::chrono_literals;
using faultline::harness::Command;
using faultline::harness::ServerProcess;

/** Whichever server a run started: faultline-server or the Node peer. */
struct LocalServer {
  std::unique_ptr<ServerProcess> fake_server;
  std::unique_ptr<Command> node_peer;
};

constexpr const char* kUsage = R"(Usage: faultline-bench-transport [options]

--mode compare (the default): N concurrent GETs to a server that delays each answer,
through the transport, through libcurl multi with the same pool shape, and through
h2load (the floor). Prints one line per client with wall time and p50/p99
time-to-headers (median of the runs).

--mode abort (needs --server): fills the pool (sessions x streams GETs the server
holds for --hold ms), queues --queued more (default 1000), then aborts the queued ones
one at a time with Client::abort and times abort -> on_complete (errc::aborted).
Prints p50/p99/max in microseconds over every run's samples.

--mode reset (needs --server): warms the pool (sessions x streams GETs, so that every
session has served), fills it with held POSTs (not retried), queues
--queued GETs (default 500), has the server reset every connection (admin
POST /v1/actions {"close":{"mode":"reset"}}) and times until all queued GETs are
served; then times a fresh client serving as many GETs from a cold pool. Prints the
median of the runs of each.

The server: faultline-server (--server PATH) with a generated scenario (GET /delay
after --delay ms, any method on /hold after --hold ms), or else the bundled Node peer
(transport/tests/peers/peer.js), or any --url. Every wait has a deadline.

Options:
  --mode MODE    compare, abort or reset (default compare)
  --requests N   concurrent GETs per run (default 2000)
  --delay MS     server delay per request (default 20)
  --sessions S   connections per origin (default 4)
  --streams K    streams per connection (default 100)
  --runs R       runs per client; the median run is reported (default 5)
  --queued N     abort/reset: requests queued behind the full pool (default 1000 for
                 abort, 500 for reset)
  --hold MS      abort/reset: how long the server holds the requests that fill the
                 pool (default 30000)
  --server PATH  start this faultline-server binary with a /delay route
  --url URL      use this server (its path must delay by itself) instead of starting
                 one; needs --cacert
  --cacert FILE  CA of --url's server
  --only CLIENT  run one client only: transport, curl or h2load (for callgrind)
  -h, --help     this text
)";

RunResult run_transport(const Config& config) {
  ft::Options options;
  options.tls.ca_file = config.cacert;
  options.max_sessions_per_origin = static_cast<std::size_t>(config.sessions);
  options.max_streams_per_session = static_cast<std::uint32_t>(config.streams);
  ft::Client client(options);
  std::mutex mutex;
  std::condition_variable done;
  std::vector<double> to_headers;
  to_headers.reserve(static_cast<std::size_t>(config.requests));
  int completed = 0;
  int ok = 0;
  const auto start = Clock::now();
  for (int i = 0; i < config.requests; ++i) {
    ft::Request request;
    request.url = config.url;
    request.timeout = 60s;
    ft::Handlers handlers;
    handlers.on_headers = [&](const ft::ResponseHead&) {
      const auto t = ms_since(start, Clock::now());
      std::lock_guard lock(mutex);
      to_headers.push_back(t);
    };
    handlers.on_complete = [&](ft::Result&& result) {
      std::lock_guard lock(mutex);
      ++completed;
      ok += result.ok() ? 1 : 0;
      done.notify_all();
    };
    client.send(std::move(request), std::move(handlers));
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return completed == config.requests; });
  RunResult r;
  r.wall_ms = ms_since(start, Clock::now());
  r.p50_ms = percentile(to_headers, 0.50);
  r.p99_ms = percentile(to_headers, 0.99);
  r.ok = ok;
  lock.unlock();
  r.connections = static_cast<long>(client.stats().sessions_opened);
  return r;
}

/** One libcurl transfer: records when its final header block ended. */
struct CurlTransfer {
  Clock::time_point start;
  double headers_ms = -1;
  long status = 0;
};

std::size_t curl_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto& t = *static_cast<CurlTransfer*>(user);
  const std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t.status = std::strtol(line.data() + line.find(' ') + 1, nullptr, 10);
  } else if ((line == "\r\n" || line == "\n") && t.status >= 200 && t.headers_ms < 0) {
    t.headers_ms = ms_since(t.start, Clock::now());
  }
  return size * n;
}

std::size_t curl_discard(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

long curl_connections = 0;
curl_socket_t curl_open_socket(void*, curlsocktype, curl_sockaddr* address) {
  ++curl_connections;
  return ::socket(address->family, address->socktype, address->protocol);
}

RunResult run_curl(const Config& config) {
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(config.sessions));
  curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, static_cast<long>(config.streams));
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
  std::vector<CurlTransfer> transfers(static_cast<std::size_t>(config.requests));
  std::vector<CURL*> easies;
  curl_connections = 0;
  const auto start = Clock::now();
  for (auto& t : transfers) {
    CURL* e = curl_easy_init();
    t.start = start;
    curl_easy_setopt(e, CURLOPT_URL, config.url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_CAINFO, config.cacert.c_str());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, curl_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curl_discard);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, curl_open_socket);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60'000L);
    curl_multi_add_handle(multi, e);
    easies.push_back(e);
  }
  int running = 1;
  while (running > 0) {
    curl_multi_perform(multi, &running);
    if (running > 0) {
      curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
  }
  RunResult r;
  r.wall_ms = ms_since(start, Clock::now());
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
    if (m->msg == CURLMSG_DONE && m->data.result == CURLE_OK) {
      ++r.ok;
    }
  }
  std::vector<double> to_headers;
  for (const auto& t : transfers) {
    if (t.headers_ms >= 0) {
      to_headers.push_back(t.headers_ms);
    }
  }
  r.p50_ms = percentile(to_headers, 0.50);
  r.p99_ms = percentile(to_headers, 0.99);
  r.connections = curl_connections;
  for (CURL* e : easies) {
    curl_multi_remove_handle(multi, e);
    curl_easy_cleanup(e);
  }
  curl_multi_cleanup(multi);
  return r;
}

/** h2load's own report: "finished in 123.45ms" and the "time to 1st byte" mean. */
RunResult run_h2load(const Config& config) {
  RunResult r;
  const std::string out =
      faultline::harness::run_command(
          {"h2load", "-n", std::to_string(config.requests), "-c", std::to_string(config.sessions),
           "-m", std::to_string(config.streams), config.url},
          120s)
          .out;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(finished in ([0-9.]+)(ms|s))"))) {
    r.wall_ms = std::stod(m[1]) * (m[2] == "s" ? 1000.0 : 1.0);
  }
  if (std::regex_search(
          out, m, std::regex(R"(requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded)"))) {
    r.ok = std::stoi(m[1]);
  }
  // "time to 1st byte:  min max mean sd" is per connection; report its mean as p50 and
  // its max as p99 (h2load gives no per-request percentiles).
  if (std::regex_search(
          out, m,
          std::regex(
              R"(time to 1st byte:\s+([0-9.]+)(ms|us|s)\s+([0-9.]+)(ms|us|s)\s+([0-9.]+)(ms|us|s))"))) {
    auto to_ms = [](const std::string& v, const std::string& unit) {
      return std::stod(v) * (unit == "s" ? 1000.0 : unit == "us" ? 0.001 : 1.0);
    };
    r.p99_ms = to_ms(m[3], m[4]);
    r.p50_ms = to_ms(m[5], m[6]);
  }
  r.connections = config.sessions;
  return r;
}

void report(const std::string& name, const std::vector<RunResult>& runs, int requests) {
  const auto m = median_of(runs);
  std::printf(
      "%-22s wall %8.1f ms   p50 headers %7.1f ms   p99 headers %7.1f ms   ok %d/%d   connections "
      "%ld\n",
      name.c_str(), m.wall_ms, m.p50_ms, m.p99_ms, m.ok, requests, m.connections);
  std::fflush(stdout);
}

int parse_int(const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v < 1) {
    std::fprintf(stderr, "faultline-bench-transport: error: %s needs a positive integer\n", flag);
    std::exit(2);
  }
  return static_cast<int>(v);
}

/** Starts faultline-server with a one-route scenario; returns the URL (empty on failure). */
std::string start_fake_server(Config& config, const fs::path& dir, LocalServer& server) {
  const nlohmann::json scenario = {
      {"name", "bench-delay"},
      {"description",
       "faultline-bench-transport: every GET /delay answers after a fixed delay, any request "
       "to /hold after a long one."},
      {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
      {"settings", {{"max_concurrent_streams", config.streams}}},
      {"routes",
       {{{"match", {{"method", "GET"}, {"path", "/delay"}}},
         {"respond", {{"status", 200}, {"body", "ok"}, {"delay_ms", config.delay_ms}}}},
        {{"match", {{"path", "/hold"}}},
         {"respond", {{"status", 200}, {"body", "ok"}, {"delay_ms", config.hold_ms}}}}}}};
  const auto file = dir / "bench-delay.json";
  std::ofstream(file) << scenario.dump(2);
  faultline::harness::ServerOptions options;
  options.binary = config.server;
  options.scenario = file.string();
  options.args = {"--cert-dir", dir.string()};
  options.ready_timeout = 30s;
  try {
    server.fake_server = std::make_unique<ServerProcess>(std::move(options));
  } catch (const faultline::harness::HarnessError& e) {
    std::fprintf(stderr, "faultline-bench-transport: error: %s\n", e.what());
    return {};
  }
  config.cacert = server.fake_server->ca().string();
  return server.fake_server->https() + "/delay";
}

/** Starts tests/peers/peer.js on Node with a fresh self-signed certificate. */
std::string start_node_peer(Config& config, const fs::path& dir, LocalServer& server) {
  const auto key = (dir / "key.pem").string();
  const auto cert = (dir / "cert.pem").string();
  const std::string openssl =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
      "/CN=localhost"
      " -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout '" +
      key + "' -out '" + cert + "' 2>/dev/null";
  if (std::system(openssl.c_str()) != 0) {
    std::fprintf(stderr, "faultline-bench-transport: error: openssl failed\n");
    return {};
  }
  server.node_peer = std::make_unique<Command>(
      std::vector<std::string>{"node", FAULTLINE_TRANSPORT_PEER_JS, "--key", key, "--cert", cert,
                               "--max-streams", std::to_string(config.streams)});
  const auto line = server.node_peer->read_line(15s);
  if (!line) {
    std::fprintf(stderr, "faultline-bench-transport: error: the Node peer did not start\n");
    return {};
  }
  config.cacert = cert;
  const int port = nlohmann::json::parse(*line).at("port").get<int>();
  return "https://127.0.0.1:" + std::to_string(port) + "/delay/" + std::to_string(config.delay_ms);
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "faultline-bench-transport: error: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--mode") {
      config.mode = value();
      if (config.mode != "compare" && config.mode != "abort" && config.mode != "reset") {
        std::fprintf(stderr,
                     "faultline-bench-transport: error: --mode takes compare, abort or reset\n");
        return 2;
      }
    } else if (a == "--queued") {
      config.queued = parse_int("--queued", value());
    } else if (a == "--hold") {
      config.hold_ms = parse_int("--hold", value());
    } else if (a == "--requests") {
      config.requests = parse_int("--requests", value());
    } else if (a == "--delay") {
      config.delay_ms = parse_int("--delay", value());
    } else if (a == "--sessions") {
      config.sessions = parse_int("--sessions", value());
    } else if (a == "--streams") {
      config.streams = parse_int("--streams", value());
    } else if (a == "--runs") {
      config.runs = parse_int("--runs", value());
    } else if (a == "--server") {
      config.server = value();
    } else if (a == "--url") {
      config.url = value();
    } else if (a == "--cacert") {
      config.cacert = value();
    } else if (a == "--only") {
      config.only = value();
      if (config.only != "transport" && config.only != "curl" && config.only != "h2load") {
        std::fprintf(stderr,
                     "faultline-bench-transport: error: --only takes transport, curl or h2load\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "faultline-bench-transport: error: unknown option %s (try --help)\n",
                   a.c_str());
      return 2;
    }
  }
  if (config.mode != "compare" && (config.server.empty() || !config.url.empty())) {
    std::fprintf(stderr,
                 "faultline-bench-transport: error: --mode %s needs --server (and no --url)\n",
                 config.mode.c_str());
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);

  // The server: faultline-server with a generated scenario, or the bundled Node peer.
  LocalServer server;
  fs::path dir;
  if (config.url.empty()) {
    std::string pattern = (fs::temp_directory_path() / "faultline-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = pattern;
    if (!config.server.empty()) {
      config.url = start_fake_server(config, dir, server);
    } else {
      config.url = start_node_peer(config, dir, server);
    }
    if (config.url.empty()) {
      return 1;
    }
  }
  if (config.mode != "compare") {
    const int status = config.mode == "abort"
                           ? faultline::bench::run_abort(config, *server.fake_server)
                           : faultline::bench::run_reset(config, *server.fake_server);
    server = {};
    std::error_code ec;
    fs::remove_all(dir, ec);
    return status;
  }
  std::printf("%d concurrent GETs, %s, pool %d x %d, median of %d runs (cold pool each run)\n",
              config.requests, config.url.c_str(), config.sessions, config.streams, config.runs);

  std::vector<RunResult> ours, curl, floor;
  for (int i = 0; i < config.runs; ++i) {
    const auto wanted = [&](std::string_view client) {
      return config.only.empty() || config.only == client;
    };
    if (wanted("transport")) {
      ours.push_back(run_transport(config));
    }
    if (wanted("curl")) {
      curl.push_back(run_curl(config));
    }
    if (wanted("h2load") && !faultline::harness::find_program("h2load").empty()) {
      floor.push_back(run_h2load(config));
    }
  }
  if (!ours.empty()) {
    report("faultline transport", ours, config.requests);
  }
  if (!curl.empty()) {
    report("libcurl multi", curl, config.requests);
  }
  if (!floor.empty()) {
    report("h2load (floor)", floor, config.requests);
  }
  server = {};
  if (!dir.empty()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return 0;
}
