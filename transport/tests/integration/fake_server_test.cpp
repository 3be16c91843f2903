// Against the project's own faultline-server (built from fake_server/ in the same build
// tree; started as a process by harness::ServerProcess, never linked): its built-in
// scenarios, and its admin API as the evidence. Skipped when the binary has not been built.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "faultline/harness/server_process.h"
#include "faultline/transport/client.h"
#include "support/peers.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing_support::await;
using testing_support::eventually;
using testing_support::fetch;

/** faultline-server with a built-in scenario, on ports chosen by the kernel, through the
    harness's launcher. */
harness::ServerProcess start_server(const std::string& scenario) {
  harness::ServerOptions options;
  options.binary = FAULTLINE_SERVER_BIN;
  options.scenario = scenario;
  options.args = {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"};
  return harness::ServerProcess(std::move(options));
}

/** A client trusting the server's CA, with test-friendly timeouts. */
Options client_options(const harness::ServerProcess& server) {
  Options options;
  options.tls.ca_file = server.ca().string();
  options.connect_timeout = 5s;
  options.request_timeout = 20s;
  return options;
}

/** An admin answer's body; fails the test when there is no 2xx JSON answer. */
nlohmann::json body_of(const harness::AdminResponse& response) {
  EXPECT_TRUE(response.ok()) << response.describe();
  return response.body;
}

class AgainstFakeServer : public ::testing::TestWithParam<Protocol> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(FAULTLINE_SERVER_BIN)) {
      GTEST_SKIP() << FAULTLINE_SERVER_BIN << " is not built";
    }
  }
  Options options_for(const harness::ServerProcess& server) const {
    Options options = client_options(server);
    options.force_http1 = GetParam() == Protocol::http11;
    return options;
  }
};

// POOL-REUSE, with the server's own counters as evidence.
TEST_P(AgainstFakeServer, POOL_REUSE_WithinLimitsAndServedOnce) {
  auto server = start_server("default");
  Client client(options_for(server));
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 300; ++i) {
    Request request;
    request.url = server.https() + "/health";
    request.headers.emplace_back("x-faultline-request-id", "req-" + std::to_string(i));
    futures.push_back(client.send(request));
  }
  for (auto& f : futures) {
    Result r;
    ASSERT_TRUE(await(f, r));
    ASSERT_TRUE(r.ok()) << r.error.message() << " " << r.detail;
    EXPECT_EQ(r.response.body, "ok");
    EXPECT_EQ(r.response.protocol, GetParam());
  }
  const auto stats = body_of(server.admin().stats());
  int ours = 0;
  for (const auto& c : stats["connections"]) {
    if (c["listener"] == "main") {
      ++ours;
      EXPECT_LE(c["peak_concurrent_streams"].get<int>(), 100);
    }
  }
  EXPECT_LE(ours, 4);
  ASSERT_EQ(stats["requests"].size(), 300U);
  for (const auto& [id, served] : stats["requests"].items()) {
    EXPECT_EQ(served.get<int>(), 1) << id;
  }
}

// REDIRECT-PARITY on the server's chains of every status, a loop, and a cross-origin
// redirect to its h1-only listener.
TEST_P(AgainstFakeServer, REDIRECT_PARITY_ChainsLoopsAndCrossOrigin) {
  auto server = start_server("default");
  Client client(options_for(server));
  for (const std::string chain :
       {"/redirect/5", "/redirect301/3", "/redirect303/3", "/redirect307/3", "/redirect308/3"}) {
    const auto r = fetch(client, server.https() + chain);
    ASSERT_TRUE(r.ok()) << chain << ": " << r.error.message() << " " << r.detail;
    EXPECT_EQ(r.response.body, "done") << chain;
    EXPECT_GE(r.response.redirects, 3U) << chain;
  }
  EXPECT_EQ(fetch(client, server.https() + "/loop/a").error, errc::too_many_redirects);
  Request post;
  post.method = "POST";
  post.url = server.https() + "/cross/h1";
  post.body = Body::bytes("cross-origin body");
  post.timeout = 20s;
  auto future = client.send(post);
  Result r;
  ASSERT_TRUE(await(future, r));
  ASSERT_TRUE(r.ok()) << r.error.message() << " " << r.detail;
  EXPECT_EQ(r.response.protocol, Protocol::http11) << "the h1-only listener";
  EXPECT_EQ(r.response.url, server.listener("h1only") + "/echo");
}

