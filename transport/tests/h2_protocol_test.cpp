// The client's HTTP/2 protocol part without sockets, over the fixture of
// support/h2_protocol_fixture.h: server bytes cut at random sizes, both ways.
#include "detail/h2_protocol.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <string>
#include <vector>

#include "support/h2_protocol_fixture.h"

namespace faultline::transport {
namespace {

using namespace h2_test;

// RFC 9113 6.5: the first SETTINGS makes the session ready; every later one is re-read.
TEST_P(H2ProtocolTest, SettingsMakeItReadyThenEachChangeIsReported) {
  // Until the server's SETTINGS, nothing is ready.
  EXPECT_FALSE(protocol_->ready());
  EXPECT_EQ(host_.settled, 0);
  // The first SETTINGS: ready with the server's limit.
  handshake(10);
  EXPECT_TRUE(protocol_->ready());
  EXPECT_EQ(host_.settled, 1);
  // The limit lowered, then 0, then raised: each value reaches the pool, in order.
  for (std::uint32_t limit : {3U, 0U, 50U}) {
    server_.settings(limit);
    pump();
  }
  EXPECT_EQ(pool_.log,
            (std::vector<std::string>{"ready 10", "settings 3", "settings 0", "settings 50"}));
  EXPECT_EQ(host_.settled, 1);
}

// RFC 9113 5.1.2: the client's nghttp2 holds streams beyond the server's limit back.
TEST_P(H2ProtocolTest, StreamsBeyondTheServerLimitWaitInsideTheSession) {
  handshake(1);
  auto a = request("/a");
  auto b = request("/b");
  pump();
  ASSERT_EQ(server_.streams.size(), 1U) << "the server saw a second stream beyond its limit";
  EXPECT_TRUE(answered(1, a, "one"));
  ASSERT_EQ(server_.streams.size(), 2U);
  EXPECT_TRUE(answered(3, b, "two"));
}

// RFC 9113 8.1: a response with a body and trailers.
TEST_P(H2ProtocolTest, ResponseWithBodyAndTrailers) {
  handshake();
  auto a = request("/a");
  pump();
  ASSERT_EQ(server_.streams.at(1).path, "/a");
  EXPECT_TRUE(server_.streams.at(1).ended) << "a GET ends its stream with its HEADERS";
  const std::string body(100'000, 'b');  // several DATA frames
  server_.respond(1, 200, body, {{"content-type", "text/plain"}}, {{"x-digest", "d1"}});
  pump();
  EXPECT_TRUE(closed_as(a, Outcome::Kind::completed));
  EXPECT_EQ(a->response.status, 200);
  EXPECT_EQ(find_header(a->response.headers, "content-type"), "text/plain");
  EXPECT_EQ(a->response.body.size(), body.size());
  EXPECT_EQ(a->response.body, body);
  EXPECT_EQ(find_header(a->response.trailers, "x-digest"), "d1");
}

// RFC 9110 15.2 and RFC 9113 8.1: 1xx heads come before the final one, each in a block of
// its own; the caller hears each, and none of their fields joins the final head.
TEST_P(H2ProtocolTest, InformationalHeadsAreReportedAndStayOutOfTheFinalHead) {
  handshake();
  std::vector<std::pair<int, Headers>> interim;
  Handlers handlers;
  handlers.on_informational = [&interim](const ResponseHead& head) {
    interim.emplace_back(head.status, head.headers);
  };
  auto a = request("/a", std::move(handlers));
  pump();
  server_.informational(1, 103, {{"link", "</a.css>; rel=preload"}});
  server_.informational(1, 100, {{"x-interim", "1"}});
  server_.respond(1, 200, "final", {{"content-type", "text/plain"}}, {{"x-digest", "d1"}});
  pump();
  EXPECT_TRUE(closed_as(a, Outcome::Kind::completed));
  ASSERT_EQ(interim.size(), 2U);
  EXPECT_EQ(interim[0].first, 103);
  EXPECT_EQ(find_header(interim[0].second, "link"), "</a.css>; rel=preload");
  EXPECT_EQ(interim[1].first, 100);
  EXPECT_EQ(a->response.status, 200);
  const Headers final_head{{"content-type", "text/plain"}};
  EXPECT_EQ(a->response.headers, final_head);
  EXPECT_EQ(a->response.body, "final");
  EXPECT_EQ(find_header(a->response.trailers, "x-digest"), "d1");
}

// leak_informational_fields through its hook point (RESP-INFORMATIONAL's proof).
TEST_P(H2ProtocolTest, LeakInformationalFieldsHookKeepsThemInTheFinalHead) {
  make_protocol_with(testing::Defects::leak_informational_fields);
  handshake();
  auto a = request("/a");
  pump();
  server_.informational(1, 103, {{"link", "</a.css>"}});
  server_.respond(1, 200, "final");
  pump();
  EXPECT_TRUE(closed_as(a, Outcome::Kind::completed));
  EXPECT_EQ(find_header(a->response.headers, "link"), "</a.css>");
}

// RFC 9113 6.10: a header block too big for one frame arrives as HEADERS + CONTINUATION.
TEST_P(H2ProtocolTest, HeaderBlockSplitOverContinuationFrames) {
  handshake();
  auto a = request("/a");
  pump();
  server_to_client_.clear();
  std::string big;
  for (int i = 0; big.size() < 40'000; ++i) {
    big += std::to_string(i * 7919 % 10007) + ";";  // digits compress poorly
  }
  server_.respond(1, 200, "ok", {{"x-big", big}});
  pump();
  const auto types = frame_types(server_to_client_);
  EXPECT_NE(std::find(types.begin(), types.end(), NGHTTP2_CONTINUATION), types.end())
      << "the server sent no CONTINUATION: the test proves nothing";
  EXPECT_TRUE(closed_as(a, Outcome::Kind::completed));
  EXPECT_EQ(find_header(a->response.headers, "x-big"), big);
  EXPECT_EQ(a->response.body, "ok");
}

// RFC 9113 6.8: streams above GOAWAY's last-stream-id were not processed (safe to retry);
// those at or below it finish; no new stream is taken.
TEST_P(H2ProtocolTest, GoawayEndsStreamsAboveLastStreamIdAsUnprocessed) {
  handshake();
  auto a = request("/a");
  auto b = request("/b");
  auto c = request("/c");
  pump();
  ASSERT_EQ(server_.streams.size(), 3U);
  // GOAWAY(last=3): stream 5 was not processed.
  server_.goaway(3);
  pump();
  EXPECT_TRUE(protocol_->goaway_received());
  EXPECT_TRUE(closed_as(c, Outcome::Kind::unprocessed));
  EXPECT_FALSE(pool_.closed.at(c->id).refused);
  EXPECT_EQ(pool_.closed.count(a->id), 0U) << "stream 1 is below last-stream-id: it goes on";
  // The pool hears the GOAWAY before the streams it ends.
  const auto goaway = std::find(pool_.log.begin(), pool_.log.end(), "goaway 3 0");
  const auto closed_c =
      std::find(pool_.log.begin(), pool_.log.end(), "closed " + std::to_string(c->id));
  EXPECT_LT(goaway, closed_c);
  // No new stream after GOAWAY.
  Request r;
  r.url = "https://a.test/late";
  auto late = std::make_shared<Exchange>(engine_, 99, r, *detail::parse_url(r.url), Handlers{});
  EXPECT_FALSE(protocol_->submit(late));
  // Streams 1 and 3 complete.
  EXPECT_TRUE(answered(1, a, "a"));
  EXPECT_TRUE(answered(3, b, "b"));
  // With nothing left, the session is finished, for reason goaway.
  protocol_->finish_if_done();
  protocol_->flush_events();
  EXPECT_EQ(count("session closed goaway"), 1U);
  EXPECT_EQ(host_.ended, 1);
}

// RFC 9113 8.7: REFUSED_STREAM means not processed (retry); any other code is a failure.
TEST_P(H2ProtocolTest, RstStreamRefusedIsUnprocessedOthersFail) {
  handshake();
  auto a = request("/a");
  auto b = request("/b");
  auto c = request("/c");
  pump();
  server_.reset(1, NGHTTP2_REFUSED_STREAM);
  server_.reset(3, NGHTTP2_INTERNAL_ERROR);
  server_.respond(5, 200, "sibling");
  pump();
  ASSERT_TRUE(closed_as(a, Outcome::Kind::unprocessed));
  EXPECT_TRUE(pool_.closed.at(a->id).refused);
  EXPECT_EQ(pool_.closed.at(a->id).error, errc::stream_reset);
  ASSERT_TRUE(closed_as(b, Outcome::Kind::failed));
  EXPECT_EQ(pool_.closed.at(b->id).error, errc::stream_reset);
  EXPECT_EQ(pool_.closed.at(b->id).detail, "RST_STREAM INTERNAL_ERROR");
  EXPECT_TRUE(closed_as(c, Outcome::Kind::completed));
  EXPECT_EQ(c->response.body, "sibling");
  EXPECT_FALSE(protocol_->dead());
}

// RFC 9113 5.1: DATA on a stream after its END_STREAM is ignored, and the session and its
// other streams go on.
TEST_P(H2ProtocolTest, DataAfterEndStreamIsIgnored) {
  handshake();
  auto a = request("/a");
  auto b = request("/b");
  pump();
  ASSERT_TRUE(answered(1, a, "done"));
  // Three late DATA frames on the closed stream 1.
  for (int i = 0; i < 3; ++i) {
    feed_client(raw_frame(NGHTTP2_DATA, 0, 1, std::string(100, 'x')));
  }
  pump();
  EXPECT_FALSE(protocol_->dead()) << pool_.session_detail;
  EXPECT_EQ(a->response.body, "done");
  EXPECT_TRUE(answered(3, b, "sibling"));
}

// RFC 9113 5.4.2 / 6.4: after our RST_STREAM(CANCEL), the server's DATA in flight is
// ignored.
TEST_P(H2ProtocolTest, DataAfterOurRstStreamIsIgnored) {
  handshake();
  auto a = request("/a");
  auto b = request("/b");
  pump();
  server_.respond(1, 200, std::string(1000, 'a'));
  protocol_->cancel(*a);
  pump();
  ASSERT_TRUE(closed_as(a, Outcome::Kind::cancelled));
  EXPECT_TRUE(server_.streams.at(1).reset);
  EXPECT_EQ(server_.streams.at(1).reset_code, NGHTTP2_CANCEL);
  feed_client(raw_frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, std::string(500, 'x')));
  pump();
  EXPECT_FALSE(protocol_->dead()) << pool_.session_detail;
  EXPECT_TRUE(answered(3, b, "sibling"));
}

// The connection lost: streams already sent fail, streams never written are unprocessed.
TEST_P(H2ProtocolTest, TransportLostFailsSentStreamsAndReturnsUnsentOnes) {
  handshake();
  auto sent = request("/sent");
  pump();
  auto unsent = request("/unsent");  // no pump: never written
  protocol_->on_transport_lost("connection closed by the server");
  protocol_->flush_events();
  EXPECT_TRUE(closed_as(sent, Outcome::Kind::failed));
  EXPECT_EQ(pool_.closed.at(sent->id).error, errc::session_lost);
  // No byte of its response had arrived: an idempotent request may go again.
  EXPECT_TRUE(pool_.closed.at(sent->id).lost_before_response);
  EXPECT_TRUE(closed_as(unsent, Outcome::Kind::unprocessed));
  EXPECT_EQ(pool_.log.back(), "session closed peer_closed");
  EXPECT_EQ(host_.ended, 1);
}

// Keep-alive: an answered PING keeps the session, an unanswered one ends it.
TEST_P(H2ProtocolTest, UnansweredPingEndsTheSession) {
  handshake();
  protocol_->on_ping_due();
  pump();  // the server answers
  protocol_->on_ping_due();
  protocol_->flush_events();
  EXPECT_FALSE(protocol_->dead());
  // No pump: this PING stays unanswered until the next one is due.
  protocol_->on_ping_due();
  protocol_->flush_events();
  EXPECT_TRUE(protocol_->dead());
  EXPECT_EQ(pool_.log.back(), "session closed ping_timeout");
}

// The health check: one PING in flight at a time, judged at its deadline (ping_timeout).
TEST_P(H2ProtocolTest, HealthCheckPingIsJudgedAtItsDeadline) {
  handshake();
  EXPECT_TRUE(protocol_->send_ping());
  EXPECT_FALSE(protocol_->send_ping()) << "a second PING while one is in flight";
  pump();  // the server answers
  EXPECT_FALSE(protocol_->ping_outstanding());
  protocol_->on_ping_deadline();
  protocol_->flush_events();
  EXPECT_FALSE(protocol_->dead());
  EXPECT_TRUE(protocol_->send_ping());
  protocol_->on_ping_deadline();  // no pump: unanswered by its deadline
  protocol_->flush_events();
  EXPECT_TRUE(protocol_->dead());
  EXPECT_EQ(pool_.log.back(), "session closed ping_timeout");
}

// RFC 9113 8.2.2: RST_STREAM(HTTP_1_1_REQUIRED) hands the request to HTTP/1.1.
TEST_P(H2ProtocolTest, RstHttp11RequiredSwitchesToHttp11) {
  handshake();
  auto a = request("/a");
  pump();
  server_.reset(1, NGHTTP2_HTTP_1_1_REQUIRED);
  pump();
  ASSERT_TRUE(closed_as(a, Outcome::Kind::use_http11));
  EXPECT_TRUE(pool_.closed.at(a->id).http11_required);
  EXPECT_FALSE(protocol_->dead());
}

// Bytes that are not HTTP/2 (an oversized frame) end the session: GOAWAY, then closed.
TEST_P(H2ProtocolTest, GarbageEndsTheSessionWithGoaway) {
  handshake();
  auto a = request("/a");
  pump();
  feed_client(std::vector<std::uint8_t>(64, 0xff));
  pump();
  EXPECT_TRUE(server_.goaway_received) << "no GOAWAY for a frame too large";
  protocol_->finish_if_done();
  protocol_->flush_events();
  EXPECT_TRUE(protocol_->dead());
  EXPECT_TRUE(closed_as(a, Outcome::Kind::failed));
  EXPECT_EQ(pool_.log.back(), "session closed protocol_error");
}

// close(): GOAWAY(NO_ERROR) goes out in the final output, and the pool hears nothing more.
TEST_P(H2ProtocolTest, CloseSendsGoawayAndReportsNothing) {
  handshake();
  auto a = request("/a");
  pump();
  const auto before = pool_.log.size();
  protocol_->close();
  std::vector<std::uint8_t> out;
  protocol_->final_output(out);
  protocol_->release();
  ASSERT_GE(nghttp2_session_mem_recv(server_.get(), out.data(), out.size()), 0);
  EXPECT_TRUE(server_.goaway_received);
  protocol_->flush_events();
  EXPECT_EQ(pool_.log.size(), before);
}

// The defect hook points: the late DATA that a correct session ignores tears a session
// with fatal_late_frames down (what LATE-DATA-AFTER-END's proof relies on).
TEST_P(H2ProtocolTest, FatalLateFramesHookEndsTheSessionOnLateData) {
  make_protocol_with(testing::Defects::fatal_late_frames);
  handshake();
  auto a = request("/a");
  auto b = request("/b");
  pump();
  ASSERT_TRUE(answered(1, a, "done"));
  feed_client(raw_frame(NGHTTP2_DATA, 0, 1, "late"));
  EXPECT_TRUE(protocol_->dead());
  EXPECT_EQ(pool_.session_detail, "frame on closed stream 1");
  EXPECT_TRUE(closed_as(b, Outcome::Kind::failed));
}

// RFC 9113 5.1.1: responses are matched by stream id, in whatever order they come.
TEST_P(H2ProtocolTest, OutOfOrderResponsesGoToTheirOwnRequests) {
  handshake();
  auto a = request("/a");
  auto b = request("/b");
  pump();
  EXPECT_TRUE(answered(3, b, "for b"));
  EXPECT_EQ(pool_.closed.count(a->id), 0U);
  EXPECT_TRUE(answered(1, a, "for a"));
}

// fifo_response_matching through its hook point: the first head goes to the oldest
// request waiting, whatever stream it came on (what LATE-OUT-OF-ORDER's proof relies on).
TEST_P(H2ProtocolTest, FifoResponseMatchingHookGivesTheHeadToTheOldestRequest) {
  make_protocol_with(testing::Defects::fifo_response_matching);
  handshake();
  auto a = request("/a");
  auto b = request("/b");
  pump();
  // The server answers /b (stream 3) first: the defect hands that response to /a.
  EXPECT_TRUE(answered(3, a, "for b"));
  EXPECT_EQ(pool_.closed.count(b->id), 0U);
}

// RFC 9113 6.9 / receive backpressure (Client::pause): a paused stream is credited
// only for what its consumer took, so the server stops at the stream's window while a
// sibling on the same connection keeps flowing; resume credits it and it completes.
TEST_P(H2ProtocolTest, PausedStreamStopsAtItsWindowWhileSiblingsFlow) {
  handshake();
  auto paused = request("/big");
  auto sibling = request("/small");
  pump();
  // The consumer of /big pauses before its body arrives.
  paused->paused = true;
  const std::string big(detail::kStreamWindow + 1024 * 1024, 'b');
  const std::string small(1024 * 1024, 's');
  server_.respond(3, 200, small);
  server_.respond(1, 200, big);
  pump();
  // The sibling completed; the paused stream holds exactly its window, uncredited.
  EXPECT_TRUE(closed_as(sibling, Outcome::Kind::completed));
  EXPECT_EQ(sibling->response.body, small);
  EXPECT_EQ(pool_.closed.count(paused->id), 0U);
  EXPECT_EQ(nghttp2_session_get_stream_remote_window_size(server_.get(), 1), 0);
  EXPECT_EQ(paused->held.size(), static_cast<std::size_t>(detail::kStreamWindow));
  EXPECT_TRUE(paused->response.body.empty());
  // The consumer takes what was held and resumes: the rest flows, byte-exact.
  paused->paused = false;
  paused->response.body = std::move(paused->held);
  paused->held.clear();
  protocol_->resume(*paused);
  pump();
  EXPECT_TRUE(closed_as(paused, Outcome::Kind::completed));
  EXPECT_EQ(paused->response.body.size(), big.size());
  EXPECT_TRUE(paused->response.body == big);
}

// credit_regardless_of_consumer through its hook point: the paused stream is credited
// anyway, so the server sends the whole body and the transport buffers all of it (what
// FLOW-BACKPRESSURE's proof relies on).
TEST_P(H2ProtocolTest, CreditRegardlessOfConsumerHookCreditsAPausedStream) {
  make_protocol_with(testing::Defects::credit_regardless_of_consumer);
  handshake();
  auto paused = request("/big");
  pump();
  paused->paused = true;
  const std::string big(detail::kStreamWindow + 1024 * 1024, 'b');
  server_.respond(1, 200, big);
  pump();
  EXPECT_TRUE(closed_as(paused, Outcome::Kind::completed));
  EXPECT_EQ(paused->held.size(), big.size());
}

// RFC 9113 6.9.2: SETTINGS_INITIAL_WINDOW_SIZE lowered to 0 stalls an upload; raising it
// by SETTINGS alone (no WINDOW_UPDATE) lets it finish.
TEST_P(H2ProtocolTest, UploadStalledByWindowZeroResumesOnASettingsRaise) {
  EXPECT_TRUE(upload_through_window_raise(true));
}

// ignore_settings_window_raise through its hook point: the lowest window stays in force
// and the upload stays stalled (what FLOW-WINDOW's proof relies on).
TEST_P(H2ProtocolTest, IgnoreSettingsWindowRaiseHookKeepsTheUploadStalled) {
  make_protocol_with(testing::Defects::ignore_settings_window_raise);
  EXPECT_TRUE(upload_through_window_raise(false));
}

// RFC 9113 8.1: only END_STREAM completes a response. RST_STREAM(NO_ERROR) or (CANCEL)
// after part of the body, with content-length or without, fails the request typed.
TEST_P(H2ProtocolTest, ResetBeforeEndStreamIsATruncatedResponse) {
  handshake();
  auto a = request("/a");
  auto b = request("/b");
  auto c = request("/c");
  pump();
  server_.head(1, 200, {{"content-length", "1000"}});
  server_.head(3, 200);
  server_.head(5, 200, {{"content-length", "1000"}});
  pump();
  for (const std::int32_t stream : {1, 3, 5}) {
    feed_client(raw_frame(NGHTTP2_DATA, 0, stream, std::string(100, 'x')));
  }
  server_.reset(1, NGHTTP2_NO_ERROR);
  server_.reset(3, NGHTTP2_NO_ERROR);
  server_.reset(5, NGHTTP2_CANCEL);
  pump();
  for (const auto& exchange : {a, b}) {
    ASSERT_TRUE(closed_as(exchange, Outcome::Kind::failed));
    EXPECT_EQ(pool_.closed.at(exchange->id).error, errc::stream_reset);
    EXPECT_EQ(pool_.closed.at(exchange->id).detail,
              "response truncated: RST_STREAM NO_ERROR before END_STREAM, after 100 body bytes");
  }
  ASSERT_TRUE(closed_as(c, Outcome::Kind::failed));
  EXPECT_EQ(pool_.closed.at(c->id).detail, "RST_STREAM CANCEL");
  EXPECT_FALSE(protocol_->dead());
}

// rst_no_error_completes through its hook point (what RESP-TRUNCATED's proof relies on).
TEST_P(H2ProtocolTest, RstNoErrorCompletesHookTakesTheCutResponse) {
  make_protocol_with(testing::Defects::rst_no_error_completes);
  handshake();
  auto a = request("/a");
  pump();
  server_.head(1, 200, {{"content-length", "1000"}});
  pump();
  feed_client(raw_frame(NGHTTP2_DATA, 0, 1, std::string(100, 'x')));
  server_.reset(1, NGHTTP2_NO_ERROR);
  pump();
  EXPECT_TRUE(closed_as(a, Outcome::Kind::completed));
}

// RFC 9113 8.1.1: DATA totals other than content-length make the response malformed;
// nghttp2 checks it and resets the stream (PROTOCOL_ERROR): a typed failure at once.
TEST_P(H2ProtocolTest, DataOtherThanContentLengthFailsTheResponse) {
  handshake();
  auto fewer = request("/fewer");
  auto more = request("/more");
  auto right = request("/right");
  pump();
  server_.respond(1, 200, std::string(100, 'x'), {{"content-length", "1000"}});
  server_.respond(3, 200, std::string(2000, 'x'), {{"content-length", "1000"}});
  server_.respond(5, 200, std::string(1000, 'x'), {{"content-length", "1000"}});
  pump();
  for (const auto& exchange : {fewer, more}) {
    ASSERT_TRUE(closed_as(exchange, Outcome::Kind::failed));
    EXPECT_EQ(pool_.closed.at(exchange->id).error, errc::protocol_error);
  }
  EXPECT_TRUE(closed_as(right, Outcome::Kind::completed));
  EXPECT_EQ(right->response.body.size(), 1000U);
  EXPECT_FALSE(protocol_->dead());
}

INSTANTIATE_TEST_SUITE_P(Cuts, H2ProtocolTest, ::testing::Values(1U, 2U, 3U, 42U),
                         [](const auto& info) { return "seed" + std::to_string(info.param); });

}  // namespace
}  // namespace faultline::transport
