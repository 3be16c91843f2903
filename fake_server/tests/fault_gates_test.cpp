// Gates release in their configured order (hold-gates scenario), seen by nghttp.
#include <gtest/gtest.h>

#include <algorithm>

#include "fault_support.h"
#include "faultline/scenarios/faults.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

class FaultGates : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::start({"--scenario", "hold-gates"});
    ASSERT_TRUE(server_);
  }

  [[nodiscard]] ::testing::AssertionResult held(const std::string& gate, int count) {
    return server_->wait_held(gate, count);
  }

  /** n requests to path on one nghttp connection, in the background. */
  std::unique_ptr<BackgroundCommand> requests(const std::string& path, int n) {
    std::vector<std::string> argv{FAULTLINE_NGHTTP, "-v", "-n"};
    for (int i = 0; i < n; ++i) {
      argv.push_back(server_->https() + path + "?i=" + std::to_string(i));
    }
    return std::make_unique<BackgroundCommand>(argv, 60s);
  }

  /** Stream ids in the order their response HEADERS arrived at nghttp. */
  static std::vector<std::int64_t> response_order(const std::string& log) {
    std::vector<std::int64_t> ids;
    for (const auto& frame : received(parse_nghttp_log(log), "HEADERS")) {
      ids.push_back(frame.stream);
    }
    return ids;
  }

  /** Stream ids of the requests nghttp sent, in order (it opens priority streams first). */
  static std::vector<std::int64_t> request_order(const std::string& log) {
    std::vector<std::int64_t> ids;
    for (const auto& frame : parse_nghttp_log(log)) {
      if (frame.dir == "send" && frame.type == "HEADERS") {
        ids.push_back(frame.stream);
      }
    }
    return ids;
  }

  /** The same order as the server's timeline saw it go out. */
  std::vector<std::int64_t> server_order() {
    std::vector<std::int64_t> ids;
    for (const auto& event : timeline_events(*server_, 1, "out", "HEADERS")) {
      ids.push_back(event["stream"].get<std::int64_t>());
    }
    return ids;
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(FaultGates, ReverseGateReleasesLastInFirstOut) {
  auto client = requests("/hold/lifo", 3);
  ASSERT_TRUE(held("lifo", 3));
  EXPECT_EQ(server_->admin_call("POST", "/v1/gates/lifo/release").body, json({{"released", 3}}));
  const CommandResult result = client->wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::int64_t> expected = request_order(result.out);
  ASSERT_EQ(expected.size(), 3u);
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(response_order(result.out), expected) << result.out;
  EXPECT_EQ(server_order(), expected);
}

TEST_F(FaultGates, PartialReleaseOfAReverseGateTakesTheNewest) {
  auto client = requests("/hold/lifo", 3);
  ASSERT_TRUE(held("lifo", 3));
  EXPECT_EQ(server_->admin_call("POST", "/v1/gates/lifo/release", R"({"count":1})").body,
            json({{"released", 1}}));
  ASSERT_TRUE(eventually([&] { return server_order().size() == 1; }, 20s, "one response out"));
  const std::vector<std::int64_t> first = server_order();
  EXPECT_EQ(server_->admin_call("POST", "/v1/gates/lifo/release").body, json({{"released", 2}}));
  const CommandResult result = client->wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::int64_t> expected = request_order(result.out);
  ASSERT_EQ(expected.size(), 3u);
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(first, std::vector<std::int64_t>{expected[0]});
  EXPECT_EQ(response_order(result.out), expected);
}

TEST_F(FaultGates, RandomGateFollowsTheSeededOrder) {
  auto client = requests("/hold/shuffle", 5);
  ASSERT_TRUE(held("shuffle", 5));
  scenarios::GateConfig config;
  config.order = scenarios::GateOrder::random;
  config.seed = 42;
  EXPECT_EQ(server_->admin_call("POST", "/v1/gates/shuffle/release").body, json({{"released", 5}}));
  const CommandResult result = client->wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::int64_t> requests = request_order(result.out);
  ASSERT_EQ(requests.size(), 5u);
  std::vector<std::int64_t> expected;
  for (std::size_t index : scenarios::release_order(config, 5)) {
    expected.push_back(requests[index]);
  }
  EXPECT_EQ(response_order(result.out), expected) << result.out;
  EXPECT_EQ(server_order(), expected);
}

TEST_F(FaultGates, GateReleasesItselfWhenEightAreHeld) {
  auto seven = requests("/hold/pool", 7);
  ASSERT_TRUE(held("pool", 7));
  auto eighth = requests("/hold/pool", 1);
  // No admin call: the eighth arrival releases all eight.
  const CommandResult last = eighth->wait();
  const CommandResult first = seven->wait();
  ASSERT_EQ(last.exit_code, 0) << last.err;
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(response_order(first.out).size(), 7u);
  EXPECT_EQ(response_order(last.out).size(), 1u);
  EXPECT_EQ(server_->admin_call("GET", "/v1/gates").body["gates"]["pool"],
            json({{"held", 0}, {"released", 8}}));
}

}  // namespace
}  // namespace faultline::fake_server::testing
