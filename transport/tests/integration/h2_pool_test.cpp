// The pool over real TLS + h2 against tests/peers/peer.js: connection reuse within the
// limits, the server's stream limit, abort and deadline while queued, in-flight abort,
// GOAWAY, REFUSED_STREAM, session loss, idle reaping. Check IDs in the names.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "faultline/transport/client.h"
#include "support/peers.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing_support::await;
using testing_support::eventually;
using testing_support::fetch;
using testing_support::NodePeer;

class H2Pool : public ::testing::Test {
 protected:
  void SetUp() override { FAULTLINE_REQUIRE_PROGRAM("node"); }

  static Options pool(std::size_t sessions, std::uint32_t streams) {
    return testing_support::trusting_options(sessions, streams);
  }
  /** Sends a tagged GET; the future completes with the result. */
  static std::future<Result> send(Client& client, const std::string& url,
                                  const std::string& id = {},
                                  std::chrono::milliseconds timeout = 20s,
                                  AbortSignal signal = {}) {
    Request request;
    request.url = url;
    request.timeout = timeout;
    request.abort = std::move(signal);
    if (!id.empty()) {
      request.headers.emplace_back("x-faultline-request-id", id);
    }
    return client.send(std::move(request));
  }
  /** Waits until the peer holds `n` requests at gate `gate`. */
  static ::testing::AssertionResult held(const NodePeer& peer, int n,
                                         const std::string& gate = "g") {
    return eventually(
        [&] { return peer.control("/admin/held?gate=" + gate)["held"].get<int>() >= n; }, 10s,
        "peer holds " + std::to_string(n) + " requests at gate " + gate);
  }
  static std::vector<Result> await_all(std::vector<std::future<Result>>& futures) {
    std::vector<Result> results(futures.size());
    for (std::size_t i = 0; i < futures.size(); ++i) {
      EXPECT_TRUE(await(futures[i], results[i])) << "request " << i;
    }
    return results;
  }
};

TEST_F(H2Pool, SequentialRequestsReuseOneSession) {
  NodePeer peer("h2");
  Client client(pool(4, 100));
  for (int i = 0; i < 20; ++i) {
    const auto result = fetch(client, peer.url("/hello"));
    ASSERT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
    EXPECT_EQ(result.response.body, "hello");
    EXPECT_EQ(result.response.protocol, Protocol::http2);
  }
  EXPECT_EQ(peer.stats()["connections_served"], 1);
  EXPECT_EQ(client.stats().h2_sessions_opened, 1U);
}

// POOL-REUSE + POOL-COLD-BURST: 1000 concurrent GETs on a cold pool of 4 x 100: at most
// 4 connections, at most 100 streams each, every request served exactly once.
TEST_F(H2Pool, POOL_REUSE_ColdBurstStaysWithinPoolLimits) {
  NodePeer peer("h2");
  Client client(pool(4, 100));
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 1000; ++i) {
    futures.push_back(send(client, peer.url("/delay/20"), "r" + std::to_string(i)));
  }
  for (const auto& result : await_all(futures)) {
    ASSERT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
  }
  const auto stats = peer.stats();
  EXPECT_LE(stats["connections_served"].get<int>(), 4);
  EXPECT_LE(stats["peak_streams"].get<int>(), 100);
  ASSERT_EQ(stats["requests"].size(), 1000U);
  for (const auto& [id, served] : stats["requests"].items()) {
    EXPECT_EQ(served.get<int>(), 1) << id;
  }
  const auto ours = client.stats();
  EXPECT_LE(ours.h2_sessions_opened, 4U);
  EXPECT_LE(ours.peak_streams_per_session, 100U);
  EXPECT_EQ(ours.requests_succeeded, 1000U);
}

// POOL-SERVER-LIMIT: SETTINGS_MAX_CONCURRENT_STREAMS=10 is honoured; nothing is refused.
TEST_F(H2Pool, POOL_SERVER_LIMIT_NeverExceedsServerStreams) {
  NodePeer peer("h2", 10);
  Client client(pool(2, 100));
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 200; ++i) {
    futures.push_back(send(client, peer.url("/delay/10")));
  }
  for (const auto& result : await_all(futures)) {
    ASSERT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
    EXPECT_EQ(result.response.retries, 0U);
  }
  EXPECT_LE(peer.stats()["peak_streams"].get<int>(), 10);
  EXPECT_LE(client.stats().peak_streams_per_session, 10U);
}

