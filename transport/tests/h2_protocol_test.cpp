// The client's HTTP/2 protocol part without sockets: an nghttp2 server session in the
// test produces the server's bytes, a few frames a compliant server never sends are
// written raw, and every byte is handed over in pieces of random size, both ways.
#include "detail/h2_protocol.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "defect_injector.h"
#include "detail/engine.h"
#include "detail/limits.h"
#include "support/fakes.h"

namespace faultline::transport {
namespace {

using detail::Exchange;
using detail::H2Protocol;
using detail::Outcome;

constexpr detail::SessionId kSession = 7;

/** A host without a socket: records what the protocol asks of its connection. */
class FakeHost final : public detail::H2ProtocolHost {
 public:
  void signal_write() override { ++write_signals; }
  void defer(std::function<void()> fn) override { deferred.push_back(std::move(fn)); }
  void on_settled() override { ++settled; }
  void on_ended() override { ++ended; }

  int write_signals = 0;
  int settled = 0;
  int ended = 0;
  std::deque<std::function<void()>> deferred;
};

/** The pool's side: every event, in order. */
class RecordingPool final : public detail::SessionEvents {
 public:
  struct Closed {
    std::uint64_t exchange = 0;
    Outcome outcome;
  };

  void on_session_ready(detail::SessionId, std::uint32_t max) override {
    log.push_back("ready " + std::to_string(max));
  }
  void on_session_settings(detail::SessionId, std::uint32_t max) override {
    log.push_back("settings " + std::to_string(max));
  }
  void on_session_goaway(detail::SessionId, std::int32_t last, std::uint32_t code) override {
    log.push_back("goaway " + std::to_string(last) + " " + std::to_string(code));
  }
  void on_stream_closed(detail::SessionId, std::shared_ptr<Exchange> exchange, std::uint32_t,
                        Outcome outcome) override {
    log.push_back("closed " + std::to_string(exchange->id));
    closed[exchange->id] = outcome;
  }
  void on_session_closed(detail::SessionId, CloseReason reason, std::error_code error,
                         std::string detail) override {
    log.push_back(std::string("session closed ") + to_string(reason));
    session_error = error;
    session_detail = std::move(detail);
  }

  std::vector<std::string> log;
  std::map<std::uint64_t, Outcome> closed;
  std::error_code session_error;
  std::string session_detail;
};

/** What the server saw of one stream. */
struct ServerStream {
  std::string path;
  bool ended = false;  ///< the request's END_STREAM arrived
  std::uint32_t reset_code = 0;
  bool reset = false;
};

/** nghttp2's server session: the independent peer whose bytes the client parses. */
class H2Server {
 public:
  H2Server() {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
                void* user) {
          if (std::string_view(reinterpret_cast<const char*>(name), namelen) == ":path") {
            static_cast<H2Server*>(user)->streams[frame->hd.stream_id].path.assign(
                reinterpret_cast<const char*>(value), valuelen);
          }
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* frame, void* user) {
          auto& self = *static_cast<H2Server*>(user);
          if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
              (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
            self.streams[frame->hd.stream_id].ended = true;
          } else if (frame->hd.type == NGHTTP2_RST_STREAM) {
            auto& stream = self.streams[frame->hd.stream_id];
            stream.reset = true;
            stream.reset_code = frame->rst_stream.error_code;
          } else if (frame->hd.type == NGHTTP2_GOAWAY) {
            self.goaway_received = true;
          }
          return 0;
        });
    nghttp2_session* session = nullptr;
    nghttp2_session_server_new(&session, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    session_.reset(session);
  }

  nghttp2_session* get() { return session_.get(); }

  void settings(std::uint32_t max_concurrent_streams) {
    const nghttp2_settings_entry entry{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
                                       max_concurrent_streams};
    ASSERT_EQ(nghttp2_submit_settings(get(), NGHTTP2_FLAG_NONE, &entry, 1), 0);
  }

