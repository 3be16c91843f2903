// Against an independent h2 server (nghttpd, Debian nghttp2-server): files from a
// docroot, uploads, and its SETTINGS_MAX_CONCURRENT_STREAMS.
#include <gtest/gtest.h>

#include <fstream>

#include "faultline/transport/client.h"
#include "support/peers.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing_support::await;
using testing_support::fetch;
using testing_support::fetch_all;
using testing_support::Nghttpd;

class NghttpdPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    FAULTLINE_REQUIRE_PROGRAM("nghttpd");
    docroot_ = testing_support::TlsFiles::shared().dir / "docroot";
    std::filesystem::create_directories(docroot_);
    std::ofstream(docroot_ / "hello.txt") << "hello from nghttpd\n";
    big_.resize(3 << 20);
    for (std::size_t i = 0; i < big_.size(); ++i) {
      big_[i] = static_cast<char>((i * 131) >> 3);
    }
    std::ofstream(docroot_ / "big.bin", std::ios::binary) << big_;
    std::ofstream(docroot_ / "medium.bin", std::ios::binary) << big_.substr(0, 64 * 1024);
  }
  std::filesystem::path docroot_;
  std::string big_;
};

TEST_F(NghttpdPeer, ServesFilesOverH2) {
  Nghttpd server(docroot_);
  Client client(testing_support::trusting_options());
  const auto small = fetch(client, server.url("/hello.txt"));
  ASSERT_TRUE(small.ok()) << small.error.message() << " " << small.detail;
  EXPECT_EQ(small.response.body, "hello from nghttpd\n");
  EXPECT_EQ(small.response.protocol, Protocol::http2);
  const auto big = fetch(client, server.url("/big.bin"));
  ASSERT_TRUE(big.ok());
  EXPECT_TRUE(big.response.body == big_);
  const auto missing = fetch(client, server.url("/missing"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing.response.status, 404);
  EXPECT_EQ(client.stats().h2_sessions_opened, 1U);
}

TEST_F(NghttpdPeer, EchoesUploads) {
  Nghttpd server(docroot_, 100, /*echo_upload=*/true);
  Client client(testing_support::trusting_options());
  Request request;
  request.method = "POST";
  request.url = server.url("/upload");
  request.body = Body::bytes(big_);
  request.timeout = 20s;
  auto future = client.send(request);
  Result result;
  ASSERT_TRUE(await(future, result));
  ASSERT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
  EXPECT_TRUE(result.response.body == big_);
}

// POOL-SERVER-LIMIT against an independent server: -m 5.
TEST_F(NghttpdPeer, HonoursItsMaxConcurrentStreams) {
  Nghttpd server(docroot_, 5);
  Options options = testing_support::trusting_options();
  options.max_sessions_per_origin = 1;
  Client client(options);
  for (const Result& r : fetch_all(client, server.url("/medium.bin"), 200, 30s)) {
    ASSERT_TRUE(r.ok()) << r.error.message() << " " << r.detail;
    EXPECT_EQ(r.response.retries, 0U);
  }
  const auto stats = client.stats();
  EXPECT_EQ(stats.peak_streams_per_session, 5U);
  EXPECT_EQ(stats.h2_sessions_opened, 1U);
}

}  // namespace
}  // namespace faultline::transport
