// The engine's liveness and retry rules on fake sessions and a manual clock: a request
// timing out on a session checks it, idempotent requests lost before any response are
// sent once more, HTTP_1_1_REQUIRED falls back to HTTP/1.1, and each proof defect
// turns its rule off.
#include "detail/engine.h"

#include <gtest/gtest.h>

#include "detail/limits.h"
#include "support/engine_fixture.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing::Defects;
using testing_support::EngineFixture;

class EngineLiveness : public EngineFixture {};

// A request timing out on a session asks that session for a health check (PING); one
// still queued does not.
TEST_F(EngineLiveness, TimeoutOnASessionChecksIt) {
  make_engine();
  const auto id = get_within(300ms);
  session(0).ready(100);
  ASSERT_EQ(session(0).open_streams(), 1U);
  scheduler_.advance(300ms);
  EXPECT_EQ(error_of(id), errc::timeout);
  EXPECT_EQ(session(0).alive_checks, 1U);
  // An abort is no reason to doubt the session.
  AbortController controller;
  Request aborted;
  aborted.url = "https://a.test/y";
  aborted.abort = controller.signal();
  const auto other = send(aborted);
  controller.abort();
  scheduler_.run_posted();
  EXPECT_EQ(error_of(other), errc::aborted);
  EXPECT_EQ(session(0).alive_checks, 1U);
}

TEST_F(EngineLiveness, NoHealthCheckDefectSkipsIt) {
  make_engine({}, Defects{}.set(Defects::no_health_check));
  const auto id = get_within(300ms);
  session(0).ready(100);
  scheduler_.advance(300ms);
  EXPECT_EQ(error_of(id), errc::timeout);
  EXPECT_EQ(session(0).alive_checks, 0U);
}

// RFC 9110 section 9.2.2: a GET whose connection closed before any response byte is
// sent once more, on another session; a second loss fails it.
TEST_F(EngineLiveness, IdempotentRequestLostBeforeResponseIsSentOnceMore) {
  make_engine();
  const auto id = get();
  session(0).ready(100);
  session(0).lose(true);
  ASSERT_FALSE(done(id));
  ASSERT_EQ(sessions_created(), 2U);
  session(1).ready(100);
  session(1).lose(true);
  EXPECT_EQ(error_of(id), errc::session_lost);
  EXPECT_EQ(results_.at(id).response.retries, 1U);
}

TEST_F(EngineLiveness, IdempotentRetrySucceedsOnTheNewSession) {
  make_engine();
  const auto id = get();
  session(0).ready(100);
  session(0).lose(true);
  session(1).ready(100);
  session(1).respond_first(200, "ok");
  ASSERT_TRUE(results_.at(id).ok());
  EXPECT_EQ(results_.at(id).response.body, "ok");
  EXPECT_EQ(stats().retries, 1U);
}

// A POST may have been processed: it fails, never sent again.
TEST_F(EngineLiveness, PostLostBeforeResponseFails) {
  make_engine();
  const auto id = post("https://a.test/p", "body");
  session(0).ready(100);
  session(0).lose(true);
  EXPECT_EQ(error_of(id), errc::session_lost);
  EXPECT_EQ(results_.at(id).response.retries, 0U);
}

TEST_F(EngineLiveness, NoRetryAfterLostConnectionDefectFailsTheGet) {
  make_engine({}, Defects{}.set(Defects::no_retry_after_lost_connection));
  const auto id = get();
  session(0).ready(100);
  session(0).lose(true);
  EXPECT_EQ(error_of(id), errc::session_lost);
}

// RFC 9113 section 8.2.2: RST_STREAM(HTTP_1_1_REQUIRED) sends the request over HTTP/1.1
// and the origin is remembered.
TEST_F(EngineLiveness, Http11RequiredResetFallsBackAndIsRemembered) {
  make_engine();
  const auto id = get();
  session(0).ready(100);
  session(0).require_http11(1);
  ASSERT_EQ(http11_->transfers.size(), 1U);
  http11_->respond_first(200, "h1");
  ASSERT_TRUE(results_.at(id).ok());
  EXPECT_EQ(results_.at(id).response.protocol, Protocol::http11);
  const auto later = get("https://a.test/later");
  EXPECT_EQ(http11_->transfers.size(), 1U) << "the next request must go to HTTP/1.1 at once";
  http11_->respond_first(200, "h1 again");
  EXPECT_TRUE(results_.at(later).ok());
  EXPECT_EQ(sessions_created(), 1U);
  EXPECT_EQ(stats().fallbacks, 1U);
}

// RFC 9113 section 7: GOAWAY(HTTP_1_1_REQUIRED): the unprocessed stream and the waiters
// go to HTTP/1.1, no new h2 session.
TEST_F(EngineLiveness, Http11RequiredGoawayFallsBack) {
  make_engine();
  const auto id = get();
  session(0).ready(100);
  session(0).goaway(0, detail::kHttp11Required);
  ASSERT_EQ(http11_->transfers.size(), 1U);
  http11_->respond_first(200, "h1");
  EXPECT_TRUE(results_.at(id).ok());
  const auto later = get("https://a.test/later");
  ASSERT_EQ(http11_->transfers.size(), 1U);
  http11_->respond_first(200, "h1");
  EXPECT_TRUE(results_.at(later).ok());
  EXPECT_EQ(sessions_created(), 1U);
}

TEST_F(EngineLiveness, IgnoreHttp11RequiredDefectKeepsToH2) {
  make_engine({}, Defects{}.set(Defects::ignore_http11_required));
  const auto id = get();
  session(0).ready(100);
  session(0).goaway(0, detail::kHttp11Required);
  EXPECT_TRUE(http11_->transfers.empty());
  EXPECT_FALSE(done(id));
  EXPECT_EQ(sessions_created(), 2U) << "the unprocessed request goes to a new h2 session";
}

// A 421 is the caller's; the retry_421_forever defect sends it again instead.
TEST_F(EngineLiveness, Misdirected421IsDelivered) {
  make_engine();
  const auto id = get();
  session(0).ready(100);
  session(0).respond_first(421, "misdirected");
  ASSERT_TRUE(results_.at(id).ok());
  EXPECT_EQ(results_.at(id).response.status, 421);
  EXPECT_EQ(results_.at(id).response.retries, 0U);
}

TEST_F(EngineLiveness, Retry421ForeverDefectSendsItAgain) {
  make_engine({}, Defects{}.set(Defects::retry_421_forever));
  const auto id = get();
  session(0).ready(100);
  session(0).respond_first(421, "misdirected");
  ASSERT_FALSE(done(id));
  session(0).respond_first(200, "ok");
  ASSERT_TRUE(results_.at(id).ok());
  EXPECT_EQ(results_.at(id).response.retries, 1U);
}

}  // namespace
}  // namespace faultline::transport
