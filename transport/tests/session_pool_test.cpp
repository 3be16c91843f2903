// The per-origin pool driven through the engine with fake sessions and a manual clock:
// session counting, stream limits, queueing, abort/deadline while queued, draining,
// retries, replacement sessions, idle reaping, and the test-only defects.
#include "detail/session_pool.h"

#include <gtest/gtest.h>

#include "support/engine_fixture.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing::Defects;
using testing_support::EngineFixture;

class SessionPoolTest : public EngineFixture {
 protected:
  Options small_pool(std::size_t sessions, std::uint32_t streams) {
    Options options;
    options.max_sessions_per_origin = sessions;
    options.max_streams_per_session = streams;
    return options;
  }
  std::vector<std::uint64_t> burst(std::size_t n, const std::string& url = "https://a.test/x") {
    std::vector<std::uint64_t> ids;
    for (std::size_t i = 0; i < n; ++i) {
      ids.push_back(get(url));
    }
    return ids;
  }
};

// A cold burst opens one probe session, then (once h2 is known) up to the limit, and
// never more: sessions count while still connecting.
TEST_F(SessionPoolTest, ColdBurstOpensProbeThenUpToLimitNeverMore) {
  make_engine(small_pool(4, 100));
  burst(1000);
  // Only the probe before the origin is known to speak h2.
  ASSERT_EQ(sessions_created(), 1U);
  EXPECT_TRUE(session(0).started);
  // The probe becomes ready: it takes 100 streams, three more sessions start.
  session(0).ready(100);
  EXPECT_EQ(session(0).open_streams(), 100U);
  ASSERT_EQ(sessions_created(), 4U);
  // More traffic while they connect does not open more.
  burst(500);
  EXPECT_EQ(sessions_created(), 4U);
  for (std::size_t i = 1; i < 4; ++i) {
    session(i).ready(100);
  }
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(session(i).open_streams(), 100U) << "session " << i;
  }
  EXPECT_EQ(stats().queue_depth, 1100U);
  EXPECT_EQ(stats().peak_streams_per_session, 100U);
  EXPECT_EQ(stats().h2_sessions_opened, 4U);
  EXPECT_EQ(stats().origins.at("https://a.test:443").h2_attempts, 4U);
}

// A small burst that fits in the sessions already connecting opens no extra session.
TEST_F(SessionPoolTest, BurstThatFitsOpensNoExtraSessions) {
  make_engine(small_pool(4, 100));
  get();
  session(0).ready(100);
  session(0).respond_first();
  burst(50);
  EXPECT_EQ(sessions_created(), 1U);
  EXPECT_EQ(session(0).open_streams(), 50U);
}

// streams per session = min(cap, SETTINGS_MAX_CONCURRENT_STREAMS), re-read on every SETTINGS.
TEST_F(SessionPoolTest, StreamsFollowServerLimitOnEverySettings) {
  make_engine(small_pool(1, 100));
  burst(50);
  session(0).ready(10);
  EXPECT_EQ(session(0).open_streams(), 10U);
  // Lowered to 5 while 10 are open: in-flight finish; no new stream until below 5.
  session(0).settings(5);
  for (int i = 0; i < 5; ++i) {
    session(0).respond_first();
  }
  EXPECT_EQ(session(0).open_streams(), 5U);
  session(0).respond_first();
  EXPECT_EQ(session(0).open_streams(), 5U) << "a freed slot refills up to the new limit only";
  // Raised to 30, above what is open: more streams start at once, capped by the client.
  session(0).settings(30);
  EXPECT_EQ(session(0).open_streams(), 30U);
  session(0).settings(1000);
  EXPECT_EQ(session(0).open_streams(), 50U - 6U);
  EXPECT_LE(stats().peak_streams_per_session, 100U);
}

TEST_F(SessionPoolTest, ClientCapBoundsStreamsWhenServerAllowsMore) {
  make_engine(small_pool(1, 8));
  burst(20);
  session(0).ready(1000);
  EXPECT_EQ(session(0).open_streams(), 8U);
}

