// How the client's h2 protocol types what breaks HTTP/2 (h2_protocol_errors.cpp), over
// the socketless fixture: a malformed response fails its stream only; garbage, a
// PUSH_PROMISE although push is off and a header block that is no HPACK end the session
// after the client's GOAWAY with the matching code. Every one is errc::protocol_error
// with its cause, never session_lost, and never an attempt to send the request again.
#include "detail/h2_protocol.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <string>
#include <utility>
#include <vector>

#include "support/h2_protocol_fixture.h"

namespace faultline::transport {
namespace {

using namespace h2_test;

/** Fields as HPACK literals without indexing, new names, no Huffman (RFC 7541 6.2.2);
    every name and value under 127 bytes. */
std::string literal_block(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string block;
  for (const auto& [name, value] : fields) {
    block += '\0';
    block += static_cast<char>(name.size());
    block += name;
    block += static_cast<char>(value.size());
    block += value;
  }
  return block;
}

constexpr std::uint8_t kEndStreamEndHeaders = NGHTTP2_FLAG_END_STREAM | NGHTTP2_FLAG_END_HEADERS;

class H2ProtocolErrors : public H2ProtocolTest {
 protected:
  /** The session ended typed: protocol_error with `cause` in its detail, after the
      client's GOAWAY(`code`) reached the server; `exchanges` failed the same way. */
  [[nodiscard]] ::testing::AssertionResult ended_with(
      std::uint32_t code, const std::string& cause,
      const std::vector<std::shared_ptr<Exchange>>& exchanges) {
    pump();
    protocol_->finish_if_done();
    protocol_->flush_events();
    if (!server_.goaway_received || server_.goaway_code != code) {
      return ::testing::AssertionFailure()
             << "the server got " << (server_.goaway_received ? "GOAWAY " : "no GOAWAY ")
             << nghttp2_http2_strerror(server_.goaway_code) << ", want "
             << nghttp2_http2_strerror(code);
    }
    if (!protocol_->dead() || pool_.session_error != errc::protocol_error ||
        pool_.session_detail.find(cause) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "session " << (protocol_->dead() ? "ended: " : "alive: ")
             << pool_.session_error.message() << " \"" << pool_.session_detail << "\"";
    }
    for (const auto& exchange : exchanges) {
      if (auto failed = failed_typed(exchange, cause); !failed) {
        return failed;
      }
    }
    return ::testing::AssertionSuccess();
  }