// RT-SSE with events split across frames, and trailers.
TEST_P(AgainstFakeServer, RT_SSE_SplitEventsAndTrailers) {
  auto server = start_server("default");
  Client client(options_for(server));
  const auto sse = fetch(client, server.https() + "/sse/split");
  ASSERT_TRUE(sse.ok()) << sse.error.message();
  EXPECT_EQ(find_header(sse.response.headers, "content-type"), "text/event-stream");
  std::size_t events = 0;
  for (std::size_t pos = 0; (pos = sse.response.body.find("\n\n", pos)) != std::string::npos;
       pos += 2) {
    ++events;
  }
  EXPECT_EQ(events, 5U) << sse.response.body;
  const auto trailers = fetch(client, server.https() + "/trailers");
  ASSERT_TRUE(trailers.ok());
  EXPECT_EQ(trailers.response.body, "body with trailers\n");
  EXPECT_EQ(find_header(trailers.response.trailers, "x-trailer"), "yes");
}

/** Sets the proxy variables to `url` for the scope of one test, then removes them. */
class ProxyEnvironment {
 public:
  explicit ProxyEnvironment(const std::string& url) {
    for (const char* name : kNames) {
      ::setenv(name, url.c_str(), 1);
    }
  }
  ~ProxyEnvironment() {
    for (const char* name : kNames) {
      ::unsetenv(name);
    }
  }
  ProxyEnvironment(const ProxyEnvironment&) = delete;
  ProxyEnvironment& operator=(const ProxyEnvironment&) = delete;

 private:
  static constexpr const char* kNames[] = {"https_proxy", "HTTPS_PROXY", "http_proxy", "ALL_PROXY",
                                           "all_proxy"};
};