// Limit 0: nothing is sent on that session; requests settle by their deadline.
TEST_F(SessionPoolTest, ServerLimitZeroWaitsAndTimesOutByDeadline) {
  make_engine(small_pool(2, 100));
  Request request;
  request.url = "https://a.test/x";
  request.timeout = 500ms;
  const auto id = send(request);
  session(0).ready(0);
  EXPECT_EQ(session(0).submitted, 0U);
  // The other allowed session is tried too; it is limited to 0 as well.
  ASSERT_EQ(sessions_created(), 2U);
  session(1).ready(0);
  EXPECT_FALSE(done(id));
  scheduler_.advance(499ms);
  EXPECT_FALSE(done(id));
  scheduler_.advance(1ms);
  ASSERT_TRUE(done(id));
  EXPECT_EQ(error_of(id), errc::timeout);
  EXPECT_EQ(session(0).submitted + session(1).submitted, 0U);
}

// ABORT-QUEUED: a queued request rejects as aborted at once; the server never sees it.
TEST_F(SessionPoolTest, AbortWhileQueuedLeavesQueueAtOnce) {
  make_engine(small_pool(1, 1));
  const auto first = get();
  session(0).ready(1);
  AbortController controller;
  Request request;
  request.url = "https://a.test/queued";
  request.abort = controller.signal();
  const auto queued = send(request);
  EXPECT_EQ(stats().queue_depth, 1U);
  controller.abort();
  scheduler_.run_posted();
  ASSERT_TRUE(done(queued));
  EXPECT_EQ(error_of(queued), errc::aborted);
  EXPECT_EQ(stats().queue_depth, 0U);
  // The slot frees: nothing else is sent.
  session(0).respond_first();
  EXPECT_TRUE(results_.at(first).ok());
  EXPECT_EQ(session(0).submitted, 1U);
}

// ABORT-QUEUED-TIMEOUT: the deadline expires while queued: timeout, exactly at the deadline.
TEST_F(SessionPoolTest, DeadlineWhileQueuedFailsWithTimeoutAtTheDeadline) {
  make_engine(small_pool(1, 1));
  get();
  session(0).ready(1);
  Request request;
  request.url = "https://a.test/queued";
  request.timeout = 200ms;
  const auto queued = send(request);
  scheduler_.advance(199ms);
  EXPECT_FALSE(done(queued));
  scheduler_.advance(1ms);
  ASSERT_TRUE(done(queued));
  EXPECT_EQ(error_of(queued), errc::timeout);
  EXPECT_EQ(stats().queue_depth, 0U);
}

// ABORT-MANY: hundreds of queued requests abort at once; the pool still serves.
TEST_F(SessionPoolTest, AbortManyQueuedThenPoolStillServes) {
  make_engine(small_pool(1, 2));
  burst(2);
  session(0).ready(2);
  AbortController controller;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 300; ++i) {
    Request request;
    request.url = "https://a.test/q";
    request.abort = controller.signal();
    ids.push_back(send(request));
  }
  controller.abort();
  scheduler_.run_posted();
  for (auto id : ids) {
    ASSERT_EQ(error_of(id), errc::aborted) << id;
  }
  const auto later = get();
  session(0).respond_first();
  session(0).respond_first();
  session(0).respond_first();
  EXPECT_TRUE(results_.at(later).ok());
}

// ABORT-INFLIGHT: the stream is reset (RST_STREAM CANCEL), siblings unaffected.
TEST_F(SessionPoolTest, AbortInFlightResetsOnlyThatStream) {
  make_engine(small_pool(1, 10));
  const auto a = get();
  const auto b = get();
  session(0).ready(10);
  engine_->abort(a);
  EXPECT_EQ(error_of(a), errc::aborted);
  ASSERT_EQ(session(0).cancelled.size(), 1U);
  EXPECT_EQ(session(0).cancelled[0], 1);
  scheduler_.run_posted();
  session(0).respond_first();
  EXPECT_TRUE(results_.at(b).ok());
}

