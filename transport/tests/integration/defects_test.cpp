// The test-only defects against a real peer: each one must make the observable
// behaviour its conformance check looks at go wrong (and the same test without the
// defect, in h2_pool_test/alpn_test, passes).
#include "faultline/transport/testing/defects.h"

#include <gtest/gtest.h>

#include <bit>
#include <set>

#include "support/peers.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing::Defects;
using testing_support::await;
using testing_support::eventually;
using testing_support::fetch;
using testing_support::fetch_all;
using testing_support::NodePeer;

class DefectsOnTheWire : public ::testing::Test {
 protected:
  void SetUp() override { FAULTLINE_REQUIRE_PROGRAM("node"); }
  static Options pool(std::size_t sessions, std::uint32_t streams) {
    return testing_support::trusting_options(sessions, streams);
  }
};

TEST(TransportDefectFlags, EveryFlagHasAStableUniqueName) {
  std::set<std::string> names;
  std::uint64_t seen = 0;
  for (auto flag : testing::kAllDefects) {
    ASSERT_NE(testing::to_string(flag), nullptr);
    EXPECT_TRUE(names.insert(testing::to_string(flag)).second);
    EXPECT_EQ(std::popcount(static_cast<std::uint64_t>(flag)), 1) << testing::to_string(flag);
    EXPECT_EQ(seen & flag, 0U) << "flags overlap: " << testing::to_string(flag);
    seen |= flag;
  }
  EXPECT_TRUE(Defects{}.set(Defects::h2_no_redirects).has(Defects::h2_no_redirects));
  EXPECT_FALSE(Defects{}.has(Defects::h2_no_redirects));
}

TEST_F(DefectsOnTheWire, IgnoreAbortWhenQueuedHoldsTheAbortUntilASlotFrees) {
  NodePeer peer("h2");
  Client client =
      testing::make_client(pool(1, 1), Defects{}.set(Defects::ignore_abort_when_queued));
  Request held;
  held.url = peer.url("/hold/g");
  auto a = client.send(held);
  ASSERT_TRUE(
      eventually([&] { return peer.control("/admin/held?gate=g")["held"] == 1; }, 10s, "held"));
  AbortController controller;
  Request queued;
  queued.url = peer.url("/hello");
  queued.abort = controller.signal();
  auto q = client.send(queued);
  ASSERT_TRUE(eventually([&] { return client.stats().queue_depth == 1; }, 10s, "queued"));
  controller.abort();
  EXPECT_EQ(q.wait_for(300ms), std::future_status::timeout) << "defect: abort ignored while queued";
  peer.control("/release/g");
  Result r;
  ASSERT_TRUE(await(q, r));
  EXPECT_EQ(r.error, errc::aborted);
  Result ra;
  ASSERT_TRUE(await(a, ra));
}

TEST_F(DefectsOnTheWire, H2NoRedirectsBreaksParity) {
  NodePeer peer("h2");
  Client broken = testing::make_client(pool(1, 10), Defects{}.set(Defects::h2_no_redirects));
  const auto r = fetch(broken, peer.url("/redirect/302?to=/hello"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.status, 302) << "defect: h2 returns the redirect";
  Options h1 = pool(1, 10);
  h1.force_http1 = true;
  Client h1_client = testing::make_client(h1, Defects{}.set(Defects::h2_no_redirects));
  EXPECT_EQ(fetch(h1_client, peer.url("/redirect/302?to=/hello")).response.status, 200)
      << "h1 still follows";
}

TEST_F(DefectsOnTheWire, NoH1NegativeCacheProbesEveryTime) {
  NodePeer peer("h1");
  Client client = testing::make_client(pool(4, 10), Defects{}.set(Defects::no_h1_negative_cache));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(fetch(client, peer.url("/hello")).ok());
  }
  EXPECT_EQ(client.stats().origins.at(peer.origin()).h2_attempts, 5U);
}

TEST_F(DefectsOnTheWire, IgnoreServerStreamLimitExceedsItOnTheWire) {
  NodePeer peer("h2", 10);
  Client client = testing::make_client(
      pool(1, 100),
      Defects{}.set(Defects::ignore_server_stream_limit).set(Defects::surface_refused_stream));
  int refused = 0;
  for (const Result& r : fetch_all(client, peer.url("/delay/50"), 60)) {
    ASSERT_NE(r.detail, "test wait expired");
    refused += r.error == errc::stream_reset ? 1 : 0;
  }
  EXPECT_GT(refused, 0) << "defect: streams beyond the server's 10 are refused and surface";
  EXPECT_GT(client.stats().peak_streams_per_session, 10U);
}

TEST_F(DefectsOnTheWire, CountOnlyReadySessionsStormsOnAColdBurst) {
  NodePeer peer("h2");
  Client client =
      testing::make_client(pool(4, 100), Defects{}.set(Defects::count_only_ready_sessions));
  for (const Result& r : fetch_all(client, peer.url("/hello"), 40)) {
    ASSERT_NE(r.detail, "test wait expired");
  }
  EXPECT_GT(client.stats().h2_sessions_opened, 4U) << "defect: more sessions than the pool limit";
}

}  // namespace
}  // namespace faultline::transport
