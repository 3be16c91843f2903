// Protocol selection over real TLS: origins that negotiate http/1.1, refuse an h2 offer,
// or negotiate nothing; forced HTTP/1.1; TLS and connect failures. Check IDs in names.
#include <gtest/gtest.h>

#include "faultline/transport/client.h"
#include "support/peers.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing_support::fetch;
using testing_support::NodePeer;

class TransportAlpn : public ::testing::Test {
 protected:
  void SetUp() override { FAULTLINE_REQUIRE_PROGRAM("node"); }
  /** `n` sequential GETs, all expected to succeed over HTTP/1.1. */
  static void expect_http11(Client& client, const NodePeer& peer, int n) {
    for (int i = 0; i < n; ++i) {
      const auto result = fetch(client, peer.url("/hello"));
      ASSERT_TRUE(result.ok()) << i << ": " << result.error.message() << " " << result.detail;
      ASSERT_EQ(result.response.protocol, Protocol::http11);
      ASSERT_EQ(result.response.body, "hello");
    }
  }
};

// ALPN-H1-ONLY: succeeds over HTTP/1.1, with one h2 attempt across 100 requests.
TEST_F(TransportAlpn, ALPN_H1_ONLY_OneH2AttemptThenRemembered) {
  NodePeer peer("h1");
  Client client(testing_support::trusting_options());
  expect_http11(client, peer, 100);
  const auto stats = client.stats();
  const auto& origin = stats.origins.at(peer.origin());
  EXPECT_EQ(origin.h2_attempts, 1U);
  EXPECT_EQ(origin.fallbacks, 1U);
  EXPECT_TRUE(origin.served_over_http11);
  EXPECT_EQ(stats.closed_by_reason.at(CloseReason::alpn_http11), 1U);
  // Sequential requests reuse one HTTP/1.1 connection (plus the one h2 probe).
  EXPECT_LE(peer.stats()["connections_served"].get<int>(), 1);
}

// A cold burst against an HTTP/1.1-only origin probes h2 once, not once per session.
TEST_F(TransportAlpn, ALPN_H1_ONLY_ColdBurstProbesOnce) {
  NodePeer peer("h1");
  Client client(testing_support::trusting_options());
  for (const Result& r : testing_support::fetch_all(client, peer.url("/delay/10"), 50)) {
    EXPECT_TRUE(r.ok()) << r.error.message() << " " << r.detail;
  }
  EXPECT_EQ(client.stats().origins.at(peer.origin()).h2_attempts, 1U);
  EXPECT_LE(peer.stats()["connections_served"].get<int>(), 4)
      << "HTTP/1.1 connections stay within the pool";
}

// ALPN-H1-STRICT: the server answers an h2 offer with no_application_protocol.
TEST_F(TransportAlpn, ALPN_H1_STRICT_RefusedOfferFallsBackAndIsRemembered) {
  NodePeer peer("refuse-h2");
  Client client(testing_support::trusting_options());
  expect_http11(client, peer, 20);
  const auto stats = client.stats();
  EXPECT_EQ(stats.origins.at(peer.origin()).h2_attempts, 1U);
  EXPECT_EQ(stats.closed_by_reason.at(CloseReason::alpn_refused), 1U);
}

// ALPN-NONE: no ALPN at all means HTTP/1.1.
TEST_F(TransportAlpn, ALPN_NONE_ServedOverHttp11) {
  NodePeer peer("none");
  Client client(testing_support::trusting_options());
  expect_http11(client, peer, 5);
  EXPECT_EQ(client.stats().origins.at(peer.origin()).h2_attempts, 1U);
}

TEST_F(TransportAlpn, NegativeCacheExpiresAfterItsTtl) {
  NodePeer peer("h1");
  Options options = testing_support::trusting_options();
  options.h1_cache_ttl = 1ms;
  Client client(options);
  expect_http11(client, peer, 1);
  ASSERT_TRUE(testing_support::eventually(
      [&] {
        expect_http11(client, peer, 1);
        return client.stats().origins.at(peer.origin()).h2_attempts >= 2;
      },
      10s, "h2 offered again once the TTL passed"));
}

// The "h1" driver: the same client forced to HTTP/1.1 never offers h2.
TEST_F(TransportAlpn, ForceHttp1NeverOffersH2) {
  NodePeer peer("h2");
  Options options = testing_support::trusting_options();
  options.force_http1 = true;
  Client client(options);
  expect_http11(client, peer, 10);
  EXPECT_EQ(peer.stats()["h2_sessions"], 0);
  EXPECT_EQ(client.stats().h2_sessions_opened, 0U);
}

TEST_F(TransportAlpn, UntrustedCertificateIsTlsFailedOnBothProtocols) {
  NodePeer peer("h2");
  for (bool h1 : {false, true}) {
    Options options;  // the system store does not trust the test certificate
    options.force_http1 = h1;
    Client client(options);
    const auto result = fetch(client, peer.url("/hello"));
    EXPECT_EQ(result.error, errc::tls_failed) << (h1 ? "h1: " : "h2: ") << result.detail;
  }
}

TEST_F(TransportAlpn, WrongHostNameIsTlsFailed) {
  NodePeer peer("h2");
  Client client(testing_support::trusting_options());
  // The certificate names localhost and 127.0.0.1, not 127.0.0.2.
  const auto result = fetch(client, "https://127.0.0.2:" + std::to_string(peer.port()) + "/hello");
  EXPECT_TRUE(result.error == errc::tls_failed || result.error == errc::connect_failed)
      << result.detail;
}

TEST_F(TransportAlpn, ClosedPortIsConnectFailedOnBothProtocols) {
  const int port = testing_support::pick_free_port();
  for (bool h1 : {false, true}) {
    Options options = testing_support::trusting_options();
    options.force_http1 = h1;
    Client client(options);
    const auto result = fetch(client, "https://127.0.0.1:" + std::to_string(port) + "/");
    EXPECT_EQ(result.error, errc::connect_failed) << (h1 ? "h1: " : "h2: ") << result.detail;
  }
}

TEST_F(TransportAlpn, LocalhostNameResolvesAndVerifies) {
  NodePeer peer("h2");
  Client client(testing_support::trusting_options());
  const auto result = fetch(client, "https://localhost:" + std::to_string(peer.port()) + "/hello");
  ASSERT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
  EXPECT_EQ(result.response.protocol, Protocol::http2);
}

}  // namespace
}  // namespace faultline::transport
