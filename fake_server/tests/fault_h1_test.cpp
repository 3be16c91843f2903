// The HTTP/1.1 meaning of faults (docs/scenarios.md): goaway is "connection: close"
// then a close, rst_stream closes the connection at the same point, close is a close.
// Seen by curl, cross-checked with the server's stats.
#include <gtest/gtest.h>

#include <filesystem>

#include "fault_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

TEST(FaultHttp1, GoawayClosesAfterTheFifthResponse) {
  auto server = TestServer::start({"--scenario", "goaway-after-5"});
  ASSERT_TRUE(server);
  std::vector<std::string> argv{curl(),       "-sS", "--http1.1",       "--cacert",
                                server->ca(), "-w",  "%{num_connects} "};
  for (int i = 0; i < 6; ++i) {
    argv.push_back("-o");
    argv.push_back("/dev/null");
  }
  for (int i = 0; i < 6; ++i) {
    argv.push_back(server->https() + "/health");
  }
  const CommandResult result = run_command(argv);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // Five requests on the first connection; the sixth needed a new one.
  EXPECT_EQ(result.out, "1 0 0 0 0 1 ");
  ASSERT_TRUE(eventually(
      [&] {
        const json conns = server->stats()["connections"];
        return !conns.empty() && conns[0]["open"] == false;
      },
      20s, "first connection closed"));
  const json first = server->stats()["connections"][0];
  EXPECT_EQ(first["requests"], 5);
  EXPECT_EQ(first["close_reason"], "goaway");
  EXPECT_EQ(first["faults_fired"], json({{"goaway-after-5", 1}}));
}

TEST(FaultHttp1, RstStreamClosesTheConnectionAtTheSamePoint) {
  auto server = TestServer::start({"--scenario", "rst-internal"});
  ASSERT_TRUE(server);
  const auto file = write_temp_file("faultline-h1-mid-body", "");
  const CommandResult mid =
      run_command({curl(), "-sS", "--http1.1", "--cacert", server->ca(), "-o", file.string(),
                   server->https() + "/rst/internal/mid-body"});
  EXPECT_EQ(mid.exit_code, 18) << mid.err;  // partial file
  EXPECT_EQ(std::filesystem::file_size(file), 16384u);
  const CommandResult before = run_command(
      {curl(), "-sS", "--http1.1", "--cacert", server->ca(), server->https() + "/rst/internal"});
  EXPECT_EQ(before.exit_code, 52) << before.err;  // empty reply
  EXPECT_EQ(server->stats()["faults_fired"],
            json({{"internal-before-headers", 1}, {"internal-mid-body", 1}}));
}

TEST(FaultHttp1, ResetAllResetsHttp1ConnectionsToo) {
  auto server = TestServer::start({"--scenario", "reset-all"});
  ASSERT_TRUE(server);
  BackgroundCommand client(
      {curl(), "-sS", "--http1.1", "--cacert", server->ca(), server->https() + "/hold"}, 60s);
  ASSERT_TRUE(server->wait_held("hold", 1));
  EXPECT_EQ(server->fire("reset-all"), json({{"fired", 1}}));
  const CommandResult result = client.wait();
  EXPECT_EQ(result.exit_code, 56) << result.err;  // recv failure
  EXPECT_NE(result.err.find("reset"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace faultline::fake_server::testing