  /** A response from memory, with trailers when `trailers` is not empty. */
  void respond(std::int32_t stream, int status, std::string body, Headers headers = {},
               Headers trailers = {}) {
    auto& out = bodies_[stream];
    out.data = std::move(body);
    out.trailers = std::move(trailers);
    headers.insert(headers.begin(), {":status", std::to_string(status)});
    auto nva = to_nv(headers, out.names);
    nghttp2_data_provider provider{};
    provider.source.ptr = &out;
    provider.read_callback = [](nghttp2_session* session, std::int32_t id, std::uint8_t* buf,
                                std::size_t length, std::uint32_t* flags,
                                nghttp2_data_source* source, void*) -> ssize_t {
      auto& body = *static_cast<Body*>(source->ptr);
      const std::size_t n = std::min(length, body.data.size() - body.sent);
      std::memcpy(buf, body.data.data() + body.sent, n);
      body.sent += n;
      if (body.sent == body.data.size()) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (!body.trailers.empty()) {
          *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
          auto tva = to_nv(body.trailers, body.trailer_names);
          nghttp2_submit_trailer(session, id, tva.data(), tva.size());
        }
      }
      return static_cast<ssize_t>(n);
    };
    ASSERT_EQ(nghttp2_submit_response(get(), stream, nva.data(), nva.size(), &provider), 0);
  }

  /** A 1xx head (no END_STREAM) before the final response. */
  void informational(std::int32_t stream, int status, Headers headers) {
    auto& keep = interim_[stream].emplace_back();
    headers.insert(headers.begin(), {":status", std::to_string(status)});
    auto nva = to_nv(headers, keep);
    ASSERT_EQ(nghttp2_submit_headers(get(), NGHTTP2_FLAG_NONE, stream, nullptr, nva.data(),
                                     nva.size(), nullptr),
              0);
  }

  /** A response head without END_STREAM; the body, if any, is written raw by the test. */
  void head(std::int32_t stream, int status, Headers headers = {}) {
    headers.insert(headers.begin(), {":status", std::to_string(status)});
    auto nva = to_nv(headers, heads_[stream]);
    ASSERT_EQ(nghttp2_submit_headers(get(), NGHTTP2_FLAG_NONE, stream, nullptr, nva.data(),
                                     nva.size(), nullptr),
              0);
  }

  void reset(std::int32_t stream, std::uint32_t code) {
    ASSERT_EQ(nghttp2_submit_rst_stream(get(), NGHTTP2_FLAG_NONE, stream, code), 0);
  }

  void goaway(std::int32_t last_stream_id, std::uint32_t code = NGHTTP2_NO_ERROR) {
    ASSERT_EQ(nghttp2_submit_goaway(get(), NGHTTP2_FLAG_NONE, last_stream_id, code, nullptr, 0), 0);
  }

  std::map<std::int32_t, ServerStream> streams;
  bool goaway_received = false;

 private:
  struct Body {
    std::string data;
    std::size_t sent = 0;
    Headers trailers;
    Headers names;  ///< keeps the header strings alive while nghttp2 holds pointers
    Headers trailer_names;
  };
  struct Deleter {
    void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
  };

  static std::vector<nghttp2_nv> to_nv(const Headers& fields, Headers& keep) {
    keep = fields;
    std::vector<nghttp2_nv> nva;
    for (auto& [name, value] : keep) {
      nva.push_back({reinterpret_cast<std::uint8_t*>(name.data()),
                     reinterpret_cast<std::uint8_t*>(value.data()), name.size(), value.size(),
                     NGHTTP2_NV_FLAG_NONE});
    }
    return nva;
  }

  std::unique_ptr<nghttp2_session, Deleter> session_;
  std::map<std::int32_t, Body> bodies_;
  std::map<std::int32_t, std::list<Headers>> interim_;  ///< 1xx fields nghttp2 points into
  std::map<std::int32_t, Headers> heads_;
};