// POOL-LIMIT-LOWERED: the limit drops 100 -> 5 while streams are open: they finish, and
// the pool's own accounting never opens more than 5 afterwards.
TEST_F(H2Pool, POOL_LIMIT_LOWERED_NewStreamsRespectTheNewLimit) {
  NodePeer peer("h2", 100);
  Client client(pool(1, 100));
  std::vector<std::future<Result>> held_requests;
  for (int i = 0; i < 20; ++i) {
    held_requests.push_back(send(client, peer.url("/hold/g")));
  }
  ASSERT_TRUE(held(peer, 20));
  // Answers once the client acknowledged the SETTINGS.
  peer.control("/admin/settings?max=5");
  peer.control("/release/g");
  for (const auto& result : await_all(held_requests)) {
    EXPECT_TRUE(result.ok()) << result.error.message();
  }
  std::vector<std::future<Result>> wave;
  for (int i = 0; i < 30; ++i) {
    wave.push_back(send(client, peer.url("/hold/w")));
  }
  ASSERT_TRUE(held(peer, 5, "w"));
  // Five are open; the other 25 wait in our queue, not on the wire.
  EXPECT_EQ(peer.control("/admin/held?gate=w")["held"].get<int>(), 5);
  for (int released = 0; released < 30;) {
    released += peer.control("/release/w")["released"].get<int>();
    if (released < 30) {
      ASSERT_TRUE(
          eventually([&] { return peer.control("/admin/held?gate=w")["held"].get<int>() > 0; }, 10s,
                     "next batch held"));
      EXPECT_LE(peer.control("/admin/held?gate=w")["held"].get<int>(), 5);
    }
  }
  for (const auto& result : await_all(wave)) {
    EXPECT_TRUE(result.ok()) << result.error.message();
  }
}

// ABORT-QUEUED: with the pool saturated by held streams, aborting a queued request
// rejects it as aborted promptly, and the server never sees it.
TEST_F(H2Pool, ABORT_QUEUED_RejectsPromptlyAndNeverReachesTheServer) {
  NodePeer peer("h2");
  Client client(pool(1, 2));
  auto a = send(client, peer.url("/hold/g"), "held-a");
  auto b = send(client, peer.url("/hold/g"), "held-b");
  ASSERT_TRUE(held(peer, 2));
  AbortController controller;
  auto queued = send(client, peer.url("/hello"), "queued", 20s, controller.signal());
  ASSERT_EQ(queued.wait_for(100ms), std::future_status::timeout) << "must wait: the pool is full";
  controller.abort();
  Result result;
  ASSERT_TRUE(await(queued, result, 5s));
  EXPECT_EQ(result.error, errc::aborted);
  peer.control("/release/g");
  Result ra, rb;
  ASSERT_TRUE(await(a, ra));
  ASSERT_TRUE(await(b, rb));
  EXPECT_TRUE(ra.ok() && rb.ok());
  EXPECT_FALSE(peer.stats()["requests"].contains("queued"));
}

// ABORT-QUEUED-TIMEOUT: the deadline expires while queued: timeout, before any slot frees.
TEST_F(H2Pool, ABORT_QUEUED_TIMEOUT_RejectsWithTimeout) {
  NodePeer peer("h2");
  Client client(pool(1, 1));
  auto a = send(client, peer.url("/hold/g"));
  ASSERT_TRUE(held(peer, 1));
  auto queued = send(client, peer.url("/hello"), "queued", 200ms);
  Result result;
  ASSERT_TRUE(await(queued, result, 10s));
  EXPECT_EQ(result.error, errc::timeout);
  EXPECT_EQ(peer.control("/admin/held?gate=g")["held"].get<int>(), 1)
      << "still held: no slot freed";
  peer.control("/release/g");
  Result ra;
  ASSERT_TRUE(await(a, ra));
  EXPECT_FALSE(peer.stats()["requests"].contains("queued"));
}

// ABORT-INFLIGHT: RST_STREAM(CANCEL) reaches the server; the sibling is unaffected.
TEST_F(H2Pool, ABORT_INFLIGHT_ResetsTheStreamOnly) {
  NodePeer peer("h2");
  Client client(pool(1, 10));
  AbortController controller;
  auto victim = send(client, peer.url("/hold/g"), "victim", 20s, controller.signal());
  auto sibling = send(client, peer.url("/hold/g"), "sibling");
  ASSERT_TRUE(held(peer, 2));
  controller.abort();
  Result rv;
  ASSERT_TRUE(await(victim, rv, 5s));
  EXPECT_EQ(rv.error, errc::aborted);
  EXPECT_TRUE(eventually([&] { return peer.stats()["rst_received"].get<int>() == 1; }, 10s,
                         "RST_STREAM(CANCEL) seen"));
  peer.control("/release/g");
  Result rs;
  ASSERT_TRUE(await(sibling, rs));
  EXPECT_TRUE(rs.ok());
  EXPECT_EQ(peer.stats()["connections_served"], 1);
}

