// The faultline-fetch command line: help, usage errors, and real transfers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/peers.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing_support::NodePeer;

harness::CommandResult run_fetch(std::vector<std::string> args) {
  args.insert(args.begin(), FAULTLINE_FETCH_BIN);
  return harness::run_command(std::move(args), 60s);
}

TEST(FetchCli, HelpAndUsageErrors) {
  const auto help = run_fetch({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: faultline-fetch URL"), std::string::npos);
  const auto bad = run_fetch({"https://127.0.0.1/", "--bogus"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown option --bogus"), std::string::npos) << bad.err;
  const auto no_url = run_fetch({"-n", "3"});
  EXPECT_EQ(no_url.exit_code, 2);
  const auto bad_count = run_fetch({"https://127.0.0.1/", "-n", "zero"});
  EXPECT_EQ(bad_count.exit_code, 2);
  const auto bad_ca = run_fetch({"https://127.0.0.1/", "--cacert", "/nonexistent/ca.pem"});
  EXPECT_EQ(bad_ca.exit_code, 2);
  EXPECT_NE(bad_ca.err.find("/nonexistent/ca.pem"), std::string::npos) << bad_ca.err;
}

TEST(FetchCli, ManyRequestsSummaryOverH2AndH1) {
  FAULTLINE_REQUIRE_PROGRAM("node");
  NodePeer peer("h2");
  const auto ca = testing_support::TlsFiles::shared().cert.string();
  const auto h2 = run_fetch({peer.url("/hello"), "--cacert", ca, "-n", "50", "-c", "10"});
  EXPECT_EQ(h2.exit_code, 0) << h2.err;
  EXPECT_NE(h2.err.find("ok=50 failed=0 connections=1 protocol=h2 status=200"), std::string::npos)
      << h2.err;
  const auto h1 = run_fetch({peer.url("/hello"), "--cacert", ca, "--http1", "-n", "5"});
  EXPECT_EQ(h1.exit_code, 0) << h1.err;
  EXPECT_NE(h1.err.find("ok=5 failed=0"), std::string::npos) << h1.err;
  EXPECT_NE(h1.err.find("protocol=http/1.1"), std::string::npos) << h1.err;
}

TEST(FetchCli, BodyToStdoutOrFileAndPost) {
  FAULTLINE_REQUIRE_PROGRAM("node");
  NodePeer peer("h2");
  const auto ca = testing_support::TlsFiles::shared().cert.string();
  const auto one = run_fetch({peer.url("/echo"), "--cacert", ca, "-d", "payload", "-H",
                              "content-type: text/x-test", "-v"});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  // The echoed body, byte for byte (faultline-fetch adds no newline of its own).
  EXPECT_EQ(one.out, "payload");
  EXPECT_NE(one.err.find("< x-method: POST"), std::string::npos) << one.err;
  EXPECT_NE(one.err.find("< content-type: text/x-test"), std::string::npos) << one.err;
  const auto file = testing_support::TlsFiles::shared().dir / "fetch-body.bin";
  const auto saved = run_fetch({peer.url("/bytes/1000"), "--cacert", ca, "-o", file.string()});
  EXPECT_EQ(saved.exit_code, 0) << saved.err;
  EXPECT_EQ(std::filesystem::file_size(file), 1000U);
}

// -o streams the body to the file as it arrives (byte-exact over h2 and h1); a path
// that cannot be written is a usage error before any request goes out.
TEST(FetchCli, OutputFileStreamsTheBodyAndAnUnwritablePathIsAUsageError) {
  FAULTLINE_REQUIRE_PROGRAM("node");
  NodePeer peer("h2");
  const auto ca = testing_support::TlsFiles::shared().cert.string();
  const auto file = testing_support::TlsFiles::shared().dir / "fetch-stream.bin";
  constexpr std::size_t kSize = 8u << 20;
  for (const bool h1 : {false, true}) {
    std::vector<std::string> args = {peer.url("/bytes/" + std::to_string(kSize)), "--cacert", ca,
                                     "-o", file.string()};
    if (h1)
      args.push_back("--http1");
    const auto saved = run_fetch(args);
    EXPECT_EQ(saved.exit_code, 0) << saved.err;
    // peer.js's /bytes/N pattern: byte i is (i * 31 + 7) mod 256.
    std::ifstream in(file, std::ios::binary);
    const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(got.size(), kSize) << (h1 ? "http/1.1" : "h2");
    std::size_t first_wrong = kSize;
    for (std::size_t i = 0; i < kSize && first_wrong == kSize; ++i) {
      if (static_cast<unsigned char>(got[i]) != ((i * 31 + 7) & 255))
        first_wrong = i;
    }
    EXPECT_EQ(first_wrong, kSize) << "first wrong byte at " << first_wrong;
  }
  const auto bad = run_fetch({peer.url("/hello"), "--cacert", ca, "-o", "/nonexistent/dir/out"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("cannot write /nonexistent/dir/out"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("ok="), std::string::npos) << "a request was sent: " << bad.err;
}

TEST(FetchCli, FailuresExitOne) {
  const auto port = testing_support::pick_free_port();
  const auto down =
      run_fetch({"https://127.0.0.1:" + std::to_string(port) + "/", "--timeout", "2000"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("connect_failed"), std::string::npos) << down.err;
  EXPECT_NE(down.err.find("ok=0 failed=1"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace faultline::transport
