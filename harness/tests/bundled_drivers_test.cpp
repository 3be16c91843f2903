// The drivers over other languages' clients (harness/drivers/{go,python-httpx,java,okhttp,
// node-fetch}) on their own terms: --help, start-up errors with their stderr as
// evidence, the raw hello (client version, pool from the arguments, capabilities), and
// the error kinds they map the client's failures to. The shared end-to-end tests
// (driver_nghttpd_test.cpp, driver_server_test.cpp) run them as well.
#include "faultline/harness/bundled_drivers.h"

#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>

#include "faultline/harness/errc.h"
#include "faultline/harness/gtest.h"
#include "faultline/harness/server_process.h"

namespace faultline::harness::testing {
namespace {

using namespace std::chrono_literals;

/** What a driver must say about itself when started with `pool_args`. */
struct Expected {
  std::string driver;          ///< bundled_driver_names() entry
  std::string client;          ///< hello "name"
  std::string version_prefix;  ///< the Debian 12 package's version
  std::vector<std::string> pool_args;
  int max_sessions;
  int max_streams;
  std::optional<long> idle_timeout_ms;  ///< nullopt: not declared
  long liveness_timeout_ms;
  /** OkHttp 3 fails the streams of a connection whose reader hit an IOException (a TCP
      reset) with StreamResetException(PROTOCOL_ERROR), a reset that was never on the
      wire: kind protocol is what the client reports then. */
  bool reset_reported_as_stream_error = false;
};

void PrintTo(const Expected& e, std::ostream* out) {
  *out << e.driver;
}

std::vector<Expected> expectations() {
  return {
      {"go",
       "go-net/http",
       "1.19",
       {"--connections", "3", "--idle-timeout", "1500"},
       3,
       1000,
       1500,
       0},
      {"python-httpx", "httpx", "0.23.", {"--max-connections", "3"}, 1, 100, 0, 0},
      {"java", "java.net.http", "17.", {}, 1, 100, 0, 0},
      {"okhttp",
       "okhttp",
       "3.13.",
       {"--max-requests-per-host", "7", "--idle-timeout", "1500", "--ping-interval", "250"},
       1,
       7,
       1500,
       500,
       true},
      {"node-fetch", "node-fetch", "6.", {"--connections", "3", "--pipelining", "10"}, 3, 10, 0, 0},
  };
}

/** Runs `command` through the shell; returns its exit status and stdout. */
std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return {-1, "popen failed"};
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
    out.append(buf, n);
  }
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string shell_command(const Expected& e, const std::vector<std::string>& args) {
  std::string command = "'" + bundled_driver_program(e.driver).string() + "'";
  for (const auto& a : args) {
    command += " '" + a + "'";
  }
  return command;
}

class BundledDriver : public ::testing::TestWithParam<Expected> {
 protected:
  void SetUp() override {
    if (auto why = bundled_driver_unavailable(GetParam().driver)) {
      FAIL() << *why;  // a missing toolchain is a failure, never a skip
    }
  }

  /** Starts the driver with `args` and expects it to fail before its hello, saying `what`. */
  void expect_start_error(const std::vector<std::string>& args, const std::string& what) {
    BundledDriverConfig config;
    config.args = args;
    try {
      ExternalDriver driver(bundled_driver_options(GetParam().driver, config));
      FAIL() << "started with " << ::testing::PrintToString(args);
    } catch (const HarnessError& e) {
      EXPECT_EQ(e.code(), errc::driver_exited) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("exited with status 2"), std::string::npos) << e.what();
    }
  }
};

TEST_P(BundledDriver, HelpDescribesTheOptionsAndExitsZero) {
  auto [status, out] = run(shell_command(GetParam(), {"--help"}) + " </dev/null");
  EXPECT_EQ(status, 0) << out;
  std::string lower = out;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  EXPECT_NE(lower.find("usage"), std::string::npos) << out;
  EXPECT_NE(out.find("--ca"), std::string::npos) << out;
}

TEST_P(BundledDriver, BadArgumentIsAClearStartError) {
  expect_start_error({"--bogus"}, "--bogus");
}

TEST_P(BundledDriver, UnreadableCaIsAClearStartError) {
  expect_start_error({"--ca", "/nonexistent/ca.pem"}, "cannot read --ca");
}