// ABORT-MANY: hundreds of queued requests abort at once; the pool still serves.
TEST_F(H2Pool, ABORT_MANY_AllRejectAndThePoolStillServes) {
  NodePeer peer("h2");
  Client client(pool(1, 2));
  auto a = send(client, peer.url("/hold/g"));
  auto b = send(client, peer.url("/hold/g"));
  ASSERT_TRUE(held(peer, 2));
  AbortController controller;
  std::vector<std::future<Result>> queued;
  for (int i = 0; i < 300; ++i) {
    queued.push_back(send(client, peer.url("/hello"), {}, 20s, controller.signal()));
  }
  controller.abort();
  for (const auto& result : await_all(queued)) {
    EXPECT_EQ(result.error, errc::aborted);
  }
  peer.control("/release/g");
  EXPECT_TRUE(fetch(client, peer.url("/hello")).ok());
  EXPECT_EQ(client.stats().queue_depth, 0U);
}

// DRAIN-GOAWAY-GRACEFUL: GOAWAY(2^31-1): open streams complete, new requests go to a new
// connection.
TEST_F(H2Pool, DRAIN_GOAWAY_GRACEFUL_NewRequestsUseANewSession) {
  NodePeer peer("h2");
  Client client(pool(1, 10));
  auto a = send(client, peer.url("/hold/g"));
  ASSERT_TRUE(held(peer, 1));
  peer.control("/admin/goaway");
  ASSERT_TRUE(
      eventually([&] { return client.stats().goaways_received == 1; }, 10s, "GOAWAY received"));
  // The drained session keeps its held stream; a new request opens a new session.
  const auto fresh = fetch(client, peer.url("/hello"));
  ASSERT_TRUE(fresh.ok()) << fresh.error.message() << " " << fresh.detail;
  peer.control("/release/g");
  Result ra;
  ASSERT_TRUE(await(a, ra));
  EXPECT_TRUE(ra.ok()) << ra.error.message() << " " << ra.detail;
  EXPECT_EQ(peer.stats()["h2_sessions"], 2);
  EXPECT_EQ(client.stats().h2_sessions_opened, 2U);
}

// DRAIN-GOAWAY-ABOVE-LAST: streams above last-stream-id are retried on a new connection,
// a buffered POST too.
TEST_F(H2Pool, DRAIN_GOAWAY_ABOVE_LAST_RetriesOnANewSession) {
  NodePeer peer("h2");
  Client client(pool(1, 10));
  auto first = send(client, peer.url("/hold/g"));
  ASSERT_TRUE(held(peer, 1));
  Request post;
  post.method = "POST";
  post.url = peer.url("/echo?hold=g");
  post.body = Body::bytes("buffered body");
  auto second = client.send(post);
  auto third = send(client, peer.url("/hello?hold=g"));
  ASSERT_TRUE(held(peer, 3));
  // GOAWAY with last-stream-id = the first stream: the other two were not processed.
  peer.control("/admin/goaway?last=oldest");
  ASSERT_TRUE(held(peer, 5)) << "the two retried requests arrive again";
  peer.control("/release/g");
  Result r1, r2, r3;
  ASSERT_TRUE(await(first, r1));
  ASSERT_TRUE(await(second, r2));
  ASSERT_TRUE(await(third, r3));
  EXPECT_TRUE(r1.ok()) << r1.error.message();
  EXPECT_EQ(r1.response.retries, 0U);
  ASSERT_TRUE(r2.ok()) << r2.error.message() << " " << r2.detail;
  EXPECT_EQ(r2.response.body, "buffered body");
  EXPECT_EQ(r2.response.retries, 1U);
  ASSERT_TRUE(r3.ok()) << r3.error.message();
  EXPECT_EQ(r3.response.retries, 1U);
  EXPECT_EQ(peer.stats()["h2_sessions"], 2);
}

// DRAIN-REFUSED-RETRY: REFUSED_STREAM is retried transparently; always-refused is
// bounded; other reset codes are not retried.
TEST_F(H2Pool, DRAIN_REFUSED_RETRY_TransparentBoundedAndSelective) {
  NodePeer peer("h2");
  Options options = pool(1, 10);
  options.max_retries = 2;
  Client client(options);
  const auto once = fetch(client, peer.url("/refuse-once/k"));
  ASSERT_TRUE(once.ok()) << once.error.message() << " " << once.detail;
  EXPECT_EQ(once.response.body, "accepted");
  EXPECT_EQ(once.response.retries, 1U);
  const auto always = fetch(client, peer.url("/refuse-always"));
  EXPECT_EQ(always.error, errc::retries_exhausted);
  const auto reset = fetch(client, peer.url("/reset"));
  EXPECT_EQ(reset.error, errc::stream_reset);
  EXPECT_EQ(reset.response.retries, 0U);
  EXPECT_EQ(client.stats().retries, 3U);
}

