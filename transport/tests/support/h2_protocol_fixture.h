// The fixture of the socketless h2 protocol tests: an nghttp2 server session in the test
// produces the server's bytes, a few frames a compliant server never sends are written
// raw, and every byte is handed over in pieces of random size, both ways. Shared by
// h2_protocol_test.cpp and h2_protocol_errors_test.cpp (each instantiates its own suite).
#pragma once

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
#include "detail/h2_protocol.h"
#include "detail/limits.h"
#include "support/fakes.h"

namespace faultline::transport::h2_test {

using detail::Exchange;
using detail::H2Protocol;
using detail::Outcome;

inline constexpr detail::SessionId kSession = 7;

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
            self.goaway_code = frame->goaway.error_code;
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
  std::uint32_t goaway_code = 0;  ///< the client's last GOAWAY

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
inline std::vector<std::uint8_t> raw_frame(std::uint8_t type, std::uint8_t flags,
                                           std::int32_t stream, const std::string& payload) {
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
inline std::vector<std::uint8_t> frame_types(const std::vector<std::uint8_t>& bytes) {
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

}  // namespace faultline::transport::h2_test
