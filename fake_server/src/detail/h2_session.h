// The HTTP/2 protocol engine: nghttp2's server session driven by mem_recv/mem_send,
// answering from the scenario. No sockets here (session.h).
#pragma once

#include <nghttp2/nghttp2.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "detail/flood_guard.h"
#include "detail/gates.h"
#include "detail/h2_faults.h"
#include "detail/h2_memory.h"
#include "detail/router.h"
#include "detail/server_context.h"
#include "detail/session.h"

namespace faultline::fake_server::detail {

/** One HTTP/2 connection's protocol state. Runs on its connection's strand. */
class H2Session final : public ProtocolSession {
 public:
  /** A session for the connection `env` describes (the server's context, the host,
      the connection's stats, the listener's name). Routes and limits follow scenario
      replacements; the faults and the flood guard are those in force now. Call
      start() next. */
  explicit H2Session(SessionEnv env);
  ~H2Session() override;
  H2Session(const H2Session&) = delete;
  H2Session& operator=(const H2Session&) = delete;

  void start() override;
  void on_input(std::span<const std::uint8_t> bytes) override;
  void produce_output(std::vector<std::uint8_t>& out, std::size_t max) override;
  [[nodiscard]] bool should_close() const override;
  void on_peer_closed() override;
  void shutdown() override;
  void on_closed(std::string_view reason) override;
  void apply_admin(const AdminAction& action) override;
  [[nodiscard]] SessionPhase phase() const override;

  // nghttp2 callbacks, reached through the forwarding functions in h2_session_bridge.cpp.
  int on_begin_headers(const nghttp2_frame& frame);
  int on_header(const nghttp2_frame& frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame& frame);
  int on_data_chunk_recv(std::int32_t stream_id, std::string_view data);
  int on_frame_send(const nghttp2_frame& frame);
  int on_stream_close(std::int32_t stream_id, std::uint32_t error_code);
  ssize_t on_read_body(std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                       std::uint32_t* data_flags);

 private:
  struct Stream;
  struct SessionDeleter {
    void operator()(nghttp2_session* session) const noexcept { nghttp2_session_del(session); }
  };

  [[nodiscard]] Stream* find(std::int32_t stream_id) const;
  /** Reads the stream's namespace and scenario choice; binds the connection. */
  void choose_tenant(Stream& stream);
  void on_request_headers(Stream& stream);
  void on_request_end(Stream& stream);
  /** Plans and sends (or holds, delays) the route's response: at the request's end, or on
      its head when the route answers early. */
  void answer(Stream& stream);
  /** The RST_STREAM(NO_ERROR) that follows an early answer's END_STREAM while the client
      is still sending. */
  void end_early_stream(const nghttp2_frame& frame);
  void reject(Stream& stream, int status, std::string_view message);
  void after_hold(std::int32_t stream_id);
  void submit_response(Stream& stream);
  void submit_trailers(Stream& stream, std::uint32_t* data_flags);
  void resume(std::int32_t stream_id);
  void record_frame(const nghttp2_frame& frame, Direction dir, bool opens = true);
  /** Ends the session: GOAWAY(error), close once it is flushed. */
  void fail(const char* what, int code, std::uint32_t error = NGHTTP2_PROTOCOL_ERROR);
  /** Spends the budget of a frame that brings no work; false (and GOAWAY
      ENHANCE_YOUR_CALM) when the connection is flooding. */
  bool within_budget(const nghttp2_frame& frame);

  SessionEnv env_;
  ScenarioView scenario_;
  const bool flood_guard_;  ///< the scenario's limits.flood_guard (at connect)
  H2Memory memory_;         ///< nghttp2's allocations; outlives session_
  std::unique_ptr<nghttp2_session, SessionDeleter> session_;
  using StreamMap = std::unordered_map<std::int32_t, std::unique_ptr<Stream>>;
  StreamMap streams_;
  /** Closed streams' nodes (map node, Stream, its strings' storage), reused. */
  std::vector<StreamMap::node_type> spare_streams_;
  std::vector<nghttp2_nv> nva_;                ///< header list being submitted
  std::vector<std::string> declared_lengths_;  ///< respond.content_length values
  std::unique_ptr<H2Faults> faults_;           ///< the stream limit and the scenario's faults
  FloodGuard flood_{FloodGuard::Clock::now()};
  bool failed_ = false;         ///< the session cannot go on: close once output is flushed
  bool peer_settings_ = false;  ///< the client's preface and first SETTINGS arrived
  std::size_t held_ = 0;        ///< streams of this connection held at gates
};

}  // namespace faultline::fake_server::detail