// DRAIN-SESSION-LOSS: every connection reset with requests queued and in flight: the
// queued ones are served by a replacement session; an in-flight GET (no byte of its
// response yet) is sent once more there (RFC 9110 section 9.2.2), an in-flight POST may
// have been processed and fails typed.
TEST_F(H2Pool, DRAIN_SESSION_LOSS_QueuedServedInFlightRetriedOrFailTyped) {
  NodePeer peer("h2");
  Client client(pool(1, 2));
  auto a = send(client, peer.url("/hold/g"));
  Request post;
  post.method = "POST";
  post.url = peer.url("/hold/g");
  post.body = Body::bytes("not idempotent");
  post.timeout = 20s;
  auto b = client.send(std::move(post));
  ASSERT_TRUE(held(peer, 2));
  std::vector<std::future<Result>> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(send(client, peer.url("/hello")));
  }
  peer.control("/admin/kill");
  Result rb;
  ASSERT_TRUE(await(b, rb));
  EXPECT_EQ(rb.error, errc::session_lost);
  EXPECT_EQ(rb.response.retries, 0U);
  // The GET reaches the gate again on the replacement session.
  ASSERT_TRUE(eventually(
      [&] {
        peer.control("/release/g");
        return a.wait_for(100ms) == std::future_status::ready;
      },
      10s, "the GET sent again and released"));
  const Result ra = a.get();
  EXPECT_TRUE(ra.ok()) << ra.error.message() << " " << ra.detail;
  EXPECT_EQ(ra.response.retries, 1U);
  for (const auto& result : await_all(queued)) {
    EXPECT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
  }
  EXPECT_EQ(client.stats().closed_by_reason.at(CloseReason::peer_closed), 1U);
}

// POOL-IDLE-REAP: an idle session is closed after the idle timeout; the next request
// opens a new one.
TEST_F(H2Pool, POOL_IDLE_REAP_ClosesIdleSessions) {
  NodePeer peer("h2");
  Options options = pool(1, 10);
  options.idle_timeout = 200ms;
  Client client(options);
  ASSERT_TRUE(fetch(client, peer.url("/hello")).ok());
  ASSERT_TRUE(eventually(
      [&] {
        const auto s = client.stats();
        return s.closed_by_reason.count(CloseReason::idle) == 1 && s.sessions_open == 0;
      },
      10s, "session reaped"));
  ASSERT_TRUE(fetch(client, peer.url("/hello")).ok());
  EXPECT_EQ(client.stats().h2_sessions_opened, 2U);
  EXPECT_EQ(peer.stats()["h2_sessions"], 2);
}

// Keep-alive PINGs keep flowing on an idle session without closing it.
TEST_F(H2Pool, PingKeepAliveKeepsTheSession) {
  NodePeer peer("h2");
  Options options = pool(1, 10);
  options.ping_interval = 50ms;
  Client client(options);
  ASSERT_TRUE(fetch(client, peer.url("/hello")).ok());
  auto wait = send(client, peer.url("/delay/400"));
  Result r;
  ASSERT_TRUE(await(wait, r));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(client.stats().closed_by_reason.count(CloseReason::ping_timeout), 0U);
  EXPECT_EQ(peer.stats()["h2_sessions"], 1);
}

// No request outlives its deadline, in flight included.
TEST_F(H2Pool, DeadlineInFlight) {
  NodePeer peer("h2");
  Client client(pool(1, 10));
  auto slow = send(client, peer.url("/delay/5000"), {}, 150ms);
  Result r;
  ASSERT_TRUE(await(slow, r, 5s));
  EXPECT_EQ(r.error, errc::timeout);
}

TEST_F(H2Pool, DestroyingTheClientCompletesPendingRequests) {
  NodePeer peer("h2");
  std::future<Result> pending;
  {
    Client client(pool(1, 10));
    pending = send(client, peer.url("/hold/g"));
    ASSERT_TRUE(held(peer, 1));
  }
  Result r;
  ASSERT_TRUE(await(pending, r, 1s));
  EXPECT_EQ(r.error, errc::client_closed);
}

}  // namespace
}  // namespace faultline::transport