  /** `exchange` failed with errc::protocol_error naming `cause`, not to be sent again. */
  [[nodiscard]] ::testing::AssertionResult failed_typed(const std::shared_ptr<Exchange>& exchange,
                                                        const std::string& cause) const {
    if (auto closed = closed_as(exchange, Outcome::Kind::failed); !closed) {
      return closed;
    }
    const Outcome& outcome = pool_.closed.at(exchange->id);
    if (outcome.error != errc::protocol_error || outcome.lost_before_response ||
        outcome.detail.find(cause) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "exchange " << exchange->id << ": " << outcome.error.message() << " \""
             << outcome.detail << "\"" << (outcome.lost_before_response ? " (replayable)" : "");
    }
    return ::testing::AssertionSuccess();
  }
};

// RFC 9113 4.2: an HTTP/1.1 head where a frame should start reads as a frame too large.
TEST_P(H2ProtocolErrors, GarbageEndsTheSessionAsAProtocolError) {
  handshake();
  auto a = request("/a");
  pump();
  const std::string garbage = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
  feed_client({garbage.begin(), garbage.end()});
  EXPECT_TRUE(ended_with(NGHTTP2_FRAME_SIZE_ERROR, "FRAME_SIZE_ERROR", {a}));
  EXPECT_EQ(pool_.log.back(), "session closed protocol_error");
}

// RFC 9113 8.4: our SETTINGS said ENABLE_PUSH 0; a PUSH_PROMISE is a connection error.
TEST_P(H2ProtocolErrors, PushPromiseWhilePushIsOffIsAProtocolError) {
  handshake();
  auto a = request("/a");
  auto b = request("/b");
  pump();
  const std::string payload = std::string("\0\0\0\2", 4) + literal_block({{":method", "GET"},
                                                                          {":scheme", "https"},
                                                                          {":authority", "a.test"},
                                                                          {":path", "/pushed"}});
  feed_client(raw_frame(NGHTTP2_PUSH_PROMISE, NGHTTP2_FLAG_END_HEADERS, 1, payload));
  EXPECT_TRUE(ended_with(NGHTTP2_PROTOCOL_ERROR, "PUSH_PROMISE", {a, b}));
}

// RFC 7541 6.1, RFC 9113 4.3: the indexed field 0 is no HPACK: GOAWAY(COMPRESSION_ERROR),
// and every request of the session fails (the HPACK context is gone).
TEST_P(H2ProtocolErrors, BadHpackEndsTheSessionWithCompressionError) {
  handshake();
  auto a = request("/a");
  auto b = request("/b");
  pump();
  feed_client(raw_frame(NGHTTP2_HEADERS, kEndStreamEndHeaders, 1, std::string(1, '\x80')));
  EXPECT_TRUE(ended_with(NGHTTP2_COMPRESSION_ERROR, "COMPRESSION_ERROR", {a, b}));
}

// RFC 9113 8.1.1, 8.2.1, 8.2.2, 8.3.2: a malformed response is a stream error: that
// request fails naming what was wrong, nghttp2 resets its stream with PROTOCOL_ERROR,
// and its sibling and the session go on.
TEST_P(H2ProtocolErrors, MalformedResponseHeadsFailTheirStreamOnly) {
  const std::pair<std::vector<std::pair<std::string, std::string>>, std::string> cases[] = {
      {{{":status", "2x0"}}, "invalid :status"},
      {{{"content-length", "0"}}, "no :status"},
      {{{":status", "200"}, {"connection", "keep-alive"}}, "forbidden field after \":status\""},
      {{{":status", "200"}, {"x-ok", "1"}, {"X-Upper", "1"}}, "forbidden field after \"x-ok\""},
  };
  handshake();
  std::int32_t stream = 1;
  for (const auto& [fields, cause] : cases) {
    SCOPED_TRACE(cause);
    auto bad = request("/bad");
    auto sibling = request("/sibling");
    pump();
    feed_client(raw_frame(NGHTTP2_HEADERS, kEndStreamEndHeaders, stream, literal_block(fields)));
    pump();
    EXPECT_TRUE(failed_typed(bad, "malformed response"));
    EXPECT_TRUE(failed_typed(bad, cause));
    EXPECT_EQ(server_.streams[stream].reset_code, NGHTTP2_PROTOCOL_ERROR);
    EXPECT_TRUE(answered(stream + 2, sibling, "sibling"));
    EXPECT_FALSE(protocol_->dead()) << pool_.session_detail;
    stream += 4;
  }
}

// The proof's defect (protocol_errors_as_session_lost): the same connection error ends
// the session as session_lost "session finished", its cause lost.
TEST_P(H2ProtocolErrors, ProtocolErrorsAsSessionLostHookDropsTheCause) {
  make_protocol_with(testing::Defects::protocol_errors_as_session_lost);
  handshake();
  auto a = request("/a");
  pump();
  feed_client(raw_frame(NGHTTP2_HEADERS, kEndStreamEndHeaders, 1, std::string(1, '\x80')));
  pump();
  protocol_->finish_if_done();
  protocol_->flush_events();
  EXPECT_EQ(server_.goaway_code, NGHTTP2_COMPRESSION_ERROR);
  EXPECT_EQ(pool_.session_error, errc::session_lost);
  EXPECT_EQ(pool_.session_detail, "session finished");
}

// RFC 9113 8.4: our SETTINGS disable push.
TEST_P(H2ProtocolErrors, SettingsDisablePush) {
  handshake();
  EXPECT_EQ(nghttp2_session_get_remote_settings(server_.get(), NGHTTP2_SETTINGS_ENABLE_PUSH), 0U);
}

// The proof's defect (push_left_enabled): the SETTINGS say ENABLE_PUSH 1.
TEST_P(H2ProtocolErrors, PushLeftEnabledHookLeavesItOut) {
  make_protocol_with(testing::Defects::push_left_enabled);
  handshake();
  EXPECT_EQ(nghttp2_session_get_remote_settings(server_.get(), NGHTTP2_SETTINGS_ENABLE_PUSH), 1U);
}

INSTANTIATE_TEST_SUITE_P(Cuts, H2ProtocolErrors, ::testing::Values(1U, 2U, 3U, 42U),
                         [](const auto& info) { return "seed" + std::to_string(info.param); });

}  // namespace
}  // namespace faultline::transport