// DRAIN-SESSION-LOSS: every session dies with requests queued and in flight: in-flight
// fail typed, queued ones get a replacement session.
TEST_F(SessionPoolTest, SessionLossReplacesSessionsForWaiters) {
  make_engine(small_pool(1, 2));
  const auto ids = burst(5);
  session(0).ready(2);
  session(0).lose();
  EXPECT_EQ(error_of(ids[0]), errc::session_lost);
  EXPECT_EQ(error_of(ids[1]), errc::session_lost);
  ASSERT_EQ(sessions_created(), 2U) << "a replacement session for the three waiters";
  session(1).ready(2);
  session(1).respond_first();
  session(1).respond_first();
  session(1).respond_first();
  for (std::size_t i = 2; i < 5; ++i) {
    ASSERT_TRUE(done(ids[i])) << i;
    EXPECT_TRUE(results_.at(ids[i]).ok()) << i;
  }
  EXPECT_EQ(stats().closed_by_reason.at(CloseReason::peer_closed), 1U);
}

// LIVE-DEAD-CONNECTION at the pool: a request that timed out on a ready session makes
// the pool ask that session for a health check (a connecting one is not asked). When the
// check goes unanswered the session closes: the GETs on it that had no response yet (the
// sibling, and the queued one that took the timed-out stream's slot) are sent once more
// on a new session, which also serves a request sent afterwards; nothing more goes to
// the dead one.
TEST_F(SessionPoolTest, UnansweredHealthCheckMovesRequestsToANewSession) {
  make_engine(small_pool(1, 2));
  const auto first = get_within(300ms);
  const auto sibling = get("https://a.test/x");
  const auto queued = get("https://a.test/x");
  session(0).ready(2);
  ASSERT_EQ(session(0).open_streams(), 2U);
  // 1. The timeout asks the session for a health check; the queued GET takes the slot.
  scheduler_.advance(300ms);
  EXPECT_EQ(error_of(first), errc::timeout);
  EXPECT_EQ(session(0).alive_checks, 1U);
  EXPECT_EQ(session(0).submitted, 3U);
  // 2. The check goes unanswered: the session closes and a replacement opens.
  session(0).fail_health_check();
  const auto later = get("https://a.test/x");
  ASSERT_EQ(sessions_created(), 2U) << "one replacement session";
  session(1).ready(2);
  // 3. The replacement serves the two unanswered GETs and the later one.
  for (int i = 0; i < 3; ++i) {
    session(1).respond_first();
  }
  for (const auto id : {sibling, queued, later}) {
    ASSERT_TRUE(done(id)) << id;
    EXPECT_TRUE(results_.at(id).ok()) << id;
  }
  EXPECT_EQ(session(0).submitted, 3U) << "nothing more went to the dead session";
  EXPECT_EQ(session(1).submitted, 3U);
  EXPECT_EQ(stats().closed_by_reason.at(CloseReason::ping_timeout), 1U);
}

// A timeout while the session is still connecting asks no health check: there is no
// peer to doubt yet.
TEST_F(SessionPoolTest, TimeoutWhileConnectingAsksNoHealthCheck) {
  make_engine(small_pool(1, 2));
  const auto id = get_within(300ms);
  scheduler_.advance(300ms);
  EXPECT_EQ(error_of(id), errc::timeout);
  EXPECT_EQ(session(0).alive_checks, 0U);
}

// A failed connect with nothing else connecting fails the waiters with the cause.
TEST_F(SessionPoolTest, ConnectFailureFailsWaitersTyped) {
  make_engine(small_pool(4, 10));
  const auto ids = burst(3);
  session(0).fail_connect(CloseReason::tls_failed, errc::tls_failed);
  for (auto id : ids) {
    EXPECT_EQ(error_of(id), errc::tls_failed);
  }
  EXPECT_EQ(stats().sessions_open, 0U);
}

