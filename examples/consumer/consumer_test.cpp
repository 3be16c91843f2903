// Conformance-style checks of MyDriver (your transport) and of a bundled driver from the
// install tree, each against a faultline-server started from the install tree through
// harness::ServerProcess. Every wait has a deadline and says what it saw.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "faultline/harness/external_driver.h"
#include "faultline/harness/gtest.h"
#include "faultline/harness/server_process.h"
#include "my_driver.h"

namespace {

using namespace std::chrono_literals;
namespace harness = faultline::harness;
using harness::to_assertion;

/** How often a wait on the server's state asks its admin API again. */
constexpr auto kPoll = 10ms;

class Consumer : public ::testing::Test {
 protected:
  void SetUp() override {
    // The server of the install tree, with its built-in default scenario.
    harness::ServerOptions options;
    options.binary = CONSUMER_FAULTLINE_SERVER;
    options.scenario = "default";
    server_ = std::make_unique<harness::ServerProcess>(options);
  }

  harness::Request get(const std::string& path, const std::string& request_id) {
    harness::Request request;
    request.url = server_->https() + path;
    request.headers = {{"x-faultline-request-id", request_id}};
    request.timeout_ms = 10'000;
    return request;
  }

  /** How many times the server says it served this request id. */
  int served(const std::string& request_id) {
    const auto answer = server_->admin().request(request_id);
    return answer.ok() ? answer.body.value("served", -1) : -1;
  }

  /** Waits until the gate holds `n` streams. */
  [[nodiscard]] ::testing::AssertionResult wait_held(const std::string& gate, int n) {
    const harness::Deadline deadline(10s);
    harness::AdminResponse gates;
    do {
      gates = server_->admin().gates();
      if (gates.ok() &&
          gates.body["gates"].value(gate, nlohmann::json::object()).value("held", 0) >= n) {
        return ::testing::AssertionSuccess();
      }
      std::this_thread::sleep_for(kPoll);
    } while (!deadline.passed());
    return ::testing::AssertionFailure() << "gate " << gate << " never held " << n
                                         << " streams; last answer: " << gates.describe();
  }

  std::unique_ptr<harness::ServerProcess> server_;
};

TEST_F(Consumer, MyDriverIsServedOnceOverH2) {
  consumer::MyDriver driver(server_->ca());
  // One GET over TLS + ALPN: h2, the body intact.
  auto done = driver.send(get("/health", "consumer-health"))->wait_done(10s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(done.response.status, 200);
  EXPECT_EQ(done.response.body, "ok");
  EXPECT_EQ(done.response.protocol, "h2");
  // "Served exactly once" is the server's own count.
  EXPECT_EQ(served("consumer-health"), 1);
}

TEST_F(Consumer, MyDriverDeliversErrorBodies) {
  consumer::MyDriver driver(server_->ca());
  auto done = driver.send(get("/status/503", "consumer-503"))->wait_done(10s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(done.response.status, 503);
  EXPECT_NE(done.response.body.find("service unavailable"), std::string::npos)
      << "body: " << done.response.body;
}

TEST_F(Consumer, MyDriverRejectsAnAbortedRequestAsAborted) {
  consumer::MyDriver driver(server_->ca());
  // The server holds the stream at its gate; then the caller aborts it.
  auto exchange = driver.send(get("/hold", "consumer-held"));
  ASSERT_TRUE(wait_held("hold", 1));
  driver.abort(exchange->id());
  EXPECT_TRUE(to_assertion(exchange->wait_error(harness::ErrorKind::aborted, 10s)));
}

TEST_F(Consumer, BundledNodeDriverRunsFromTheInstallTree) {
  // A bundled driver (Node's http2 module, no npm dependencies) from the install's data.
  harness::NodeHttp2DriverConfig config;
  config.ca_file = server_->ca();
  config.directory = std::string(CONSUMER_FAULTLINE_DATA_DIR) + "/drivers/node-http2";
  harness::ExternalDriver driver(harness::node_http2_driver_options(config));
  auto done = driver.send(get("/health", "consumer-node"))->wait_done(20s);
  ASSERT_TRUE(to_assertion(done)) << driver.diagnostics();
  EXPECT_EQ(done.response.status, 200);
  EXPECT_EQ(done.response.body, "ok");
  EXPECT_EQ(served("consumer-node"), 1);
}

}  // namespace