TEST_P(BundledDriver, HelloNamesTheClientItsPoolAndItsCapabilities) {
  // The raw hello line, then EOF on stdin: the driver exits 0 by itself.
  const Expected& e = GetParam();
  auto [status, out] =
      run("printf '%s\\n' '{\"op\":\"hello\"}' | " + shell_command(e, e.pool_args));
  EXPECT_EQ(status, 0) << out;
  const auto hello = nlohmann::json::parse(out.substr(0, out.find('\n')), nullptr, false);
  ASSERT_TRUE(hello.is_object()) << out;
  EXPECT_EQ(hello.value("event", ""), "hello") << out;
  EXPECT_EQ(hello.value("protocol", 0), 1) << out;
  EXPECT_EQ(hello.value("name", ""), e.client) << out;
  EXPECT_EQ(hello.value("version", "").rfind(e.version_prefix, 0), 0u) << out;
  EXPECT_EQ(hello.value("max_sessions", 0), e.max_sessions) << out;
  EXPECT_EQ(hello.value("max_streams", 0), e.max_streams) << out;
  EXPECT_EQ(hello.value("h2", false), true) << out;
  EXPECT_FALSE(hello.value("api", "").empty()) << out;
  ASSERT_TRUE(hello.contains("capabilities") && hello["capabilities"].is_object()) << out;
  const auto& caps = hello["capabilities"];
  if (e.idle_timeout_ms) {
    EXPECT_EQ(caps.value("idle_timeout_ms", -1L), *e.idle_timeout_ms) << out;
  } else {
    EXPECT_FALSE(caps.contains("idle_timeout_ms")) << out;
  }
  EXPECT_EQ(caps.value("liveness_timeout_ms", -1L), e.liveness_timeout_ms) << out;
  EXPECT_EQ(caps.value("retries_421", true), false) << out;
}

TEST_P(BundledDriver, ResetAndDroppedConnectionMapToProtocolAndNetwork) {
  // The default scenario plus two faults: RST_STREAM(INTERNAL_ERROR) before any response
  // on /broken/stream, a TCP reset of the connection on /broken/connection. (Not
  // PROTOCOL_ERROR: Go's HTTP/2 client retries a stream reset with that code.)
  ServerOptions so;
  so.scenario = "default";
  ServerProcess server(so);
  auto scenario = server.admin().scenario().body;
  scenario["faults"] = nlohmann::json::array(
      {{{"on", {{"path", "/broken/stream"}}},
        {"do", {{"rst_stream", {{"error", "INTERNAL_ERROR"}}}}}},
       {{"on", {{"path", "/broken/connection"}}}, {"do", {{"close", {{"mode", "reset"}}}}}}});
  auto put = server.admin().put_scenario(scenario);
  ASSERT_TRUE(put.ok()) << put.describe();

  BundledDriverConfig config;
  config.ca_file = server.ca();
  ExternalDriver driver(bundled_driver_options(GetParam().driver, config));
  Request stream;
  stream.url = server.https() + "/broken/stream";
  EXPECT_TRUE(to_assertion(driver.send(stream)->wait_error(ErrorKind::protocol, 20s)))
      << driver.diagnostics();
  Request connection;
  connection.url = server.https() + "/broken/connection";
  auto reset = driver.send(connection)->wait_done(20s);
  ASSERT_TRUE(reset.response.error) << reset.description << "\n" << driver.diagnostics();
  const auto kind = reset.response.error->kind;
  EXPECT_TRUE(kind == ErrorKind::network ||
              (GetParam().reset_reported_as_stream_error && kind == ErrorKind::protocol))
      << reset.description;
  // The driver goes on: a later request ends by its deadline, served or failed typed
  // (whether the client recovers from the reset is for the conformance checks to judge),
  // and the driver's counters account for all three.
  Request health;
  health.url = server.https() + "/health";
  health.timeout_ms = 10000;
  auto after = driver.send(health)->wait_done(20s);
  EXPECT_TRUE(after.ok || (after.response.error && after.response.error->kind != ErrorKind::driver))
      << after.description << "\n"
      << driver.diagnostics();
  auto stats = driver.stats(Deadline(10s));
  ASSERT_TRUE(to_assertion(stats));
  EXPECT_EQ(stats.stats.value("requests_started", 0), 3) << stats.stats.dump();
  EXPECT_EQ(stats.stats.value("requests_failed", 0) + stats.stats.value("requests_completed", 0), 3)
      << stats.stats.dump();
  EXPECT_EQ(stats.stats.value("in_flight", -1), 0) << stats.stats.dump();
  EXPECT_TRUE(driver.shutdown());
}

INSTANTIATE_TEST_SUITE_P(Drivers, BundledDriver, ::testing::ValuesIn(expectations()),
                         [](const ::testing::TestParamInfo<Expected>& info) {
                           std::string name = info.param.driver;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace faultline::harness::testing