// DRAIN-GOAWAY-ABOVE-LAST: streams above last-stream-id retry on a new session (buffered
// POST replayed); streams at or below it finish on the draining session.
TEST_F(SessionPoolTest, GoawayRetriesStreamsAboveLastAndReplaysBufferedBody) {
  make_engine(small_pool(2, 10));
  const auto a = get();
  const auto b = post("https://a.test/upload", "payload-bytes");
  const auto c = get();
  session(0).ready(10);
  ASSERT_EQ(session(0).open_streams(), 3U);
  session(0).goaway(1);
  // Stream 1 stays; 3 and 5 moved to a new session.
  ASSERT_EQ(sessions_created(), 2U);
  session(1).ready(10);
  ASSERT_EQ(session(1).open_streams(), 2U);
  for (auto& [stream, s] : session(1).streams) {
    if (s.exchange->method == "POST") {
      EXPECT_EQ(session(1).read_body(stream), "payload-bytes");
    }
  }
  // New requests go to the new session, never the draining one.
  const auto d = get();
  EXPECT_EQ(session(0).submitted, 3U);
  session(0).respond(1, 200);
  EXPECT_TRUE(session(0).closed) << "draining session closes after its last stream";
  while (session(1).open_streams() > 0) {
    session(1).respond_first();
  }
  for (auto id : {a, b, c, d}) {
    EXPECT_TRUE(results_.at(id).ok()) << id;
  }
  EXPECT_EQ(stats().retries, 2U);
  EXPECT_EQ(results_.at(b).response.retries, 1U);
}

// A streamed (pull) body already read is not replayed: the unprocessed request fails.
TEST_F(SessionPoolTest, GoawayDoesNotReplayConsumedPullBody) {
  make_engine(small_pool(2, 10));
  get();
  Request request;
  request.method = "POST";
  request.url = "https://a.test/stream";
  int calls = 0;
  request.body = Body::pull([&calls](std::span<char> buffer) {
    ++calls;
    buffer[0] = 'x';
    return PullResult{1, true, false};
  });
  const auto id = send(std::move(request));
  session(0).ready(10);
  EXPECT_EQ(session(0).read_body(3), "x");
  session(0).goaway(1);
  ASSERT_TRUE(done(id));
  EXPECT_EQ(error_of(id), errc::body_not_replayable);
  EXPECT_EQ(calls, 1);
}

// DRAIN-REFUSED-RETRY: REFUSED_STREAM is retried transparently; other codes are not.
TEST_F(SessionPoolTest, RefusedStreamRetriedOtherResetsNot) {
  make_engine(small_pool(1, 10));
  const auto a = get();
  const auto b = get();
  session(0).ready(10);
  session(0).refuse(1);
  EXPECT_FALSE(done(a));
  EXPECT_EQ(session(0).open_streams(), 2U) << "re-sent on the same session";
  session(0).reset(3, "INTERNAL_ERROR");
  EXPECT_EQ(error_of(b), errc::stream_reset);
  EXPECT_EQ(results_.at(b).detail, "RST_STREAM INTERNAL_ERROR");
  session(0).respond_first();
  EXPECT_TRUE(results_.at(a).ok());
  EXPECT_EQ(results_.at(a).response.retries, 1U);
}

TEST_F(SessionPoolTest, RefusedAlwaysIsBoundedByRetryBudget) {
  Options options = small_pool(1, 10);
  options.max_retries = 3;
  make_engine(options);
  const auto id = get();
  session(0).ready(10);
  for (int i = 0; i < 10 && !done(id); ++i) {
    session(0).refuse(session(0).streams.begin()->first);
  }
  ASSERT_TRUE(done(id));
  EXPECT_EQ(error_of(id), errc::retries_exhausted);
  EXPECT_EQ(session(0).submitted, 4U) << "first attempt + 3 retries";
}

