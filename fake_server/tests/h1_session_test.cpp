// The HTTP/1.1 session fed raw bytes cut at random sizes, timers on a virtual clock.
#include "detail/h1_session.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detail/random_bytes.h"
#include "faultline/common/sha256.h"
#include "faultline/scenarios/loader.h"
#include "session_harness.h"

namespace faultline::fake_server::detail {
namespace {

using common::sha256_hex;
using testing::FakeHost;
using namespace std::chrono_literals;

class H1SessionTest : public ::testing::Test {
 protected:
  H1SessionTest()
      : context_(scenarios::load_builtin_scenario("default")),
        stats_(context_.stats.open_connection("plain", false)),
        session_(std::make_unique<H1Session>(SessionEnv{context_, host_, stats_, "plain"})) {
    session_->start();
  }

  /** Restarts the session under the given limits. */
  void with_limits(std::uint64_t max_body, std::uint32_t max_headers) {
    scenarios::Scenario limited = *context_.scenarios.current();
    limited.limits.max_request_body_bytes = max_body;
    limited.limits.max_header_bytes = max_headers;
    context_.scenarios.replace(limited);
    session_ = std::make_unique<H1Session>(SessionEnv{context_, host_, stats_, "plain"});
    session_->start();
  }

  /** Restarts the session under a scenario whose /early answers 200 "done" early. */
  void with_early_route() {
    context_.scenarios.replace(scenarios::parse_scenario(
        R"({"name":"early","routes":[{"match":{"path":"/early"},)"
        R"("respond":{"status":200,"early":true,"body":{"text":"done"}}}]})"));
    session_ = std::make_unique<H1Session>(SessionEnv{context_, host_, stats_, "plain"});
    session_->start();
  }

  void send(const std::string& bytes) {
    const std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    testing::feed_split(data, rng_, 61, [&](auto piece) { session_->on_input(piece); });
  }

  /** Collects output, running timers, until `done(output)` or nothing can happen. */
  [[nodiscard]] ::testing::AssertionResult pump(const std::function<bool()>& done) {
    for (int round = 0; round < 100000; ++round) {
      std::vector<std::uint8_t> out;
      session_->produce_output(out, 1 << 16);
      output_.append(out.begin(), out.end());
      if (done()) {
        return ::testing::AssertionSuccess();
      }
      if (out.empty() && !host_.run_ready() && !host_.advance()) {
        return ::testing::AssertionFailure() << "stalled; output so far:\n" << output_;
      }
    }
    return ::testing::AssertionFailure() << "no end";
  }

  [[nodiscard]] ::testing::AssertionResult until_contains(const std::string& text,
                                                          std::size_t times = 1) {
    return pump([&] {
      std::size_t count = 0;
      for (std::size_t at = output_.find(text); at != std::string::npos;
           at = output_.find(text, at + 1)) {
        ++count;
      }
      return count >= times;
    });
  }

