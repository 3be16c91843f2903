// An HTTP/2 server session and nghttp2's client session connected in memory: bytes cut
// at random sizes both ways, timers on a virtual clock, every frame the server wrote
// kept as parsed by the frame reader (h2_frame.h) for byte-level assertions.
#pragma once

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "detail/h2_frame.h"
#include "detail/h2_session.h"
#include "session_harness.h"

namespace faultline::fake_server::testing {

/** What the client saw on one stream. */
struct ClientStream {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> trailers;
  std::string body;
  std::vector<std::size_t> data_frames;
  std::vector<std::chrono::milliseconds> data_at;  ///< virtual time of each DATA frame
  bool closed = false;
  std::uint32_t close_error = 0;
  bool headers_done = false;
};

/** nghttp2's client session as an independent peer. */
class H2Client {
 public:
  explicit H2Client(const FakeHost& clock) : clock_(clock) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
                void* user) {
          auto& self = *static_cast<H2Client*>(user);
          auto& stream = self.streams[frame->hd.stream_id];
          const std::string n(reinterpret_cast<const char*>(name), namelen);
          const std::string v(reinterpret_cast<const char*>(value), valuelen);
          if (n == ":status") {
            stream.status = std::stoi(v);
          } else if (stream.headers_done) {
            stream.trailers[n] = v;
          } else {
            stream.headers[n] = v;
          }
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* frame, void* user) {
          auto& self = *static_cast<H2Client*>(user);
          if (frame->hd.type == NGHTTP2_HEADERS) {
            self.streams[frame->hd.stream_id].headers_done = true;
          } else if (frame->hd.type == NGHTTP2_DATA) {
            auto& stream = self.streams[frame->hd.stream_id];
            stream.data_frames.push_back(frame->hd.length);
            stream.data_at.push_back(self.clock_.now());
          } else if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
            for (std::size_t i = 0; i < frame->settings.niv; ++i) {
              self.settings[frame->settings.iv[i].settings_id] = frame->settings.iv[i].value;
            }
          } else if (frame->hd.type == NGHTTP2_GOAWAY) {
            self.goaway_error = frame->goaway.error_code;
          }
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cbs, [](nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                std::size_t len, void* user) {
          static_cast<H2Client*>(user)->streams[id].body.append(reinterpret_cast<const char*>(data),
                                                                len);
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        cbs, [](nghttp2_session*, std::int32_t id, std::uint32_t error, void* user) {
          auto& stream = static_cast<H2Client*>(user)->streams[id];
          stream.closed = true;
          stream.close_error = error;
          return 0;
        });
    nghttp2_session* session = nullptr;
    nghttp2_session_client_new(&session, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    session_.reset(session);
    nghttp2_settings_entry window{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20};
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, &window, 1);
  }

  /** Submits a request; the body (if any) is sent from memory. */
  std::int32_t request(const std::string& method, const std::string& path,
                       std::vector<std::pair<std::string, std::string>> headers = {},
                       std::optional<std::string> body = std::nullopt) {
    headers.insert(
        headers.begin(),
        {{":method", method}, {":path", path}, {":scheme", "https"}, {":authority", "localhost"}});
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : headers) {
      nva.push_back({reinterpret_cast<std::uint8_t*>(n.data()),
                     reinterpret_cast<std::uint8_t*>(v.data()), n.size(), v.size(),
                     NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider provider{};
    auto owned = std::make_shared<std::pair<std::string, std::size_t>>(body.value_or(""), 0);
    provider.source.ptr = owned.get();
    provider.read_callback = [](nghttp2_session*, std::int32_t, std::uint8_t* buf,
                                std::size_t length, std::uint32_t* flags, nghttp2_data_source* src,
                                void*) -> ssize_t {
      auto& [data, at] = *static_cast<std::pair<std::string, std::size_t>*>(src->ptr);
      const std::size_t n = std::min(length, data.size() - at);
      std::memcpy(buf, data.data() + at, n);
      at += n;
      if (at == data.size()) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
      }
      return static_cast<ssize_t>(n);
    };
    bodies_.push_back(owned);
    const std::int32_t id = nghttp2_submit_request(session_.get(), nullptr, nva.data(), nva.size(),
                                                   body ? &provider : nullptr, nullptr);
    streams[id];
    return id;
  }

  std::vector<std::uint8_t> take_output() {
    std::vector<std::uint8_t> out;
    for (;;) {
      const std::uint8_t* data = nullptr;
      const auto n = nghttp2_session_mem_send(session_.get(), &data);
      if (n <= 0) {
        break;
      }
      out.insert(out.end(), data, data + n);
    }
    return out;
  }

  /** Bytes from the server. A strict client fails the test on a fatal error; a lenient
      one (for faults that break the protocol on purpose) keeps the first such error. */
  void feed(std::span<const std::uint8_t> bytes) {
    const auto rv = nghttp2_session_mem_recv(session_.get(), bytes.data(), bytes.size());
    if (rv >= 0) {
      return;
    }
    if (!strict) {
      if (recv_error == 0) {
        recv_error = static_cast<int>(rv);
      }
      return;
    }
    ADD_FAILURE() << "client: " << nghttp2_strerror(static_cast<int>(rv));
  }

  nghttp2_session* session() { return session_.get(); }

  std::map<std::int32_t, ClientStream> streams;
  std::map<std::int32_t, std::uint32_t> settings;
  std::optional<std::uint32_t> goaway_error;
  bool strict = true;
  int recv_error = 0;  ///< the first fatal nghttp2 error of a lenient client

 private:
  struct Del {
    void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
  };
  const FakeHost& clock_;
  std::unique_ptr<nghttp2_session, Del> session_;
  std::vector<std::shared_ptr<std::pair<std::string, std::size_t>>> bodies_;
};