// DRAIN-GOAWAY-STORM: sessions that GOAWAY before serving anything are bounded.
TEST_F(SessionPoolTest, GoawayStormIsBounded) {
  make_engine(small_pool(1, 10));
  Request request;
  request.url = "https://a.test/x";
  const auto id = send(request);
  for (std::size_t i = 0; i < 20 && !done(id); ++i) {
    ASSERT_LT(i, sessions_created());
    // Ready with limit 0 so no stream is sent, then GOAWAY(0).
    session(i).ready(0);
    session(i).goaway(0);
    scheduler_.run_posted();
  }
  ASSERT_TRUE(done(id));
  EXPECT_EQ(error_of(id), errc::session_lost);
  EXPECT_LE(sessions_created(), 4U);
}

// Every connection reset at once (a server restart) while requests are held and queued:
// the sessions lost together are one round of the storm bound, so the queue gets new
// sessions instead of failing with session_lost.
TEST_F(SessionPoolTest, EverySessionLostAtOnceIsOneRoundAndTheQueueIsServed) {
  make_engine(small_pool(4, 2));
  const auto ids = burst(12);
  session(0).ready(2);
  for (std::size_t i = 1; i < 4; ++i) {
    session(i).ready(2);
  }
  ASSERT_EQ(stats().queue_depth, 4U);
  for (std::size_t i = 0; i < 4; ++i) {
    session(i).lose();
  }
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(error_of(ids[i]), errc::session_lost) << i;
  }
  for (std::size_t i = 8; i < 12; ++i) {
    EXPECT_FALSE(done(ids[i])) << "queued request " << i << " failed with the reset";
  }
  ASSERT_GE(sessions_created(), 5U) << "replacement sessions for the queue";
  const std::size_t first_new = 4;
  for (std::size_t i = first_new; i < sessions_created(); ++i) {
    session(i).ready(2);
  }
  for (std::size_t i = first_new; i < sessions_created(); ++i) {
    while (session(i).open_streams() > 0) {
      session(i).respond_first();
    }
  }
  for (std::size_t i = 8; i < 12; ++i) {
    ASSERT_TRUE(done(ids[i])) << i;
    EXPECT_TRUE(results_.at(ids[i]).ok()) << i;
  }
}

// The bound still holds for whole rounds: three rounds of every session lost without
// serving fail the waiters, however many sessions each round had.
TEST_F(SessionPoolTest, ThreeRoundsOfSessionsLostWithoutServingFailTheQueue) {
  make_engine(small_pool(2, 1));
  const auto ids = burst(6);
  std::size_t round_start = 0;
  for (int round = 0; round < 3; ++round) {
    const std::size_t created = sessions_created();
    ASSERT_GT(created, round_start) << "round " << round;
    for (std::size_t i = round_start; i < created; ++i) {
      session(i).ready(1);
    }
    // Readiness of the first session may open the second one of the round.
    const std::size_t round_end = sessions_created();
    for (std::size_t i = created; i < round_end; ++i) {
      session(i).ready(1);
    }
    for (std::size_t i = round_start; i < round_end; ++i) {
      session(i).lose();
    }
    round_start = round_end;
    if (round < 2) {
      EXPECT_FALSE(done(ids.back())) << "failed after round " << round;
    }
  }
  ASSERT_TRUE(done(ids.back()));
  EXPECT_EQ(error_of(ids.back()), errc::session_lost);
  EXPECT_LE(sessions_created(), 6U);
}

TEST_F(SessionPoolTest, IdleSessionIsReapedAndReplacedOnDemand) {
  Options options = small_pool(4, 10);
  options.idle_timeout = 1s;
  make_engine(options);
  get();
  session(0).ready(10);
  session(0).respond_first();
  scheduler_.advance(999ms);
  EXPECT_FALSE(session(0).closed);
  scheduler_.advance(1ms);
  EXPECT_TRUE(session(0).closed);
  EXPECT_EQ(stats().closed_by_reason.at(CloseReason::idle), 1U);
  const auto id = get();
  ASSERT_EQ(sessions_created(), 2U);
  session(1).ready(10);
  session(1).respond_first();
  EXPECT_TRUE(results_.at(id).ok());
}