/** A frame as raw bytes (RFC 9113 4.1), for what nghttp2's server will not send. */
std::vector<std::uint8_t> raw_frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream,
                                    const std::string& payload) {
  const auto n = payload.size();
  std::vector<std::uint8_t> out(9 + n);
  out[0] = static_cast<std::uint8_t>(n >> 16);
  out[1] = static_cast<std::uint8_t>(n >> 8);
  out[2] = static_cast<std::uint8_t>(n);
  out[3] = type;
  out[4] = flags;
  out[5] = static_cast<std::uint8_t>(stream >> 24);
  out[6] = static_cast<std::uint8_t>(stream >> 16);
  out[7] = static_cast<std::uint8_t>(stream >> 8);
  out[8] = static_cast<std::uint8_t>(stream);
  std::memcpy(out.data() + 9, payload.data(), n);
  return out;
}

/** Frame types in a byte stream that starts at a frame boundary. */
std::vector<std::uint8_t> frame_types(const std::vector<std::uint8_t>& bytes) {
  std::vector<std::uint8_t> types;
  std::size_t pos = 0;
  while (pos + 9 <= bytes.size()) {
    const std::size_t length =
        (std::size_t{bytes[pos]} << 16) | (std::size_t{bytes[pos + 1]} << 8) | bytes[pos + 2];
    types.push_back(bytes[pos + 3]);
    pos += 9 + length;
  }
  return types;
}

/** One client protocol against one server session, bytes cut at random sizes. The
    parameter seeds the cuts. */