// The documented proxy policy (README, "proxies: none") and what reaches the wire: with
// every proxy variable pointing at a loopback port nobody listens on, both protocols
// still reach the server, a POST without content-type arrives without one, and
// te: trailers arrives as sent.
TEST_P(AgainstFakeServer, ProxyEnvironmentIsIgnoredAndNothingIsAdded) {
  auto server = start_server("default");
  // A port bound but not listening: a connection to it is refused at once.
  const int dead = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(dead, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(dead, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(dead, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ProxyEnvironment proxy("http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)));
  Client client(options_for(server));
  Request request;
  request.method = "POST";
  request.url = server.https() + "/echo";
  request.body = Body::bytes("a=1");
  request.headers = {{"te", "trailers"}};
  const auto r = client.send(request).get();
  ::close(dead);
  ASSERT_TRUE(r.ok()) << r.error.message() << " " << r.detail;
  const auto echo = nlohmann::json::parse(r.response.body);
  EXPECT_EQ(r.response.protocol, GetParam());
  EXPECT_FALSE(echo["headers"].contains("content-type")) << echo.dump();
  EXPECT_FALSE(echo["headers"].contains("expect")) << echo.dump();
  EXPECT_EQ(echo["headers"].value("te", ""), "trailers") << echo.dump();
  EXPECT_EQ(echo.value("body_bytes", 0), 3);
}

// ABORT-QUEUED with the server's hold gate saturating a 1 x 1 pool.
TEST_P(AgainstFakeServer, ABORT_QUEUED_NeverReachesTheServer) {
  auto server = start_server("default");
  Options options = options_for(server);
  options.max_sessions_per_origin = 1;
  options.max_streams_per_session = 1;
  Client client(options);
  Request held;
  held.url = server.https() + "/hold";
  auto h = client.send(held);
  ASSERT_TRUE(eventually(
      [&] { return body_of(server.admin().gates())["gates"]["hold"]["held"] == 1; }, 10s, "held"));
  AbortController controller;
  Request queued;
  queued.url = server.https() + "/health";
  queued.headers.emplace_back("x-faultline-request-id", "queued");
  queued.abort = controller.signal();
  auto q = client.send(queued);
  controller.abort();
  Result rq;
  ASSERT_TRUE(await(q, rq, 5s));
  EXPECT_EQ(rq.error, errc::aborted);
  EXPECT_TRUE(harness::to_assertion(server.admin().release("hold")));
  Result rh;
  ASSERT_TRUE(await(h, rh));
  EXPECT_TRUE(rh.ok()) << rh.error.message();
  EXPECT_FALSE(body_of(server.admin().stats())["requests"].contains("queued"));
}

INSTANTIATE_TEST_SUITE_P(TransportDrivers, AgainstFakeServer,
                         ::testing::Values(Protocol::http2, Protocol::http11),
                         [](const auto& info) {
                           return info.param == Protocol::http2 ? "h2" : "h1";
                         });

class FakeServerAlpn : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(FAULTLINE_SERVER_BIN)) {
      GTEST_SKIP() << FAULTLINE_SERVER_BIN << " is not built";
    }
  }
};

// ALPN-H1-STRICT and ALPN-NONE on the server's listeners: HTTP/1.1, one h2 attempt.
TEST_F(FakeServerAlpn, HttpOneOriginsAreRemembered) {
  for (const std::string scenario : {"h1-strict", "h1-only", "alpn-none"}) {
    auto server = start_server(scenario);
    Client client(client_options(server));
    for (int i = 0; i < 20; ++i) {
      const auto r = fetch(client, server.https() + "/health");
      ASSERT_TRUE(r.ok()) << scenario << ": " << r.error.message() << " " << r.detail;
      ASSERT_EQ(r.response.protocol, Protocol::http11) << scenario;
    }
    const auto stats = client.stats();
    ASSERT_EQ(stats.origins.size(), 1U);
    EXPECT_EQ(stats.origins.begin()->second.h2_attempts, 1U) << scenario;
  }
}

// Response heads beyond Options::max_response_header_bytes fail their request as
// header_too_large on both protocols, and the next request is served; over HTTP/1.1
// libcurl's own 300 KiB bound gives the same error when ours is larger.
TEST_P(AgainstFakeServer, HeadsBeyondTheLimitFailAsHeaderTooLarge) {
  const nlohmann::json scenario = {
      {"name", "large-heads"},
      {"routes",
       {{{"match", {{"path", "/b/16k"}}},
         {"respond", {{"body", "b"}, {"header_block", {{"bytes", 16384}, {"frame_bytes", 1024}}}}}},
        {{"match", {{"path", "/b/512k"}}},
         {"respond", {{"body", "b"}, {"header_block", {{"bytes", 512 * 1024}}}}}},
        {{"match", {{"path", "/health"}}}, {"respond", {{"body", "ok"}}}}}}};
  // A file of this process's own: the h2 and HTTP/1.1 instances run side by side.
  const auto file = std::filesystem::temp_directory_path() /
                    ("faultline-large-heads-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << scenario.dump();
  auto server = start_server(file.string());
  // The server read the file before its ready line.
  std::filesystem::remove(file);
  // A limit of 8 KiB: the 16 KiB head is refused, typed.
  Options small = options_for(server);
  small.max_response_header_bytes = 8 * 1024;
  Client client(small);
  const auto refused = fetch(client, server.https() + "/b/16k");
  EXPECT_EQ(refused.error, errc::header_too_large)
      << refused.error.message() << " " << refused.detail;
  const auto next = fetch(client, server.https() + "/health");
  EXPECT_TRUE(next.ok()) << next.error.message() << " " << next.detail;
  // A limit of 1 MiB: h2 delivers 512 KiB whole; libcurl refuses it on its own bound.
  Options large = options_for(server);
  large.max_response_header_bytes = 1024 * 1024;
  Client big(large);
  const auto r = fetch(big, server.https() + "/b/512k");
  if (GetParam() == Protocol::http2) {
    ASSERT_TRUE(r.ok()) << r.error.message() << " " << r.detail;
    EXPECT_TRUE(has_header(r.response.headers, "x-fill-0512"));
  } else {
    EXPECT_EQ(r.error, errc::header_too_large) << r.error.message() << " " << r.detail;
  }
}

// An h2-only server and a client forced to HTTP/1.1: a typed TLS failure, not a hang.
TEST_F(FakeServerAlpn, ForcedHttp11AgainstH2OnlyFailsTyped) {
  auto server = start_server("h2-only");
  Options options = client_options(server);
  options.force_http1 = true;
  Client client(options);
  const auto r = fetch(client, server.https() + "/health");
  EXPECT_EQ(r.error, errc::tls_failed) << r.error.message() << " " << r.detail;
}

}  // namespace
}  // namespace faultline::transport