TEST_F(SessionPoolTest, BusySessionIsNotReaped) {
  Options options = small_pool(1, 10);
  options.idle_timeout = 1s;
  make_engine(options);
  get();
  session(0).ready(10);
  scheduler_.advance(5s);
  EXPECT_FALSE(session(0).closed);
}

// Idle means no open streams AND nothing waiting: a session whose server limit is 0 is
// not reaped while a request waits for it, so the waiter never sits with no session.
TEST_F(SessionPoolTest, IdleLimitZeroSessionIsKeptWhileRequestsWait) {
  Options options = small_pool(1, 10);
  options.idle_timeout = 1s;
  make_engine(options);
  Request request;
  request.url = "https://a.test/x";
  request.timeout = 5s;
  const auto id = send(request);
  session(0).ready(0);
  scheduler_.advance(3s);
  EXPECT_FALSE(session(0).closed) << "reaped as idle while a request waits for it";
  EXPECT_EQ(stats().queue_depth, 1U);
  // The limit rises: the waiter is served on the session that was kept.
  session(0).settings(10);
  ASSERT_EQ(session(0).open_streams(), 1U);
  session(0).respond_first();
  ASSERT_TRUE(done(id));
  EXPECT_TRUE(results_.at(id).ok());
  // Now it is idle: reaped one idle timeout later.
  scheduler_.advance(1s);
  EXPECT_TRUE(session(0).closed);
  EXPECT_EQ(stats().closed_by_reason.at(CloseReason::idle), 1U);
}

// Under limit 0 a waiter that is never served settles by its deadline with a typed error;
// the session is reaped only once nothing waits.
TEST_F(SessionPoolTest, IdleLimitZeroWaiterTimesOutThenSessionIsReaped) {
  Options options = small_pool(2, 10);
  options.idle_timeout = 1s;
  make_engine(options);
  Request request;
  request.url = "https://a.test/x";
  request.timeout = 2500ms;
  const auto id = send(request);
  session(0).ready(0);
  ASSERT_EQ(sessions_created(), 2U);
  session(1).ready(0);
  scheduler_.advance(2499ms);
  EXPECT_FALSE(done(id));
  EXPECT_FALSE(session(0).closed);
  EXPECT_FALSE(session(1).closed);
  scheduler_.advance(1ms);
  ASSERT_TRUE(done(id));
  EXPECT_EQ(error_of(id), errc::timeout);
  scheduler_.advance(1s);
  EXPECT_TRUE(session(0).closed);
  EXPECT_TRUE(session(1).closed);
  EXPECT_EQ(sessions_created(), 2U);
}

// Two sessions: one busy at its limit, the other at limit 0 with requests waiting. The idle
// one is not reaped under the waiters; when its limit rises it serves them.
TEST_F(SessionPoolTest, IdleSessionIsNotReapedWhileAnotherHoldsWaiters) {
  Options options = small_pool(2, 10);
  options.idle_timeout = 1s;
  make_engine(options);
  const auto ids = burst(4);
  session(0).ready(1);
  ASSERT_EQ(sessions_created(), 2U);
  session(1).ready(0);
  EXPECT_EQ(session(0).open_streams(), 1U);
  EXPECT_EQ(stats().queue_depth, 3U);
  scheduler_.advance(2s);
  EXPECT_FALSE(session(1).closed) << "idle-closed while requests wait";
  EXPECT_EQ(stats().closed_by_reason.count(CloseReason::idle), 0U);
  session(1).settings(10);
  EXPECT_EQ(session(1).open_streams(), 3U);
  EXPECT_EQ(stats().queue_depth, 0U);
  session(0).respond_first();
  for (int i = 0; i < 3; ++i) {
    session(1).respond_first();
  }
  for (const auto id : ids) {
    ASSERT_TRUE(done(id));
    EXPECT_TRUE(results_.at(id).ok());
  }
}