  ServerContext context_;
  FakeHost host_;
  std::shared_ptr<ConnectionStats> stats_;
  std::unique_ptr<H1Session> session_;
  std::string output_;
  std::mt19937 rng_{7};
};

TEST_F(H1SessionTest, KeepAliveAndPipelining) {
  send(
      "GET /health HTTP/1.1\r\nHost: x\r\nx-faultline-request-id: a\r\n\r\n"
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(until_contains("HTTP/1.1 200 OK", 2));
  EXPECT_NE(output_.find("content-length: 2\r\n"), std::string::npos);
  EXPECT_NE(output_.find("x-faultline-request-id: a\r\n"), std::string::npos);
  EXPECT_FALSE(session_->should_close());
  EXPECT_EQ(context_.stats.served("a"), 1u);
}

TEST_F(H1SessionTest, ConnectionCloseIsHonoured) {
  send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(until_contains("\r\n\r\nok"));
  EXPECT_NE(output_.find("connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(session_->should_close());
}

TEST_F(H1SessionTest, ChunkedUploadEchoedWithDigest) {
  std::vector<std::uint8_t> bytes(50000);
  RandomBytes(3).fill(bytes);
  const std::string body(bytes.begin(), bytes.end());
  std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += 7000) {
    const std::string piece = body.substr(at, 7000);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    request += size + piece + "\r\n";
  }
  request += "0\r\n\r\n";
  send(request);
  ASSERT_TRUE(pump([&] { return !output_.empty() && output_.back() == '}'; }));
  const auto json = nlohmann::json::parse(output_.substr(output_.find("\r\n\r\n") + 4));
  EXPECT_EQ(json["body_bytes"], body.size());
  EXPECT_EQ(json["sha256"], sha256_hex(body));
}

// Wire bytes are not UTF-8: an echoed head with 0xFF in a field value and the query is
// answered (U+FFFD in the JSON), not thrown out of the session. (A field name must be a
// token, RFC 9110 5.1: one with such a byte is a 400 from the parser.)
TEST_F(H1SessionTest, EchoOfBytesThatAreNotUtf8IsAnsweredWithReplacementCharacters) {
  send(
      "GET /echo?q=\xff\xfe HTTP/1.1\r\nHost: x\r\nx-bin: a\xff"
      "b\r\n\r\n");
  ASSERT_TRUE(pump([&] { return !output_.empty() && output_.back() == '}'; }));
  EXPECT_EQ(output_.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << output_;
  const auto json = nlohmann::json::parse(output_.substr(output_.find("\r\n\r\n") + 4));
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(json["query"], "q=" + fffd + fffd);
  EXPECT_EQ(json["headers"]["x-bin"], "a" + fffd + "b");
  EXPECT_FALSE(session_->should_close());
}

TEST_F(H1SessionTest, ExpectContinueGetsAnInterimResponse) {
  send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(until_contains("HTTP/1.1 100 Continue\r\n\r\n"));
  send("abc");
  ASSERT_TRUE(until_contains("HTTP/1.1 200 OK"));
}

TEST_F(H1SessionTest, SseIsChunkedAndPaced) {
  send("GET /sse HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(until_contains("id: 0\n"));
  EXPECT_NE(output_.find("transfer-encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(host_.now(), 0ms);
  ASSERT_TRUE(until_contains("0\r\n\r\n"));
  EXPECT_EQ(host_.now(), 200ms);  // 5 events, 50 ms apart
  EXPECT_NE(output_.find("id: 4\nevent: tick\ndata: 4\n\n"), std::string::npos);
}

TEST_F(H1SessionTest, TrailersInTheLastChunk) {
  send("GET /trailers HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(until_contains("0\r\nx-trailer: yes\r\n\r\n"));
  EXPECT_NE(output_.find("trailer: x-trailer\r\n"), std::string::npos);
  EXPECT_NE(output_.find("13\r\nbody with trailers\n\r\n"), std::string::npos);
}

TEST_F(H1SessionTest, HeldUntilReleased) {
  send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_FALSE(pump([&] { return !output_.empty(); }));  // stalls: nothing to send
  EXPECT_EQ(context_.gates.release("hold", std::nullopt), 1u);
  ASSERT_TRUE(until_contains("released"));
}

TEST_F(H1SessionTest, HeadHasLengthButNoBody) {
  send("HEAD /bytes/1000 HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(until_contains("HTTP/1.1 200 OK", 2));
  ASSERT_TRUE(until_contains("\r\n\r\nok"));
  EXPECT_NE(output_.find("content-length: 1000\r\n"), std::string::npos);
  EXPECT_LT(output_.size(), 400u);
}

TEST_F(H1SessionTest, OversizeBodyIs413ThenClose) {
  with_limits(10, 64 * 1024);
  send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n");
  ASSERT_TRUE(until_contains("HTTP/1.1 413 Payload Too Large"));
  EXPECT_TRUE(pump([&] { return session_->should_close(); }));
}

// respond.early (RFC 9112 9.6): the response goes out on the head with connection: close,
// the body is not read, and the session closes (the connection then drains the rest).
TEST_F(H1SessionTest, EarlyAnswerClosesWithoutReadingTheBody) {
  with_early_route();
  send(
      "POST /early HTTP/1.1\r\nHost: x\r\nx-faultline-request-id: e1\r\n"
      "Content-Length: 1000000\r\n\r\n" +
      std::string(3000, 'u'));
  ASSERT_TRUE(until_contains("\r\n\r\ndone"));
  EXPECT_NE(output_.find("HTTP/1.1 200 OK\r\n"), std::string::npos);
  EXPECT_NE(output_.find("connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(pump([&] { return session_->should_close(); }));
  // What came with the head may have been parsed; the rest is dropped, unread.
  const std::uint64_t read = context_.stats.body_bytes("e1");
  send(std::string(5000, 'u'));
  EXPECT_EQ(context_.stats.body_bytes("e1"), read);
  EXPECT_LE(read, 3000u);
  EXPECT_EQ(context_.stats.served("e1"), 1u);
}

TEST_F(H1SessionTest, EarlyRouteWithTheWholeBodyAnswersAsUsual) {
  with_early_route();
  // One piece: the head and the whole body reach the parser together.
  const std::string request = "POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody";
  session_->on_input(
      std::span(reinterpret_cast<const std::uint8_t*>(request.data()), request.size()));
  ASSERT_TRUE(until_contains("\r\n\r\ndone"));
  EXPECT_EQ(output_.find("connection: close"), std::string::npos);
  EXPECT_FALSE(session_->should_close());
}

TEST_F(H1SessionTest, OversizeHeadersAre431) {
  with_limits(1 << 20, 100);
  send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(200, 'b') + "\r\n\r\n");
  ASSERT_TRUE(until_contains("HTTP/1.1 431"));
}

TEST_F(H1SessionTest, GarbageIs400AndClose) {
  send("\x16\x03\x01 this is not http\r\n\r\n");
  ASSERT_TRUE(until_contains("HTTP/1.1 400 Bad Request"));
  EXPECT_NE(output_.find("connection: close"), std::string::npos);
  EXPECT_TRUE(session_->should_close());
}

TEST_F(H1SessionTest, TimelineRecordsTheExchange) {
  send("GET /status/418 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(until_contains("HTTP/1.1 418"));
  const auto timeline = nlohmann::json::parse(*context_.stats.timeline_json(stats_->id()));
  ASSERT_EQ(timeline["events"].size(), 2u);
  EXPECT_EQ(timeline["events"][0]["path"], "/status/418");
  EXPECT_EQ(timeline["events"][1]["status"], 418);
}

}  // namespace
}  // namespace faultline::fake_server::detail