class H2ProtocolTest : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    random_.seed(GetParam());
    make_protocol();
  }

  void make_protocol() {
    protocol_ = std::make_unique<H2Protocol>(config_, *detail::parse_url("https://a.test/"),
                                             kSession, pool_, host_);
    protocol_->start();
    ASSERT_TRUE(protocol_->started());
  }

  /** A fresh protocol with `defect` injected through its hook points. */
  void make_protocol_with(testing::Defects::Flag defect) {
    hooks_ = std::make_unique<testing::DefectInjector>(testing::Defects{}.set(defect));
    config_.hooks = hooks_.get();
    make_protocol();
  }

  /** The server's first SETTINGS, then everything both sides have to say. */
  void handshake(std::uint32_t max_concurrent_streams = 100) {
    server_.settings(max_concurrent_streams);
    pump();
  }

  std::shared_ptr<Exchange> request(const std::string& path, Handlers handlers = {}) {
    Request r;
    r.url = "https://a.test" + path;
    auto exchange = std::make_shared<Exchange>(engine_, next_id_++, std::move(r),
                                               *detail::parse_url("https://a.test" + path),
                                               std::move(handlers));
    exchange->attempt = 1;
    EXPECT_TRUE(protocol_->submit(exchange)) << path;
    return exchange;
  }

  /** Hands `bytes` to the client in pieces of 1 to 40 bytes (sometimes all at once). */
  void feed_client(const std::vector<std::uint8_t>& bytes) {
    server_to_client_.insert(server_to_client_.end(), bytes.begin(), bytes.end());
    std::size_t pos = 0;
    while (pos < bytes.size() && !protocol_->dead()) {
      const std::size_t n = std::min(bytes.size() - pos, piece());
      protocol_->receive({bytes.data() + pos, n});
      pos += n;
    }
    protocol_->flush_events();
  }

  /** Moves bytes both ways and runs deferred work until nobody has anything to say. */
  void pump() {
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      std::vector<std::uint8_t> out;
      if (protocol_->started() && !protocol_->dead()) {
        ASSERT_TRUE(protocol_->produce_output(out, 1 << 20));
        protocol_->flush_events();
      }
      std::size_t pos = 0;
      while (pos < out.size()) {
        const std::size_t n = std::min(out.size() - pos, piece());
        ASSERT_GE(nghttp2_session_mem_recv(server_.get(), out.data() + pos, n), 0);
        pos += n;
      }
      moved |= !out.empty();
      std::vector<std::uint8_t> in;
      for (;;) {
        const std::uint8_t* data = nullptr;
        const auto n = nghttp2_session_mem_send(server_.get(), &data);
        ASSERT_GE(n, 0);
        if (n == 0) {
          break;
        }
        in.insert(in.end(), data, data + n);
      }
      if (!in.empty()) {
        feed_client(in);
        moved = true;
      }
      while (!host_.deferred.empty()) {
        auto fn = std::move(host_.deferred.front());
        host_.deferred.pop_front();
        fn();
        moved = true;
      }
      if (!moved) {
        return;
      }
    }
    FAIL() << "the two sides never went quiet";
  }

  std::size_t piece() {
    if (std::uniform_int_distribution<int>(0, 9)(random_) == 0) {
      return std::size_t{1} << 20;
    }
    return std::uniform_int_distribution<std::size_t>(1, 40)(random_);
  }

  [[nodiscard]] ::testing::AssertionResult closed_as(const std::shared_ptr<Exchange>& exchange,
                                                     Outcome::Kind kind) const {
    const auto it = pool_.closed.find(exchange->id);
    if (it == pool_.closed.end()) {
      return ::testing::AssertionFailure() << "exchange " << exchange->id << " not closed";
    }
    if (it->second.kind != kind) {
      return ::testing::AssertionFailure()
             << "exchange " << exchange->id << " closed as kind "
             << static_cast<int>(it->second.kind) << " (" << it->second.error.message() << ": "
             << it->second.detail << ")";
    }
    return ::testing::AssertionSuccess();
  }

  /** The server answers `stream` with 200 and `body`, and the client completes
      `exchange` with that body. */
  [[nodiscard]] ::testing::AssertionResult answered(std::int32_t stream,
                                                    const std::shared_ptr<Exchange>& exchange,
                                                    const std::string& body) {
    server_.respond(stream, 200, body);
    pump();
    if (auto closed = closed_as(exchange, Outcome::Kind::completed); !closed) {
      return closed;
    }
    if (exchange->response.body != body) {
      return ::testing::AssertionFailure()
             << "exchange " << exchange->id << " got body \"" << exchange->response.body << "\"";
    }
    return ::testing::AssertionSuccess();
  }

  /** A 100 kB upload under SETTINGS_INITIAL_WINDOW_SIZE 0, then a SETTINGS raise alone:
      whether the server saw the body end is `finishes`. */
  [[nodiscard]] ::testing::AssertionResult upload_through_window_raise(bool finishes) {
    const nghttp2_settings_entry zero{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0};
    nghttp2_submit_settings(server_.get(), NGHTTP2_FLAG_NONE, &zero, 1);
    handshake();
    Request r;
    r.method = "POST";
    r.url = "https://a.test/up";
    r.body = Body::bytes(std::string(100'000, 'u'));
    auto up = std::make_shared<Exchange>(engine_, next_id_++, std::move(r),
                                         *detail::parse_url("https://a.test/up"), Handlers{});
    up->attempt = 1;
    if (!protocol_->submit(up)) {
      return ::testing::AssertionFailure() << "submit failed";
    }
    pump();
    if (server_.streams[1].ended) {
      return ::testing::AssertionFailure() << "the body went through a window of 0";
    }
    const nghttp2_settings_entry raised{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20};
    nghttp2_submit_settings(server_.get(), NGHTTP2_FLAG_NONE, &raised, 1);
    pump();
    if (server_.streams[1].ended != finishes) {
      return ::testing::AssertionFailure()
             << "after the raise the body " << (finishes ? "did not end" : "ended");
    }
    return ::testing::AssertionSuccess();
  }

  [[nodiscard]] std::size_t count(const std::string& event) const {
    return static_cast<std::size_t>(std::count(pool_.log.begin(), pool_.log.end(), event));
  }

  std::mt19937 random_;
  testing_support::ManualScheduler scheduler_;
  detail::Engine engine_{Options{}, scheduler_,
                         [](const detail::Url&, detail::SessionId, detail::SessionEvents&) {
                           return std::unique_ptr<detail::Session>();
                         }};
  detail::H2SessionConfig config_;
  FakeHost host_;
  RecordingPool pool_;
  H2Server server_;
  std::vector<std::uint8_t> server_to_client_;  ///< every byte the client was given
  std::uint64_t next_id_ = 1;
  std::unique_ptr<testing::DefectInjector> hooks_;
  std::unique_ptr<H2Protocol> protocol_;  // last: destroyed first
};

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