// A limit-0 session lost while a request waits is replaced: the waiter is never left with
// no session that could serve it.
TEST_F(SessionPoolTest, LimitZeroSessionLostWhileWaitingIsReplaced) {
  Options options = small_pool(1, 10);
  options.idle_timeout = 1s;
  make_engine(options);
  const auto id = get();
  session(0).ready(0);
  scheduler_.advance(2s);
  session(0).lose();
  scheduler_.run_posted();
  ASSERT_EQ(sessions_created(), 2U);
  EXPECT_TRUE(session(1).started);
  session(1).ready(10);
  session(1).respond_first();
  ASSERT_TRUE(done(id));
  EXPECT_TRUE(results_.at(id).ok());
}

TEST_F(SessionPoolTest, QueueLimitRejectsWithQueueFull) {
  Options options = small_pool(1, 1);
  options.queue_limit = 2;
  make_engine(options);
  const auto ids = burst(4);
  // The probe session is still connecting: two may wait, the third and fourth may not.
  EXPECT_EQ(error_of(ids[2]), errc::queue_full);
  EXPECT_EQ(error_of(ids[3]), errc::queue_full);
  EXPECT_FALSE(done(ids[0]));
  EXPECT_FALSE(done(ids[1]));
}

TEST_F(SessionPoolTest, QueueLimitAppliesOverHttp11Too) {
  Options options = small_pool(2, 10);
  options.queue_limit = 3;
  options.force_http1 = true;
  make_engine(options);
  const auto ids = burst(6);
  EXPECT_EQ(http11_->transfers.size(), 5U) << "2 connections + 3 waiting";
  EXPECT_EQ(error_of(ids[5]), errc::queue_full);
  http11_->respond_first(200);
  EXPECT_FALSE(done(get())) << "a slot freed";
  EXPECT_EQ(http11_->transfers.size(), 5U);
}

// ALPN-H1-ONLY: the probe negotiates http/1.1; waiters move to HTTP/1.1; the origin is
// remembered, so later requests never try h2 until the TTL passes.
TEST_F(SessionPoolTest, Http11OriginIsRememberedWithTtl) {
  Options options = small_pool(4, 10);
  options.h1_cache_ttl = 10s;
  make_engine(options);
  const auto ids = burst(3);
  session(0).fail_connect(CloseReason::alpn_http11);
  ASSERT_EQ(http11_->transfers.size(), 3U);
  for (int i = 0; i < 3; ++i) {
    http11_->respond_first(200, "h1");
  }
  for (auto id : ids) {
    ASSERT_TRUE(results_.at(id).ok());
    EXPECT_EQ(results_.at(id).response.protocol, Protocol::http11);
    EXPECT_EQ(results_.at(id).response.body, "h1");
  }
  for (int i = 0; i < 100; ++i) {
    get();
    http11_->respond_first(200);
  }
  EXPECT_EQ(sessions_created(), 1U) << "no repeated h2 attempts";
  EXPECT_EQ(stats().origins.at("https://a.test:443").h2_attempts, 1U);
  EXPECT_TRUE(stats().origins.at("https://a.test:443").served_over_http11);
  scheduler_.advance(10s);
  get();
  EXPECT_EQ(sessions_created(), 2U) << "h2 offered again after the TTL";
}

TEST_F(SessionPoolTest, RefusedH2OfferFallsBackToo) {
  make_engine(small_pool(4, 10));
  const auto id = get();
  session(0).fail_connect(CloseReason::alpn_refused, errc::tls_failed);
  http11_->respond_first(204);
  ASSERT_TRUE(results_.at(id).ok());
  EXPECT_EQ(stats().fallbacks, 1U);
}

TEST_F(SessionPoolTest, ForceHttp1NeverOpensSessions) {
  Options options;
  options.force_http1 = true;
  make_engine(options);
  get();
  EXPECT_EQ(sessions_created(), 0U);
  EXPECT_EQ(http11_->started, 1U);
}