/** One frame the server wrote, with a copy of its payload. */
struct SentFrame {
  detail::FrameHeader header;
  std::vector<std::uint8_t> payload;
  std::chrono::milliseconds at{0};  ///< virtual time it was written

  [[nodiscard]] detail::Frame frame() const { return {header, 0, payload}; }
  [[nodiscard]] bool is(detail::FrameType type) const { return header.is(type); }
};

/** A server session (H2Session over the given scenario) and an H2Client, wired together. */
class H2Exchange {
 public:
  explicit H2Exchange(scenarios::Scenario scenario)
      : context(std::move(scenario)),
        stats(context.stats.open_connection("main", true)),
        session(detail::SessionEnv{context, host, stats, "main"}),
        client(host) {
    context.origins.emplace("main", "https://127.0.0.1:1");
    context.origins.emplace("h1only", "https://127.0.0.1:3");
    session.start();
  }

  /** Moves bytes both ways, cut at random sizes, running timers on the virtual clock,
      until `done` or nothing can happen any more. */
  [[nodiscard]] ::testing::AssertionResult pump(const std::function<bool()>& done,
                                                std::size_t max_piece = 97) {
    for (int round = 0; round < 200000; ++round) {
      if (done()) {
        return ::testing::AssertionSuccess();
      }
      bool progress = false;
      const auto to_server = client.take_output();
      if (!to_server.empty()) {
        feed_split(to_server, rng, max_piece, [&](auto piece) { session.on_input(piece); });
        progress = true;
      }
      progress |= host.run_ready();
      std::vector<std::uint8_t> to_client;
      session.produce_output(to_client, 1 << 16);
      if (!to_client.empty()) {
        record(to_client);
        feed_split(to_client, rng, max_piece, [&](auto piece) { client.feed(piece); });
        progress = true;
      }
      if (!progress && !host.advance()) {
        return ::testing::AssertionFailure() << "stalled at t=" << host.now().count() << "ms";
      }
    }
    return ::testing::AssertionFailure() << "no end after many rounds";
  }

  /** Pumps until the client has seen stream `id` close. */
  [[nodiscard]] ::testing::AssertionResult finish(std::int32_t id) {
    return pump([&] { return client.streams[id].closed; });
  }

  /** The frames of `type` the server wrote, in order. */
  [[nodiscard]] std::vector<const SentFrame*> sent(detail::FrameType type) const {
    std::vector<const SentFrame*> out;
    for (const SentFrame& frame : frames) {
      if (frame.is(type)) {
        out.push_back(&frame);
      }
    }
    return out;
  }

  [[nodiscard]] nlohmann::json server_stats() const {
    return nlohmann::json::parse(context.stats.stats_json());
  }
  [[nodiscard]] nlohmann::json connection_stats() const {
    return nlohmann::json::parse(stats->to_json());
  }

  /** For a test that writes the client's bytes itself: hands them to the session, then
      runs what is due and records what the server wrote (the H2Client stays idle). */
  void raw_exchange(std::span<const std::uint8_t> to_server) {
    if (!to_server.empty()) {
      session.on_input(to_server);
    }
    (void)host.run_ready();
    std::vector<std::uint8_t> to_client;
    session.produce_output(to_client, 1 << 16);
    record(to_client);
  }
  /** The bytes after the last complete frame the server wrote (a cut frame). */
  [[nodiscard]] const std::vector<std::uint8_t>& partial_frame() const { return pending_; }

  detail::ServerContext context;
  FakeHost host;
  std::shared_ptr<detail::ConnectionStats> stats;
  detail::H2Session session;
  H2Client client;
  std::mt19937 rng{42};
  std::vector<SentFrame> frames;  ///< every complete frame the server wrote
  std::size_t bytes_out = 0;      ///< every byte the server wrote

 private:
  void record(const std::vector<std::uint8_t>& bytes) {
    bytes_out += bytes.size();
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    detail::FrameReader reader(pending_);
    while (const auto frame = reader.next()) {
      frames.push_back(
          SentFrame{frame->header, {frame->payload.begin(), frame->payload.end()}, host.now()});
    }
    pending_.erase(pending_.begin(),
                   pending_.begin() + static_cast<std::ptrdiff_t>(reader.offset()));
  }

  std::vector<std::uint8_t> pending_;  ///< a partial frame at the end of the output
};

}  // namespace faultline::fake_server::testing
