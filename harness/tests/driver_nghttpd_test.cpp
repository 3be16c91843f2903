// The libcurl and Node/undici drivers end to end against nghttpd, an independent h2 peer:
// h2 over TLS with the peer's CA, streamed bodies, echo uploads, connection reuse,
// aborts, timeouts and typed network errors.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "faultline/harness/errc.h"
#include "faultline/harness/gtest.h"
#include "support/drivers.h"
#include "support/nghttpd_peer.h"

namespace faultline::harness::testing {
namespace {

using namespace std::chrono_literals;

/** A loopback TCP port that is bound but not listening: connecting is refused. */
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot bind a loopback port");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  [[nodiscard]] int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

class DriverOnNghttpd : public ::testing::TestWithParam<DriverKind> {
 protected:
  static void SetUpTestSuite() { peer_ = new NghttpdPeer(); }
  static void TearDownTestSuite() {
    delete peer_;
    peer_ = nullptr;
  }

  void SetUp() override { driver_ = GetParam().make(peer_->ca()); }

  Request get(const std::string& path) {
    Request r;
    r.url = peer_->url(path);
    return r;
  }

  static NghttpdPeer* peer_;
  std::unique_ptr<Driver> driver_;
};

NghttpdPeer* DriverOnNghttpd::peer_ = nullptr;

TEST_P(DriverOnNghttpd, GetsAFileOverH2) {
  // One GET: the final response, its protocol and its body.
  auto ex = driver_->send(get("/hello.txt"));
  auto done = ex->wait_done(20s);
  ASSERT_TRUE(to_assertion(done)) << driver_->diagnostics();
  EXPECT_EQ(done.response.status, 200);
  EXPECT_EQ(done.response.protocol, "h2");
  EXPECT_EQ(done.response.body, NghttpdPeer::hello_body());
  EXPECT_EQ(find_header(done.response.headers, "content-length"),
            std::to_string(NghttpdPeer::hello_body().size()));
  EXPECT_TRUE(driver_->hello().h2);
}

TEST_P(DriverOnNghttpd, MissingFileIsAResponseNotAnError) {
  auto done = driver_->send(get("/missing"))->wait_done(20s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(done.response.status, 404);
}

TEST_P(DriverOnNghttpd, StreamsAMegabyteInManyDataEvents) {
  auto done = driver_->send(get("/1m.bin"))->wait_done(30s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(done.response.body.size(), NghttpdPeer::megabyte_body().size());
  EXPECT_TRUE(done.response.body == NghttpdPeer::megabyte_body());
  EXPECT_GT(done.response.data_events, 1u);
}

TEST_P(DriverOnNghttpd, EchoesABinaryUpload) {
  Request r = get("/hello.txt");
  r.method = "POST";
  r.headers = {{"content-type", "application/octet-stream"}};
  r.body = NghttpdPeer::megabyte_body().substr(0, 256 * 1024);
  auto done = driver_->send(r)->wait_done(30s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(done.response.status, 200);
  EXPECT_TRUE(done.response.body == *r.body) << done.response.body.size() << " bytes back";
}

TEST_P(DriverOnNghttpd, ConcurrentRequestsStayWithinThePoolLimit) {
  // 64 requests at once; the driver's own stats count the connections it opened. A client
  // that storms a cold pool gets one request first (the storm is POOL-COLD-BURST's to judge).
  int warm = 0;
  if (!GetParam().bounded_cold_burst) {
    ASSERT_TRUE(to_assertion(driver_->send(get("/hello.txt"))->wait_done(30s)));
    warm = 1;
  }
  std::vector<std::shared_ptr<Exchange>> exchanges;
  for (int i = 0; i < 64; ++i) {
    exchanges.push_back(driver_->send(get("/hello.txt")));
  }
  for (auto& ex : exchanges) {
    ASSERT_TRUE(to_assertion(ex->wait_done(30s)));
  }
  auto stats = driver_->stats(10s);
  ASSERT_TRUE(to_assertion(stats));
  EXPECT_GE(stats.stats["connections_opened"].get<int>(), 1) << stats.stats.dump();
  EXPECT_LE(stats.stats["connections_opened"].get<int>(), driver_->hello().max_sessions)
      << stats.stats.dump();
  EXPECT_EQ(stats.stats["requests_completed"], 64 + warm) << stats.stats.dump();
}

TEST_P(DriverOnNghttpd, AbortInFlightEndsAsAborted) {
  // A 4 GiB body cannot end before the abort that follows its first bytes.
  auto ex = driver_->send(get("/huge.bin"));
  ASSERT_TRUE(to_assertion(ex->wait_body(1, 20s)));
  driver_->abort(ex->id());
  ASSERT_TRUE(to_assertion(ex->wait_error(ErrorKind::aborted, 20s)));
  // The driver keeps working afterwards.
  EXPECT_TRUE(to_assertion(driver_->send(get("/hello.txt"))->wait_done(20s)));
}

TEST_P(DriverOnNghttpd, TimeoutEndsAsTimeout) {
  Request r = get("/huge.bin");
  r.timeout_ms = 300;
  auto ex = driver_->send(r);
  EXPECT_TRUE(to_assertion(ex->wait_error(ErrorKind::timeout, 20s)));
}

TEST_P(DriverOnNghttpd, RefusedConnectionIsANetworkError) {
  RefusingPort refusing;
  Request r;
  r.url = "https://127.0.0.1:" + std::to_string(refusing.port()) + "/";
  auto ex = driver_->send(r);
  EXPECT_TRUE(to_assertion(ex->wait_error(ErrorKind::network, 20s)));
}

TEST_P(DriverOnNghttpd, UntrustedCertificateIsANetworkError) {
  auto untrusting = GetParam().make({});
  auto ex = untrusting->send(get("/hello.txt"));
  auto r = ex->wait_error(ErrorKind::network, 20s);
  EXPECT_TRUE(to_assertion(r));
}

TEST(NodeDriver, BadArgumentIsAClearStartError) {
  auto options = node_driver_options({});
  options.args.push_back("--bogus");
  try {
    ExternalDriver driver(options);
    FAIL() << "started";
  } catch (const HarnessError& e) {
    EXPECT_EQ(e.code(), errc::driver_exited);
    EXPECT_NE(std::string(e.what()).find("unknown argument '--bogus'"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("exited with status 2"), std::string::npos) << e.what();
  }
}

TEST(NodeDriver, HelloReportsThePoolFromItsArguments) {
  NodeDriverConfig config;
  config.connections = 2;
  config.pipelining = 10;
  ExternalDriver driver(node_driver_options(config));
  EXPECT_EQ(driver.hello().name, "undici");
  EXPECT_EQ(driver.hello().version.rfind("7.", 0), 0u) << driver.hello().version;
  EXPECT_EQ(driver.hello().max_sessions, 2);
  EXPECT_EQ(driver.hello().max_streams, 10);
  EXPECT_TRUE(driver.hello().h2);
  // The API layer and the capabilities it declares (docs/driver-protocol.md).
  EXPECT_EQ(driver.hello().api, "request");
  EXPECT_EQ(driver.hello().capabilities.idle_timeout_ms, 0);  // no idle timer for h2 sessions
  EXPECT_EQ(driver.hello().capabilities.retries_421, false);
  EXPECT_TRUE(driver.shutdown());
  config.api = NodeDriverConfig::Api::fetch;
  config.allow_h2 = false;
  ExternalDriver fetch(node_driver_options(config));
  EXPECT_EQ(fetch.hello().api, "fetch");
  EXPECT_FALSE(fetch.hello().h2);
  EXPECT_EQ(fetch.hello().capabilities.idle_timeout_ms, 4000);  // undici's keepAliveTimeout
  EXPECT_EQ(fetch.hello().capabilities.retries_421, true);
  EXPECT_TRUE(fetch.shutdown());
}

TEST(NodeDriver, StatsAnswerOnAnEmptyPool) {
  // stats must never crash the driver, whatever the undici version offers.
  ExternalDriver driver(node_driver_options({}));
  auto s = driver.stats(10s);
  ASSERT_TRUE(s.ok) << s.description;
  EXPECT_TRUE(s.stats.contains("pools")) << s.stats.dump();
  EXPECT_TRUE(s.stats.contains("requests_started")) << s.stats.dump();
  EXPECT_TRUE(driver.shutdown());
}

INSTANTIATE_TEST_SUITE_P(Drivers, DriverOnNghttpd, ::testing::ValuesIn(driver_kinds()),
                         driver_kind_name);

}  // namespace
}  // namespace faultline::harness::testing