TEST_F(SessionPoolTest, ShutdownFailsEverythingWithClientClosed) {
  make_engine(small_pool(1, 1));
  const auto a = get();
  const auto b = get();
  session(0).ready(1);
  engine_->shutdown();
  EXPECT_EQ(error_of(a), errc::client_closed);
  EXPECT_EQ(error_of(b), errc::client_closed);
  EXPECT_TRUE(session(0).closed);
  EXPECT_EQ(stats().closed_by_reason.at(CloseReason::client_shutdown), 1U);
}

// ---- The defects: each one must change what the tests above observe. ----

TEST_F(SessionPoolTest, DefectIgnoreAbortWhenQueuedWaitsForASlot) {
  make_engine(small_pool(1, 1), Defects{}.set(Defects::ignore_abort_when_queued));
  get();
  session(0).ready(1);
  const auto queued = get();
  engine_->abort(queued);
  EXPECT_FALSE(done(queued)) << "defect: abort ignored while queued";
  session(0).respond_first();
  EXPECT_EQ(error_of(queued), errc::aborted);
  EXPECT_EQ(session(0).submitted, 1U);
}

TEST_F(SessionPoolTest, DefectNoReplacementSessionsLeavesWaitersHanging) {
  make_engine(small_pool(1, 1), Defects{}.set(Defects::no_replacement_sessions));
  Request request;
  request.url = "https://a.test/x";
  request.timeout = 1s;
  send(request);
  const auto waiter = send(request);
  session(0).ready(1);
  session(0).lose();
  EXPECT_EQ(sessions_created(), 1U);
  scheduler_.advance(1s);
  EXPECT_EQ(error_of(waiter), errc::timeout);
}

TEST_F(SessionPoolTest, DefectNoH1NegativeCacheTriesH2EveryTime) {
  make_engine(small_pool(4, 10), Defects{}.set(Defects::no_h1_negative_cache));
  for (int i = 0; i < 3; ++i) {
    get();
    session(i).fail_connect(CloseReason::alpn_http11);
    http11_->respond_first(200);
  }
  EXPECT_EQ(sessions_created(), 3U);
  EXPECT_EQ(completed_ok(), 3U);
}

TEST_F(SessionPoolTest, DefectIgnoreServerStreamLimitExceedsIt) {
  make_engine(small_pool(1, 100), Defects{}.set(Defects::ignore_server_stream_limit));
  burst(50);
  session(0).ready(10);
  EXPECT_EQ(session(0).open_streams(), 50U);
}

TEST_F(SessionPoolTest, DefectSurfaceRefusedStream) {
  make_engine(small_pool(1, 10), Defects{}.set(Defects::surface_refused_stream));
  const auto id = get();
  session(0).ready(10);
  session(0).refuse(1);
  EXPECT_EQ(error_of(id), errc::stream_reset);
}

TEST_F(SessionPoolTest, DefectNoGoawayRetry) {
  make_engine(small_pool(1, 10), Defects{}.set(Defects::no_goaway_retry));
  get();
  const auto b = get();
  session(0).ready(10);
  session(0).goaway(1);
  EXPECT_EQ(error_of(b), errc::session_lost);
}

TEST_F(SessionPoolTest, DefectCountOnlyReadySessionsStorms) {
  make_engine(small_pool(4, 100), Defects{}.set(Defects::count_only_ready_sessions));
  burst(100);
  EXPECT_GT(sessions_created(), 4U);
}

TEST_F(SessionPoolTest, DefectNoRstOnAbort) {
  make_engine(small_pool(1, 10), Defects{}.set(Defects::no_rst_on_abort));
  const auto id = get();
  session(0).ready(10);
  engine_->abort(id);
  EXPECT_EQ(error_of(id), errc::aborted);
  EXPECT_TRUE(session(0).cancelled.empty());
}

TEST_F(SessionPoolTest, DefectNoIdleReap) {
  Options options = small_pool(1, 10);
  options.idle_timeout = 1s;
  make_engine(options, Defects{}.set(Defects::no_idle_reap));
  get();
  session(0).ready(10);
  session(0).respond_first();
  scheduler_.advance(10s);
  EXPECT_FALSE(session(0).closed);
}

}  // namespace
}  // namespace faultline::transport
